#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rootfs.sh: lays out the root filesystem of a minimal runtime image.
#
# usage: rootfs.sh [options] DEST BINARY...
#
# Every BINARY is copied to the same path under DEST, with the shared
# libraries it loads (its DT_NEEDED closure, read with readelf, so that a
# cross-compiled program of another architecture works as well as a native
# one) and the dynamic loader, at the paths the build stage has them, so the runtime stage can be FROM scratch plus
# one COPY of DEST. The build stage's merged-/usr symlinks (/lib -> usr/lib,
# ...) are reproduced, so the loader finds the libraries where glibc looks
# for them without an /etc/ld.so.cache.
#
# DEST also gets what a program expects of a Debian system and nothing
# more: /etc/passwd and /etc/group (root, nobody and the --user/--group
# entries), /etc/nsswitch.conf (files, then DNS: enough for Docker's
# /etc/hosts and embedded DNS server), and /tmp (mode 1777). No shell, no
# package manager, no CA certificates, no time zones: nothing in the stack
# needs them. And the copyright file of each Debian package it copied from
# (/usr/share/doc/PKG/copyright): the licences of the libraries travel with
# them.
#
# options:
#   --user NAME:UID:GID[:HOME]  a passwd entry, and a group NAME:GID unless
#                               that GID is already named
#   --user-from NAME            the same, with the UID, GID and home that
#                               this (build) system gives NAME (getent)
#   --group NAME:GID            a group entry
#   --extra FILE                one more file to copy as is (and its
#                               closure when it is an ELF object), e.g. a
#                               library that is loaded with dlopen()
#   --dir PATH:MODE[:UID:GID]   an empty directory
#   --link TARGET:PATH          a symbolic link PATH -> TARGET
#
# Used by every Dockerfile in this directory; see web.Dockerfile.
set -eu

die() {
    printf 'rootfs.sh: %s\n' "$*" >&2
    exit 1
}

users=""
groups=""
extras=""
dirs=""
links=""
while [ $# -gt 0 ]; do
    case "$1" in
    --user)
        [ $# -ge 2 ] || die "--user needs NAME:UID:GID[:HOME]"
        users="$users $2"
        shift 2
        ;;
    --user-from)
        [ $# -ge 2 ] || die "--user-from needs a user name"
        pw=$(getent passwd "$2") ||
            die "--user-from $2: no such user on the build system"
        uid=$(echo "$pw" | cut -d: -f3)
        gid=$(echo "$pw" | cut -d: -f4)
        home=$(echo "$pw" | cut -d: -f6)
        gname=$(getent group "$gid" | cut -d: -f1) ||
            die "--user-from $2: group $gid has no name on the build system"
        users="$users $2:$uid:$gid:$home"
        groups="$groups $gname:$gid"
        shift 2
        ;;
    --group)
        [ $# -ge 2 ] || die "--group needs NAME:GID"
        groups="$groups $2"
        shift 2
        ;;
    --extra)
        [ $# -ge 2 ] || die "--extra needs a file"
        extras="$extras $2"
        shift 2
        ;;
    --dir)
        [ $# -ge 2 ] || die "--dir needs PATH:MODE[:UID:GID]"
        dirs="$dirs $2"
        shift 2
        ;;
    --link)
        [ $# -ge 2 ] || die "--link needs TARGET:PATH"
        links="$links $2"
        shift 2
        ;;
    --)
        shift
        break
        ;;
    -*)
        die "unknown option $1 (see the comment at the top of this script)"
        ;;
    *)
        break
        ;;
    esac
done
[ $# -ge 2 ] || die "usage: rootfs.sh [options] DEST BINARY..."
dest=$1
shift
[ ! -e "$dest" ] || [ -z "$(ls -A "$dest")" ] ||
    die "$dest exists and is not empty"
mkdir -p "$dest"

# The merged-/usr symlinks of the build system, so that /lib/x86_64-linux-gnu
# and /usr/lib/x86_64-linux-gnu are one directory, as the loader expects.
for top in /bin /sbin /lib /lib32 /lib64 /libx32; do
    if [ -L "$top" ]; then
        target=$(readlink "$top")
        case "$target" in
        /*) mkdir -p "$dest$target" ;;
        *) mkdir -p "$dest$(dirname "$top")/$target" ;;
        esac
        ln -s "$target" "$dest$top"
    fi
done

# copy_file SRC: copies SRC (following symbolic links) to the same path
# under DEST, once.
copy_file() {
    [ -e "$1" ] || die "$1: no such file"
    [ -e "$dest$1" ] && return 0
    mkdir -p "$dest$(dirname "$1")"
    cp -L --preserve=mode "$1" "$dest$1"
}

# is_elf FILE: whether FILE is an ELF object (dynamic or static).
is_elf() {
    [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "177ELF" ]
}

# libdirs FILE: where the loader looks for FILE's libraries, from FILE's
# ELF header: the multiarch directories of its architecture, then the
# plain ones. Read from the header (not from ldd), so that a program of
# another architecture (cross-compiled, see toolchain.sh) is laid out as
# well as a native one, without running anything.
libdirs() {
    id=$(readelf -h "$1" | awk '
        /^ *Class:/ { c = $2 }
        /^ *Machine:/ { m = $0 }
        /^ *Flags:/ { f = $0 }
        END {
            if (m ~ /X86-64/ && c == "ELF64") print "x86_64-linux-gnu"
            else if (m ~ /AArch64/ && c == "ELF64") print "aarch64-linux-gnu"
            else if (m ~ /ARM$/ && f ~ /hard-float/) print "arm-linux-gnueabihf"
            else if (m ~ /ARM$/) print "arm-linux-gnueabi"
            else if (m ~ /80386/) print "i386-linux-gnu"
        }')
    [ -n "$id" ] || die "$1: an ELF file of an architecture this script does not know"
    echo "/usr/lib/$id /lib/$id /usr/lib /lib"
}

# elf_field FILE TAG: the values of FILE's dynamic TAG entries (NEEDED,
# RUNPATH, RPATH), one a line.
elf_field() {
    readelf -d "$1" 2>/dev/null |
        sed -n "s/.*($2)[^[]*\[\(.*\)\]\$/\1/p"
}

# copy_closure FILE: FILE, its program interpreter (the dynamic loader)
# and every library it needs (DT_NEEDED), found as the loader finds them
# (RPATH/RUNPATH, then the architecture's directories), recursively. A
# library that cannot be found is an error: the image would not start.
loaders=""
copy_closure() {
    if [ -e "$dest$1" ]; then
        return 0
    fi
    copy_file "$1"
    is_elf "$1" || return 0
    command -v readelf >/dev/null ||
        die "readelf (binutils) is needed to lay out $1"
    cl_interp=$(readelf -l "$1" 2>/dev/null |
        sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
    if [ -n "$cl_interp" ]; then
        copy_file "$cl_interp"
        loaders="$loaders $(basename "$cl_interp")"
    fi
    search=""
    cl_origin=$(dirname "$1")
    for rp in $({ elf_field "$1" RUNPATH; elf_field "$1" RPATH; } | tr : ' '); do
        search="$search $(echo "$rp" | sed "s|\\\$ORIGIN|$cl_origin|; s|\\\${ORIGIN}|$cl_origin|")"
    done
    search="$search $(libdirs "$1")"
    for lib in $(elf_field "$1" NEEDED); do
        # libc needs the loader by name: the one already there serves.
        case " $loaders " in
        *" $lib "*) continue ;;
        esac
        found=""
        for d in $search; do
            if [ -e "$d/$lib" ]; then
                found=$d/$lib
                break
            fi
        done
        [ -n "$found" ] ||
            die "$1 needs $lib, which the build stage lacks (looked in:$search)"
        # Recursion in a subshell: the variables above are global (sh).
        (copy_closure "$found")
    done
}

for bin in "$@"; do
    case "$bin" in
    /*) copy_closure "$bin" ;;
    *) die "$bin: give the absolute path it has in the build stage" ;;
    esac
done
for f in $extras; do
    copy_closure "$f"
done

# owners FILE...: the Debian packages (without their :architecture) that
# installed the FILEs, one a line, asked of dpkg in one call: each call
# reads the whole package database, so one a file made this script take a
# minute on a slow machine. dpkg records a library under /lib or /usr/lib
# as its package installed it, whichever of the two merged-/usr names the
# closure used, so each file is asked under both. A file no package owns
# (our own programs) is simply not in the answer; diversion lines are
# skipped.
owners() {
    for f in "$@"; do
        printf '%s\n%s\n' "${f#/usr}" "/usr${f#/usr}"
    done | sort -u | xargs -r dpkg-query -S 2>/dev/null |
        sed -n '/^diversion by /d; s/^\([^:,]*\)[^/]*: \/.*$/\1/p' |
        sort -u
    return 0
}

# The licences travel with the files: for every Debian package a file of
# DEST comes from, its copyright file at the path Debian gives it
# (/usr/share/doc/PKG/copyright). Our own programs belong to no package.
# A package without its copyright file stops the build: an image must not
# ship a library without its licence. No dpkg (not a Debian build stage):
# nothing to copy, and the script says so.
if command -v dpkg-query >/dev/null; then
    # shellcheck disable=SC2046 # file names of a Debian system: no spaces
    pkgs=$(owners $(cd "$dest" && find . -type f | sed 's|^\.||'))
    for pkg in $pkgs; do
        c=/usr/share/doc/$pkg/copyright
        [ -f "$c" ] || die "$pkg: $c is missing in the build stage"
        copy_file "$c"
    done
else
    echo "rootfs.sh: no dpkg-query: no copyright files copied" >&2
fi

mkdir -p "$dest/etc" "$dest/tmp"
chmod 1777 "$dest/tmp"

# Accounts: root and nobody always (tools and libraries expect both), then
# the requested ones. A later entry with the same name replaces nothing:
# duplicates are an error, so a typo cannot shadow root.
{
    echo "root:x:0:0:root:/root:/sbin/nologin"
    echo "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin"
} >"$dest/etc/passwd"
{
    echo "root:x:0:"
    echo "nogroup:x:65534:"
} >"$dest/etc/group"
for g in $groups; do
    name=${g%%:*}
    gid=${g#*:}
    case "$gid" in
    '' | *[!0-9]*) die "--group $g: the GID must be a number" ;;
    esac
    grep -q "^$name:" "$dest/etc/group" && die "group $name given twice"
    grep -q "^[^:]*:x:$gid:" "$dest/etc/group" &&
        die "group $name: GID $gid is already taken"
    echo "$name:x:$gid:" >>"$dest/etc/group"
done
for u in $users; do
    IFS=: read -r name uid gid home <<EOF
$u
EOF
    case "$uid$gid" in
    '' | *[!0-9]*) die "--user $u: UID and GID must be numbers" ;;
    esac
    grep -q "^$name:" "$dest/etc/passwd" && die "user $name given twice"
    echo "$name:x:$uid:$gid::${home:-/nonexistent}:/sbin/nologin" \
        >>"$dest/etc/passwd"
    grep -q "^[^:]*:x:$gid:" "$dest/etc/group" ||
        echo "$name:x:$gid:" >>"$dest/etc/group"
done
chmod 644 "$dest/etc/passwd" "$dest/etc/group"

# Name resolution through files then DNS, as Docker's resolv.conf and
# /etc/hosts expect. glibc reads this on every lookup.
cat >"$dest/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF

for d in $dirs; do
    IFS=: read -r path mode uid gid <<EOF
$d
EOF
    mkdir -p "$dest$path"
    chmod "$mode" "$dest$path"
    if [ -n "$uid" ]; then
        chown "$uid:${gid:-$uid}" "$dest$path"
    fi
done
for l in $links; do
    target=${l%%:*}
    path=${l#*:}
    mkdir -p "$dest$(dirname "$path")"
    ln -s "$target" "$dest$path"
done

printf 'rootfs.sh: %s: %s files, %s KiB\n' "$dest" \
    "$(find "$dest" -type f | wc -l)" "$(du -sk "$dest" | cut -f1)"
