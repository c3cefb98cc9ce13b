# Shared shell helpers for the control domain's scripts.

say() { echo "corral: $*"; logger -t corral "$*" 2>/dev/null; }
warn() { echo "corral: WARNING: $*" >&2; logger -t corral -p user.warn "$*" 2>/dev/null; }

# Status values shown by the console: /run/corral/status/NAME
status_set() { mkdir -p /run/corral/status; echo "$2" >"/run/corral/status/$1"; }
status_get() { cat "/run/corral/status/$1" 2>/dev/null; }

# sysconf KEY: KEY's value in /var/lib/corral/system.conf, or its default.
# The keys, their checks and defaults are one table (lib/sysconf_keys.h);
# corral-sysconf reads the file by it, refuses a key it does not know, and
# reports a bad value on stderr and gives the default instead.
sysconf() { /usr/bin/corral-sysconf get "$1"; }

# conf_value FILE KEY: the last `KEY = value` of a simple config file
# (/etc/corral-release; system.conf is read with sysconf).
conf_value() {
    [ -f "$1" ] || return 0
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 |
        sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/'
}

# root_password_set: true when root has a usable password (not empty, '*'
# or a locked '!...'), the same rule as lib/password.c's
# shadow_hash_is_password.
root_password_set() {
    awk -F: '$1 == "root" { found = ($2 != "" && $2 !~ /^[*!]/) } END { exit !found }' \
        /etc/shadow 2>/dev/null
}

release_value() { conf_value /etc/corral-release "$1" | sed 's/^=//'; }
