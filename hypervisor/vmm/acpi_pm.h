/* acpi_pm: the PM1a event and control registers and the PM timer of the
 * ACPI fixed hardware (ACPI 6.x, 4.8), in port I/O where the PIIX4 PM
 * function decodes them (piix4_pm.h) and the FADT says (acpi.h): the
 * fixed-feature power button, sleep control for poweroff, and the clock
 * firmware (OVMF's and SeaBIOS's delays) and operating systems calibrate
 * with.
 *
 *  - PM1 status (2 bytes, write 1 to clear) and enable (2 bytes) at
 *    ACPI_PM1_EVT_PORT: PWRBTN_STS is set when the VMM presses the button
 *    (SIGTERM, the control socket's "shutdown"); while it is set and
 *    enabled, the SCI (a level-triggered GSI) is asserted.
 *  - PM1 control (2 bytes) at ACPI_PM1_CNT_PORT: SCI_EN always reads 1
 *    (there is no legacy mode to leave); writing SLP_EN with SLP_TYP
 *    reports the sleep type to the machine, which ends the VM for S5.
 *  - PM timer (4 bytes, read-only) at ACPI_PM_TMR_PORT: a 24-bit count
 *    at 3.579545 MHz from the host's monotonic clock, so it never goes
 *    backwards and keeps counting while the VM is paused (like the TSC
 *    of a running host).  The FADT does not set TMR_VAL_EXT; TMR_STS (the
 *    overflow event) is never raised, so enabling it gives no SCI.
 *
 * A guest ignoring the button (no ACPI, no daemon listening) simply stays
 * up: the caller decides when to force the stop. */
#ifndef CORRAL_ACPI_PM_H
#define CORRAL_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM1_STS_PWRBTN 0x0100
#define ACPI_PM1_EN_PWRBTN 0x0100
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK 0x1C00
#define ACPI_PM1_CNT_SLP_EN 0x2000
#define ACPI_PM_TIMER_HZ 3579545ULL
#define ACPI_PM_TIMER_MASK 0xFFFFFFu /* 24 bits */

struct acpi_pm {
    pthread_mutex_t lock;
    uint16_t status, enable, control;
    bool sci_level;
    unsigned button_presses;
    uint64_t timer_origin_ns; /* the monotonic clock at count 0 */
    void (*sci)(void *ctx, int level);
    void (*sleep)(void *ctx, unsigned slp_typ); /* SLP_EN was written */
    void *ctx;
};

void acpi_pm_init(struct acpi_pm *pm, void (*sci)(void *, int),
                  void (*sleep)(void *, unsigned), void *ctx);
void acpi_pm_destroy(struct acpi_pm *pm);
/* bus handlers for the event block (4 ports) and control block (2 ports) */
void acpi_pm_event_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write);
void acpi_pm_control_io(void *opaque, uint64_t offset, uint8_t *data,
                        uint32_t len, bool is_write);
void acpi_pm_timer_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write);
/* The timer's count elapsed_ns after it started (pure, for tests). */
uint32_t acpi_pm_timer_count(uint64_t elapsed_ns);
/* Press the power button: PWRBTN_STS, and the SCI when enabled.  Returns
 * whether the guest had enabled the event (an ACPI guest listening). */
bool acpi_pm_press_power_button(struct acpi_pm *pm);

#endif
