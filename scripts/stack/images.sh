# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/images.sh: building the part5/* images from the Dockerfiles.
# Sourced by ../../stack, which sets PROG and REPO; not run on its own.

# --- images -----------------------------------------------------------------

project_version() {
    sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' "$REPO/CMakeLists.txt"
}

# compose_images FILE: the part5/NAME:TAG images FILE names, one a line.
compose_images() {
    sed -n 's/^[[:space:]]*image:[[:space:]]*["'\'']\{0,1\}\(part5\/[a-z]*:[^"'\''[:space:]]*\).*/\1/p' "$1" | sort -u
}

image_id() {
    docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# --- platforms ----------------------------------------------------------------
# The platforms the images are built for, and for each: the Debian
# architecture of its binaries (Dockerfiles/toolchain.sh), the suffix of
# its per-platform tag (part5/hello:1.0.0-arm64) and the platform its image
# declares (os/architecture/variant, as Docker Hub's official images do).
# The engine's own platform is built natively; another one is
# cross-compiled in a build stage of the engine's architecture, or with
# --emulate built natively under qemu from a Debian base of that
# architecture. Either way the image's metadata is then set to its
# platform (scripts/stack/image-platform.py: docker save | edit | docker
# load), because the classic builder records the engine's architecture.
SUPPORTED_PLATFORMS="linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6"
declare -A PLATFORM_ARCH=([linux/amd64]=amd64 [linux/arm64]=arm64
    [linux/arm/v7]=armhf [linux/arm/v6]=armel)
declare -A PLATFORM_SUFFIX=([linux/amd64]=amd64 [linux/arm64]=arm64
    [linux/arm/v7]=armv7 [linux/arm/v6]=armv6)
declare -A PLATFORM_FULL=([linux/amd64]=linux/amd64 [linux/arm64]=linux/arm64/v8
    [linux/arm/v7]=linux/arm/v7 [linux/arm/v6]=linux/arm/v6)

# platform_canon P: P as one of SUPPORTED_PLATFORMS (accepting the usual
# aliases), or nothing.
platform_canon() {
    case "$1" in
    linux/amd64 | linux/x86_64 | amd64) echo linux/amd64 ;;
    linux/arm64 | linux/arm64/v8 | linux/aarch64 | arm64) echo linux/arm64 ;;
    linux/arm/v7 | linux/arm | linux/armhf | arm) echo linux/arm/v7 ;;
    linux/arm/v6 | linux/armel) echo linux/arm/v6 ;;
    esac
}

# parse_platforms LIST: sets PLATFORMS from a comma-separated LIST, or
# stops with the list of supported ones.
PLATFORMS=()
parse_platforms() {
    local p c
    PLATFORMS=()
    [ -n "$1" ] || die "--platform needs a value, e.g. linux/arm64,linux/arm/v7"
    for p in ${1//,/ }; do
        c=$(platform_canon "$p")
        [ -n "$c" ] || die "--platform $p: not a platform this repository builds.
Supported: ${SUPPORTED_PLATFORMS// /, }
(linux/arm/v7 is a Raspberry Pi 2 or later, or any 32-bit armhf system;
linux/arm/v6 the Pi Zero and Pi 1; linux/arm64 a 64-bit Pi OS or an Apple
Silicon Mac)."
        case " ${PLATFORMS[*]} " in
        *" $c "*) ;;
        *) PLATFORMS+=("$c") ;;
        esac
    done
}

# engine_platform: the engine's own platform, from the kernel's machine
# name (docker info), which tells armv6 from armv7 where Go's GOARCH does not.
engine_platform() {
    local os machine
    os=$(docker info --format '{{.OSType}}' 2>/dev/null || echo linux)
    machine=$(docker info --format '{{.Architecture}}' 2>/dev/null || true)
    case "$machine" in
    x86_64 | amd64) echo "$os/amd64" ;;
    aarch64 | arm64) echo "$os/arm64" ;;
    armv7* | armv8l) echo "$os/arm/v7" ;;
    armv6*) echo "$os/arm/v6" ;;
    *) echo "$os/$machine" ;;
    esac
}

# platform_ref NAME PLATFORM: the local tag of part5/NAME built for PLATFORM.
platform_ref() {
    echo "part5/$1:$(project_version)-${PLATFORM_SUFFIX[$2]}"
}

# set_image_platform REF PLATFORM: sets the platform REF's image declares
# (os/architecture/variant) to PLATFORM's. The builder's image, with the
# engine's architecture in its metadata, stays untagged as the build cache
# (docker image prune removes it). The rewrite is deterministic: an
# unchanged build gives the same image ID.
set_image_platform() {
    local ref=$1 plat=${PLATFORM_FULL[$2]} out
    command -v python3 >/dev/null || die "python3 is needed to build for another platform
(it sets the image's architecture): install it (apt-get install python3)."
    set +e
    out=$( { docker save "$ref" | python3 "$REPO/scripts/stack/image-platform.py" "$plat" |
        docker load -q; } 2>&1)
    local rc=$?
    set -e
    [ "$rc" -eq 0 ] || die "setting the platform of $ref to $plat failed: $out"
    [ "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$ref")" = "${plat%/v*}" ] ||
        die "$ref: the engine kept another platform than $plat after docker load"
}

# ensure_base_image: the build stages start FROM debian:bookworm-slim. It
# is pulled when absent; where no registry answers but Debian's mirror does
# (a classroom behind a mirror), it is made with debootstrap instead
# (Dockerfiles/base-image.sh, as root).
BASE_IMAGE=debian:bookworm-slim
ensure_base_image() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
    say "pulling $BASE_IMAGE, the build stages' base image"
    if timeout 600 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    say "could not pull $BASE_IMAGE (no registry reachable?)"
    if [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ]; then
        say "making it from Debian's mirror instead (debootstrap, about a minute)"
        "$REPO/Dockerfiles/base-image.sh" "$BASE_IMAGE" | sed 's/^/  /'
        [ "${PIPESTATUS[0]}" -eq 0 ] || die "could not make $BASE_IMAGE (above)"
        return 0
    fi
    die "no $BASE_IMAGE image: pull it (docker pull $BASE_IMAGE), or, on
Debian as root, make it offline: Dockerfiles/base-image.sh"
}

# build_image NAME [EXTRA_TAG] [PLATFORM]: docker build of part5/NAME from
# its Dockerfile, tagged with its per-platform tag (part5/NAME:VERSION-arm64)
# and, for the engine's own platform (PLATFORM empty or the engine's), with
# the project's version and latest; for another platform,
# cross-compiled (or, with EMULATE=1, built on a Debian base of that
# platform under qemu), and its metadata set to that platform. Shows each
# build step; the whole output goes to a log file shown on failure.
EMULATE=0
build_image() {
    local name=$1 extra=${2:-} plat=${3:-} version revision source log rc
    local args=() native ref what t0
    version=$(project_version)
    revision=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || true)
    source=$(git -C "$REPO" remote get-url origin 2>/dev/null || true)
    args+=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision"
        --build-arg "SOURCE=$source")
    native=$(engine_platform)
    [ -n "$plat" ] || plat=$native
    if [ "$plat" = "$native" ]; then
        ref=part5/$name:$version
        args+=(-t "$ref" -t "part5/$name:latest" -t "$(platform_ref "$name" "$plat")")
        [ -n "$extra" ] && args+=(-t "$extra")
        what=$ref
    else
        ref=$(platform_ref "$name" "$plat")
        args+=(-t "$ref")
        if [ "$EMULATE" -eq 1 ]; then
            args+=(--build-arg "BASE_IMAGE=$(foreign_base_ref "$plat")")
            what="$ref ($plat, built under emulation)"
        else
            args+=(--build-arg "TARGET_ARCH=${PLATFORM_ARCH[$plat]}")
            what="$ref ($plat, cross-compiled on $native)"
        fi
    fi
    log=${TMPDIR:-/tmp}/part5-build-$name${ref##*:}.log
    say "building $what (Dockerfiles/${DOCKERFILE[$name]}.Dockerfile; log: $log)"
    t0=$(date +%s)
    set +e
    (cd "$REPO" && timeout 1800 docker build -f "Dockerfiles/${DOCKERFILE[$name]}.Dockerfile" \
        "${args[@]}" .) 2>&1 | tee "$log" | grep --line-buffered -E '^Step [0-9]+/[0-9]+ : ' |
        cut -c1-100 | sed 's/^/  /'
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ]; then
        tail -25 "$log" >&2
        [ "$rc" -eq 124 ] && die "building $ref took more than 30 minutes"
        die "building $ref failed (full log: $log)"
    fi
    local note=""
    if [ "$plat" != "$native" ]; then
        note="; the builder's image $(image_id "$ref" | cut -c8-19) stays untagged as the build cache"
        set_image_platform "$ref" "$plat"
    fi
    say "  $ref: $(docker image inspect --format '{{.Size}}' "$ref" |
        awk '{printf "%.1f MB", $1 / 1e6}'), $plat, $(($(date +%s) - t0))s$note"
}

# foreign_base_ref PLATFORM: the Debian base an emulated build of PLATFORM
# starts from (made by ensure_foreign_base).
foreign_base_ref() {
    echo "part5-base/debian:bookworm-slim-${PLATFORM_SUFFIX[$1]}"
}

# ensure_foreign_base PLATFORM: for --emulate, a debian:bookworm-slim of
# PLATFORM, as part5-base/debian:bookworm-slim-SUFFIX: pulled for that
# platform when a registry answers (the local debian:bookworm-slim keeps
# pointing at the engine's own), else made with debootstrap --arch
# (Dockerfiles/base-image.sh, as root, with qemu-user-static).
ensure_foreign_base() {
    local plat=$1 ref before after
    ref=$(foreign_base_ref "$plat")
    docker image inspect "$ref" >/dev/null 2>&1 && return 0
    before=$(image_id "$BASE_IMAGE")
    say "pulling $BASE_IMAGE for $plat, the emulated build's base"
    if timeout 600 docker pull -q --platform "$plat" "$BASE_IMAGE" >/dev/null 2>&1; then
        after=$(image_id "$BASE_IMAGE")
        docker tag "$after" "$ref"
        [ -z "$before" ] || [ "$before" = "$after" ] || docker tag "$before" "$BASE_IMAGE"
        return 0
    fi
    say "could not pull it; making it from Debian's mirror (debootstrap --arch ${PLATFORM_ARCH[$plat]}, several minutes under qemu)"
    if [ "$(id -u)" -ne 0 ] || [ ! -f /etc/debian_version ]; then
        die "no $ref: on Debian as root, Dockerfiles/base-image.sh --arch ${PLATFORM_ARCH[$plat]} $ref makes it"
    fi
    "$REPO/Dockerfiles/base-image.sh" --arch "${PLATFORM_ARCH[$plat]}" "$ref" | sed 's/^/  /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || die "could not make $ref (above)"
}

# check_emulation PLATFORM: a foreign build under --emulate runs that
# platform's programs, so the engine's kernel must run them (binfmt_misc
# with qemu-user-static). Checked on a local engine only.
check_emulation() {
    local plat=$1 arch f
    engine_is_local || return 0
    case "${PLATFORM_ARCH[$plat]}" in
    arm64) arch=aarch64 ;;
    amd64) arch=x86_64 ;;
    *) arch=arm ;;
    esac
    f=/proc/sys/fs/binfmt_misc/qemu-$arch
    [ -f "$f" ] && grep -q '^enabled' "$f" && grep -q '^flags:.*F' "$f" && return 0
    die "--emulate $plat needs this kernel to run $arch programs through qemu:
  sudo apt-get install qemu-user-static binfmt-support
  sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # if empty
  sudo update-binfmts --enable qemu-$arch
(or build without --emulate: cross-compiling needs none of this)."
}

# build_platforms NAME...: builds each NAME for every platform in PLATFORMS
# (the engine's own when it is empty).
build_platforms() {
    local n p
    if [ "${#PLATFORMS[@]}" -eq 0 ]; then
        for n in "$@"; do build_image "$n"; done
        return 0
    fi
    for p in "${PLATFORMS[@]}"; do
        if [ "$p" != "$(engine_platform)" ] && [ "$EMULATE" -eq 1 ]; then
            check_emulation "$p"
            ensure_foreign_base "$p"
        fi
        for n in "$@"; do build_image "$n" "" "$p"; done
    done
}

# ensure_images FILE BUILD: builds (BUILD=1) or checks (0) the images FILE
# uses. Prints the names whose image ID changed, for rolling them.
REBUILT=()
ensure_images() {
    local file=$1 build=$2 img name tag before version
    local wanted=()
    version=$(project_version)
    mapfile -t wanted < <(compose_images "$file")
    [ "$build" -eq 0 ] || [ "${#wanted[@]}" -eq 0 ] || ensure_base_image
    if [ "${#wanted[@]}" -eq 0 ]; then
        warn "$file uses none of this repository's images (part5/...): nothing to build"
        return 0
    fi
    for img in "${wanted[@]}"; do
        name=${img#part5/}
        name=${name%%:*}
        tag=${img#*:}
        [ -n "${DOCKERFILE[$name]:-}" ] || die "$file: $img is not an image this repository builds (part5/hello, part5/visualizer, part5/redis)"
        if [ "$build" -eq 0 ]; then
            [ -n "$(image_id "$img")" ] || die "image $img is not on this engine.
Build it ($PROG build), or load it: docker save $img | docker load (see README.md, \"Several nodes\")."
            continue
        fi
        before=$(image_id "$img")
        if [ "$tag" != "$version" ] && [ "$tag" != latest ]; then
            warn "$file asks for $img, but this checkout is version $version: tagging the build $img too"
            build_image "$name" "$img"
        else
            build_image "$name"
        fi
        if [ -n "$before" ] && [ "$before" != "$(image_id "$img")" ]; then
            REBUILT+=("$img")
        fi
    done
}

cmd_build() {
    local file="" plist=""
    while [ $# -gt 0 ]; do
        case "$1" in
        -c | --compose-file) file=${2:?$1 needs a file}; shift 2 ;;
        --platform) plist=${2:-}; parse_platforms "$plist"; shift 2 ;;
        --platform=*) plist=${1#*=}; parse_platforms "$plist"; shift ;;
        --emulate) EMULATE=1; shift ;;
        *) die "build: unknown option $1 (see $PROG help)" ;;
        esac
    done
    [ "$EMULATE" -eq 0 ] || [ -n "$plist" ] || die "--emulate goes with --platform"
    ensure_engine
    step "Building the images from this repository (engine: $(engine_platform)${plist:+; for ${PLATFORMS[*]}})"
    if [ -n "$file" ]; then
        [ -f "$file" ] || die "no such compose file: $file"
        [ "${#PLATFORMS[@]}" -eq 0 ] || die "--platform builds all three images; leave out -c"
        ensure_images "$file" 1
    else
        ensure_base_image
        build_platforms "${IMAGES[@]}"
    fi
}
