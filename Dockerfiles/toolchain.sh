#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# toolchain.sh: the C toolchain of an image's build stage, for the stage's
# own architecture or, cross-compiling, for another one (Debian multiarch).
#
# The rule a reader needs: the build stage always runs on the engine's own
# architecture (fast, no emulation); TARGET is the Debian architecture the
# programs are for. When TARGET is the stage's own, this is the plain native
# toolchain (gcc, and the programs are run once as a check). When it is
# another, the target's -dev packages and libraries come from Debian's
# ARCH port (`dpkg --add-architecture`, PKG:ARCH) next to the stage's own,
# the compiler is Debian's cross gcc for it, and nothing of the target
# architecture is ever run here (so no emulation is needed).
#
# usage, in a Dockerfile's build stage, as root:
#   toolchain.sh setup TARGET [PKG...]  installs cmake, make, pkg-config,
#                                 binutils, a C compiler for TARGET (amd64,
#                                 arm64, armhf or armel; "": the stage's own)
#                                 and PKG... for TARGET, in one apt-get run,
#                                 and records TARGET for the commands below
#   toolchain.sh packages PKG...  apt-get install PKG for TARGET (PKG:TARGET
#                                 when it is not the stage's own)
#   toolchain.sh cmake ARGS...    cmake ARGS, configured for TARGET (a CMake
#                                 toolchain file and pkg-config's search
#                                 path when cross-compiling)
#   toolchain.sh program SRC DEST installs SRC as DEST (mode 755), stripped,
#                                 checks it is an ELF program for TARGET and,
#                                 when TARGET is the stage's own, that
#                                 `DEST --version` runs
#   toolchain.sh check FILE [ARG...]  the same checks on an installed FILE
#                                 (running FILE ARG... when native)
#   toolchain.sh target           prints TARGET
#
# Supported TARGETs and the Docker platforms they make (see ../stack):
#   amd64 linux/amd64, arm64 linux/arm64, armhf linux/arm/v7,
#   armel linux/arm/v6 (Debian's armel runs on ARMv5TE and later: the Pi
#   Zero and Pi 1).
set -eu

STATE=/usr/local/share/part5-toolchain

die() {
    printf 'toolchain.sh: %s\n' "$*" >&2
    exit 1
}

native() { dpkg --print-architecture; }

# triplet ARCH: the GNU triplet of a Debian architecture, or nothing.
triplet() {
    case "$1" in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    armhf) echo arm-linux-gnueabihf ;;
    armel) echo arm-linux-gnueabi ;;
    esac
}

# elf_id ARCH: what `readelf -h` says of a program for ARCH, as
# "CLASS MACHINE FLOAT" (FLOAT: hard, soft or -).
elf_id() {
    case "$1" in
    amd64) echo "ELF64 X86-64 -" ;;
    arm64) echo "ELF64 AArch64 -" ;;
    armhf) echo "ELF32 ARM hard" ;;
    armel) echo "ELF32 ARM soft" ;;
    esac
}

# elf_of FILE: the same triple, read from FILE's ELF header.
elf_of() {
    readelf -h "$1" 2>/dev/null | awk '
        /^ *Class:/ { class = $2 }
        /^ *Machine:/ { m = $0; sub(/^ *Machine: */, "", m)
                        if (m ~ /X86-64/) m = "X86-64"
                        else if (m ~ /AArch64/) m = "AArch64"
                        else if (m ~ /^ARM$/) m = "ARM" }
        /^ *Flags:/ { f = "-"
                      if ($0 ~ /hard-float/) f = "hard"
                      else if ($0 ~ /soft-float/) f = "soft" }
        END { if (class != "") print class, m, f }'
}

target() {
    [ -f "$STATE/target" ] || die "run 'toolchain.sh setup [TARGET]' first"
    cat "$STATE/target"
}

# apt_install PKG...: one apt-get run that leaves no package lists behind.
apt_install() {
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "$@"
    rm -rf /var/lib/apt/lists/*
}

# target_pkgs ARCH PKG...: PKG... as apt-get names them for ARCH.
target_pkgs() {
    a=$1
    shift
    for p in "$@"; do
        if [ "$a" = "$(native)" ]; then echo "$p"; else echo "$p:$a"; fi
    done
}

cmd_setup() {
    arch=${1:-$(native)}
    [ $# -gt 0 ] && shift
    tri=$(triplet "$arch")
    [ -n "$tri" ] || die "unknown target architecture '$arch' (amd64, arm64, armhf, armel)"
    mkdir -p "$STATE"
    if [ "$arch" = "$(native)" ]; then
        # shellcheck disable=SC2046
        apt_install cmake make pkg-config binutils gcc libc6-dev \
            $(target_pkgs "$arch" "$@")
        : >"$STATE/toolchain.cmake"
    else
        dpkg --add-architecture "$arch"
        # The cross compiler's package name: the triplet with _ as -.
        # shellcheck disable=SC2046
        apt_install cmake make pkg-config binutils \
            "gcc-$(echo "$tri" | tr _ -)" "libc6-dev:$arch" \
            $(target_pkgs "$arch" "$@")
        case "$arch" in
        amd64) proc=x86_64 ;;
        arm64) proc=aarch64 ;;
        *) proc=arm ;;
        esac
        cat >"$STATE/toolchain.cmake" <<EOF
# Written by toolchain.sh setup $arch.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $proc)
set(CMAKE_C_COMPILER $tri-gcc)
set(CMAKE_STRIP $tri-strip)
set(CMAKE_LIBRARY_ARCHITECTURE $tri)
EOF
    fi
    echo "$arch" >"$STATE/target"
    echo "toolchain.sh: building for $arch ($tri) on $(native)"
}

cmd_packages() {
    [ $# -gt 0 ] || die "packages: which?"
    # shellcheck disable=SC2046
    apt_install $(target_pkgs "$(target)" "$@")
}

cmd_cmake() {
    arch=$(target)
    if [ "$arch" = "$(native)" ]; then
        exec cmake "$@"
    fi
    tri=$(triplet "$arch")
    # pkg-config finds the target's .pc files only (and the
    # architecture-independent ones).
    PKG_CONFIG_LIBDIR=/usr/lib/$tri/pkgconfig:/usr/share/pkgconfig
    export PKG_CONFIG_LIBDIR
    exec cmake -DCMAKE_TOOLCHAIN_FILE="$STATE/toolchain.cmake" "$@"
}

cmd_check() {
    [ $# -ge 1 ] || die "check: which file?"
    file=$1
    shift
    arch=$(target)
    want=$(elf_id "$arch")
    got=$(elf_of "$file")
    [ -n "$got" ] || die "$file is not an ELF file"
    [ "$got" = "$want" ] ||
        die "$file is '$got', not an $arch program ('$want')"
    if [ "$arch" = "$(native)" ]; then
        [ $# -eq 0 ] || "$file" "$@"
    else
        echo "toolchain.sh: $file: $got ($arch; not run here)"
    fi
}

cmd_program() {
    [ $# -eq 2 ] || die "program SRC DEST"
    arch=$(target)
    strip="strip"
    [ "$arch" = "$(native)" ] || strip=$(triplet "$arch")-strip
    install -D -m 755 "$1" "$2"
    "$strip" "$2"
    cmd_check "$2" --version
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
setup) cmd_setup "$@" ;;
packages) cmd_packages "$@" ;;
cmake) cmd_cmake "$@" ;;
program) cmd_program "$@" ;;
check) cmd_check "$@" ;;
target) target ;;
*) die "usage: toolchain.sh setup|packages|cmake|program|check|target (see the top of this file)" ;;
esac
