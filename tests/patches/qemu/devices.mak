# The devices of the test suite's patched QEMU (build.sh build_test_qemu,
# QEMU's --with-devices-x86_64): what tests/integration/qemu.py's Machine
# puts on its q35 command line, and what Debian's QEMU puts on every q35
# machine (`info qtree`), nothing more (no default devices).  Q35 itself
# selects the ICH9 LPC, AHCI (ide-cd, ide-hd), fw_cfg, the serial port,
# the RTC, the PIT, the PC speaker, the i8042 and the flash (pflash).
CONFIG_Q35=y
# on every q35 machine of Debian's QEMU too (the default parallel port,
# the HPET, VMware's I/O port and its mouse)
CONFIG_PARALLEL=y
CONFIG_HPET=y
CONFIG_VMPORT=y
CONFIG_VMMOUSE=y
# -vga std
CONFIG_VGA_PCI=y
# virtio-blk-pci, virtio-net-pci
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
# qemu-xhci, usb-storage
CONFIG_USB_XHCI_PCI=y
CONFIG_USB_STORAGE_CLASSIC=y
