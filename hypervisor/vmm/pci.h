/* pci: the guest's PCI bus 0 behind a host bridge, reached through
 * configuration mechanism 1 (address at port 0xCF8, data at 0xCFC-0xCFF).
 *
 * Each device embeds a struct pci_device: 256 bytes of configuration space
 * with a writable mask (a byte the guest cannot change keeps its value, so
 * read-only registers need no code), up to six BARs, a capability list and
 * its INTx pin.  BAR sizing works the way guests and firmware expect:
 * writing all-ones and reading back gives ~(size - 1) plus the type bits.
 * A BAR is on the bus (struct bus) exactly while its decode bit in the
 * command register is set and its address is usable; reprogramming it moves
 * the bus range, which is how SeaBIOS or Linux reassigning BARs works.
 *
 * For direct kernel boot the bus assigns every BAR an address in its window
 * and turns decode on when the device is added, as firmware would have.
 *
 * Interrupts leave through struct pci_platform, so that devices can be unit
 * tested without KVM: INTx as a level on a GSI (slot N's INTA goes to
 * intx_gsi[N % 4], the usual PIRQ swizzle; ACPI _PRT or the MP table must
 * say the same), MSI as an (address, data) message.
 *
 * Locking: the bus lock serialises configuration accesses (the guest's
 * own config accesses are serialised the same way by its pci lock).  It is
 * held while calling a device's config hooks, so a device's lock nests
 * inside it; a device must not call back into pci_bus_* while holding its
 * own lock.  pci_device_set_intx and pci_device_signal_msi take no bus
 * lock and may be called from any thread. */
#ifndef CORRAL_PCI_H
#define CORRAL_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "guest_mem.h"

#define PCI_CONFIG_SIZE 256
#define PCI_MAX_SLOTS 32
#define PCI_MAX_FUNCS 8
#define PCI_NUM_BARS 6

/* Port I/O for configuration mechanism 1. */
#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define PCI_CONFIG_DATA_PORT 0xCFC

/* Where the bus places BARs for direct boot: the PCI hole below 4 GiB up
 * to the IOAPIC, and the upper quarter of the port space, as QEMU and
 * SeaBIOS do.  ACPI's host bridge _CRS must describe the same windows. */
#define PCI_MMIO_WINDOW_BASE GUEST_MEM_LOW_LIMIT
#define PCI_MMIO_WINDOW_END 0xFEC00000ULL
#define PCI_PIO_WINDOW_BASE 0xC000
#define PCI_PIO_WINDOW_END 0x10000

/* Standard header registers (type 0). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0E
#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D
#define PCI_CAP_START 0x40

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VENDOR 0x09

#define PCI_CLASS_HOST_BRIDGE 0x060000

struct pci_platform {
    const struct guest_mem *mem;
    void *ctx; /* passed back to the callbacks */
    /* Drive an interrupt line: level 1 asserts, 0 deasserts. */
    void (*irq_line)(void *ctx, uint32_t gsi, int level);
    /* Deliver a message-signalled interrupt (MSI/MSI-X). */
    void (*signal_msi)(void *ctx, uint64_t addr, uint32_t data);
    /* GSIs that PIRQ A..D are wired to (level-triggered, e.g. 5, 9, 10, 11). */
    uint32_t intx_gsi[4];
};

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t size; /* a power of two: >= 4 for I/O, >= 16 for memory */
    bus_handler_fn handler;
    void *opaque;
    const char *name;
    bool mapped;          /* registered on the bus ... */
    uint64_t mapped_base; /* ... at this address */
};

struct pci_device;

struct pci_device_ops {
    /* Before the guest reads config bytes [offset, offset + len): a chance
     * to refresh registers that mirror device state.  May be NULL. */
    void (*config_reading)(struct pci_device *dev, uint32_t offset,
                           uint32_t len);
    /* After the guest wrote config bytes [offset, offset + len), already
     * stored through the writable mask.  May be NULL. */
    void (*config_written)(struct pci_device *dev, uint32_t offset,
                           uint32_t len);
    /* BAR index went on the bus at base (mapped) or off it; called with
     * the bus lock held, after the bus changed.  May be NULL. */
    void (*bar_mapped)(struct pci_device *dev, unsigned index, bool mapped,
                       uint64_t base);
};

struct pci_device {
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE]; /* bits the guest may change */
    struct pci_bar bars[PCI_NUM_BARS];
    const struct pci_device_ops *ops;
    struct pci_bus *pci; /* set when added to a bus */
    uint8_t slot;
    uint8_t func;
    uint8_t cap_end;     /* where the next capability goes */
    uint8_t cap_last;    /* offset of the last capability's next pointer */
    pthread_mutex_t intx_lock;
    bool intx_asserted;  /* the device's wish ... */
    bool intx_level;     /* ... and the line's level after INTx disable */
};

struct pci_bus {
    struct bus *bus;
    struct pci_platform platform;
    pthread_mutex_t lock;
    uint32_t config_address;
    /* functions[s][0] is the device in slot s; a slot with more than one
     * function says so in function 0's header type (bit 7). */
    struct pci_device *functions[PCI_MAX_SLOTS][PCI_MAX_FUNCS];
    struct pci_device host_bridge; /* the i440FX (i440fx.h) */
    uint64_t mmio_next; /* BAR allocation for direct boot */
    uint32_t pio_next;
};

/* Set up the bus: claims ports 0xCF8 and 0xCFC-0xCFF on bus and puts the
 * host bridge (an i440FX, the one OVMF and SeaBIOS know) at 00:00.0.
 * Returns 0 or a negative errno. */
int pci_bus_create(struct pci_bus *pci, struct bus *bus,
                   const struct pci_platform *platform);
/* Takes the config ports and every BAR off the bus. */
void pci_bus_destroy(struct pci_bus *pci);

/* Fill a device's header: IDs, class (0xCCSSPP), revision, INTA pin,
 * writable command/latency/interrupt-line registers; no BARs yet. */
void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
                     uint32_t class_code, uint8_t revision,
                     const struct pci_device_ops *ops);
void pci_device_destroy(struct pci_device *dev);
/* Describe BAR index (a 64-bit BAR also uses index + 1); call before
 * pci_bus_add_device.  Accesses reach fn(opaque, offset in BAR, ...). */
int pci_device_add_bar(struct pci_device *dev, unsigned index,
                       enum pci_bar_kind kind, uint64_t size,
                       bus_handler_fn fn, void *opaque, const char *name);
/* Append a capability (cap[0] is its ID; cap[1], the next pointer, is
 * filled in).  Returns its offset in config space, or -ENOSPC. */
int pci_device_add_capability(struct pci_device *dev, const void *cap,
                              uint8_t len);

/* Put dev in the first free slot, assign its BARs in the windows and turn
 * decode on.  Returns the slot number or a negative errno. */
int pci_bus_add_device(struct pci_bus *pci, struct pci_device *dev);
/* The same at a fixed address: function func of slot (the chipset's
 * functions, whose addresses firmware knows).  A function other than 0
 * needs function 0 of its slot present, and marks it multi-function.
 * Returns 0, -EINVAL (no such address, or function 0 missing) or -EEXIST. */
int pci_bus_add_function(struct pci_bus *pci, struct pci_device *dev,
                         unsigned slot, unsigned func);
/* The device in slot (its function 0), or NULL. */
struct pci_device *pci_bus_slot(const struct pci_bus *pci, unsigned slot);

/* The GSI that slot's INTA is wired to (for MP/ACPI tables). */
uint32_t pci_bus_slot_gsi(const struct pci_bus *pci, unsigned slot);

/* Assert or deassert the device's INTx, honouring INTx disable. */
void pci_device_set_intx(struct pci_device *dev, bool asserted);
/* Send an MSI message through the platform. */
void pci_device_signal_msi(struct pci_device *dev, uint64_t addr,
                           uint32_t data);

/* Let the guest change the bits of mask in [offset, offset + len), len <= 4
 * (device-specific capability registers). */
void pci_config_set_wmask(struct pci_device *dev, uint32_t offset,
                          uint32_t len, uint32_t mask);

/* Little-endian config-space accessors for device code. */
uint32_t pci_config_read(const struct pci_device *dev, uint32_t offset,
                         uint32_t len);
void pci_config_write(struct pci_device *dev, uint32_t offset, uint32_t len,
                      uint32_t value);

#endif
