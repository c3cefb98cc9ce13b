/* rtc_cmos: MC146818 RTC and CMOS RAM (see rtc_cmos.h). */
#include "rtc_cmos.h"

#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define RTC_INDEX_MASK 0x7f /* bit 7 of the index port gates NMIs: ignored */
#define RTC_A_DEFAULT  0x26 /* 32.768 kHz time base, 1024 Hz rate; UIP clear */
#define RTC_HOUR_PM    0x80

static uint8_t rtc_to_bcd(unsigned v)
{
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_encode(const struct rtc_cmos *rtc, unsigned v)
{
    return (rtc->ram[RTC_REG_B] & RTC_B_BINARY) ? (uint8_t)v : rtc_to_bcd(v);
}

/* 12-hour mode: 12, 1..11 with bit 7 for PM (the bit is not BCD). */
static uint8_t rtc_encode_hour(const struct rtc_cmos *rtc, unsigned hour)
{
    if (rtc->ram[RTC_REG_B] & RTC_B_24H)
        return rtc_encode(rtc, hour);
    unsigned h12 = hour % 12 ? hour % 12 : 12;
    return (uint8_t)(rtc_encode(rtc, h12) | (hour >= 12 ? RTC_HOUR_PM : 0));
}

static int rtc_time_field(const struct rtc_cmos *rtc, uint8_t index,
                          const struct tm *tm, uint8_t *out)
{
    switch (index) {
    case RTC_REG_SECONDS: *out = rtc_encode(rtc, (unsigned)tm->tm_sec); return 1;
    case RTC_REG_MINUTES: *out = rtc_encode(rtc, (unsigned)tm->tm_min); return 1;
    case RTC_REG_HOURS:   *out = rtc_encode_hour(rtc, (unsigned)tm->tm_hour); return 1;
    case RTC_REG_WEEKDAY: *out = rtc_encode(rtc, (unsigned)tm->tm_wday + 1); return 1;
    case RTC_REG_DAY:     *out = rtc_encode(rtc, (unsigned)tm->tm_mday); return 1;
    case RTC_REG_MONTH:   *out = rtc_encode(rtc, (unsigned)tm->tm_mon + 1); return 1;
    case RTC_REG_YEAR:    *out = rtc_encode(rtc, (unsigned)tm->tm_year % 100); return 1;
    case RTC_REG_CENTURY: *out = rtc_encode(rtc, (unsigned)(tm->tm_year + 1900) / 100); return 1;
    default: return 0;
    }
}

void rtc_cmos_init(struct rtc_cmos *rtc, time_t (*now)(void))
{
    memset(rtc->ram, 0, sizeof(rtc->ram));
    pthread_mutex_init(&rtc->lock, NULL);
    rtc->index = 0;
    rtc->now = now;
    rtc->ram[RTC_REG_A] = RTC_A_DEFAULT;
    rtc->ram[RTC_REG_B] = RTC_B_24H; /* BCD, 24 hour: what a PC BIOS sets */
    rtc->ram[RTC_REG_D] = RTC_D_VRT;
}

void rtc_cmos_set(struct rtc_cmos *rtc, uint8_t index, uint8_t value)
{
    rtc->ram[index & RTC_INDEX_MASK] = value;
}

static void rtc_cmos_set16(struct rtc_cmos *rtc, uint8_t index, uint64_t v)
{
    if (v > 0xffff)
        v = 0xffff;
    rtc->ram[index] = (uint8_t)v;
    rtc->ram[index + 1] = (uint8_t)(v >> 8);
}

void rtc_cmos_set_memory(struct rtc_cmos *rtc, uint64_t low_bytes,
                         uint64_t high_bytes, unsigned cpus)
{
    const uint64_t kib = 1024, mib = 1024 * kib;
    uint64_t ext_kib = low_bytes > mib ? (low_bytes - mib) / kib : 0;
    uint64_t above16 = low_bytes > 16 * mib ? (low_bytes - 16 * mib) >> 16 : 0;
    uint64_t above4g = high_bytes >> 16;

    rtc_cmos_set16(rtc, 0x15, 640);
    rtc_cmos_set16(rtc, 0x17, ext_kib);
    rtc_cmos_set16(rtc, 0x30, ext_kib);
    rtc_cmos_set16(rtc, 0x34, above16);
    rtc->ram[0x5b] = (uint8_t)above4g;
    rtc->ram[0x5c] = (uint8_t)(above4g >> 8);
    rtc->ram[0x5d] = (uint8_t)(above4g >> 16);
    rtc->ram[0x5f] = (uint8_t)(cpus ? cpus - 1 : 0);
}

uint8_t rtc_cmos_read(struct rtc_cmos *rtc, uint8_t index)
{
    struct tm tm;
    uint8_t v;
    time_t t = rtc->now ? rtc->now() : time(NULL);

    index &= RTC_INDEX_MASK;
    if (gmtime_r(&t, &tm) && rtc_time_field(rtc, index, &tm, &v))
        return v;
    v = rtc->ram[index];
    if (index == RTC_REG_C) /* interrupt flags clear on read */
        rtc->ram[RTC_REG_C] = 0;
    return v;
}

void rtc_cmos_write(struct rtc_cmos *rtc, uint8_t index, uint8_t value)
{
    struct tm tm = { 0 };
    uint8_t ignored;

    index &= RTC_INDEX_MASK;
    if (rtc_time_field(rtc, index, &tm, &ignored))
        return; /* the host's clock is not the guest's to set */
    if (index == RTC_REG_C || index == RTC_REG_D)
        return; /* read-only */
    if (index == RTC_REG_A)
        value &= 0x7f; /* UIP is read-only */
    rtc->ram[index] = value;
}

void rtc_cmos_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                 bool is_write)
{
    struct rtc_cmos *rtc = opaque;
    pthread_mutex_lock(&rtc->lock);
    if (offset == 0) {
        if (is_write)
            rtc->index = data[0] & RTC_INDEX_MASK;
        else
            data[0] = 0xff; /* the index port is write-only */
    } else if (is_write) {
        rtc_cmos_write(rtc, rtc->index, data[0]);
    } else {
        data[0] = rtc_cmos_read(rtc, rtc->index);
    }
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0xff;
    pthread_mutex_unlock(&rtc->lock);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

/* The memory bytes are there for firmware that reads them (SeaBIOS does
 * when fw_cfg does not say). */
static int rtc_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    struct rtc_cmos *rtc = board_alloc_device(dev, sizeof(*rtc), "CMOS RTC");
    if (!rtc)
        return VM_EXIT_ERROR;
    rtc_cmos_init(rtc, NULL);
    rtc_cmos_set_memory(rtc, b->vm.mem.low_size, b->vm.mem.high_size, b->nvcpus);
    b->rtc = rtc; /* for the firmware's boot flag */
    return 0;
}

const struct device_desc rtc_cmos_device = {
    .name = "CMOS RTC",
    .add = rtc_add,
    .ranges = { { BUS_PIO, RTC_CMOS_PORT, RTC_CMOS_PORTS, rtc_cmos_io, "CMOS RTC" } },
    .destroy = free,
};
