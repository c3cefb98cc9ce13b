/* acpi_pm: PM1a event and control registers (see acpi_pm.h). */
#include "acpi_pm.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define ACPI_PM1_STS_WRITABLE ACPI_PM1_STS_PWRBTN
/* Every fixed event's enable bit keeps what the guest writes (timer,
 * global lock, power and sleep button, RTC): ACPICA reads an enable back
 * to check it took.  Only the power button ever raises its status. */
#define ACPI_PM1_EN_WRITABLE 0x0721
#define ACPI_PM1_CNT_WRITABLE (ACPI_PM1_CNT_SLP_TYP_MASK)

void acpi_pm_init(struct acpi_pm *pm, void (*sci)(void *, int),
                  void (*sleep)(void *, unsigned), void *ctx)
{
    memset(pm, 0, sizeof(*pm));
    pthread_mutex_init(&pm->lock, NULL);
    pm->control = ACPI_PM1_CNT_SCI_EN;
    pm->sci = sci;
    pm->sleep = sleep;
    pm->ctx = ctx;
    pm->timer_origin_ns = clock_monotonic_ns();
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
    pthread_mutex_destroy(&pm->lock);
}

/* Lock held: the SCI follows "an enabled event is pending". */
static void acpi_pm_update_sci(struct acpi_pm *pm)
{
    bool level = (pm->status & pm->enable) != 0;
    if (level == pm->sci_level)
        return;
    pm->sci_level = level;
    pm->sci(pm->ctx, level);
}

/* Registers as one little-endian 32-bit word: status, then enable.  Any
 * width at any offset inside the block; bytes beyond it are ignored. */
void acpi_pm_event_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write)
{
    struct acpi_pm *pm = opaque;
    pthread_mutex_lock(&pm->lock);
    uint32_t regs = (uint32_t)pm->status | (uint32_t)pm->enable << 16;
    for (uint32_t i = 0; i < len; i++) {
        uint64_t at = offset + i;
        if (!is_write) {
            data[i] = at < 4 ? (uint8_t)(regs >> (8 * at)) : 0xFF;
            continue;
        }
        if (at < 2)
            pm->status &= (uint16_t)~((uint32_t)data[i] << (8 * at) &
                                      ACPI_PM1_STS_WRITABLE);
        else if (at < 4)
            pm->enable = (uint16_t)((pm->enable & ~(0xFFu << (8 * (at - 2)))) |
                                    ((uint32_t)data[i] << (8 * (at - 2)))) &
                         ACPI_PM1_EN_WRITABLE;
    }
    if (is_write)
        acpi_pm_update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_control_io(void *opaque, uint64_t offset, uint8_t *data,
                        uint32_t len, bool is_write)
{
    struct acpi_pm *pm = opaque;
    pthread_mutex_lock(&pm->lock);
    uint16_t value = pm->control;
    for (uint32_t i = 0; i < len; i++) {
        uint64_t at = offset + i;
        if (!is_write)
            data[i] = at < 2 ? (uint8_t)(value >> (8 * at)) : 0xFF;
        else if (at < 2)
            value = (uint16_t)((value & ~(0xFFu << (8 * at))) |
                               (uint32_t)data[i] << (8 * at));
    }
    bool sleep = is_write && (value & ACPI_PM1_CNT_SLP_EN);
    if (is_write)
        pm->control = (uint16_t)((value & ACPI_PM1_CNT_WRITABLE) |
                                 ACPI_PM1_CNT_SCI_EN);
    unsigned slp_typ = (value & ACPI_PM1_CNT_SLP_TYP_MASK) >>
                       ACPI_PM1_CNT_SLP_TYP_SHIFT;
    pthread_mutex_unlock(&pm->lock);
    if (sleep)
        pm->sleep(pm->ctx, slp_typ);
}

uint32_t acpi_pm_timer_count(uint64_t elapsed_ns)
{
    /* Whole seconds and the rest apart: no overflow for 584 years. */
    uint64_t ticks = elapsed_ns / 1000000000ULL * ACPI_PM_TIMER_HZ +
                     elapsed_ns % 1000000000ULL * ACPI_PM_TIMER_HZ / 1000000000ULL;
    return (uint32_t)ticks & ACPI_PM_TIMER_MASK;
}

/* Read-only: any width at any offset; writes are ignored. */
void acpi_pm_timer_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write)
{
    struct acpi_pm *pm = opaque;
    if (is_write)
        return;
    uint32_t count = acpi_pm_timer_count(clock_monotonic_ns() - pm->timer_origin_ns);
    for (uint32_t i = 0; i < len; i++)
        data[i] = offset + i < 4 ? (uint8_t)(count >> (8 * (offset + i))) : 0xFF;
}

bool acpi_pm_press_power_button(struct acpi_pm *pm)
{
    pthread_mutex_lock(&pm->lock);
    pm->status |= ACPI_PM1_STS_PWRBTN;
    pm->button_presses++;
    acpi_pm_update_sci(pm);
    bool listening = pm->enable & ACPI_PM1_EN_PWRBTN;
    pthread_mutex_unlock(&pm->lock);
    return listening;
}
