/* rtc_cmos: the MC146818 real-time clock and CMOS RAM at ports 0x70/0x71.
 *
 * The time registers show the host's time (UTC) in the format register B
 * asks for (BCD or binary, 12 or 24 hour).  Writes to the time registers are
 * ignored: the guest cannot move the host's clock, and a guest that sets
 * the RTC reads back host time.  Bit 7 of the index port (NMI disable) is
 * ignored.  The other 114 bytes are plain CMOS RAM the VMM may fill
 * (rtc_cmos_set) - SeaBIOS reads the memory size and the boot flag there.
 * No periodic/alarm interrupts (IRQ 8) yet. */
#ifndef CORRAL_RTC_CMOS_H
#define CORRAL_RTC_CMOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_CMOS_PORT   0x70
#define RTC_CMOS_PORTS  2
#define RTC_CMOS_SIZE   128

#define RTC_REG_SECONDS 0x00
#define RTC_REG_MINUTES 0x02
#define RTC_REG_HOURS   0x04
#define RTC_REG_WEEKDAY 0x06
#define RTC_REG_DAY     0x07
#define RTC_REG_MONTH   0x08
#define RTC_REG_YEAR    0x09
#define RTC_REG_A       0x0a
#define RTC_REG_B       0x0b
#define RTC_REG_C       0x0c
#define RTC_REG_D       0x0d
#define RTC_REG_CENTURY 0x32

#define RTC_B_24H       0x02
#define RTC_B_BINARY    0x04
#define RTC_D_VRT       0x80 /* "valid RAM and time": battery fine */

struct rtc_cmos {
    pthread_mutex_t lock;
    uint8_t index;
    uint8_t ram[RTC_CMOS_SIZE];
    time_t (*now)(void); /* host clock; tests substitute a fixed time */
};

void rtc_cmos_init(struct rtc_cmos *rtc, time_t (*now)(void));
void rtc_cmos_set(struct rtc_cmos *rtc, uint8_t index, uint8_t value);
/* The PC BIOS memory-size bytes (what SeaBIOS reads when fw_cfg does not
 * say): base memory 640 KiB (0x15-0x16), KiB above 1 MiB up to 64 MiB
 * (0x17-0x18, 0x30-0x31), 64 KiB units above 16 MiB below 4 GiB
 * (0x34-0x35), 64 KiB units above 4 GiB (0x5b-0x5d), vCPUs - 1 (0x5f). */
void rtc_cmos_set_memory(struct rtc_cmos *rtc, uint64_t low_bytes,
                         uint64_t high_bytes, unsigned cpus);
/* The byte the guest reads at index (time registers encoded per reg B). */
uint8_t rtc_cmos_read(struct rtc_cmos *rtc, uint8_t index);
void rtc_cmos_write(struct rtc_cmos *rtc, uint8_t index, uint8_t value);
/* bus handler for ports 0x70-0x71 */
void rtc_cmos_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                 bool is_write);

/* The RTC on the board, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc rtc_cmos_device;

#endif
