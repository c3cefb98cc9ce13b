/* rtc_cmos: time encoding per register B, NMI bit, read-only registers. */
#include "check.h"
#include "../../hypervisor/vmm/rtc_cmos.h"

/* 2024-02-29 13:05:09 UTC, a Thursday */
static time_t fixed_now(void) { return 1709211909; }

static uint8_t io_read(struct rtc_cmos *rtc, uint8_t index)
{
    uint8_t b = index;
    rtc_cmos_io(rtc, 0, &b, 1, true);
    rtc_cmos_io(rtc, 1, &b, 1, false);
    return b;
}

static void io_write(struct rtc_cmos *rtc, uint8_t index, uint8_t v)
{
    rtc_cmos_io(rtc, 0, &index, 1, true);
    rtc_cmos_io(rtc, 1, &v, 1, true);
}

static void test_bcd_24h(void)
{
    struct rtc_cmos rtc;
    rtc_cmos_init(&rtc, fixed_now);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_SECONDS), 0x09);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_MINUTES), 0x05);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_HOURS), 0x13);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_DAY), 0x29);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_MONTH), 0x02);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_YEAR), 0x24);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_CENTURY), 0x20);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_WEEKDAY), 5); /* Sunday = 1 */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_D), RTC_D_VRT);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_A) & 0x80, 0); /* no update in progress */
}

static void test_binary_12h(void)
{
    struct rtc_cmos rtc;
    rtc_cmos_init(&rtc, fixed_now);
    io_write(&rtc, RTC_REG_B, RTC_B_BINARY); /* binary, 12 hour */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_B), RTC_B_BINARY);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_HOURS), 0x80 | 1); /* 1 PM */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_DAY), 29);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_YEAR), 24);
    io_write(&rtc, RTC_REG_B, 0); /* BCD, 12 hour */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_HOURS), 0x81);
}

static void test_writes(void)
{
    struct rtc_cmos rtc;
    rtc_cmos_init(&rtc, fixed_now);
    io_write(&rtc, RTC_REG_SECONDS, 0x42); /* ignored: host time */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_SECONDS), 0x09);
    io_write(&rtc, RTC_REG_D, 0);          /* read-only */
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_D), RTC_D_VRT);
    io_write(&rtc, 0x40, 0x5a);            /* plain CMOS RAM */
    CHECK_EQ_INT(io_read(&rtc, 0x40), 0x5a);
    CHECK_EQ_INT(io_read(&rtc, 0x80 | 0x40), 0x5a); /* NMI bit ignored */
    rtc_cmos_set(&rtc, 0x34, 0x12);        /* VMM-filled (memory size) */
    CHECK_EQ_INT(io_read(&rtc, 0x34), 0x12);
    rtc_cmos_set(&rtc, RTC_REG_C, 0xc0);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_C), 0xc0);
    CHECK_EQ_INT(io_read(&rtc, RTC_REG_C), 0); /* cleared by reading */
    uint8_t b;
    rtc_cmos_io(&rtc, 0, &b, 1, false);
    CHECK_EQ_INT(b, 0xff); /* index port is write-only */
}

static void test_memory_layout(void)
{
    struct rtc_cmos rtc;
    rtc_cmos_init(&rtc, fixed_now);
    rtc_cmos_set_memory(&rtc, 3ULL << 30, 2ULL << 30, 4); /* 3 GiB + 2 GiB */
    CHECK_EQ_INT(rtc.ram[0x15] | rtc.ram[0x16] << 8, 640);
    CHECK_EQ_INT(rtc.ram[0x17] | rtc.ram[0x18] << 8, 0xffff); /* capped */
    CHECK_EQ_INT(rtc.ram[0x34] | rtc.ram[0x35] << 8, ((3u << 30) - (16u << 20)) >> 16);
    CHECK_EQ_INT(rtc.ram[0x5b] | rtc.ram[0x5c] << 8 | rtc.ram[0x5d] << 16, (2u << 30) >> 16);
    CHECK_EQ_INT(rtc.ram[0x5f], 3);
    rtc_cmos_set_memory(&rtc, 32u << 20, 0, 1);
    CHECK_EQ_INT(rtc.ram[0x30] | rtc.ram[0x31] << 8, 31 * 1024);
    CHECK_EQ_INT(rtc.ram[0x34] | rtc.ram[0x35] << 8, 256);
    CHECK_EQ_INT(rtc.ram[0x5b], 0);
}

int main(void)
{
    RUN(test_memory_layout);
    RUN(test_bcd_24h);
    RUN(test_binary_12h);
    RUN(test_writes);
    return check_summary("rtc");
}
