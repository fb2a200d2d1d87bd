# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/deploy.sh: preflight, secrets, docker stack deploy, the
# wait for convergence, the URLs; the up, status and down commands.
# Sourced by ../../stack, which sets PROG and REPO; not run on its own.

# --- preflight and secrets --------------------------------------------------

# image_owner IMAGE USER: UID:GID of USER in the image's /etc/passwd (read
# with docker cp from a container that never starts: the image has no
# shell), or nothing.
image_owner() {
    local d ctr out=""
    d=$(mktemp -d)
    ctr=$(docker create --network none "$1" 2>/dev/null) || { rm -rf "$d"; return 0; }
    if docker cp "$ctr:/etc/passwd" "$d/passwd" >/dev/null 2>&1; then
        out=$(awk -F: -v u="$2" '$1 == u { print $3 ":" $4 }' "$d/passwd")
    fi
    docker rm "$ctr" >/dev/null 2>&1 || true
    rm -rf "$d"
    printf '%s' "$out"
}

# preflight FILE: redis-bootstrap prepare, from the redis image, with the
# engine host's root filesystem mounted: it checks FILE and creates the
# directories FILE bind-mounts on this node, owned by the redis user. The
# compose file is copied into the container (not bind-mounted), so this
# works with a remote engine too. Errors stop the deployment.
preflight() {
    local file=$1 img rel tmp ctr rc node owner
    img=$(compose_images "$file" | grep '^part5/redis:' | head -1 || true)
    [ -n "$img" ] || return 0
    # Deploying from a registry: its redis image, for this node's platform.
    if [ -n "$DEPLOY_REGISTRY" ]; then
        img=$DEPLOY_REGISTRY/$img
        docker image inspect "$img" >/dev/null 2>&1 ||
            pull_or_die "$img"
    fi
    step "Checking $file and preparing this node (redis-bootstrap prepare)"
    # The path as the user gave it, so that file:line:column messages name
    # it; absolute or ../ paths are shown by their base name.
    case "$file" in
    /* | ../* | */../*) rel=$(basename "$file") ;;
    *) rel=${file#./} ;;
    esac
    tmp=$(mktemp -d)
    mkdir -p "$tmp/$(dirname "$rel")"
    cp "$file" "$tmp/$rel"
    ctr=part5-stack-preflight-$$
    # This node as the swarm sees it (the container's own hostname is its
    # ID), and the owner the image's Redis runs as.
    node=$(docker info --format '{{.Name}}')
    owner=$(image_owner "$img" redis)
    docker create --name "$ctr" --network none -w /stack -v /:/host "$img" \
        prepare --host-root /host --role manager --hostname "$node" \
        ${owner:+--owner "$owner"} -f "$rel" >/dev/null
    docker cp "$tmp/." "$ctr:/stack" >/dev/null
    rm -rf "$tmp"
    set +e
    timeout 120 docker start -a "$ctr"
    rc=$?
    set -e
    docker rm -f "$ctr" >/dev/null 2>&1 || true
    case "$rc" in
    0) say "preflight: ok" ;;
    1) die "the preflight found errors in $file (above): fix them and run $PROG up again" ;;
    2) die "$file is not a compose file this stack can use (see above)" ;;
    124) die "the preflight did not finish within 120 s" ;;
    *) die "the preflight failed (exit $rc)" ;;
    esac
}

# ensure_secrets FILE: creates the external secrets of FILE that this
# project defines (part5_*_password) when they do not exist, with a random
# value that nobody has to see.
ensure_secrets() {
    local file=$1 s
    sed -n 's/^[[:space:]]*name:[[:space:]]*\(part5_[a-z0-9_]*password\)[[:space:]]*$/\1/p' "$file" |
        sort -u | while read -r s; do
        if docker secret inspect "$s" >/dev/null 2>&1; then
            say "secret $s exists: keeping it"
            continue
        fi
        head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' |
            docker secret create "$s" - >/dev/null
        say "created the swarm secret $s (random; it never leaves the swarm's encrypted store)"
    done
}

# --- deploy and wait --------------------------------------------------------

stack_services() {
    docker service ls --filter "label=com.docker.stack.namespace=$1" \
        --format '{{.Name}}' | sort
}

# hint ERROR: a sentence on what to do about a task error we know.
hint() {
    case "$1" in
    *"bind source path does not exist"*)
        say "    -> the directory must exist on the node that runs the task. $PROG up creates it on this node (the manager); on another node create it there (mkdir -p), or pin the service to this node. See README.md, Troubleshooting." ;;
    *"No such image"* | *"image"*"not found"* | *"pull access denied"* | *"manifest unknown"*)
        if [ -n "$DEPLOY_REGISTRY" ]; then
            say "    -> that node could not pull the image from $DEPLOY_REGISTRY (run docker pull IMAGE there to see why)."
            if [ "$(registry_scheme "$DEPLOY_REGISTRY")" = http ] && ! registry_is_loopback "$DEPLOY_REGISTRY"; then
                say "       $DEPLOY_REGISTRY serves plain HTTP: a node's engine pulls from it only when its"
                say "       /etc/docker/daemon.json has { \"insecure-registries\": [\"$DEPLOY_REGISTRY\"] } (then"
                say "       sudo systemctl reload docker there). Also check that the node reaches that address."
            fi
        elif [ -n "$NODES_TARGET" ]; then
            say "    -> the image is missing on that node: there is no registry to pull it from. $PROG up --nodes (without --no-build) copies the images to every node; so does $PROG nodes load IMAGE (docker save | docker load); or deploy through a registry ($PROG up --nodes --registry HOST:PORT)."
        else
            say "    -> the image is missing on that node: there is no registry to pull it from. Copy the images to every node (docker save ... | docker load) or deploy through a registry ($PROG up --registry HOST:PORT); see README.md, \"Several nodes\" and \"Registry\"."
        fi ;;
    *"HTTP response to HTTPS client"*)
        say "    -> that node's engine refuses plain HTTP to the registry: add it to insecure-registries in /etc/docker/daemon.json there (see README.md, \"Registry\")." ;;
    *"unsupported platform"*)
        say "    -> no image for that node's architecture: build and push it too ($PROG build --platform ...; $PROG push --registry ...)." ;;
    *"no suitable node"*)
        say "    -> no node satisfies the service's placement constraints or resources (docker node ls)." ;;
    *"permission denied"*)
        say "    -> see README.md, Troubleshooting." ;;
    esac
}

# show_failures NAME SERVICE...: the error of each failed task, the last
# tasks of each service (docker service ps --no-trunc) and hints.
show_failures() {
    local name=$1 svc err
    shift
    for svc in "$@"; do
        say ""
        say "tasks of $svc (docker service ps --no-trunc $svc):"
        docker service ps --no-trunc --format 'table {{.Name}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}' "$svc" | head -8 | sed 's/^/  /'
        docker service ps --no-trunc --format '{{.Error}}' "$svc" | grep -v '^$' | sort -u | head -3 |
            while IFS= read -r err; do hint "$err"; done
    done
}

# What a redeploy changes: a service whose task template or endpoint
# changed is rolled by the swarm, but its update starts a moment after
# docker stack deploy returns, while its old tasks still count as running.
# So the wait also waits for that update to start and complete.
declare -A SPEC_BEFORE UPDATE_BEFORE EXPECT_UPDATE
task_spec() {
    docker service inspect --format '{{json .Spec.TaskTemplate}}{{json .Spec.EndpointSpec}}' "$1" 2>/dev/null || true
}
update_started() {
    docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.StartedAt}}{{end}}' "$1" 2>/dev/null || true
}

# wait_converged NAME TIMEOUT OLD_TASKS: waits until every service of the
# stack runs all its replicas and no update is in progress, showing the
# progress. A service whose new tasks fail three times, an update that
# rolls back, or the timeout: the errors are shown and the exit is 1.
wait_converged() {
    local name=$1 timeout=$2 old=$3 t0 now line last="" settled svc mode reps
    local running desired ustate msg failing new nfailed
    t0=$(date +%s)
    while :; do
        now=$(date +%s)
        settled=1
        line=""
        failing=()
        while IFS='|' read -r svc mode reps; do
            [ -n "$svc" ] || continue
            reps=${reps%% *}
            running=${reps%%/*}
            desired=${reps##*/}
            ustate=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$svc")
            line+=" ${svc#"${name}"_} $reps"
            case "$ustate" in
            updating | rollback_started) settled=0; line+=" ($ustate)" ;;
            rollback_completed | rollback_paused | paused)
                if ! grep -qx "$svc $ustate" <<<"$old"; then
                    msg=$(docker service inspect --format '{{.UpdateStatus.Message}}' "$svc")
                    say ""
                    say "$svc: the update failed ($ustate): $msg"
                    show_failures "$name" "$svc"
                    return 1
                fi
                ;;
            esac
            [ "$running" = "$desired" ] || settled=0
            # A rolled service: settled once its update has started and
            # completed; one that shows no update within 15 s needed none.
            if [ -n "${EXPECT_UPDATE[$svc]:-}" ]; then
                if [ "$(update_started "$svc")" != "${UPDATE_BEFORE[$svc]:-}" ]; then
                    if [ "$ustate" = completed ]; then
                        unset "EXPECT_UPDATE[$svc]"
                    else
                        settled=0
                    fi
                elif [ $((now - t0)) -lt 15 ]; then
                    settled=0
                    line+=" (update pending)"
                else
                    unset "EXPECT_UPDATE[$svc]"
                fi
            fi
            # Failed or rejected tasks that this deployment created.
            mapfile -t new < <(docker service ps -q --no-trunc "$svc" 2>/dev/null |
                grep -vxF -f <(printf '%s\n' "$old") || true)
            if [ "${#new[@]}" -gt 0 ]; then
                nfailed=$(docker inspect --format '{{.Status.State}}' "${new[@]}" 2>/dev/null |
                    grep -cE '^(failed|rejected)$' || true)
                [ "${nfailed:-0}" -ge 3 ] && failing+=("$svc")
            fi
        done < <(docker service ls --filter "label=com.docker.stack.namespace=$name" \
            --format '{{.Name}}|{{.Mode}}|{{.Replicas}}' | sort)
        if [ "${#failing[@]}" -gt 0 ]; then
            say ""
            say "these services keep failing: ${failing[*]}"
            show_failures "$name" "${failing[@]}"
            return 1
        fi
        if [ "$settled" -eq 1 ] && [ -n "$line" ]; then
            printf '  converged after %ss:%s\n' "$((now - t0))" "$line"
            return 0
        fi
        if [ $((now - t0)) -ge "$timeout" ]; then
            say ""
            say "not converged after ${timeout}s:$line"
            mapfile -t failing < <(stack_services "$name")
            show_failures "$name" "${failing[@]}"
            return 1
        fi
        if [ "$line" != "$last" ] || [ $(((now - t0) % 10)) -eq 0 ]; then
            printf '  %3ss:%s\n' "$((now - t0))" "$line"
            last=$line
        fi
        sleep 2
    done
}

# print_urls NAME: where to open the hello page and the visualizer.
print_urls() {
    local name=$1 svc img ports hosts="" h p x what target mode urls
    local needs_ipvs=0
    # Inside a node (./stack nodes), its localhost is not the user's.
    if engine_is_local && [ -z "$NODES_TARGET" ]; then
        hosts=localhost
    fi
    for h in $(docker node ls --format '{{.ID}}' 2>/dev/null); do
        h=$(docker node inspect --format '{{.Status.Addr}}' "$h")
        case "$h" in 127.* | 0.0.0.0 | "") continue ;; esac
        hosts+=" $h"
    done
    [ -n "$hosts" ] || hosts=$(docker info --format '{{.Swarm.NodeAddr}}')
    for svc in $(stack_services "$name"); do
        # Virtual IPs and ingress ports are IPVS; DNS round robin and host
        # ports are not.
        case "$(docker service inspect --format '{{.Endpoint.Spec.Mode}} {{range .Endpoint.Ports}}{{.PublishMode}} {{end}}' "$svc")" in
        vip* | *ingress*) needs_ipvs=1 ;;
        esac
        img=$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$svc")
        ports=$(docker service inspect --format '{{range .Endpoint.Ports}}{{.TargetPort}}:{{.PublishedPort}}:{{.PublishMode}} {{end}}' "$svc")
        case "$img" in
        part5/hello[:@]* | */part5/hello[:@]*) what="the hello page" target=80 ;;
        part5/visualizer[:@]* | */part5/visualizer[:@]*) what="the visualizer" target=8080 ;;
        *) continue ;;
        esac
        p=""
        for x in $ports; do
            [ "${x%%:*}" = "$target" ] && p=${x#*:} && mode=${p#*:} && p=${p%%:*}
        done
        if [ -z "$p" ]; then
            say "  $what ($svc) publishes no port: reach it from a container on the stack's network"
            continue
        fi
        urls=""
        for h in $hosts; do
            if [ "$p" = 80 ]; then urls+=" http://$h/"; else urls+=" http://$h:$p/"; fi
        done
        say "  $what:$urls"
        [ "$mode" = host ] && say "    (mode: host: only on the nodes that run a task)"
    done
    # The nodes of ./stack nodes share this machine's kernel.
    if [ "$needs_ipvs" -eq 1 ] && { engine_is_local || [ -n "$NODES_TARGET" ]; } &&
        [ ! -d /proc/sys/net/ipv4/vs ]; then
        warn "this kernel has no IPVS (/proc/sys/net/ipv4/vs is missing): the swarm's
routing mesh cannot forward published ports, nor service names reach their
virtual IPs, so these URLs will time out although every service runs. Use a
kernel with IPVS (CONFIG_IP_VS), or see README.md, Troubleshooting, \"A host without IPVS\"."
    fi
}

# --- deploying from a registry -----------------------------------------------

# The registry of up --registry (empty: the local images, no registry).
DEPLOY_REGISTRY=""

# pull_or_die REF: docker pull on the engine, with the fix when it fails.
pull_or_die() {
    local out
    say "pulling $1 on this node"
    if ! out=$(timeout 600 docker pull -q "$1" 2>&1); then
        printf '%s\n' "$out" | tail -3 | sed 's/^/  /' >&2
        push_hint "$out" "$DEPLOY_REGISTRY" >&2
        die "this node cannot pull $1"
    fi
}

# registry_compose FILE: sets DEPLOY_FILE to a copy of FILE whose part5/
# images are named REGISTRY/part5/..., next to FILE (so relative paths in it
# keep working), removed when ./stack exits.
DEPLOY_FILE=""
registry_compose() {
    local file=$1 dir
    dir=$(dirname "$file")
    DEPLOY_FILE=$dir/.$(basename "$file" .yml).registry-$$.yml
    if ! : 2>/dev/null >"$DEPLOY_FILE"; then
        DEPLOY_FILE=$(mktemp "${TMPDIR:-/tmp}/part5-registry-XXXXXX.yml")
        warn "$dir is not writable: deploying a copy in $DEPLOY_FILE (relative paths in $file would not resolve)"
    fi
    trap 'rm -f "$DEPLOY_FILE"' EXIT
    sed "s#^\([[:space:]]*image:[[:space:]]*[\"']\{0,1\}\)\(part5/[a-z]*[:@]\)#\1$DEPLOY_REGISTRY/\2#" \
        "$file" >"$DEPLOY_FILE"
}

# check_registry_images FILE: with --no-build, every image FILE names must
# be in the registry (asked by this client: docker manifest inspect).
check_registry_images() {
    local file=$1 img insecure=()
    [ "$(registry_scheme "$DEPLOY_REGISTRY")" = http ] && insecure=(--insecure)
    for img in $(compose_images "$file"); do
        docker manifest inspect "${insecure[@]}" "$DEPLOY_REGISTRY/$img" >/dev/null 2>&1 ||
            die "$DEPLOY_REGISTRY/$img is not in the registry (or the registry does not answer):
push it first ($PROG push --registry $DEPLOY_REGISTRY), or leave out --no-build."
        say "  $DEPLOY_REGISTRY/$img: in the registry"
    done
}

# check_engine_allows REGISTRY: a plain-HTTP registry that is not on
# 127.0.0.0/8 must be an insecure registry for this engine (which pushes,
# and resolves the images' digests for the deployment).
check_engine_allows() {
    local reg=$1 cfg
    [ "$(registry_scheme "$reg")" = http ] || return 0
    registry_is_loopback "$reg" && return 0
    cfg=$(docker info --format '{{json .RegistryConfig}}' 2>/dev/null || true)
    # IndexConfigs names every insecure registry given by name; CIDRs
    # cover addresses.
    if grep -q "\"$reg\":{[^}]*\"Secure\":false" <<<"$cfg"; then
        return 0
    fi
    if command -v python3 >/dev/null && python3 - "$reg" "$cfg" <<'PY'
import ipaddress, json, sys
reg, cfg = sys.argv[1], json.loads(sys.argv[2] or "{}")
try:
    ip = ipaddress.ip_address(reg.rsplit(":", 1)[0])
except ValueError:
    sys.exit(1)
sys.exit(0 if any(ip in ipaddress.ip_network(c) for c in
                  cfg.get("InsecureRegistryCIDRs") or []) else 1)
PY
    then
        return 0
    fi
    insecure_fix "$reg" "the machine of the engine this CLI talks to ($(docker info --format '{{.Name}}')), and on every node" >&2
    die "$reg serves plain HTTP and this engine does not allow that (above)"
}

cmd_up() {
    local file=$DEFAULT_COMPOSE name=$DEFAULT_NAME build=1 addr="" timeout=300
    local old img svc t0 on="" plist="" deploy_file resolve=never
    while [ $# -gt 0 ]; do
        case "$1" in
        --nodes) on=myvm1; shift ;;
        --on) on=${2:?$1 needs a node}; shift 2 ;;
        -c | --compose-file) file=${2:?$1 needs a file}; shift 2 ;;
        -n | --name) name=${2:?$1 needs a name}; shift 2 ;;
        --no-build) build=0; shift ;;
        --advertise-addr) addr=${2:?$1 needs an address}; shift 2 ;;
        --timeout) timeout=${2:?$1 needs seconds}; shift 2 ;;
        --registry) DEPLOY_REGISTRY=${2:?$1 needs HOST:PORT}; shift 2 ;;
        --registry=*) DEPLOY_REGISTRY=${1#*=}; shift ;;
        --platform) plist=${2:-}; parse_platforms "$plist"; shift 2 ;;
        --platform=*) plist=${1#*=}; parse_platforms "$plist"; shift ;;
        *) die "up: unknown option $1 (see $PROG help)" ;;
        esac
    done
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout $timeout: expected seconds"
    [ -z "$DEPLOY_REGISTRY" ] || check_registry_addr "$DEPLOY_REGISTRY"
    if [ -n "$plist" ]; then
        [ -n "$DEPLOY_REGISTRY" ] || die "--platform goes with --registry: the nodes of other platforms get their images from a registry"
        [ "$build" -eq 1 ] || die "--platform builds images: leave out --no-build"
    fi
    # The default file is the repository's; one given is the user's path.
    if [ "$file" = "$DEFAULT_COMPOSE" ] && [ ! -f "$file" ]; then
        file=$REPO/$DEFAULT_COMPOSE
    fi
    [ -f "$file" ] || die "no such compose file: $file"
    t0=$(date +%s)

    local push=$build
    if [ -n "$on" ] && [ -n "$DEPLOY_REGISTRY" ]; then
        # The nodes of ./stack nodes, through a registry: the images are
        # built here and copied to NODE only, pushed from there, and the
        # other nodes pull them.
        nodes_registry_prepare "$on" "$file" "$build"
        build=0
    elif [ -n "$on" ]; then
        # The nodes of ./stack nodes: the images are built here and
        # copied to every node, then the CLI talks to the node (or, where
        # its socket is not on this machine, ./stack runs inside it).
        nodes_prepare_up "$on" "$file" "$build"
        if [ -n "$NODES_INSIDE" ]; then
            nodes_run_inside "$on" up "$file" --no-build -n "$name" --timeout "$timeout" \
                ${addr:+--advertise-addr "$addr"} || exit
            [ -z "$NODES_PUBLISHED" ] || say "$NODES_PUBLISHED"
            return 0
        fi
        build=0
    else
        step "Docker engine"
        ensure_engine
    fi
    say "engine $(docker version --format '{{.Server.Version}}'), client $(docker version --format '{{.Client.Version}}')"
    ensure_manager "$addr"

    if [ -n "$DEPLOY_REGISTRY" ]; then
        [ -n "$(registry_scheme "$DEPLOY_REGISTRY")" ] || die "nothing answers at $DEPLOY_REGISTRY from this machine.
Start a registry ($PROG registry), or check the address."
        check_engine_allows "$DEPLOY_REGISTRY"
    fi
    if [ "$build" -eq 1 ]; then
        step "Building the images from this repository"
        if [ "${#PLATFORMS[@]}" -gt 0 ]; then
            local names=()
            mapfile -t names < <(compose_images "$file" | sed 's#^part5/##; s#:.*##')
            ensure_base_image
            build_platforms "${names[@]}"
        else
            ensure_images "$file" 1
        fi
    elif [ -n "$DEPLOY_REGISTRY" ] && [ "$push" -eq 0 ]; then
        step "Checking the images in $DEPLOY_REGISTRY (--no-build)"
        check_registry_images "$file"
    elif [ -n "$DEPLOY_REGISTRY" ]; then
        :
    elif [ -n "$on" ]; then
        step "Checking the images on $on"
        ensure_images "$file" 0
    else
        step "Checking the images on this engine (--no-build)"
        ensure_images "$file" 0
    fi
    deploy_file=$file
    if [ -n "$DEPLOY_REGISTRY" ]; then
        if [ "$push" -eq 1 ]; then
            local names=()
            mapfile -t names < <(compose_images "$file" | sed 's#^part5/##; s#:.*##')
            # What this command built, nothing older (push alone also
            # offers the other platforms' images found here).
            [ "${#PLATFORMS[@]}" -gt 0 ] || PLATFORMS=("$(engine_platform)")
            push_images "$DEPLOY_REGISTRY" "${names[@]}"
        fi
        registry_compose "$file"
        deploy_file=$DEPLOY_FILE
        # The swarm asks the registry for each image's digest and pins the
        # services to it: each node pulls that manifest list's entry for
        # its own platform, and only nodes of a platform it has get tasks.
        resolve=always
    fi

    preflight "$file"
    ensure_secrets "$file"

    step "Deploying $file as stack $name"
    # Tasks and update states from before, to tell this deployment's
    # failures from old ones.
    old=$(docker stack ps -q --no-trunc "$name" 2>/dev/null || true)
    for svc in $(stack_services "$name"); do
        old+=$'\n'"$svc $(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$svc")"
        SPEC_BEFORE[$svc]=$(task_spec "$svc")
        UPDATE_BEFORE[$svc]=$(update_started "$svc")
    done
    local detach=()
    if docker stack deploy --help 2>/dev/null | grep -q -- '--detach'; then
        detach=(--detach=true)
    fi
    # --resolve-image never: the images are local (no registry to ask for
    # a digest), and each node uses its own copy. With a registry: always.
    if [ "$resolve" = never ]; then
        docker stack deploy "${detach[@]}" --resolve-image never -c "$file" "$name" 2>&1 |
            grep -v 'could not be accessed on a registry' | sed 's/^/  /'
        [ "${PIPESTATUS[0]}" -eq 0 ] || die "docker stack deploy failed (above)"
    else
        say "  images from $DEPLOY_REGISTRY (docker stack deploy --resolve-image always)"
        local out
        out=$(docker stack deploy "${detach[@]}" --resolve-image always -c "$deploy_file" "$name" 2>&1) ||
            { printf '%s\n' "$out" | sed 's/^/  /'; die "docker stack deploy failed (above)"; }
        printf '%s\n' "$out" | sed 's/^/  /'
        if grep -q 'could not be accessed on a registry' <<<"$out"; then
            die "the engine could not read an image's digest from $DEPLOY_REGISTRY (above): is it pushed, and may this engine reach the registry?"
        fi
    fi
    # Roll only services that ran before this deploy: new ones start on
    # the new image anyway.
    for img in "${REBUILT[@]}"; do
        for svc in "${!SPEC_BEFORE[@]}"; do
            if [ "$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$svc")" = "$img" ]; then
                say "  $img was rebuilt: rolling $svc onto it (docker service update --force)"
                docker service update --detach --force --quiet "$svc" >/dev/null
            fi
        done
    done
    for svc in "${!SPEC_BEFORE[@]}"; do
        if [ "$(task_spec "$svc")" != "${SPEC_BEFORE[$svc]}" ]; then
            EXPECT_UPDATE[$svc]=1
        fi
    done

    step "Waiting for every service to converge (at most ${timeout}s)"
    wait_converged "$name" "$timeout" "$old" || die "the stack $name did not converge (see above)"

    step "Stack $name is up ($(($(date +%s) - t0))s)"
    print_urls "$name"
    [ -z "$NODES_PUBLISHED" ] || say "$NODES_PUBLISHED"
    on=${on:-$NODES_TARGET}
    case "$on" in
    "") on="" ;;
    myvm1) on=" --nodes" ;;
    *) on=" --on $on" ;;
    esac
    say "  status: $PROG status$on${name:+ -n $name}    remove: $PROG down$on${name:+ -n $name}"
}

cmd_status() {
    local name=$DEFAULT_NAME on=""
    while [ $# -gt 0 ]; do
        case "$1" in
        -n | --name) name=${2:?$1 needs a name}; shift 2 ;;
        --nodes) on=myvm1; shift ;;
        --on) on=${2:?$1 needs a node}; shift 2 ;;
        *) die "status: unknown option $1 (see $PROG help)" ;;
        esac
    done
    [ -z "$on" ] || nodes_use "$on"
    if [ -n "$NODES_INSIDE" ]; then
        nodes_run_inside "$on" status "" -n "$name" || exit
        [ -z "$NODES_PUBLISHED" ] || say "$NODES_PUBLISHED"
        return 0
    fi
    ensure_running_engine
    if [ -z "$(stack_services "$name")" ]; then
        say "no stack named $name on this engine (deploy it with $PROG up)"
        return 1
    fi
    step "Services of stack $name"
    docker stack services "$name"
    step "Tasks (docker stack ps $name, running ones)"
    docker stack ps --filter desired-state=running \
        --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}\t{{.Error}}' "$name"
    step "URLs"
    print_urls "$name"
    [ -z "$NODES_PUBLISHED" ] || say "$NODES_PUBLISHED"
}

cmd_down() {
    local name=$DEFAULT_NAME timeout=120 t0 left nets on=""
    while [ $# -gt 0 ]; do
        case "$1" in
        -n | --name) name=${2:?$1 needs a name}; shift 2 ;;
        --nodes) on=myvm1; shift ;;
        --on) on=${2:?$1 needs a node}; shift 2 ;;
        --timeout) timeout=${2:?$1 needs seconds}; shift 2 ;;
        *) die "down: unknown option $1 (see $PROG help)" ;;
        esac
    done
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout $timeout: expected seconds"
    [ -z "$on" ] || nodes_use "$on"
    if [ -n "$NODES_INSIDE" ]; then
        nodes_run_inside "$on" down "" -n "$name" --timeout "$timeout" || exit
        return 0
    fi
    ensure_running_engine
    if [ -z "$(stack_services "$name")" ]; then
        say "no stack named $name on this engine: nothing to remove"
        return 0
    fi
    step "Removing stack $name"
    # docker stack rm removes the services, then the networks; a network
    # whose tasks are still stopping is "in use" and the command fails
    # (moby/moby#31068). That is transient: it is asked again below, once
    # the containers are gone.
    if ! docker stack rm "$name" 2>&1 | sed 's/^/  /'; then
        say "  (some resources were still in use; trying again as they go)"
    fi
    t0=$(date +%s)
    while :; do
        left=$(docker ps -q --filter "label=com.docker.stack.namespace=$name" | wc -l)
        nets=$(docker network ls -q --filter "label=com.docker.stack.namespace=$name" | wc -l)
        if [ "$left" -eq 0 ] && [ "$nets" -eq 0 ] && [ -z "$(stack_services "$name")" ]; then
            break
        fi
        if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            die "after ${timeout}s, $left container(s) and $nets network(s) of $name remain on this node (docker ps; docker network ls)"
        fi
        printf '  waiting: %s container(s), %s network(s) left\n' "$left" "$nets"
        sleep 2
        if [ "$left" -eq 0 ] && [ "$nets" -gt 0 ]; then
            docker stack rm "$name" >/dev/null 2>&1 || true
        fi
    done
    say "  removed in $(($(date +%s) - t0))s. Kept: the Redis data (its host directory or volume) and secrets (docker secret ls)."
}
