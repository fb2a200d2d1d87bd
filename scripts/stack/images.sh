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

# build_image NAME [EXTRA_TAG]: docker build of part5/NAME from its
# Dockerfile, tagged with the project's version and latest. Shows each
# build step; the whole output goes to a log file shown on failure.
build_image() {
    local name=$1 extra=${2:-} version revision source log rc gid
    local args=()
    version=$(project_version)
    revision=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || true)
    source=$(git -C "$REPO" remote get-url origin 2>/dev/null || true)
    args+=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision"
        --build-arg "SOURCE=$source")
    args+=(-t "part5/$name:$version" -t "part5/$name:latest")
    [ -n "$extra" ] && args+=(-t "$extra")
    log=${TMPDIR:-/tmp}/part5-build-$name.log
    say "building part5/$name:$version (Dockerfiles/${DOCKERFILE[$name]}.Dockerfile; log: $log)"
    set +e
    (cd "$REPO" && timeout 1800 docker build -f "Dockerfiles/${DOCKERFILE[$name]}.Dockerfile" \
        "${args[@]}" .) 2>&1 | tee "$log" | grep --line-buffered -E '^Step [0-9]+/[0-9]+ : ' |
        cut -c1-100 | sed 's/^/  /'
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ]; then
        tail -25 "$log" >&2
        [ "$rc" -eq 124 ] && die "building part5/$name took more than 30 minutes"
        die "building part5/$name failed (full log: $log)"
    fi
    say "  part5/$name:$version: $(docker image inspect --format '{{.Size}}' "part5/$name:$version" |
        awk '{printf "%.1f MB", $1 / 1e6}')"
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
    local file=""
    while [ $# -gt 0 ]; do
        case "$1" in
        -c | --compose-file) file=${2:?$1 needs a file}; shift 2 ;;
        *) die "build: unknown option $1 (see $PROG help)" ;;
        esac
    done
    ensure_engine
    step "Building the images from this repository"
    if [ -n "$file" ]; then
        [ -f "$file" ] || die "no such compose file: $file"
        ensure_images "$file" 1
    else
        local n
        ensure_base_image
        for n in "${IMAGES[@]}"; do build_image "$n"; done
    fi
}
