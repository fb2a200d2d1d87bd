# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/registry.sh: the registry route to every node: a local
# registry as a swarm service (./stack registry), pushing the images to a
# registry, as a multi-architecture manifest list when several platforms
# were built (./stack push), and what up --registry needs from both.
# Sourced by ../../stack, which sets PROG and REPO; not run on its own.
#
# Who does what: `docker push` is done by the engine (it needs the
# registry's address to work from the engine's machine, and plain HTTP to
# be allowed there); `docker manifest` is done by this client (the same
# address must work from here); the nodes' engines pull when tasks start.

REGISTRY_SERVICE=part5-registry
REGISTRY_VOLUME=part5-registry-data

# check_registry_addr ADDR: HOST[:PORT] with no scheme or path.
check_registry_addr() {
    [[ "$1" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "--registry $1: expected HOST:PORT (e.g. 127.0.0.1:5000 or myvm1:5000), no http:// and no path"
}

# registry_is_loopback ADDR: whether engines talk plain HTTP to ADDR
# without being told (127.0.0.0/8 and localhost).
registry_is_loopback() {
    case "${1%:*}" in
    127.* | localhost) return 0 ;;
    esac
    return 1
}

# registry_scheme ADDR: "http" when ADDR answers the registry API in plain
# HTTP (from this machine), "other" when something else answers (TLS),
# "" when nothing answers within 5 s.
registry_scheme() {
    local addr=$1 host port out
    host=${addr%:*}
    port=${addr##*:}
    [ "$host" != "$addr" ] || port=443
    # shellcheck disable=SC2016
    out=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" >&3
        head -c 4096 <&3' "$host" "$port" "$addr" 2>/dev/null || true)
    if grep -qi '^docker-distribution-api-version:' <<<"$out"; then
        echo http
    elif [ -n "$out" ]; then
        echo other
    fi
}

# insecure_fix ADDR [WHERE]: how to let an engine talk plain HTTP to ADDR.
insecure_fix() {
    cat <<EOF
An engine talks plain HTTP only to a registry on 127.0.0.0/8 or one listed
as insecure. On ${2:-each engine that pushes to or pulls from $1}, add to
/etc/docker/daemon.json (create it if missing; merge with what is there):
  { "insecure-registries": ["$1"] }
and reload the engine: sudo systemctl reload docker (or sudo kill -HUP
\$(pidof dockerd)); on Docker Desktop: Settings > Docker Engine, then Apply.
Or serve the registry with TLS, or use an address on 127.0.0.0/8 (with
./stack registry on a host with IPVS every node reaches 127.0.0.1:PORT).
EOF
}

# push_hint OUTPUT ADDR: what to do about a failed push.
push_hint() {
    case "$1" in
    *"HTTP response to HTTPS client"* | *"http: server gave HTTP"*)
        say "The engine refused to push to $2 over plain HTTP."
        insecure_fix "$2" "the machine of the engine this CLI talks to (docker info), and on every node"
        ;;
    *"no basic auth credentials"* | *"authentication required"* | *"unauthorized"*)
        say "The registry $2 wants a login: run docker login $2 (as the user who runs $PROG), then push again." ;;
    *"denied"*)
        say "The registry $2 denied the push: the account you logged in with (docker login $2) may not push to part5/." ;;
    *"connection refused"* | *"no such host"* | *"i/o timeout"* | *"no route to host"*)
        say "Nothing answers at $2 from the engine's machine. Start a registry ($PROG registry), or check the address and port." ;;
    esac
}

# --- the registry service ----------------------------------------------------

# registry_image: registry:2 when it is here or can be pulled, else
# part5/registry:VERSION, built from Debian's docker-registry package
# (Dockerfiles/registry.Dockerfile) for the engine's platform.
registry_image() {
    local ref
    ref=part5/registry:$(project_version)
    if docker image inspect registry:2 >/dev/null 2>&1; then
        echo registry:2
        return 0
    fi
    if docker image inspect "$ref" >/dev/null 2>&1; then
        echo "$ref"
        return 0
    fi
    say "pulling registry:2 (Docker Hub's registry)" >&2
    if timeout 180 docker pull -q registry:2 >/dev/null 2>&1; then
        echo registry:2
        return 0
    fi
    say "could not pull registry:2: building $ref from Debian's docker-registry package" >&2
    ensure_base_image >&2
    build_image registry >&2
    echo "$ref"
}

# registry_mode MODE: the publish mode to use: ingress (the routing mesh,
# so every node reaches the registry at 127.0.0.1:PORT) unless this is a
# local engine on a kernel without IPVS, where only host mode works.
registry_mode() {
    if [ -n "$1" ]; then
        echo "$1"
    elif engine_is_local && [ ! -d /proc/sys/net/ipv4/vs ]; then
        echo host
    else
        echo ingress
    fi
}

cmd_registry() {
    local sub=start port=5000 mode="" timeout=120 img node addr t0 state
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
        sub=$1
        shift
    fi
    while [ $# -gt 0 ]; do
        case "$1" in
        -p | --port) port=${2:?$1 needs a port}; shift 2 ;;
        --publish-mode) mode=${2:?$1 needs host or ingress}; shift 2 ;;
        --timeout) timeout=${2:?$1 needs seconds}; shift 2 ;;
        *) die "registry: unknown option $1 (see $PROG help)" ;;
        esac
    done
    if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
        die "--port $port: expected a TCP port"
    fi
    case "$mode" in "" | host | ingress) ;; *) die "--publish-mode $mode: host or ingress" ;; esac
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout $timeout: expected seconds"
    case "$sub" in
    start) ;;
    rm) registry_rm "$timeout"; return ;;
    *) die "registry: unknown subcommand $sub (registry, or registry rm)" ;;
    esac

    ensure_engine
    ensure_manager ""
    if docker service inspect "$REGISTRY_SERVICE" >/dev/null 2>&1; then
        step "The registry service $REGISTRY_SERVICE exists"
        registry_report
        return 0
    fi
    step "A registry for the swarm (service $REGISTRY_SERVICE)"
    img=$(registry_image)
    mode=$(registry_mode "$mode")
    node=$(docker info --format '{{.Swarm.NodeID}}')
    # Pinned to this node: its storage is a volume here.
    say "image $img; published port $port (mode $mode); storage: volume $REGISTRY_VOLUME on this node"
    docker service create --detach --quiet --name "$REGISTRY_SERVICE" \
        --label part5.registry=1 \
        --constraint "node.id==$node" \
        --mount "type=volume,source=$REGISTRY_VOLUME,target=/var/lib/registry" \
        --publish "published=$port,target=5000,mode=$mode" \
        "$img" >/dev/null
    t0=$(date +%s)
    while :; do
        state=$(docker service ps --filter desired-state=running \
            --format '{{.CurrentState}}' "$REGISTRY_SERVICE" | head -1)
        case "$state" in Running*) break ;; esac
        if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            show_failures "" "$REGISTRY_SERVICE"
            die "the registry did not start within ${timeout}s (above)"
        fi
        sleep 1
    done
    if engine_is_local; then
        addr=127.0.0.1:$port
        for _ in $(seq 20); do
            [ "$(registry_scheme "$addr")" = http ] && break
            sleep 0.5
        done
        [ "$(registry_scheme "$addr")" = http ] ||
            die "the registry runs but does not answer at http://$addr/v2/"
    fi
    registry_report
}

# registry_report: where the registry answers and what to do next.
registry_report() {
    local port mode addr
    port=$(docker service inspect --format '{{range .Endpoint.Ports}}{{.PublishedPort}}{{end}}' "$REGISTRY_SERVICE")
    mode=$(docker service inspect --format '{{range .Endpoint.Ports}}{{.PublishMode}}{{end}}' "$REGISTRY_SERVICE")
    addr=$(docker info --format '{{.Swarm.NodeAddr}}')
    say "  running on $(docker info --format '{{.Name}}'): $(docker service ps --filter desired-state=running --format '{{.CurrentState}}' "$REGISTRY_SERVICE" | head -1)"
    if [ "$mode" = ingress ]; then
        say "  every node reaches it at 127.0.0.1:$port (the routing mesh): no daemon setting needed."
        say "  next: $PROG push --registry 127.0.0.1:$port   then   $PROG up --registry 127.0.0.1:$port"
    else
        say "  this node reaches it at 127.0.0.1:$port; the other nodes at $addr:$port"
        say "  (published in host mode: this kernel has no IPVS for the routing mesh)."
        say "  next: $PROG push --registry $addr:$port   then   $PROG up --registry $addr:$port"
        say "  Each engine (this one too) must allow plain HTTP to $addr:$port:"
        say "    /etc/docker/daemon.json: { \"insecure-registries\": [\"$addr:$port\"] }"
    fi
    say "  remove: $PROG registry rm   (the pushed images stay in the volume $REGISTRY_VOLUME)"
}

registry_rm() {
    local timeout=$1 t0
    ensure_running_engine
    if ! docker service inspect "$REGISTRY_SERVICE" >/dev/null 2>&1; then
        say "no registry service $REGISTRY_SERVICE: nothing to remove"
        return 0
    fi
    step "Removing the registry service $REGISTRY_SERVICE"
    docker service rm "$REGISTRY_SERVICE" >/dev/null
    t0=$(date +%s)
    while [ -n "$(docker ps -q --filter "label=com.docker.swarm.service.name=$REGISTRY_SERVICE")" ]; do
        [ $(($(date +%s) - t0)) -lt "$timeout" ] ||
            die "its container is still here after ${timeout}s (docker ps)"
        sleep 1
    done
    say "  removed. Kept: the volume $REGISTRY_VOLUME with the pushed images
  (docker volume rm $REGISTRY_VOLUME on that node deletes them)."
}

# --- push --------------------------------------------------------------------

# push_one LOCAL REMOTE ADDR: docker tag and docker push, with the fix on
# failure.
push_one() {
    local out
    docker tag "$1" "$2"
    if ! out=$(timeout 900 docker push "$2" 2>&1); then
        printf '%s\n' "$out" | tail -5 | sed 's/^/  /' >&2
        push_hint "$out" "$3" >&2
        die "pushing $2 failed"
    fi
    say "  pushed $2 ($(printf '%s\n' "$out" | sed -n 's/.*digest: \(sha256:[0-9a-f]\{12\}\).*/\1/p'))"
}

# detect_platforms NAME...: when no --platform was given, the platforms to
# push: the engine's own, and each other one for which every NAME has a
# per-platform image here (from ./stack build --platform).
detect_platforms() {
    local p n all native
    [ "${#PLATFORMS[@]}" -eq 0 ] || return 0
    native=$(engine_platform)
    PLATFORMS=("$native")
    for p in $SUPPORTED_PLATFORMS; do
        [ "$p" != "$native" ] || continue
        all=1
        for n in "$@"; do
            docker image inspect "$(platform_ref "$n" "$p")" >/dev/null 2>&1 || all=0
        done
        [ "$all" -eq 1 ] && PLATFORMS+=("$p")
    done
}

# local_image NAME PLATFORM: the local image of part5/NAME for PLATFORM
# (its per-platform tag, which every build sets; for the engine's own,
# part5/NAME:VERSION when that is all there is, e.g. after docker load), or
# stop saying how to build it.
local_image() {
    local ref
    ref=$(platform_ref "$1" "$2")
    if ! docker image inspect "$ref" >/dev/null 2>&1 && [ "$2" = "$(engine_platform)" ]; then
        ref=part5/$1:$(project_version)
    fi
    docker image inspect "$ref" >/dev/null 2>&1 ||
        die "no image $ref on this engine: build it first ($PROG build --platform $2)"
    echo "$ref"
}

# push_images ADDR NAME...: pushes part5/NAME for every platform in
# PLATFORMS (see detect_platforms) to ADDR: with one platform as
# ADDR/part5/NAME:VERSION; with several, each as ADDR/part5/NAME:VERSION-SUFFIX
# and ADDR/part5/NAME:VERSION as their manifest list.
push_images() {
    local reg=$1 version name p list scheme full arch variant insecure=() refs
    shift
    version=$(project_version)
    check_registry_addr "$reg"
    scheme=$(registry_scheme "$reg")
    [ -n "$scheme" ] || die "nothing answers at $reg from this machine.
Start a registry ($PROG registry) or check the address."
    [ "$scheme" = http ] && insecure=(--insecure)
    detect_platforms "$@"
    step "Pushing the images to $reg (${PLATFORMS[*]}${insecure[*]:+; plain HTTP})"
    for name in "$@"; do
        if [ "${#PLATFORMS[@]}" -eq 1 ]; then
            push_one "$(local_image "$name" "${PLATFORMS[0]}")" "$reg/part5/$name:$version" "$reg"
            continue
        fi
        refs=()
        for p in "${PLATFORMS[@]}"; do
            refs+=("$reg/part5/$name:$version-${PLATFORM_SUFFIX[$p]}")
            push_one "$(local_image "$name" "$p")" "${refs[-1]}" "$reg"
        done
        list=$reg/part5/$name:$version
        docker manifest rm "$list" >/dev/null 2>&1 || true
        manifest_cmd "$reg" create "${insecure[@]}" "$list" "${refs[@]}"
        for p in "${PLATFORMS[@]}"; do
            # linux/arm/v7 -> --arch arm --variant v7
            full=${PLATFORM_FULL[$p]#*/}
            arch=${full%%/*}
            variant=""
            [ "$arch" = "$full" ] || variant=${full#*/}
            manifest_cmd "$reg" annotate --os linux --arch "$arch" \
                ${variant:+--variant "$variant"} "$list" \
                "$reg/part5/$name:$version-${PLATFORM_SUFFIX[$p]}"
        done
        manifest_cmd "$reg" push --purge "${insecure[@]}" "$list"
        say "  pushed $list: the manifest list of ${PLATFORMS[*]}"
    done
}

# manifest_cmd ADDR ARGS...: docker manifest ARGS (this client talks to the
# registry ADDR), stopping with its output and a hint when it fails.
manifest_cmd() {
    local reg=$1 out
    shift
    if ! out=$(timeout 300 docker manifest "$@" 2>&1); then
        printf '%s\n' "$out" | tail -5 | sed 's/^/  /' >&2
        case "$out" in
        *"experimental"*)
            say "This docker CLI has docker manifest switched off: set \"experimental\": \"enabled\" in ~/.docker/config.json, or use a CLI 20.10 or later." >&2 ;;
        *"is not a docker command"* | *"unknown command"*)
            say "This docker CLI has no docker manifest: use a CLI 20.10 or later (Debian's docker.io has it)." >&2 ;;
        *) push_hint "$out" "$reg" >&2 ;;
        esac
        die "docker manifest $1 failed"
    fi
}

cmd_push() {
    local reg=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --registry) reg=${2:?$1 needs HOST:PORT}; shift 2 ;;
        --registry=*) reg=${1#*=}; shift ;;
        --platform) parse_platforms "${2:-}"; shift 2 ;;
        --platform=*) parse_platforms "${1#*=}"; shift ;;
        *) die "push: unknown option $1 (see $PROG help)" ;;
        esac
    done
    [ -n "$reg" ] || die "push: which registry? --registry HOST:PORT (e.g. 127.0.0.1:5000; $PROG registry starts one)"
    ensure_running_engine
    push_images "$reg" "${IMAGES[@]}"
}

# nodes_registry_prepare NODE FILE BUILD: for up --on NODE --registry:
# builds the images FILE uses on this machine's engine (BUILD=1; for every
# platform of --platform) and copies them to NODE alone, which pushes them;
# then points the CLI at NODE. The other nodes get them from the registry.
nodes_registry_prepare() {
    local node=$1 file=$2 build=$3 names=() n p refs=()
    require_deploy_target "$node"
    if [ "$build" -eq 1 ]; then
        step "Building the images on this machine's engine"
        mapfile -t names < <(compose_images "$file" | sed 's#^part5/##; s#:.*##')
        ensure_base_image
        build_platforms "${names[@]}"
        local plats=("${PLATFORMS[@]}")
        [ "${#plats[@]}" -gt 0 ] || plats=("$(engine_platform)")
        for n in "${names[@]}"; do
            for p in "${plats[@]}"; do refs+=("$(platform_ref "$n" "$p")"); done
            refs+=("part5/$n:$(project_version)")
        done
        step "Copying them to $node only (the other nodes pull them from $DEPLOY_REGISTRY)"
        docker save "${refs[@]}" | timeout 900 docker exec -i "$(node_ctr "$node")" docker load -q |
            sed 's/^/  /'
        [ "${PIPESTATUS[1]}" -eq 0 ] || die "copying the images to $node failed (docker save | docker load)"
    fi
    step "Docker engine of $node"
    nodes_use "$node"
}
