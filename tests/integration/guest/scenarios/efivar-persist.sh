# corral-vmm test (UEFI, test_uefi.py): a variable the guest writes through
# efivarfs must be there on the next boot of the VM: OVMF keeps it in the
# variables flash, which is the VM's nvram file.  The first boot writes it
# (EFIVAR-WRITTEN), a later one finds it (EFIVAR-FOUND VALUE); then init
# powers off.
var=/sys/firmware/efi/efivars/CorralTest-5e1f0016-c0aa-4d0c-9a2b-636f7272616c
modprobe efivarfs
mount -t efivarfs efivarfs /sys/firmware/efi/efivars || { echo "EFIVAR-ERROR no efivarfs"; exit 1; }
if [ -e "$var" ]; then
    echo "EFIVAR-FOUND $(tail -c +5 "$var")"
    exit 0
fi
# attributes (non-volatile, boot and runtime access) then the data, in one
# write: efivarfs takes a variable whole
printf '\007\000\000\000corral-efivar-16' >"$var" || { echo "EFIVAR-ERROR write failed"; exit 1; }
echo "EFIVAR-WRITTEN $(tail -c +5 "$var")"
