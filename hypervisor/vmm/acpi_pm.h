/* acpi_pm: the PM1a event and control registers of the ACPI fixed
 * hardware (ACPI 6.x, 4.8), in port I/O where the FADT says (acpi.h):
 * the fixed-feature power button, and sleep control for poweroff.
 *
 *  - PM1 status (2 bytes, write 1 to clear) and enable (2 bytes) at
 *    ACPI_PM1_EVT_PORT: PWRBTN_STS is set when the VMM presses the button
 *    (SIGTERM, the control socket's "shutdown"); while it is set and
 *    enabled, the SCI (a level-triggered GSI) is asserted.
 *  - PM1 control (2 bytes) at ACPI_PM1_CNT_PORT: SCI_EN always reads 1
 *    (there is no legacy mode to leave); writing SLP_EN with SLP_TYP
 *    reports the sleep type to the machine, which ends the VM for S5.
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

struct acpi_pm {
    pthread_mutex_t lock;
    uint16_t status, enable, control;
    bool sci_level;
    unsigned button_presses;
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
/* Press the power button: PWRBTN_STS, and the SCI when enabled.  Returns
 * whether the guest had enabled the event (an ACPI guest listening). */
bool acpi_pm_press_power_button(struct acpi_pm *pm);

/* The PM1 registers on the board, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc acpi_pm_device;

#endif
