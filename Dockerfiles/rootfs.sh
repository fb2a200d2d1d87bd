#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rootfs.sh: lays out the root filesystem of a minimal runtime image.
#
# usage: rootfs.sh [options] DEST BINARY...
#
# Every BINARY is copied to the same path under DEST, with the shared
# libraries it loads (its ldd closure) and the dynamic loader, at the paths
# the build stage has them, so the runtime stage can be FROM scratch plus
# one COPY of DEST. The build stage's merged-/usr symlinks (/lib -> usr/lib,
# ...) are reproduced, so the loader finds the libraries where glibc looks
# for them without an /etc/ld.so.cache.
#
# DEST also gets what a program expects of a Debian system and nothing
# more: /etc/passwd and /etc/group (root, nobody and the --user/--group
# entries), /etc/nsswitch.conf (files, then DNS: enough for Docker's
# /etc/hosts and embedded DNS server), and /tmp (mode 1777). No shell, no
# package manager, no CA certificates, no time zones: nothing in the stack
# needs them.
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

# copy_closure FILE: FILE, and every library and loader ldd names for it.
# A library that cannot be found is an error: the image would not start.
copy_closure() {
    copy_file "$1"
    is_elf "$1" || return 0
    out=$(ldd "$1" 2>&1) || {
        case "$out" in
        *"not a dynamic executable"* | *"statically linked"*) return 0 ;;
        *) die "ldd $1: $out" ;;
        esac
    }
    case "$out" in
    *"not found"*) die "$1 needs a library the build stage lacks: $out" ;;
    esac
    # Lines look like "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)"
    # or, for the loader, "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO
    # has no path and is skipped.
    echo "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
                       $1 ~ /^\// { print $1 }' |
        while read -r lib; do
            copy_file "$lib"
        done
}

for bin in "$@"; do
    copy_closure "$bin"
done
for f in $extras; do
    copy_closure "$f"
done

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
