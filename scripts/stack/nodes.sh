# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/nodes.sh: ./stack nodes: the tutorial's Part 4 machines,
# myvm1 (manager) and myvm2 ... myvmN (workers), as Docker engines in
# containers on this machine's engine, made into a swarm; and the target
# of ./stack up/status/down --nodes (or --on NODE). This file makes and
# removes them (nodes up, nodes down); nodes-use.sh has the rest.
# Sourced by ../../stack, which sets PROG and REPO; not run on its own.
#
# Who owns what. Everything `nodes` makes (containers, their volumes, one
# bridge network, a run directory for the engines' sockets) carries the
# label part5.nodes.set=SET, and `nodes` touches nothing without it: a
# container called myvm1 that it did not make is an error, never removed.
# SET is "default", or PART5_NODES_PREFIX, which also prefixes every name
# (so that tests and several sets share one engine). On this machine's
# engine (the host) `nodes` runs only container, volume, network and image
# commands: never a swarm command, so the host never joins the nodes'
# swarm, and a swarm the host is in is left alone. Swarm commands go into
# the nodes with docker exec.

NODES_PREFIX=${PART5_NODES_PREFIX:-}
NODES_SET=${NODES_PREFIX:-default}
NODES_LABEL=part5.nodes.set
NODES_NET=${NODES_PREFIX}part5-nodes
NODES_RUNDIR=${PART5_NODES_RUNDIR:-/run/part5-nodes}/$NODES_SET
NODES_MAX=9
NODES_DEFAULT_PUBLISH=80:80,8080:8080
# The target of up/status/down --nodes; empty when they use the host
# (set inside a node when ./stack runs there, see nodes-use.sh).
NODES_TARGET=${PART5_NODES_TARGET:-}

nodes_check_prefix() {
    [[ "$NODES_PREFIX" =~ ^([a-z0-9][a-z0-9_.-]{0,39})?$ ]] ||
        die "PART5_NODES_PREFIX=$NODES_PREFIX: expected lower-case letters, digits, _ . - (at most 40)"
}

# --- names, labels, addresses -----------------------------------------------

node_ctr() { printf '%s%s' "$NODES_PREFIX" "$1"; }
node_vol() { printf '%spart5-nodes-%s-%s' "$NODES_PREFIX" "$1" "$2"; }
# node_sock NAME: where NAME's engine socket is on this machine: the
# directory recorded on its container (so a later command finds it even
# with another PART5_NODES_RUNDIR), else where a new node will put it.
node_sock() {
    local d
    d=$(ctr_label "$(node_ctr "$1")" part5.nodes.rundir)
    printf '%s/%s/docker.sock' "${d:-$NODES_RUNDIR}" "$1"
}

# ctr_label CONTAINER KEY (vol_label, net_label): a label's value, or
# nothing.
ctr_label() {
    docker container inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}
vol_label() {
    docker volume inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true
}
net_label() {
    docker network inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true
}

# check_node_name NAME: myvm1 ... myvm9.
check_node_name() {
    [[ "$1" =~ ^myvm[1-9]$ ]] || die "no node '$1': the nodes are named myvm1, myvm2, ... (./stack nodes ls)"
}

# our_nodes: the hostnames of this set's node containers, sorted.
our_nodes() {
    docker ps -a --filter "label=$NODES_LABEL=$NODES_SET" \
        --format '{{.Label "part5.nodes.node"}}' | grep -E '^myvm[1-9]$' | sort -V || true
}

ctr_state() {
    docker inspect --format '{{.State.Status}}' "$(node_ctr "$1")" 2>/dev/null || true
}

# require_node NAME: NAME is one of our containers (else a clear error).
require_node() {
    local ctr
    check_node_name "$1"
    ctr=$(node_ctr "$1")
    docker inspect "$ctr" >/dev/null 2>&1 ||
        die "no node $1 (no container $ctr): ./stack nodes up makes the nodes"
    [ "$(ctr_label "$ctr" "$NODES_LABEL")" = "$NODES_SET" ] ||
        die "the container $ctr was not made by $PROG nodes (no label $NODES_LABEL=$NODES_SET): it is left alone"
}

# require_running NAME: NAME is ours and its container runs.
require_running() {
    require_node "$1"
    [ "$(ctr_state "$1")" = running ] ||
        die "$1 is not running ($(ctr_state "$1")): ./stack nodes start $1"
}

# require_deploy_target NODE: the checks before up/status/down on NODE
# (--nodes, --on NODE): our prefix, an engine here, nodes made, NODE
# running.
require_deploy_target() {
    nodes_check_prefix
    ensure_running_engine
    [ -n "$(our_nodes)" ] || die "no nodes: make them first with $PROG nodes up"
    require_running "$1"
}

# in_node NAME CMD...: runs CMD in node NAME's container (its docker CLI
# talks to its own engine), stdin passed through; at most IN_NODE_TIMEOUT
# seconds (120), so that a hung engine cannot hang ./stack.
in_node() {
    local n=$1
    shift
    timeout "${IN_NODE_TIMEOUT:-120}" docker exec -i "$(node_ctr "$n")" "$@"
}

ip2int() {
    local a b c d
    IFS=. read -r a b c d <<<"$1"
    printf '%s' $(((a << 24) + (b << 16) + (c << 8) + d))
}
int2ip() {
    printf '%s.%s.%s.%s' $((($1 >> 24) & 255)) $((($1 >> 16) & 255)) $((($1 >> 8) & 255)) $(($1 & 255))
}

# node_ip SUBNET NAME: myvmK's fixed address: the (K+1)th of the subnet
# (the first is the gateway), like docker-machine's .100, .101.
node_ip() {
    local base=${1%/*} k=${2#myvm}
    int2ip $(($(ip2int "$base") + 1 + k))
}

net_subnet() {
    docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$NODES_NET" 2>/dev/null |
        tr ' ' '\n' | grep -E '^[0-9.]+/[0-9]+$' | head -1 || true
}

# --- safety -----------------------------------------------------------------

# publish_pairs SPEC: "HOST:NODE" lines of a --publish spec.
publish_pairs() {
    local p pairs=()
    IFS=, read -ra pairs <<<"$1"
    [ "${#pairs[@]}" -gt 0 ] || die "--publish $1: expected HOST:NODE port pairs, e.g. 80:80,8080:8080"
    for p in "${pairs[@]}"; do
        if ! [[ "$p" =~ ^[1-9][0-9]{0,4}:[1-9][0-9]{0,4}$ ]] ||
            [ "${p%%:*}" -gt 65535 ] || [ "${p#*:}" -gt 65535 ]; then
            die "--publish $1: expected HOST:NODE port pairs, e.g. 80:80,8080:8080"
        fi
        printf '%s\n' "$p"
    done
}

# port_taken PORT: says who holds PORT on this machine, if anyone: a
# container's published port, a service of the host engine's own swarm (its
# routing mesh holds the port on every node of that swarm, and would take
# the traffic), or any program listening on 127.0.0.1.
port_taken() {
    local port=$1 line
    line=$(docker ps --format '{{.Names}} {{.Ports}}' | grep -E "[:]$port->" | head -1 || true)
    if [ -n "$line" ]; then
        printf 'the container %s publishes it' "${line%% *}"
        return 0
    fi
    if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
        line=$(docker service ls --format '{{.Name}} {{.Ports}}' | grep -E "[:]$port->" | head -1 || true)
        if [ -n "$line" ]; then
            printf "the service %s of this engine's own swarm publishes it (the routing mesh holds the port)" "${line%% *}"
            return 0
        fi
    fi
    if engine_is_local && timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
        printf 'a program on this machine listens on it'
        return 0
    fi
    return 1
}

# nodes_check_collisions N PUBLISH: before anything is made, the names
# `nodes up N` would use must be free or ours, and the published ports
# free. Nothing is touched on failure.
nodes_check_collisions() {
    local n=$1 publish=$2 i name ctr v who p errs=()
    for i in $(seq "$n"); do
        name=myvm$i
        ctr=$(node_ctr "$name")
        if docker inspect --type container "$ctr" >/dev/null 2>&1 &&
            [ "$(ctr_label "$ctr" "$NODES_LABEL")" != "$NODES_SET" ]; then
            errs+=("a container named $ctr exists and was not made by $PROG nodes (it has no label $NODES_LABEL=$NODES_SET)")
        fi
        for v in docker data; do
            [ "$v" = data ] && [ "$i" -ne 1 ] && continue
            v=$(node_vol "$name" "$v")
            if docker volume inspect "$v" >/dev/null 2>&1 &&
                [ "$(vol_label "$v" "$NODES_LABEL")" != "$NODES_SET" ]; then
                errs+=("a volume named $v exists and was not made by $PROG nodes")
            fi
        done
    done
    if docker network inspect "$NODES_NET" >/dev/null 2>&1 &&
        [ "$(net_label "$NODES_NET" "$NODES_LABEL")" != "$NODES_SET" ]; then
        errs+=("a network named $NODES_NET exists and was not made by $PROG nodes")
    fi
    if [ -n "$publish" ] && [ "$(ctr_state myvm1)" = "" ]; then
        for p in $(publish_pairs "$publish"); do
            if who=$(port_taken "${p%%:*}"); then
                errs+=("port ${p%%:*} on this machine is taken: $who")
            fi
        done
    fi
    [ "${#errs[@]}" -eq 0 ] && return 0
    printf '%s: cannot make the nodes; nothing was changed:\n' "$PROG" >&2
    printf '  - %s\n' "${errs[@]}" >&2
    if printf '%s\n' "${errs[@]}" | grep -q '^port '; then
        say "Free the port, or publish on others: --publish=8000:80,8081:8080" >&2
    fi
    if printf '%s\n' "${errs[@]}" | grep -qv '^port '; then
        say "Those are yours: rename or remove them yourself, or give the nodes other names with a prefix: PART5_NODES_PREFIX=part5- $PROG nodes ..." >&2
    fi
    exit 1
}

# swarm_foreign NODE: the members of the nodes' swarm (as manager NODE
# sees it) that are Ready and not one of our nodes, one "hostname id
# address" a line. Removing our managers would strand them.
swarm_foreign() {
    local mgr=$1 ours="" n id
    for n in $(our_nodes); do
        [ "$(ctr_state "$n")" = running ] || continue
        id=$(in_node "$n" docker info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
        ours+=" $id"
    done
    # Ours but stopped: known by hostname (its engine cannot be asked).
    for n in $(our_nodes); do
        [ "$(ctr_state "$n")" = running ] || ours+=" $n"
    done
    in_node "$mgr" docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' 2>/dev/null |
        while read -r id n st; do
            [ "$st" = Ready ] || continue
            case " $ours " in *" $id "* | *" $n "*) continue ;; esac
            printf '%s %s %s\n' "$n" "$id" \
                "$(in_node "$mgr" docker node inspect --format '{{.Status.Addr}}' "$id" 2>/dev/null || true)"
        done
}

# nodes_check_no_strangers: nodes down would remove the swarm's managers;
# if an engine that is not ours (this machine's, joined by mistake with a
# `docker swarm join` typed outside `nodes exec`, or any other) is a Ready
# member, it would be left in a swarm without managers. Refuse.
nodes_check_no_strangers() {
    local mgr="" n host_id msg="" fname fid faddr
    for n in $(our_nodes); do
        if [ "$(ctr_state "$n")" = running ] &&
            [ "$(in_node "$n" docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
            mgr=$n
            break
        fi
    done
    [ -n "$mgr" ] || return 0
    host_id=$(docker info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    while read -r fname fid faddr; do
        [ -n "$fname" ] || continue
        if [ -n "$host_id" ] && [ "$fid" = "$host_id" ]; then
            msg+="
  - this machine's own engine ($fname, node $fid) joined the nodes' swarm (a
    'docker swarm join' run here instead of in '$PROG nodes exec myvm2 ...'?).
    Make it leave first: docker swarm leave"
        else
            msg+="
  - $fname (node $fid, ${faddr:-no address}) is not one of the nodes; make it
    leave first (docker swarm leave, on that engine)"
        fi
    done < <(swarm_foreign "$mgr")
    [ -z "$msg" ] && return 0
    die "the nodes' swarm has members that $PROG nodes did not make:$msg
Removing the nodes would leave them in a swarm without a manager. Nothing was changed.
An engine that has left still shows as Ready for about 15 s; to drop its
record at once: $PROG nodes exec $mgr docker node rm --force NAME"
}

# --- images -----------------------------------------------------------------

NODE_IMAGE=part5/node
# ensure_node_image: builds part5/node:VERSION from Dockerfiles/node.Dockerfile
# (a cached build takes a second; the first one installs docker.io).
ensure_node_image() {
    # shellcheck disable=SC2034 # read by build_image (images.sh)
    DOCKERFILE[node]=node
    ensure_base_image
    build_image node
}

# --- making the nodes -------------------------------------------------------

# nodes_ensure_network SUBNET: the bridge the nodes share, with a fixed
# subnet: only there do containers keep their address across a restart
# (--ip), and a swarm manager must keep its address.
nodes_ensure_network() {
    local subnet=$1
    if docker network inspect "$NODES_NET" >/dev/null 2>&1; then
        say "network $NODES_NET ($(net_subnet)) exists"
        return 0
    fi
    for _ in 1 2 3; do
        if [ -z "$1" ]; then
            # Let the engine choose a free range (it avoids its other
            # networks and this machine's routes), then pin it.
            docker network create --label "$NODES_LABEL=$NODES_SET" "$NODES_NET" >/dev/null ||
                die "docker network create $NODES_NET failed"
            subnet=$(net_subnet)
            docker network rm "$NODES_NET" >/dev/null
            [ -n "$subnet" ] || die "the engine gave $NODES_NET no IPv4 subnet"
        fi
        if docker network create --driver bridge --subnet "$subnet" \
            --label "$NODES_LABEL=$NODES_SET" "$NODES_NET" >/dev/null; then
            say "network $NODES_NET: $subnet"
            return 0
        fi
        [ -z "$1" ] || die "docker network create --subnet $subnet failed (above)"
        sleep 1
    done
    die "could not create the network $NODES_NET"
}

# socket_group: the group of this machine's Docker socket: the nodes'
# sockets get it, so whoever may use this engine may use the nodes (and
# nobody else: another group of the same number inside the node image
# would mean nothing here).
socket_group() {
    local g=0
    if engine_is_local && [ -S /var/run/docker.sock ]; then
        g=$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)
    fi
    printf '%s' "$g"
}

# share_socket: whether a node's engine socket can be put on this machine
# (a directory bind-mounted into the node): only when the engine runs here,
# on Linux. Docker Desktop's engine runs in a VM, and a socket does not
# cross its file sharing (nor is /run shared). PART5_NODES_SOCKET=0 turns
# it off (the tests use this to try the other way).
share_socket() {
    [ "${PART5_NODES_SOCKET:-1}" != 0 ] && [ "$(uname -s)" = Linux ] && engine_is_local &&
        [ "$(docker info --format '{{.OperatingSystem}}' 2>/dev/null)" != "Docker Desktop" ]
}

# node_run NAME SUBNET PUBLISH INSECURE...: creates and starts node NAME.
node_run() {
    local name=$1 subnet=$2 publish=$3 k role args=() p r v
    shift 3
    k=${name#myvm}
    role=worker
    [ "$k" = 1 ] && role=manager
    for v in docker data; do
        [ "$v" = data ] && [ "$k" != 1 ] && continue
        if ! docker volume inspect "$(node_vol "$name" "$v")" >/dev/null 2>&1; then
            docker volume create --label "$NODES_LABEL=$NODES_SET" \
                --label "part5.nodes.node=$name" --label "part5.nodes.volume=$v" \
                "$(node_vol "$name" "$v")" >/dev/null
        fi
    done
    args+=(-v "$(node_vol "$name" docker):/var/lib/docker")
    # The tutorial's Redis directory on the manager: a volume of its own,
    # kept by `nodes down` unless --purge.
    [ "$k" = 1 ] && args+=(-v "$(node_vol "$name" data):/home/docker/data")
    if [ "$k" = 1 ] && [ -n "$publish" ]; then
        for p in $(publish_pairs "$publish"); do
            args+=(-p "127.0.0.1:${p%%:*}:${p#*:}")
        done
    fi
    local daemon=(dockerd --host=unix:///var/run/docker.sock --group "$(socket_group)"
        --insecure-registry "$subnet")
    if share_socket; then
        mkdir -p "$NODES_RUNDIR/$name" 2>/dev/null || true
        args+=(-v "$NODES_RUNDIR/$name:/part5-host" --label "part5.nodes.rundir=$NODES_RUNDIR")
        daemon+=(--host=unix:///part5-host/docker.sock)
    fi
    for r in "$@"; do daemon+=(--insecure-registry "$r"); done
    # --privileged fails on some hosts ("unable to apply caps"); these
    # rights work there and everywhere else (../../../shared notes: all
    # capabilities but SYS_RESOURCE, no seccomp/AppArmor confinement,
    # unmasked /proc and /sys, the cgroup tree, a tmpfs /run).
    docker run -d --name "$(node_ctr "$name")" --hostname "$name" \
        --network "$NODES_NET" --ip "$(node_ip "$subnet" "$name")" \
        --network-alias "$name" \
        --label "$NODES_LABEL=$NODES_SET" --label "part5.nodes.node=$name" \
        --label "part5.nodes.role=$role" \
        --cap-add=ALL --cap-drop=SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --security-opt systempaths=unconfined \
        -v /sys/fs/cgroup:/sys/fs/cgroup --tmpfs /run "${args[@]}" \
        "$NODE_IMAGE:$(project_version)" "${daemon[@]}" >/dev/null ||
        die "docker run of $name failed (above)"
}

# wait_engine NAME TIMEOUT: until the engine in NAME answers.
wait_engine() {
    local name=$1 timeout=$2 t0
    t0=$(date +%s)
    while :; do
        IN_NODE_TIMEOUT=10 in_node "$name" docker info >/dev/null 2>&1 && return 0
        if [ "$(ctr_state "$name")" != running ]; then
            docker logs --tail 20 "$(node_ctr "$name")" >&2 || true
            die "$name stopped while its engine started (its log is above)"
        fi
        if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            docker logs --tail 20 "$(node_ctr "$name")" >&2 || true
            die "the engine in $name did not answer within ${timeout}s (its log is above)"
        fi
        sleep 0.5
    done
}

# wait_ready MGR NAME... TIMEOUT: until the manager sees each NAME Ready.
wait_ready() {
    local mgr=$1 timeout=${*: -1} t0 n st missing
    local names=("${@:2:$(($# - 2))}")
    t0=$(date +%s)
    while :; do
        missing=""
        st=$(in_node "$mgr" docker node ls --format '{{.Hostname}} {{.Status}}' 2>/dev/null || true)
        for n in "${names[@]}"; do
            grep -qx "$n Ready" <<<"$st" || missing+=" $n"
        done
        [ -z "$missing" ] && return 0
        if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            die "not Ready in the swarm after ${timeout}s:$missing (./stack nodes ls)"
        fi
        sleep 1
    done
}

swarm_state() {
    in_node "$1" docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.Cluster.ID}}' 2>/dev/null || true
}

# nodes_swarm N SUBNET: myvm1 inits the swarm (Part 4's `docker swarm init
# --advertise-addr`), the others join it as workers; nodes already in it
# are left as they are.
nodes_swarm() {
    local n=$1 subnet=$2 ip1 st members token i name ip
    ip1=$(node_ip "$subnet" myvm1)
    # Started again, a manager is "pending" until its swarm is back.
    for _ in $(seq 30); do
        st=$(swarm_state myvm1)
        [ "${st%% *}" = pending ] || break
        sleep 1
    done
    case "$st" in
    "active "*) say "myvm1 is the swarm's manager ($ip1)" ;;
    "inactive"*)
        in_node myvm1 docker swarm init --advertise-addr "$ip1" >/dev/null ||
            die "docker swarm init on myvm1 failed (above)"
        say "myvm1: docker swarm init --advertise-addr $ip1: manager"
        ;;
    *) die "myvm1's swarm state is '$st' (./stack nodes exec myvm1 docker info)" ;;
    esac
    [ "$(in_node myvm1 docker info --format '{{.Swarm.ControlAvailable}}')" = true ] ||
        die "myvm1 is in a swarm but not its manager: ./stack nodes down, then up"
    members=" $(in_node myvm1 docker node ls -q | tr '\n' ' ')"
    token=$(in_node myvm1 docker swarm join-token -q worker)
    for i in $(seq 2 "$n"); do
        name=myvm$i
        ip=$(node_ip "$subnet" "$name")
        # A worker knows its own node ID but not the cluster's: the
        # manager's list says whether it is a member (a node started again
        # is "pending" until it has reconnected).
        st=$(in_node "$name" docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}' 2>/dev/null || true)
        case "$st" in
        active\ ?* | pending\ ?*)
            if [[ "$members" == *" ${st#* } "* ]]; then
                say "$name is a member"
                continue
            fi
            # Ours, and in another swarm (of an earlier myvm1): it
            # leaves that one.
            in_node "$name" docker swarm leave --force >/dev/null 2>&1 || true
            ;;
        inactive*) ;;
        *) in_node "$name" docker swarm leave --force >/dev/null 2>&1 || true ;;
        esac
        timeout 90 docker exec "$(node_ctr "$name")" docker swarm join --token "$token" \
            --advertise-addr "$ip" "$ip1:2377" >/dev/null ||
            die "$name could not join the swarm at $ip1:2377 (above)"
        say "$name: docker swarm join --token <worker token> $ip1:2377: worker"
    done
    local all=()
    for i in $(seq "$n"); do all+=("myvm$i"); done
    wait_ready myvm1 "${all[@]}" 60
}
# --- the commands -----------------------------------------------------------

cmd_nodes_up() {
    local n="" publish="" subnet="" insecure=() timeout=60 i name t0 st hs
    while [ $# -gt 0 ]; do
        case "$1" in
        --publish) publish=$NODES_DEFAULT_PUBLISH; shift ;;
        --publish=*) publish=${1#--publish=}; shift ;;
        --subnet) subnet=${2:?$1 needs a CIDR}; shift 2 ;;
        --insecure-registry) insecure+=("${2:?$1 needs an address}"); shift 2 ;;
        --timeout) timeout=${2:?$1 needs seconds}; shift 2 ;;
        [0-9]*) [ -z "$n" ] || die "nodes up: one count only"; n=$1; shift ;;
        *) die "nodes up: unknown option $1 (see $PROG help)" ;;
        esac
    done
    n=${n:-2}
    [[ "$n" =~ ^[1-9]$ ]] || die "nodes up $n: from 1 to $NODES_MAX nodes"
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout $timeout: expected seconds"
    [ -z "$subnet" ] || [[ "$subnet" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/([0-9]|[12][0-9])$ ]] ||
        die "--subnet $subnet: expected an IPv4 CIDR of at least 8 addresses, e.g. 172.30.0.0/24"
    [ -z "$publish" ] || publish_pairs "$publish" >/dev/null
    nodes_check_prefix
    t0=$(date +%s)

    step "Docker engine (this machine's: it holds the nodes)"
    ensure_engine
    say "engine $(docker version --format '{{.Server.Version}}')"
    hs=$(docker info --format '{{.Swarm.LocalNodeState}}')
    if [ "$hs" != inactive ]; then
        say "this engine is itself in a swarm ($hs): the nodes make a swarm of their own, and this one is left alone"
    fi
    nodes_check_collisions "$n" "$publish"
    if [ -n "$publish" ] && [ -n "$(ctr_state myvm1)" ] &&
        [ -z "$(docker port "$(node_ctr myvm1)" 2>/dev/null)" ]; then
        warn "myvm1 exists without published ports: --publish applies to new nodes ($PROG nodes down, then nodes up --publish)"
    fi

    step "The node image ($NODE_IMAGE:$(project_version), Dockerfiles/node.Dockerfile)"
    ensure_node_image

    step "The nodes' network"
    nodes_ensure_network "$subnet"
    subnet=$(net_subnet)
    [ -n "$subnet" ] || die "the network $NODES_NET has no IPv4 subnet"
    # The gateway, N nodes and the broadcast address must fit.
    [ $((1 << (32 - ${subnet#*/}))) -ge $((n + 3)) ] ||
        die "the network $NODES_NET ($subnet) is too small for $n nodes"

    case "$n" in
    1) step "The node: myvm1 (manager)" ;;
    2) step "The nodes: myvm1 (manager), myvm2 (worker)" ;;
    *) step "The nodes: myvm1 (manager), myvm2 ... myvm$n (workers)" ;;
    esac
    for i in $(seq "$n"); do
        name=myvm$i
        st=$(ctr_state "$name")
        case "$st" in
        running) say "$name runs" ;;
        "") node_run "$name" "$subnet" "$publish" "${insecure[@]}"; say "$name: started ($(node_ip "$subnet" "$name"))" ;;
        *) docker start "$(node_ctr "$name")" >/dev/null || die "docker start $(node_ctr "$name") failed"; say "$name: started again" ;;
        esac
    done
    for i in $(seq "$n"); do wait_engine "myvm$i" "$timeout"; done
    say "$n engine(s) answer ($(in_node myvm1 docker version --format '{{.Server.Version}}'))"

    step "The swarm (Part 4)"
    nodes_swarm "$n" "$subnet"
    in_node myvm1 mkdir -p /home/docker/data

    step "The stack's images, from this engine to the nodes (docker save | docker load)"
    nodes_load_stack_images

    step "$n node(s) up ($(($(date +%s) - t0))s)"
    nodes_table
    nodes_hints
}
# nodes_hints: what to do next.
nodes_hints() {
    local p
    say ""
    say "  deploy the stack on them:  $PROG up --nodes"
    say "  the tutorial's docker-machine ssh myvm1 \"...\":  $PROG nodes exec myvm1 \"docker node ls\""
    if [ -S "$(node_sock myvm1)" ]; then
        say "  point your shell at myvm1:  eval \$($PROG nodes env myvm1)"
    fi
    p=$(docker port "$(node_ctr myvm1)" 2>/dev/null | sed 's/^/    /' || true)
    if [ -n "$p" ]; then
        say "  published on this machine (myvm1's ports):"
        say "$p"
    fi
}
cmd_nodes_down() {
    local purge=0 n ctrs=() vols=() v kind kept="" others dirs=() names=() running=()
    while [ $# -gt 0 ]; do
        case "$1" in
        --purge) purge=1; shift ;;
        *) die "nodes down: unknown option $1 (see $PROG help)" ;;
        esac
    done
    nodes_check_prefix
    ensure_running_engine
    mapfile -t ctrs < <(docker ps -aq --filter "label=$NODES_LABEL=$NODES_SET")
    mapfile -t vols < <(docker volume ls -q --filter "label=$NODES_LABEL=$NODES_SET")
    if [ "${#ctrs[@]}" -eq 0 ] && [ "${#vols[@]}" -eq 0 ] &&
        ! docker network inspect "$NODES_NET" >/dev/null 2>&1; then
        say "no nodes: nothing to remove"
        return 0
    fi
    nodes_check_no_strangers
    if docker network inspect "$NODES_NET" >/dev/null 2>&1; then
        others=$(docker network inspect --format '{{range .Containers}}{{.Name}} {{end}}' "$NODES_NET" |
            tr ' ' '\n' | grep -v '^$' | while read -r c; do
                [ "$(ctr_label "$c" "$NODES_LABEL")" = "$NODES_SET" ] || printf ' %s' "$c"
            done)
        [ -z "$others" ] || die "containers that $PROG nodes did not make use its network $NODES_NET:$others
Remove them or disconnect them (docker network disconnect $NODES_NET NAME) first. Nothing was changed."
    fi
    step "Removing the nodes"
    # Stopped first, all at once: each engine stops its containers, which
    # removes their cgroups (the nodes share this machine's cgroup tree;
    # engines killed outright would leave empty cgroups behind).
    mapfile -t names < <(our_nodes)
    for n in "${names[@]}"; do
        dirs+=("$(dirname "$(node_sock "$n")")")
        running+=("$(node_ctr "$n")")
    done
    if [ "${#running[@]}" -gt 0 ]; then
        timeout 90 docker stop -t 30 "${running[@]}" >/dev/null || warn "docker stop of the nodes failed; removing them anyway"
    fi
    for n in "${names[@]}"; do
        timeout 60 docker rm -f -v "$(node_ctr "$n")" >/dev/null || die "docker rm -f $(node_ctr "$n") failed"
        say "$n: removed"
    done
    for v in $(docker volume ls -q --filter "label=$NODES_LABEL=$NODES_SET"); do
        kind=$(vol_label "$v" part5.nodes.volume)
        if [ "$kind" = data ] && [ "$purge" -eq 0 ]; then
            kept=$v
            continue
        fi
        docker volume rm "$v" >/dev/null || die "docker volume rm $v failed"
        say "volume $v: removed"
    done
    if docker network inspect "$NODES_NET" >/dev/null 2>&1; then
        docker network rm "$NODES_NET" >/dev/null || die "docker network rm $NODES_NET failed"
        say "network $NODES_NET: removed"
    fi
    # The sockets' directories (each node's, then the set's when empty).
    for v in "${dirs[@]}"; do
        rm -rf "$v" 2>/dev/null || warn "could not remove $v"
        rmdir "$(dirname "$v")" 2>/dev/null || true
    done
    if [ -n "$kept" ]; then
        say "kept: the volume $kept (myvm1's /home/docker/data, the Redis data); the next nodes up uses it again. Remove it too: $PROG nodes down --purge"
    fi
}
cmd_nodes() {
    local sub=${1:-help}
    [ $# -gt 0 ] && shift
    case "$sub" in
    up) cmd_nodes_up "$@" ;;
    down) cmd_nodes_down "$@" ;;
    ls) cmd_nodes_ls "$@" ;;
    exec) cmd_nodes_exec "$@" ;;
    env) cmd_nodes_env "$@" ;;
    stop) cmd_nodes_stop "$@" ;;
    start) cmd_nodes_start "$@" ;;
    drain) [ $# -eq 1 ] || die "usage: $PROG nodes drain NODE"; nodes_availability "$1" drain ;;
    active) [ $# -eq 1 ] || die "usage: $PROG nodes active NODE"; nodes_availability "$1" active ;;
    load)
        [ $# -gt 0 ] || die "usage: $PROG nodes load IMAGE[=NAME]..."
        nodes_check_prefix
        ensure_running_engine
        [ -n "$(our_nodes)" ] || die "no nodes: make them first with $PROG nodes up"
        nodes_load "$@"
        ;;
    help | -h | --help) usage ;;
    *) usage >&2; die "unknown nodes command: $sub" ;;
    esac
}
