# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/nodes-use.sh: using the nodes ./stack nodes up made: ls,
# exec, env, stop and start, drain and active, load; and pointing up,
# status and down at a node (--nodes, --on NODE).
# Sourced by ../../stack after nodes.sh (names, labels and the rule of
# who owns what are there); not run on its own.

# --- images -----------------------------------------------------------------

# nodes_load REF[=NAME]...: copies images from this engine to every running
# node (docker save | docker load: there is no registry), skipping nodes
# that have the same image already; with =NAME, tags it NAME there. Adds to
# REBUILT the names whose image changed on a node that had one.
nodes_load() {
    local spec ref as id n nid t0 loaded
    for spec in "$@"; do
        ref=${spec%%=*}
        as=${spec#*=}
        [ "$spec" = "$ref" ] && as=$ref
        id=$(image_id "$ref")
        [ -n "$id" ] || die "no image $ref on this engine (docker images)"
        loaded=""
        for n in $(our_nodes); do
            [ "$(ctr_state "$n")" = running ] || continue
            nid=$(in_node "$n" docker image inspect --format '{{.Id}}' "$as" 2>/dev/null || true)
            [ "$nid" = "$id" ] && continue
            t0=$(date +%s)
            docker save "$ref" | timeout 600 docker exec -i "$(node_ctr "$n")" docker load -q >/dev/null ||
                die "copying $ref to $n failed (docker save | docker load)"
            [ "$as" = "$ref" ] || in_node "$n" docker tag "$ref" "$as"
            [ -n "$nid" ] && REBUILT+=("$as")
            loaded+=" $n ($(($(date +%s) - t0))s)"
        done
        if [ -n "$loaded" ]; then
            say "  $as: copied to$loaded"
        else
            say "  $as: already on every node"
        fi
    done
}

# nodes_load_stack_images FILE: the part5/* images FILE uses (or all three
# of this version), those present on this engine, to every node.
nodes_load_stack_images() {
    local file=${1:-} img refs=() missing=()
    if [ -n "$file" ]; then
        mapfile -t refs < <(compose_images "$file")
    else
        for img in "${IMAGES[@]}"; do refs+=("part5/$img:$(project_version)"); done
    fi
    for img in "${refs[@]}"; do
        if [ -n "$(image_id "$img")" ]; then
            nodes_load "$img"
        else
            missing+=("$img")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "  not on this engine yet: ${missing[*]} ($PROG up --nodes builds and copies them)"
    fi
}
# --- what runs where --------------------------------------------------------

# columns: tab-separated lines as aligned columns, indented (column(1) is
# not on every minimal system); a line starting with # is a note, printed
# as it is after the table.
columns() {
    awk -F '\t' '/^#/ { notes[++m] = substr($0, 2); next }
        { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
          if (NF > nf) nf = NF; rows[++n] = NR }
        END { for (k = 1; k <= n; k++) { r = rows[k]; line = "  "
                  for (i = 1; i <= nf; i++) line = line sprintf(i < nf ? "%-" w[i] + 2 "s" : "%s", c[r, i])
                  sub(/ +$/, "", line); print line }
              for (k = 1; k <= m; k++) print "  " notes[k] }'
}

# nodes_table: nodes, roles, states, addresses, and what runs where.
nodes_table() {
    local names n mgr="" st role addr id sw av tasks line foreign
    local -A nid=() seen=()
    mapfile -t names < <(our_nodes)
    if [ "${#names[@]}" -eq 0 ]; then
        say "no nodes ($PROG nodes up makes them)"
        return 0
    fi
    for n in "${names[@]}"; do
        [ "$(ctr_state "$n")" = running ] || continue
        line=$(in_node "$n" docker info --format '{{.Swarm.NodeID}} {{.Swarm.ControlAvailable}}' 2>/dev/null || true)
        nid[$n]=${line% *}
        [ -z "$mgr" ] && [ "${line#* }" = true ] && mgr=$n
    done
    # node_row ID: state, availability, role and tasks of a swarm member.
    node_row() {
        local r
        r=$(in_node "$mgr" docker node inspect --format \
            '{{.Status.State}} {{.Spec.Availability}} {{.Spec.Role}} {{.Status.Addr}}' "$1" 2>/dev/null || true)
        tasks=$(in_node "$mgr" docker node ps "$1" --filter desired-state=running \
            --format '{{.Name}}' 2>/dev/null | sed 's/\.[0-9]*$//' | sort | uniq -c |
            awk '{ printf "%s%s%s", (NR > 1 ? ", " : ""), $2, ($1 > 1 ? " x" $1 : "") }')
        printf '%s %s' "${r:-? ? ? -}" "${tasks:--}"
    }
    {
        printf 'NODE\tROLE\tCONTAINER\tSWARM\tAVAILABILITY\tADDRESS\tTASKS\n'
        for n in "${names[@]}"; do
            st=$(ctr_state "$n")
            role=$(ctr_label "$(node_ctr "$n")" part5.nodes.role)
            addr=$(docker inspect --format "{{(index .NetworkSettings.Networks \"$NODES_NET\").IPAMConfig.IPv4Address}}" "$(node_ctr "$n")" 2>/dev/null || true)
            sw='?' av='?' tasks=-
            if [ -n "$mgr" ]; then
                # A stopped node: the manager knows it by its hostname.
                id=${nid[$n]:-$n}
                seen[$id]=1
                read -r sw av role _ tasks <<<"$(node_row "$id")"
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$role" "$st" "$sw" "$av" "${addr:--}" "$tasks"
        done
        # Members of the nodes' swarm that are not ours (an engine that
        # joined it by hand): shown, never touched.
        if [ -n "$mgr" ]; then
            foreign=""
            while read -r id n; do
                [ -n "$id" ] && [ -z "${seen[$id]:-}" ] || continue
                case " ${names[*]} " in *" $n "*) [ -z "${nid[$n]:-}" ] && continue ;; esac
                read -r sw av role addr tasks <<<"$(node_row "$id")"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$role" - "$sw" "$av" "$addr" "$tasks"
                foreign+=" $n"
            done < <(in_node "$mgr" docker node ls --format '{{.ID}} {{.Hostname}}' 2>/dev/null || true)
            # A note under the table ("#": not a row, see columns).
            [ -z "$foreign" ] || printf '#(not made by %s nodes, never touched by it:%s)\n' "$PROG" "$foreign"
        fi
    } | columns
    if [ -z "$mgr" ]; then
        say "  (no manager answers, so the swarm's view is missing: $PROG nodes start myvm1)"
    fi
}

cmd_nodes_ls() {
    [ $# -eq 0 ] || die "nodes ls: no arguments expected"
    nodes_check_prefix
    ensure_running_engine
    nodes_table
}
# --- node failure, as a lesson ----------------------------------------------

cmd_nodes_stop() {
    [ $# -eq 1 ] || die "usage: $PROG nodes stop NODE"
    nodes_check_prefix
    ensure_running_engine
    require_node "$1"
    if [ "$(ctr_state "$1")" != running ]; then
        say "$1 is not running"
        return 0
    fi
    step "Stopping $1 (docker stop: its engine stops its containers)"
    timeout 90 docker stop -t 30 "$(node_ctr "$1")" >/dev/null || die "docker stop $(node_ctr "$1") failed"
    say "$1: stopped"
    if [ "$1" = myvm1 ]; then
        say "myvm1 is the swarm's only manager: until it starts again, the swarm cannot be changed or shown (tasks on the workers keep running)"
    else
        say "the manager marks it Down after its heartbeats stop (about 15 s), then runs its tasks on the other nodes: watch $PROG nodes ls, or the visualizer"
    fi
}

cmd_nodes_start() {
    local mgr
    [ $# -eq 1 ] || die "usage: $PROG nodes start NODE"
    nodes_check_prefix
    ensure_running_engine
    require_node "$1"
    step "Starting $1"
    if [ "$(ctr_state "$1")" != running ]; then
        docker start "$(node_ctr "$1")" >/dev/null || die "docker start $(node_ctr "$1") failed"
    fi
    wait_engine "$1" 60
    say "$1: its engine answers"
    mgr=myvm1
    if [ "$(ctr_state myvm1)" = running ]; then
        wait_ready "$mgr" "$1" 90
        say "$1 is Ready in the swarm again"
        if [ "$1" != myvm1 ]; then
            say "the swarm does not move running tasks back by itself; to spread a service again:"
            say "  $PROG nodes exec myvm1 \"docker service update --force getstartedlab_web\""
        fi
    fi
}

# nodes_availability NODE drain|active
nodes_availability() {
    local node=$1 av=$2 t0 left short
    nodes_check_prefix
    ensure_running_engine
    require_node "$node"
    require_running myvm1
    in_node myvm1 docker node update --availability "$av" "$node" >/dev/null ||
        die "docker node update --availability $av $node failed"
    say "$node: availability $av"
    [ "$av" = drain ] || return 0
    [ "$node" != myvm1 ] || say "(the services constrained to the manager, redis and the visualizer, cannot run while it is drained)"
    # Drained: its tasks stop there and start elsewhere. Wait until none
    # runs there and (unless the manager itself was drained) every service
    # runs all its replicas again.
    t0=$(date +%s)
    while :; do
        left=$(in_node myvm1 docker node ps "$node" --format '{{.CurrentState}}' 2>/dev/null | grep -c '^Running' || true)
        short=""
        if [ "$node" != myvm1 ]; then
            short=$(in_node myvm1 docker service ls --format '{{.Name}} {{.Replicas}}' 2>/dev/null |
                awk '{ split($2, r, "/"); if (r[1] != r[2]) printf " %s %s", $1, $2 }')
        fi
        [ "${left:-0}" -eq 0 ] && [ -z "$short" ] && break
        if [ $(($(date +%s) - t0)) -ge 60 ]; then
            warn "after 60 s: $node still runs ${left:-0} task(s)${short:+; not all replicas run:$short}"
            return 0
        fi
        sleep 1
    done
    say "its tasks run elsewhere now ($(($(date +%s) - t0))s): $PROG nodes ls. Undo with: $PROG nodes active $node"
}

# --- into a node ------------------------------------------------------------

cmd_nodes_exec() {
    local node=${1:-} tty=()
    [ -n "$node" ] || die "usage: $PROG nodes exec NODE [COMMAND...]"
    shift
    nodes_check_prefix
    ensure_running_engine
    require_running "$node"
    if [ -t 0 ] && [ -t 1 ]; then tty=(-t); fi
    if [ $# -eq 0 ]; then
        exec docker exec -i "${tty[@]}" "$(node_ctr "$node")" bash -l
    fi
    # As docker-machine ssh: the words are one command line for the node's
    # shell, so "docker node ls" and docker node ls both work.
    exec docker exec -i "${tty[@]}" "$(node_ctr "$node")" sh -c "$*"
}

cmd_nodes_env() {
    local node="" unset=0 sock
    while [ $# -gt 0 ]; do
        case "$1" in
        -u | --unset) unset=1; shift ;;
        *) [ -z "$node" ] || die "usage: $PROG nodes env [NODE | -u]"; node=$1; shift ;;
        esac
    done
    if [ "$unset" -eq 1 ]; then
        # shellcheck disable=SC2016 # printed for the user's shell
        printf 'unset DOCKER_HOST\n# Run this command to use this machine'\''s engine again:\n# eval $(%s nodes env -u)\n' "$PROG"
        return 0
    fi
    node=${node:-myvm1}
    nodes_check_prefix
    ensure_running_engine
    require_running "$node"
    sock=$(node_socket_or_die "$node")
    # shellcheck disable=SC2016 # printed for the user's shell
    printf 'export DOCKER_HOST=unix://%s\n# Run this command to point your shell at %s (as docker-machine env):\n# eval $(%s nodes env %s)\n' \
        "$sock" "$node" "$PROG" "$node"
}

# node_socket_or_die NODE: the path of NODE's engine socket on this machine.
node_socket_or_die() {
    local sock
    sock=$(node_sock "$1")
    [ -S "$sock" ] || die "$1's engine socket is not on this machine: this engine runs
elsewhere (Docker Desktop's VM, or DOCKER_HOST), so this machine's docker CLI
cannot reach the nodes directly. $PROG nodes exec $1 \"...\" works everywhere,
and $PROG up/status/down --nodes run $PROG inside the node."
    printf '%s' "$sock"
}

# --- up, status and down on a node (--nodes, --on NODE) ---------------------
#
# Two ways to reach a node's engine. Where its socket is on this machine
# (a Linux engine on this machine: the usual case), DOCKER_HOST points the
# CLI at it and deploy.sh runs here. Where it is not (Docker Desktop, whose
# engine runs in a VM, or PART5_NODES_SOCKET=0), this ./stack and the
# compose file are copied into the node and run there, with its own engine
# (NODES_INSIDE=1): the same code either way.

NODES_INSIDE=""

# require_manager NODE: up, status and down need a manager of the nodes'
# swarm (a worker can neither deploy nor list services): said before
# anything is built.
require_manager() {
    local st
    st=$(IN_NODE_TIMEOUT=20 in_node "$1" docker info \
        --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null || true)
    [ "$st" != "active false" ] ||
        die "$1 is a worker of the nodes' swarm: up, status and down run on a manager.
myvm1 is one: $PROG up --nodes (the same as --on myvm1)"
}

# nodes_use NODE: points the docker CLI (DOCKER_HOST) at NODE's engine for
# up, status and down --nodes/--on NODE, or sets NODES_INSIDE.
nodes_use() {
    local node=$1 sock
    require_deploy_target "$node"
    require_manager "$node"
    NODES_PUBLISHED=$(published_urls)
    NODES_TARGET=$node
    sock=$(node_sock "$node")
    if [ ! -S "$sock" ]; then
        NODES_INSIDE=1
        say "on $node (its engine's socket is not on this machine: running ./stack inside $node)"
        return 0
    fi
    export DOCKER_HOST=unix://$sock
    docker info >/dev/null 2>&1 || die "$node's engine does not answer on $sock"
    say "on $node (DOCKER_HOST=$DOCKER_HOST)"
}

# nodes_prepare_up NODE FILE BUILD: for up --nodes: builds the images FILE
# uses on this machine's engine (BUILD=1) and copies them to every node;
# then points the CLI at NODE.
nodes_prepare_up() {
    local node=$1 file=$2 build=$3
    require_deploy_target "$node"
    require_manager "$node"
    if [ "$build" -eq 1 ]; then
        step "Building the images on this machine's engine"
        ensure_images "$file" 1
        REBUILT=()
        step "Copying them to the nodes (docker save | docker load)"
        nodes_load_stack_images "$file"
    fi
    step "Docker engine of $node"
    nodes_use "$node"
}

# nodes_run_inside NODE COMMAND FILE ARGS...: runs ./stack COMMAND [-c FILE]
# ARGS inside NODE's container, against its own engine: this checkout's
# ./stack and scripts/stack/ (and compose/, CMakeLists.txt for the version)
# and FILE are copied to /home/docker/.part5-stack there first. Returns its
# exit code.
nodes_run_inside() {
    local node=$1 cmd=$2 file=$3 ctr dir=/home/docker/.part5-stack rc
    shift 3
    ctr=$(node_ctr "$node")
    tar -C "$REPO" -c stack scripts/stack compose CMakeLists.txt |
        docker exec -i "$ctr" sh -c "rm -rf $dir && mkdir -p $dir/user && tar -C $dir -x" ||
        die "copying ./stack into $node failed"
    if [ -n "$file" ]; then
        docker cp "$file" "$ctr:$dir/user/$(basename "$file")" >/dev/null ||
            die "copying $file into $node failed"
        set -- -c "user/$(basename "$file")" "$@"
    fi
    set +e
    docker exec -i -w "$dir" -e PART5_NODES_TARGET="$node" "$ctr" bash ./stack "$cmd" "$@"
    rc=$?
    set -e
    return "$rc"
}

# published_urls: the URLs of myvm1's ports published on this machine
# (nodes up --publish), read from this machine's engine.
NODES_PUBLISHED=""
published_urls() {
    local line node_port host_port
    while read -r line; do
        [ -n "$line" ] || continue
        node_port=${line%%/*}
        host_port=${line##*:}
        case "$node_port" in
        80) printf '  the hello page, published by myvm1: http://localhost:%s/\n' "$host_port" ;;
        8080) printf '  the visualizer, published by myvm1: http://localhost:%s/\n' "$host_port" ;;
        esac
    done < <(docker port "$(node_ctr myvm1)" 2>/dev/null | grep '^[0-9]*/tcp -> 127\.0\.0\.1:' || true)
}
