/* acpi_pm: PM1a event and control registers (see acpi_pm.h). */
#include "acpi_pm.h"

#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "devices.h"

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

/* ---- on the board (devices.h) ---------------------------------------------- */

static void pm_sci(void *ctx, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, ACPI_SCI_IRQ, level);
}

static void pm_sleep(void *ctx, unsigned slp_typ)
{
    struct board *b = ctx;
    if (slp_typ != ACPI_S5_SLP_TYP) {
        vm_log(&b->vm, "guest asked for ACPI sleep type %u: not offered, ignored",
               slp_typ);
        return;
    }
    vm_log(&b->vm, "guest entered ACPI S5: powered off");
    vm_request_stop(&b->vm, VM_EXIT_POWEROFF);
}

static int pm_add(struct board *b, const struct vmdef *def, size_t index,
                  void **dev)
{
    struct acpi_pm *pm = board_alloc_device(dev, sizeof(*pm), "ACPI PM");
    if (!pm)
        return VM_EXIT_ERROR;
    acpi_pm_init(pm, pm_sci, pm_sleep, b);
    b->pm = pm; /* for the power button */
    return 0;
}

static void pm_destroy(void *dev)
{
    acpi_pm_destroy(dev);
    free(dev);
}

const struct device_desc acpi_pm_device = {
    .name = "ACPI PM",
    .add = pm_add,
    .ranges = {
        { BUS_PIO, ACPI_PM1_EVT_PORT, ACPI_PM1_EVT_LEN, acpi_pm_event_io,
          "ACPI PM1 event" },
        { BUS_PIO, ACPI_PM1_CNT_PORT, ACPI_PM1_CNT_LEN, acpi_pm_control_io,
          "ACPI PM1 control" },
    },
    .destroy = pm_destroy,
};
