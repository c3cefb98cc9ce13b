#!/bin/bash
# Corral's one entry point.
#
#   ./build.sh [iso]   install missing build deps, fetch, build, write the ISO
#                      (iso --answer FILE: bake an answer file into the ISO,
#                      for unattended installs; see docs/install.md)
#   ./build.sh deps    install build and test dependencies (apt-get)
#   ./build.sh run     boot the ISO in QEMU (20 GiB scratch disk, serial here)
#   ./build.sh test    the whole test suite (what .ci/run calls)
#   ./build.sh bench   benchmarks, printed as tables
#   ./build.sh test-qemu  build (or find in the cache) the patched QEMU of
#                      the nested-OVMF tests; prints its path
#   ./build.sh docs    rewrite the usage sections of docs/ from --help
#   ./build.sh clean   remove out/ (the download cache is kept)
#
# Downloads and built third-party sources are cached outside the clone in
# $CORRAL_CACHE (default /var/cache/corral), keyed by version.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$ROOT/out
CACHE=${CORRAL_CACHE:-/var/cache/corral}
VERSION=$(cat "$ROOT/VERSION")
ISO=$OUT/corral-$VERSION-x86_64.iso
JOBS=$(nproc)
# shellcheck source=configs/versions.conf
. "$ROOT/configs/versions.conf"

STEP="starting"
STEP_START=$(date +%s)
BUILD_START=$STEP_START

step() {
    step_done
    STEP="$*"
    STEP_START=$(date +%s)
    echo "==> $STEP"
}

step_done() {
    if [ -n "${STEP:-}" ] && [ "$STEP" != starting ]; then
        echo "    ($STEP: $(($(date +%s) - STEP_START)) s)"
    fi
    STEP=""
}

die() {
    echo "build.sh: ${STEP:+step \"$STEP\" failed: }$*" >&2
    exit 1
}

# A command that fails anywhere (in a function too: set -E passes the trap
# on; without it bash runs an ERR trap only at the top level) names the
# step, the command and where it is.  Subshells inherit the trap: they only
# pass the status up, and the main shell reports once.
MAIN_PID=$$
on_error() {
    local rc=$? cmd=$BASH_COMMAND where="line ${BASH_LINENO[0]}" i
    [ "$BASHPID" = "$MAIN_PID" ] || exit "$rc"
    for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do where+=" in ${FUNCNAME[i]}"; done
    echo "build.sh: step \"${STEP:-?}\" failed: '$cmd' exited with status $rc ($where); see the output above" >&2
    exit "$rc"
}
set -E
trap on_error ERR

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- dependencies ----------------------------------------------------------

package_list() {
    grep -v '^#' "$1" | grep -v '^[[:space:]]*$'
}

# A package counts as present when installed, or provided by an installed
# one (nodejs from elsewhere than Debian provides npm, and conflicts with
# Debian's npm).
missing_packages() {
    local p provided
    provided=$({ dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null || true; } |
        sed -n 's/^install ok installed|//p' | tr ',' '\n' | sed 's/ *(.*//; s/^ *//')
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            grep -qxF "$p" <<<"$provided" || echo "$p"
    done
}

# deb-src entries derived from the host's own apt sources (deb822 or
# one-line format), so `apt-get source` works without naming a mirror.
ensure_deb_src() {
    local list=/etc/apt/sources.list.d/corral-deb-src
    if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        return 0
    fi
    echo "    adding deb-src entries derived from the configured apt sources"
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        local f
        for f in /etc/apt/sources.list.d/*.sources; do
            grep -q 'debian' "$f" || continue
            sed -e 's/^Types:.*/Types: deb-src/' "$f"
            echo
        done | as_root tee "$list.sources" >/dev/null
    fi
    if [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list | as_root tee "$list.list" >/dev/null
    fi
    APT_UPDATED=""
}

APT_UPDATED=""
apt_update_once() {
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
}

install_packages() {
    local missing
    missing=$(missing_packages "$@")
    if [ -n "$missing" ]; then
        echo "    installing:" $missing
        apt_update_once
        # shellcheck disable=SC2086
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
            --no-install-recommends $missing >/dev/null
    else
        echo "    all present"
    fi
}

cmd_deps() {
    step "dependencies: build"
    ensure_deb_src
    # shellcheck disable=SC2046
    install_packages $(package_list "$ROOT/configs/build-deps.txt")
    if [ "${1:-}" != build-only ]; then
        step "dependencies: tests"
        # shellcheck disable=SC2046
        install_packages $(package_list "$ROOT/configs/test-deps.txt")
    fi
    step_done
}

# --- fetching, cached by version -------------------------------------------

# fetch_source NAME VERSION -> prints the cache directory with the .dsc
fetch_source() {
    local name=$1 version=$2 dir
    dir=$CACHE/src/${name}_${version#*:}
    if ! ls "$dir"/*.dsc >/dev/null 2>&1; then
        echo "    fetching source $name $version" >&2
        ensure_deb_src
        apt_update_once >&2
        rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
        # (apt warns that root downloads unsandboxed: expected, not shown)
        (cd "$dir.tmp" && apt-get source -qq --download-only "$name=$version" 2>&1 |
            { grep -v 'unsandboxed as root' || true; } >&2; exit "${PIPESTATUS[0]}") ||
            die "cannot fetch source package $name=$version (is the pin in configs/versions.conf still in the archive?)"
        rm -rf "$dir" && mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# fetch_deb PKG VERSION -> prints the path of the cached .deb
fetch_deb() {
    local pkg=$1 version=$2 dir deb
    dir=$CACHE/deb
    mkdir -p "$dir"
    deb=$(ls "$dir/${pkg}_${version#*:}_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        echo "    fetching package $pkg $version" >&2
        apt_update_once >&2
        (cd "$dir" && apt-get download -qq "$pkg=$version" 2>&1 |
            { grep -v 'unsandboxed as root' || true; } >&2; exit "${PIPESTATUS[0]}") ||
            die "cannot download $pkg=$version (is the pin in configs/versions.conf still in the archive?)"
        deb=$(ls "$dir/${pkg}_${version#*:}_"*.deb | head -1)
    fi
    echo "$deb"
}

# unpack_source NAME VERSION DEST: Debian's patched source tree
unpack_source() {
    local dir
    dir=$(fetch_source "$1" "$2")
    rm -rf "$3"
    mkdir -p "$(dirname "$3")"
    dpkg-source --no-check -x "$dir"/*.dsc "$3" >/dev/null
}

config_hash() {
    cat "$@" | sha256sum | cut -c1-12
}

# --- third-party builds (static, musl) ---------------------------------------

# The third-party sources built for the control domain, in build order: the
# one list.  Each NAME has NAME_SRC and NAME_VERSION in configs/versions.conf
# (upper case, '-' as '_'), a build_NAME function below that leaves its
# cache entry in NAME_DIR, and its version in the release file and manifest.
THIRD_PARTY="busybox musl dropbear ncurses zlib util-linux e2fsprogs dosfstools mbedtls civetweb ebtables libsodium liburing"

# pin_var NAME FIELD: the name of NAME's variable FIELD (SRC, VERSION, DIR)
pin_var() {
    local p=${1//-/_}
    echo "${p^^}_$2"
}

# Two builds at once (two clones, or a build beside a test run) share the
# cache: one fetches and builds an entry while the other waits for it,
# rather than both filling the same .tmp directory.
cache_lock() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.lock"
    flock -n 8 || { echo "    waiting for another build.sh that is filling $CACHE"; flock 8; }
}

cache_unlock() {
    flock -u 8
    exec 8>&-
}

build_third_party() {
    local p
    for p in $THIRD_PARTY; do
        "build_${p//-/_}"
        export "$(pin_var "$p" DIR)"
    done
}

musl_includes() {
    local inc=$OUT/musl-include
    mkdir -p "$inc"
    ln -sfn /usr/include/linux "$inc/linux"
    ln -sfn /usr/include/asm-generic "$inc/asm-generic"
    ln -sfn /usr/include/x86_64-linux-gnu/asm "$inc/asm"
    ln -sfn /usr/include/mtd "$inc/mtd" 2>/dev/null || true
    echo "$inc"
}

# allnoconfig, then exactly the options in the fragment; `oldconfig` gives
# the sub-options the fragment does not name their defaults.  Fails when an
# option of the fragment did not survive (a typo or an unmet dependency).
busybox_config() {
    local frag=$1 opt
    make -s allnoconfig >/dev/null
    grep -o '^CONFIG_[A-Z0-9_]*' "$frag" | sed 's/.*/\\b&[= ]/' >.fragment-keys
    { grep -v -f .fragment-keys .config; grep '^CONFIG_' "$frag"; } >.config.new
    mv .config.new .config
    { yes "" || true; } | make oldconfig >/dev/null 2>&1
    for opt in $(grep -o '^CONFIG_[A-Z0-9_]*=y' "$frag" | cut -d= -f1); do
        grep -q "^$opt=y" .config || { echo "busybox: $opt from $frag is not set"; return 1; }
    done
}

# apply_patches DIR SRC: our fixes to a third-party source, in name order
# (configs/patches/NAME/*.patch, -p1); their hash is part of the cache key.
apply_patches() {
    local p
    for p in "$1"/*.patch; do
        [ -e "$p" ] || continue
        patch -s -p1 -d "$2" <"$p" || die "$(basename "$p") does not apply to $2"
    done
}

# Runs a build command with its output in build.log; on failure shows the
# end of the log and leaves the (sub)shell: the recipes run under `|| die`,
# where set -e does not apply, so every step of a recipe goes through this.
logged() {
    "$@" >>build.log 2>&1 || { tail -30 build.log; exit 1; }
}

# cached_build NAME KEY PRODUCT WHAT SOURCE VERSION RECIPE: a third-party
# build kept in $CACHE/built/NAME-KEY.  When PRODUCT is not there yet, Debian's
# SOURCE at VERSION is unpacked into out/build/NAME and `RECIPE DIR` runs in
# it (a subshell) and fills DIR; the entry appears only once the recipe has
# completed, so an interrupted build is never taken for a cached one.  Sets
# CACHED_DIR to the entry.
cached_build() {
    local name=$1 dest=$CACHE/built/$1-$2 product=$3 what=$4 src=$OUT/build/$1
    CACHED_DIR=$dest
    if [ -e "$dest/$product" ]; then
        echo "    $name: cached ($dest)"
        return 0
    fi
    step "$what"
    unpack_source "$5" "$6" "$src"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    (cd "$src" && "$7" "$dest.tmp") || die "$name did not build (log: $src/build.log)"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

recipe_busybox() {
    apply_patches "$ROOT/configs/patches/busybox" .
    busybox_config "$ROOT/configs/busybox.fragment" || exit 1
    logged make -s -j"$JOBS" CC=musl-gcc HOSTCC=gcc \
        EXTRA_CFLAGS="-isystem $(musl_includes)" busybox
    ./busybox --list >applets.txt || exit 1
    logged cp busybox applets.txt .config "$1/"
}

build_busybox() {
    local key patches=$ROOT/configs/patches/busybox
    key=${BUSYBOX_VERSION#*:}-$(config_hash "$ROOT/configs/busybox.fragment" "$patches"/*.patch)
    cached_build busybox "$key" busybox "busybox $BUSYBOX_VERSION: build (static, musl)" \
        "$BUSYBOX_SRC" "$BUSYBOX_VERSION" recipe_busybox
    BUSYBOX_DIR=$CACHED_DIR
}

# Debian's musl-dev ships no crypt(); compile musl's own src/crypt (same
# version as the toolchain) into a libcrypt.a for dropbear.
recipe_musl_crypt() {
    local f
    mkdir -p "$1/lib" "$1/include" crypt-obj || exit 1
    for f in src/crypt/*.c; do
        logged musl-gcc -Os -std=c99 -D_XOPEN_SOURCE=700 -Isrc/include -Isrc/internal \
            -Iarch/x86_64 -Iarch/generic -Iinclude -c "$f" -o "crypt-obj/$(basename "$f" .c).o"
    done
    logged ar rcs "$1/lib/libcrypt.a" crypt-obj/*.o
    logged cp include/crypt.h "$1/include/"
}

build_musl() {
    cached_build musl-crypt "${MUSL_VERSION#*:}" lib/libcrypt.a \
        "musl $MUSL_VERSION: crypt() for dropbear" "$MUSL_SRC" "$MUSL_VERSION" recipe_musl_crypt
    MUSL_DIR=$CACHED_DIR
}

recipe_dropbear() {
    logged cp "$ROOT/configs/dropbear-localoptions.h" localoptions.h
    logged env CC=musl-gcc CFLAGS="-Os -I$MUSL_DIR/include" LDFLAGS="-L$MUSL_DIR/lib" \
        ./configure --enable-static --disable-zlib --disable-lastlog \
        --disable-utmp --disable-utmpx --disable-wtmp --disable-wtmpx \
        --disable-pututline --disable-pututxline --disable-harden
    logged make -j"$JOBS" PROGRAMS="dropbear dbclient dropbearkey scp" MULTI=1 STATIC=1
    logged strip dropbearmulti
    logged cp dropbearmulti "$1/"
}

build_dropbear() {
    local key
    key=${DROPBEAR_VERSION#*:}-$(config_hash "$ROOT/configs/dropbear-localoptions.h")-musl${MUSL_VERSION#*:}
    cached_build dropbear "$key" dropbearmulti "dropbear $DROPBEAR_VERSION: build (static, musl)" \
        "$DROPBEAR_SRC" "$DROPBEAR_VERSION" recipe_dropbear
    DROPBEAR_DIR=$CACHED_DIR
}

NCURSES_FALLBACKS=linux,vt100,vt220,xterm,xterm-256color,screen

recipe_ncurses() {
    logged env CC=musl-gcc ./configure --prefix="$1" --enable-widec \
        --with-normal --without-shared --without-debug --without-profile \
        --without-cxx --without-cxx-binding --without-ada --without-progs \
        --without-tests --without-manpages --disable-db-install \
        --with-fallbacks="$NCURSES_FALLBACKS" --with-terminfo-dirs=/usr/share/terminfo \
        --disable-home-terminfo
    logged make -j"$JOBS"
    logged make install
}

build_ncurses() {
    local key
    key=${NCURSES_VERSION#*:}-$(echo "$NCURSES_FALLBACKS" | sha256sum | cut -c1-8)
    cached_build ncurses "$key" lib/libncursesw.a \
        "ncurses $NCURSES_VERSION: build (static, musl, wide-char)" \
        "$NCURSES_SRC" "$NCURSES_VERSION" recipe_ncurses
    NCURSES_DIR=$CACHED_DIR
}

# zlib's deflate, for corral-vmm (the RFB server's Zlib encoding) and
# corral (PNG screenshots): the static library and its headers only.
recipe_zlib() {
    logged env CC=musl-gcc CFLAGS="-Os -fPIC -ffunction-sections -fdata-sections" \
        ./configure --static --prefix="$1"
    logged make -j"$JOBS" libz.a
    logged make install
}

build_zlib() {
    cached_build zlib "${ZLIB_VERSION#*:}" lib/libz.a "zlib $ZLIB_VERSION: build (static, musl)" \
        "$ZLIB_SRC" "$ZLIB_VERSION" recipe_zlib
    ZLIB_DIR=$CACHED_DIR
}

# Disk tools for corral-install, from Debian's source packages: util-linux's
# sfdisk (partitioning), e2fsprogs' mke2fs/e2fsck/tune2fs (ext4) and
# dosfstools' mkfs.fat (the ESP), each static against musl.  Only those
# programs are built; their libraries stay private to them.
recipe_util_linux() {
    # Debian's patches touch configure.ac and Makemodule.am files (tty,
    # lsfd, tests: nothing sfdisk uses); keep the shipped configure and
    # Makefile.in instead of needing autotools.
    touch aclocal.m4 && touch configure config.h.in && touch Makefile.in || exit 1
    # "check": sfdisk and fdisk are built, cfdisk (needs ncurses) is left out.
    logged env PKG_CONFIG_LIBDIR=/nonexistent CC=musl-gcc CFLAGS="-Os -isystem $(musl_includes)" \
        ./configure --disable-all-programs --enable-fdisks=check --enable-libfdisk \
        --enable-libuuid --enable-libblkid --enable-libsmartcols \
        --enable-static-programs=sfdisk --disable-shared --enable-static \
        --without-ncurses --without-ncursesw --without-tinfo --without-readline \
        --without-udev --without-systemd --without-python --without-libmagic \
        --without-cap-ng --without-btrfs --without-econf --disable-nls \
        --disable-bash-completion --disable-asciidoc --disable-poman
    logged make -j"$JOBS" sfdisk.static
    logged strip sfdisk.static
    logged cp sfdisk.static "$1/sfdisk"
}

build_util_linux() {
    cached_build util-linux "${UTIL_LINUX_VERSION#*:}" sfdisk \
        "util-linux $UTIL_LINUX_VERSION: sfdisk (static, musl)" \
        "$UTIL_LINUX_SRC" "$UTIL_LINUX_VERSION" recipe_util_linux
    UTIL_LINUX_DIR=$CACHED_DIR
}

recipe_e2fsprogs() {
    # PKG_CONFIG_LIBDIR: never pick up the host's (glibc) libuuid/libblkid.
    logged env PKG_CONFIG_LIBDIR=/nonexistent CC=musl-gcc CFLAGS="-Os -isystem $(musl_includes)" \
        LDFLAGS=-static ./configure --enable-libuuid --enable-libblkid \
        --disable-elf-shlibs --disable-nls --disable-fuse2fs --disable-uuidd \
        --disable-debugfs --disable-imager --disable-resizer --disable-defrag \
        --disable-tdb --disable-backtrace --disable-e2initrd-helper \
        --without-libarchive --with-crond-dir=no --with-systemd-unit-dir=no \
        --with-udev-rules-dir=no
    logged make -j"$JOBS" libs
    logged make -j"$JOBS" -C misc mke2fs tune2fs
    logged make -j"$JOBS" -C e2fsck e2fsck
    logged strip misc/mke2fs misc/tune2fs e2fsck/e2fsck
    # mke2fs.conf decides the ext4 feature set; ship the one of this version.
    logged cp misc/mke2fs misc/tune2fs e2fsck/e2fsck misc/mke2fs.conf "$1/"
}

build_e2fsprogs() {
    cached_build e2fsprogs "${E2FSPROGS_VERSION#*:}" mke2fs \
        "e2fsprogs $E2FSPROGS_VERSION: mke2fs, e2fsck, tune2fs (static, musl)" \
        "$E2FSPROGS_SRC" "$E2FSPROGS_VERSION" recipe_e2fsprogs
    E2FSPROGS_DIR=$CACHED_DIR
}

recipe_dosfstools() {
    [ -x configure ] || logged ./autogen.sh
    logged env CC=musl-gcc CFLAGS="-Os -isystem $(musl_includes)" LDFLAGS=-static \
        ./configure --without-udev
    logged make -j"$JOBS" -C src mkfs.fat
    logged strip src/mkfs.fat
    logged cp src/mkfs.fat "$1/"
}

build_dosfstools() {
    cached_build dosfstools "${DOSFSTOOLS_VERSION#*:}" mkfs.fat \
        "dosfstools $DOSFSTOOLS_VERSION: mkfs.fat (static, musl)" \
        "$DOSFSTOOLS_SRC" "$DOSFSTOOLS_VERSION" recipe_dosfstools
    DOSFSTOOLS_DIR=$CACHED_DIR
}

# mbedTLS (TLS, X.509, EC keys) for corral-web: the three static libraries
# and their headers.  Threading on, as Debian builds it: civetweb's worker
# threads share one random generator.
MBEDTLS_OPTIONS="MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD"

recipe_mbedtls() {
    local opt
    for opt in $MBEDTLS_OPTIONS; do
        logged sed -i "s|^//#define $opt\$|#define $opt|" include/mbedtls/config.h
        grep -q "^#define $opt\$" include/mbedtls/config.h || exit 1
    done
    logged make -j"$JOBS" -C library CC=musl-gcc AR=ar \
        CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $(musl_includes)" \
        libmbedcrypto.a libmbedx509.a libmbedtls.a
    mkdir -p "$1/lib" || exit 1
    logged cp library/libmbedcrypto.a library/libmbedx509.a library/libmbedtls.a "$1/lib/"
    logged cp -r include "$1/"
}

build_mbedtls() {
    local key
    key=${MBEDTLS_VERSION#*:}-$(echo "$MBEDTLS_OPTIONS" | sha256sum | cut -c1-8)
    cached_build mbedtls "$key" lib/libmbedtls.a "mbedtls $MBEDTLS_VERSION: build (static, musl)" \
        "$MBEDTLS_SRC" "$MBEDTLS_VERSION" recipe_mbedtls
    MBEDTLS_DIR=$CACHED_DIR
}

# civetweb (HTTP server with WebSocket) for corral-web: civetweb.c alone,
# its TLS from mbedTLS (USE_MBEDTLS with NO_SSL: no OpenSSL), no CGI, no
# Lua, no file uploads through its own forms code.
CIVETWEB_DEFS="-DUSE_WEBSOCKET -DUSE_MBEDTLS -DNO_SSL -DNO_CGI -DUSE_IPV6"

recipe_civetweb() {
    mkdir -p "$1/lib" "$1/include" || exit 1
    # shellcheck disable=SC2086
    logged musl-gcc -Os -ffunction-sections -fdata-sections -std=gnu11 $CIVETWEB_DEFS \
        -isystem "$(musl_includes)" -I"$MBEDTLS_DIR/include" -Iinclude \
        -c src/civetweb.c -o civetweb.o
    logged ar rcs "$1/lib/libcivetweb.a" civetweb.o
    logged cp include/civetweb.h "$1/include/"
}

build_civetweb() {
    local key
    key=${CIVETWEB_VERSION#*:}-$(echo "$CIVETWEB_DEFS" | sha256sum | cut -c1-8)-mbedtls${MBEDTLS_VERSION#*:}
    cached_build civetweb "$key" lib/libcivetweb.a "civetweb $CIVETWEB_VERSION: build (static, musl, mbedTLS)" \
        "$CIVETWEB_SRC" "$CIVETWEB_VERSION" recipe_civetweb
    CIVETWEB_DIR=$CACHED_DIR
}

# ebtables (legacy, the kernel's ebtables tables): the bridge guard of
# /usr/libexec/corral/network (corral-netguard writes its rules).  Chosen
# over nftables: Debian's nftables, libnftnl and libmnl source tarballs
# are not in the reachable archive, and this binary is 158 KiB static.
recipe_ebtables() {
    # Debian's patches touch configure.ac and Makefile.am (install paths
    # only): keep the shipped configure and Makefile.in, no autotools.
    touch aclocal.m4 && touch configure config.h.in && touch Makefile.in || exit 1
    logged env CC=musl-gcc CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $(musl_includes)" \
        LOCKFILE=/run/ebtables.lock ./configure --prefix=/usr --sysconfdir=/etc \
        --disable-shared --enable-static
    logged make -j"$JOBS" libebtc.la ebtables-standalone.o
    # Each match and target registers itself from a constructor, which
    # nothing references: link the whole library, or they are left out.
    logged musl-gcc -static -Os -Wl,--gc-sections -o ebtables ebtables-standalone.o \
        -Wl,--whole-archive .libs/libebtc.a -Wl,--no-whole-archive
    logged strip ebtables
    # Its names for EtherTypes, which `ebtables -L` shows (IPv4, ARP, ...).
    logged cp ebtables ethertypes "$1/"
}

build_ebtables() {
    local key
    key=${EBTABLES_VERSION#*:}-$(declare -f recipe_ebtables | config_hash /dev/stdin)
    cached_build ebtables "$key" ebtables \
        "ebtables $EBTABLES_VERSION: ebtables (static, musl)" \
        "$EBTABLES_SRC" "$EBTABLES_VERSION" recipe_ebtables
    EBTABLES_DIR=$CACHED_DIR
}

# libsodium's Ed25519 signature check, for corral-install --upgrade (release
# ISOs are signed).  Only the files verification needs, compiled directly:
# Debian's source has no configure script, and the rest is not used.
# (mbedTLS 2.28 has no Ed25519.)
LIBSODIUM_FILES="crypto_sign/ed25519/ref10/open.c crypto_sign/ed25519/ref10/sign.c
    crypto_sign/ed25519/sign_ed25519.c crypto_core/ed25519/ref10/ed25519_ref10.c
    crypto_hash/sha512/hash_sha512.c crypto_hash/sha512/cp/hash_sha512_cp.c
    crypto_verify/sodium/verify.c sodium/utils.c sodium/core.c sodium/runtime.c
    randombytes/randombytes.c randombytes/sysrandom/randombytes_sysrandom.c"
recipe_libsodium() {
    local f lib=src/libsodium
    mkdir -p "$1/lib" "$1/include" obj || exit 1
    sed -e "s/@VERSION@/${LIBSODIUM_VERSION%%-*}/" -e 's/@SODIUM_LIBRARY_VERSION_MAJOR@/10/' \
        -e 's/@SODIUM_LIBRARY_VERSION_MINOR@/3/' \
        -e 's/@SODIUM_LIBRARY_MINIMAL_DEF@/#define SODIUM_LIBRARY_MINIMAL 1/' \
        "$lib/include/sodium/version.h.in" >"$lib/include/sodium/version.h" || exit 1
    for f in $LIBSODIUM_FILES; do
        # x86-64: 128-bit integers (the fe51 field code), little endian.
        logged musl-gcc -Os -ffunction-sections -fdata-sections -DCONFIGURED=1 -DHAVE_TI_MODE \
            -DNATIVE_LITTLE_ENDIAN -I"$lib/include" -I"$lib/include/sodium" \
            -isystem "$(musl_includes)" -c "$lib/$f" -o "obj/$(basename "$f" .c).o"
    done
    logged ar rcs "$1/lib/libsodium.a" obj/*.o
    cp -r "$lib/include/sodium.h" "$lib/include/sodium" "$1/include/" || exit 1
}

build_libsodium() {
    local key
    key=${LIBSODIUM_VERSION#*:}-$(declare -f recipe_libsodium | config_hash /dev/stdin <(echo "$LIBSODIUM_FILES"))
    cached_build libsodium "$key" lib/libsodium.a "libsodium $LIBSODIUM_VERSION: Ed25519 verification (static, musl)" \
        "$LIBSODIUM_SRC" "$LIBSODIUM_VERSION" recipe_libsodium
    LIBSODIUM_DIR=$CACHED_DIR
}

# liburing: corral-vmm's disks keep requests in flight through io_uring.
# Only the static library (its own configure, no autotools), with musl.
recipe_liburing() {
    local cflags="-Os -ffunction-sections -fdata-sections -isystem $(musl_includes)"
    logged env CFLAGS="$cflags" ./configure --cc=musl-gcc --prefix=/usr
    logged make -C src -j"$JOBS" ENABLE_SHARED=0 CFLAGS="$cflags" liburing.a
    mkdir -p "$1/lib" "$1/include" || exit 1
    logged cp src/liburing.a "$1/lib/"
    cp -r src/include/liburing.h src/include/liburing "$1/include/" || exit 1
}

build_liburing() {
    local key
    key=${LIBURING_VERSION#*:}-$(declare -f recipe_liburing | config_hash /dev/stdin)
    cached_build liburing "$key" lib/liburing.a "liburing $LIBURING_VERSION: io_uring (static, musl)" \
        "$LIBURING_SRC" "$LIBURING_VERSION" recipe_liburing
    LIBURING_DIR=$CACHED_DIR
}

# The kernel and the curated module set, from Debian's signed kernel image.
prepare_kernel() {
    local deb tree
    step "kernel $KERNEL_PKG $KERNEL_VERSION: unpack"
    deb=$(fetch_deb "$KERNEL_PKG" "$KERNEL_VERSION")
    tree=$CACHE/built/kernel-$KERNEL_VERSION
    if [ ! -f "$tree/boot/vmlinuz-$KERNEL_RELEASE" ]; then
        rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
        dpkg-deb -x "$deb" "$tree.tmp"
        rm -rf "$tree" && mv "$tree.tmp" "$tree"
    fi
    KERNEL_TREE=$tree
    KERNEL_DEB=$deb
}

# --- npm packages (web client) ----------------------------------------------

# web/package-lock.json's packages, installed by `npm ci` into
# $CACHE/npm/<sha256 of the lockfile>: a changed lockfile is a new entry,
# an unchanged one is never fetched again.  npm's own download cache sits
# beside it, so a new entry fetches only what changed.  The entry appears
# only once complete.  Sets NODE_MODULES.
# npm_ci DIR [ARGS]: npm ci in DIR, its output in DIR.log.
npm_ci() {
    local dir=$1
    shift
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline \
        --cache "$CACHE/npm/_npm-cache" "$@" >"$dir.log" 2>&1)
}

# npm_lock_all_sha512 LOCKFILE: true when every package in it is pinned by
# an sha512 integrity hash.
npm_lock_all_sha512() {
    node -e '
        const lock = require(process.argv[1]);
        const loose = Object.entries(lock.packages || {}).filter(([name, p]) =>
            name && !(p.integrity || "").startsWith("sha512-"));
        if (!lock.packages || loose.length) {
            console.error("not pinned by sha512:", loose.map(([n]) => n).join(" "));
            process.exit(1);
        }' "$1"
}

install_npm_packages() {
    local key dir tmp
    key=$(cat "$ROOT/web/package.json" "$ROOT/web/package-lock.json" | sha256sum | cut -c1-16)
    dir=$CACHE/npm/$key
    NODE_MODULES=$dir/node_modules
    if [ -f "$dir/.complete" ]; then
        echo "    npm packages: cached ($dir)"
        return 0
    fi
    tmp=$dir.tmp.$$
    rm -rf "$tmp"
    mkdir -p "$tmp"
    cp "$ROOT/web/package.json" "$ROOT/web/package-lock.json" "$tmp/"
    echo "    npm ci (web/package-lock.json) into $dir"
    if ! npm_ci "$tmp"; then
        # A TLS proxy whose CA this machine does not trust (a fresh chroot
        # behind an intercepting egress proxy) fails every fetch.  What npm
        # ci installs is fixed by the lockfile's sha512 per package, which
        # npm checks on every tarball whatever the transport: retry without
        # the certificate check, and only when every package is so pinned.
        grep -q 'CERT\|certificate' "$tmp.log" && npm_lock_all_sha512 "$tmp/package-lock.json" ||
            { cat "$tmp.log" >&2; die "npm ci failed (log above)"; }
        echo "    NOTE: npm's registry certificate is not trusted here; fetching again" \
            "with the lockfile's sha512 of each package as the only check"
        npm_ci "$tmp" --strict-ssl=false ||
            { cat "$tmp.log" >&2; die "npm ci failed (log above)"; }
    fi
    rm -f "$tmp.log"
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
}

# --- the control domain (initramfs) ----------------------------------------

build_own_binaries() {
    step "corral binaries (make, static musl)"
    # corral-vmm and corral cannot be built without zlib: a plain `make`
    # after one ./build.sh finds it here (the Makefile's default).
    mkdir -p "$OUT/third-party"
    ln -sfn "$ZLIB_DIR" "$OUT/third-party/zlib"
    ln -sfn "$CIVETWEB_DIR" "$OUT/third-party/civetweb"
    ln -sfn "$MBEDTLS_DIR" "$OUT/third-party/mbedtls"
    ln -sfn "$MUSL_DIR" "$OUT/third-party/musl-crypt"
    ln -sfn "$LIBSODIUM_DIR" "$OUT/third-party/libsodium"
    ln -sfn "$LIBURING_DIR" "$OUT/third-party/liburing"
    make -C "$ROOT" -s -j"$JOBS" NCURSES_PREFIX="$NCURSES_DIR" \
        MUSL_CRYPT_PREFIX="$MUSL_DIR" ZLIB_PREFIX="$ZLIB_DIR" CIVETWEB_PREFIX="$CIVETWEB_DIR" \
        MBEDTLS_PREFIX="$MBEDTLS_DIR" LIBSODIUM_PREFIX="$LIBSODIUM_DIR" \
        LIBURING_PREFIX="$LIBURING_DIR" all
}

# The answer file of `iso --answer FILE` goes onto the ISO (not into the
# initramfs, so that an installed system never finds it again).
place_answer_file() {
    rm -rf "$OUT/iso-root/corral"
    [ -n "$1" ] || return 0
    step "ISO: answer file $1 (unattended install)"
    mkdir -p "$OUT/iso-root/corral"
    install -m 0644 "$1" "$OUT/iso-root/corral/answer.conf"
}

# Release signing (docs/install.md, "Signed releases").  The key is an
# Ed25519 private key in PEM (openssl genpkey -algorithm ed25519), named by
# CORRAL_SIGNING_KEY; without it, the test key (tests/keys/, public: a
# build signed with it is no release).  Its public half is baked into the
# control domain; the ISO's signature goes beside it as ISO.sig.
signing_key() {
    if [ -n "${CORRAL_SIGNING_KEY:-}" ]; then
        [ -r "$CORRAL_SIGNING_KEY" ] || die "CORRAL_SIGNING_KEY=$CORRAL_SIGNING_KEY is not readable"
        echo "$CORRAL_SIGNING_KEY"
    else
        echo "$ROOT/tests/keys/test-release-key.pem"
    fi
}

bake_release_key() {
    local key
    key=$(signing_key)
    [ -n "${CORRAL_SIGNING_KEY:-}" ] ||
        echo "    NOTE: no CORRAL_SIGNING_KEY: signed with the TEST key (tests/keys/): not a release"
    mkdir -p "$OUT/rootfs/usr/share/corral"
    # The raw public key is the last 32 bytes of its DER form.
    openssl pkey -in "$key" -pubout -outform DER | tail -c 32 | od -An -v -tx1 | tr -d ' \n' \
        >"$OUT/rootfs/usr/share/corral/release-key.pub" || die "cannot read the signing key $key"
    echo >>"$OUT/rootfs/usr/share/corral/release-key.pub"
}

# ISO.sig: the ISO's sha256 and the Ed25519 signature of
# "corral-iso-v1 sha256=HEX" (initramfs/installer/isosig.h).
sign_iso() {
    local sha sig msg=$OUT/iso-signed-message
    sha=$(sha256sum "$1" | cut -d' ' -f1)
    # pkeyutl signs Ed25519 in one shot, from a file (not a pipe).
    printf 'corral-iso-v1 sha256=%s' "$sha" >"$msg"
    sig=$(openssl pkeyutl -sign -rawin -inkey "$(signing_key)" -in "$msg" | od -An -v -tx1 | tr -d ' \n')
    [ ${#sig} -eq 128 ] || die "signing $1 failed"
    printf '# %s\nsha256=%s\ned25519=%s\n' "$(basename "$1")" "$sha" "$sig" >"$1.sig"
    echo "    signature: $1.sig"
}

# --- the test suite's patched QEMU -------------------------------------------

# The outer QEMU of the nested-OVMF tests (tests/integration/test_uefi.py):
# Debian's QEMU of the installed version, from its own source package, with
# our patches (tests/patches/qemu/*.patch: Debian's 7.2 aborts when a nested
# guest writes CR8 during an interrupt window, which OVMF does; see
# docs/design-notes.md), only x86_64 system emulation under TCG, with the
# devices of tests/patches/qemu/devices.mak.  Nothing of it goes into the
# ISO.  Debian's firmware path: SeaBIOS, the VGA BIOS and the option ROMs
# come from the installed packages.
recipe_test_qemu() {
    apply_patches "$ROOT/tests/patches/qemu" .
    cp "$ROOT/tests/patches/qemu/devices.mak" configs/devices/x86_64-softmmu/corral-test.mak || exit 1
    mkdir -p b && cd b || exit 1
    logged ../configure --prefix="$1" --target-list=x86_64-softmmu \
        --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
        --without-default-features --without-default-devices \
        --with-devices-x86_64=corral-test --enable-tcg --enable-slirp --enable-fdt=system \
        --disable-docs --disable-tools --disable-install-blobs \
        --disable-debug-info --with-git-submodules=ignore
    logged ninja -j "$JOBS"
    logged ninja install
    "$1/bin/qemu-system-x86_64" --version >/dev/null || exit 1
}

# Cached in $CACHE/built, keyed by the version, the patches, the device
# list and the recipe, under a lock of its own: a cold build takes minutes
# and must not hold up the third-party builds behind cache_lock.  Sets
# TEST_QEMU to the binary.
build_test_qemu() {
    local version key patches=$ROOT/tests/patches/qemu
    version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
        die "qemu-system-x86 is not installed (./build.sh deps)"
    key=${version#*:}-$(config_hash "$patches"/* <(declare -f recipe_test_qemu))
    mkdir -p "$CACHE"
    exec 7>"$CACHE/.lock-test-qemu"
    flock -n 7 || { echo "    waiting for another build of the test QEMU"; flock 7; }
    cached_build test-qemu "$key" bin/qemu-system-x86_64 \
        "qemu $version for the tests: build (x86_64, TCG, with tests/patches/qemu)" \
        qemu "$version" recipe_test_qemu
    flock -u 7
    exec 7>&-
    TEST_QEMU=$CACHED_DIR/bin/qemu-system-x86_64
}

# For a test run outside build.sh (the nested-OVMF tests' fixture calls
# this when CORRAL_TEST_QEMU is unset): builds or finds the test QEMU and
# prints its path as the last line.
cmd_test_qemu() {
    cmd_deps # its build needs the test dependencies (meson, ninja)
    build_test_qemu
    step_done
    echo "$TEST_QEMU"
}

cmd_iso() {
    local answer=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --answer) [ $# -ge 2 ] && [ -r "$2" ] || die "iso --answer needs a readable file"
            answer=$(realpath "$2"); shift 2 ;;
        *) die "iso: unknown option '$1' (try ./build.sh --help)" ;;
        esac
    done
    cmd_deps build-only
    step "fetch and build third-party sources"
    cache_lock
    build_third_party
    prepare_kernel
    step "seabios $SEABIOS_VERSION: fetch"
    SEABIOS_DEB=$(fetch_deb "$SEABIOS_PKG" "$SEABIOS_VERSION")
    step "ovmf $OVMF_VERSION: fetch"
    OVMF_DEB=$(fetch_deb "$OVMF_PKG" "$OVMF_VERSION")
    step "ca-certificates $CA_CERTIFICATES_VERSION: fetch"
    CA_CERTIFICATES_DEB=$(fetch_deb "$CA_CERTIFICATES_PKG" "$CA_CERTIFICATES_VERSION")
    step "web client: npm packages"
    install_npm_packages
    cache_unlock
    build_own_binaries
    step "control domain: assemble rootfs"
    CORRAL_BIN=$OUT/bin SEABIOS_DEB=$SEABIOS_DEB OVMF_DEB=$OVMF_DEB \
        CA_CERTIFICATES_DEB=$CA_CERTIFICATES_DEB \
        "$ROOT/initramfs/make-rootfs.sh" "$OUT/rootfs"
    step "control domain: GRUB images for installed disks (grub-mkimage)"
    "$ROOT/iso/make-grub-images.sh" "$OUT/rootfs/usr/share/corral/grub"
    step "control domain: kernel modules"
    "$ROOT/initramfs/install-modules.sh" "$KERNEL_TREE" "$KERNEL_RELEASE" \
        "$ROOT/configs/modules.list" "$OUT/rootfs"
    # Every module of the kernel, for the tests' guests (tests/integration/
    # guest.py): they need drivers the control domain does not ship (the
    # guest side of bochs-drm, ahci, e1000...).  A link, not a copy.
    ln -sfn "$KERNEL_TREE" "$OUT/kernel-tree"
    step "control domain: web client pages (web/install-pages.sh)"
    "$ROOT/web/install-pages.sh" "$NODE_MODULES" "$OUT/rootfs/usr/share/corral/web"
    # The tests' browser driver (playwright-core) comes from the same entry.
    ln -sfn "$NODE_MODULES" "$OUT/node_modules"
    step "control domain: release file and manifest"
    write_release "$OUT/rootfs/etc/corral-release"
    bake_release_key
    step "control domain: initramfs (cpio, xz)"
    mkdir -p "$OUT/iso-root/boot"
    "$ROOT/initramfs/pack-initramfs.sh" "$OUT/rootfs" "$OUT/iso-root/boot/initrd.img"
    cp "$KERNEL_TREE/boot/vmlinuz-$KERNEL_RELEASE" "$OUT/iso-root/boot/vmlinuz"
    place_answer_file "$answer"
    step "ISO: GRUB (BIOS + UEFI) with xorriso"
    "$ROOT/iso/make-iso.sh" "$OUT/iso-root" "$ISO" "$VERSION"
    write_manifest "$ISO.manifest"
    sign_iso "$ISO"
    step_done
    echo "==> wrote $ISO ($(du -m "$ISO" | cut -f1) MiB) in $(($(date +%s) - BUILD_START)) s"
}

# Everything fetched, with its pinned version and sha256.
input_lines() {
    local p src ver dsc
    echo "kernel $KERNEL_PKG $KERNEL_VERSION $(sha256sum "$KERNEL_DEB" | cut -d' ' -f1)"
    echo "seabios $SEABIOS_PKG $SEABIOS_VERSION $(sha256sum "$SEABIOS_DEB" | cut -d' ' -f1)"
    echo "ovmf $OVMF_PKG $OVMF_VERSION $(sha256sum "$OVMF_DEB" | cut -d' ' -f1)"
    echo "ca-certificates $CA_CERTIFICATES_PKG $CA_CERTIFICATES_VERSION $(sha256sum "$CA_CERTIFICATES_DEB" | cut -d' ' -f1)"
    echo "npm web/package-lock.json - $(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)"
    for p in $THIRD_PARTY; do
        src=$(pin_var "$p" SRC) ver=$(pin_var "$p" VERSION)
        dsc=$(ls "$(fetch_source "${!src}" "${!ver}")"/*.dsc)
        echo "$p ${!src} ${!ver} $(sha256sum "$dsc" | cut -d' ' -f1)"
    done
}

write_release() {
    local p ver
    {
        echo "CORRAL_VERSION=$VERSION"
        echo "BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "GIT_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        echo "KERNEL=$KERNEL_RELEASE ($KERNEL_PKG $KERNEL_VERSION)"
        echo "SEABIOS=$SEABIOS_VERSION"
        echo "OVMF=$OVMF_VERSION"
        echo "CA_CERTIFICATES=$CA_CERTIFICATES_VERSION"
        for p in $THIRD_PARTY; do
            ver=$(pin_var "$p" VERSION)
            echo "${ver%_VERSION}=${!ver}"
        done
        echo "GRUB=$(dpkg-query -W -f='${Version}' grub-pc-bin 2>/dev/null || echo unknown)"
    } >"$1"
}

write_manifest() {
    {
        echo "# Corral $VERSION: inputs (what, package, version, sha256 of the .deb or .dsc)"
        input_lines
        echo "# output"
        echo "iso $(basename "$ISO") $VERSION $(sha256sum "$ISO" | cut -d' ' -f1)"
    } >"$1"
    echo "    manifest: $1"
}

# --- running and testing -------------------------------------------------------

# KVM only when it can pass SVM/VT-x on to the appliance (see
# tests/integration/qemu.py); else TCG emulating an EPYC with SVM.
qemu_accel() {
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'svm|vmx' /proc/cpuinfo; then
        echo "-enable-kvm -cpu host"
    else
        echo "-accel tcg -cpu EPYC,+svm,+npt"
    fi
}

cmd_run() {
    [ -f "$ISO" ] || die "no ISO at $ISO: run ./build.sh first"
    local disk=$OUT/scratch-disk.img
    [ -f "$disk" ] || truncate -s 20G "$disk"
    echo "==> booting $ISO (serial console here; Ctrl-A X quits QEMU)"
    # shellcheck disable=SC2046
    exec qemu-system-x86_64 -M q35 $(qemu_accel) -smp 2 -m 2048 \
        -cdrom "$ISO" -drive file="$disk",format=raw,if=virtio \
        -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22 \
        -device virtio-net-pci,netdev=n0 -nographic
}

cmd_test() {
    local t0 failed=()
    cmd_deps
    # Always rebuild (incrementally: third-party builds come from the
    # cache), so the tests never run an ISO older than the source.
    cmd_iso
    step "build scripts: nothing outside the tree is touched, failures are named"
    /usr/bin/python3 -m pytest -p no:cacheprovider -q "$ROOT/tests/build" || failed+=("build scripts")
    step "docs: usage sections match the programs' --help"
    /usr/bin/python3 "$ROOT/tools/help_docs.py" --check || failed+=("docs")
    step "unit tests (make check, ASan/UBSan)"
    make -C "$ROOT" -s check || failed+=("unit tests")
    step "web client: pages in headless Chromium against a stand-in server (tests/web)"
    CORRAL_NODE_MODULES="$OUT/node_modules" /usr/bin/python3 -m pytest -p no:cacheprovider -q "$ROOT/tests/web" ||
        failed+=("web pages")
    step "fuzz targets (bounded time each)"
    make -C "$ROOT" -s fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-15}" || failed+=("fuzz targets")
    step "the test suite's patched QEMU, for the nested-OVMF tests (tests/patches/qemu)"
    # In a child build.sh, so that a failed QEMU build is one named stage:
    # the integration tests still run, and only the nested-OVMF tests fail
    # (on a path that says why) instead of the whole run stopping here.
    if "$ROOT/build.sh" test-qemu 2>&1 | tee "$OUT/test-qemu.log"; then
        TEST_QEMU=$(tail -n 1 "$OUT/test-qemu.log")
    else
        failed+=("test QEMU build (out/test-qemu.log)")
        TEST_QEMU=/the-test-QEMU-failed-to-build-see-out/test-qemu.log
    fi
    step "integration tests (pytest, QEMU)"
    t0=$(date +%s)
    # Tests that retried after the nested emulation's known faults say so
    # here (tests/integration/qemu.py, note_retry); listed after the run.
    local retries=$OUT/test-logs/retries.log
    rm -f "$retries"
    # One worker a core, each with its own appliance (QEMU's TCG runs a
    # vCPU on one host thread, so one appliance leaves the other cores
    # idle); a test file stays on one worker, in order, as its tests
    # share that file's VMs.  CORRAL_TEST_JOBS=1 runs them one by one.
    (cd "$ROOT" && CORRAL_ISO="$ISO" CORRAL_TEST_QEMU="$TEST_QEMU" /usr/bin/python3 -m pytest -p no:cacheprovider \
        -n "${CORRAL_TEST_JOBS:-$(nproc)}" --dist loadfile \
        tests/integration "$@") || failed+=("integration tests")
    echo "    integration tests took $(($(date +%s) - t0)) s"
    if [ -s "$retries" ]; then
        echo "    retried once after the nested emulation's known faults ($(wc -l <"$retries")):"
        sed 's/^/      /' "$retries"
    fi
    step_done
    [ ${#failed[@]} -eq 0 ] || die "test stages that failed: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g') (their output is above)"
}

# The usage sections of docs/*.md come from the programs' --help.
cmd_docs() {
    make -C "$ROOT" -s
    /usr/bin/python3 "$ROOT/tools/help_docs.py"
}

cmd_clean() {
    step "clean out/ (the cache in $CACHE is kept)"
    rm -rf "$OUT"
    step_done
}

cmd_bench() {
    cmd_deps
    # Always rebuild (incrementally), as for the tests: a benchmark of an
    # ISO older than the source measures the wrong build.
    cmd_iso
    step "benchmarks"
    (cd "$ROOT" && CORRAL_ISO="$ISO" /usr/bin/python3 tests/bench/run.py "$@")
    step_done
}

main() {
    local cmd=${1:-iso}
    [ $# -gt 0 ] && shift
    case "$cmd" in
    deps) cmd_deps "$@" ;;
    iso) cmd_iso "$@" ;;
    run) cmd_run "$@" ;;
    test) cmd_test "$@" ;;
    bench) cmd_bench "$@" ;;
    test-qemu) cmd_test_qemu ;;
    docs) cmd_docs ;;
    clean) cmd_clean "$@" ;;
    -h | --help | help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (try ./build.sh --help)" ;;
    esac
}

main "$@"
