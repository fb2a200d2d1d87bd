# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# scripts/stack/common.sh: messages and the Docker engine (install, start,
# swarm manager).
# Sourced by ../../stack, which sets PROG and REPO; not run on its own.

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

# --- the engine -------------------------------------------------------------

# engine_is_local: true when the CLI talks to an engine on this machine
# through the default socket (so its files and kernel are this machine's).
engine_is_local() {
    [ -z "${DOCKER_HOST:-}" ] || [ "${DOCKER_HOST}" = "unix:///var/run/docker.sock" ]
}

# start_engine: starts an installed dockerd, with systemd when it runs the
# machine, else in the background with its log in /var/log/part5-dockerd.log.
start_engine() {
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        say "starting Docker: systemctl enable --now docker"
        systemctl enable --now docker
    else
        say "starting Docker: dockerd in the background (log: /var/log/part5-dockerd.log)"
        setsid dockerd >/var/log/part5-dockerd.log 2>&1 </dev/null &
    fi
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && return 0
        sleep 1
    done
    tail -20 /var/log/part5-dockerd.log 2>/dev/null || true
    die "the Docker engine did not answer within 60 s (see above)"
}

# ensure_engine: makes sure `docker info` answers. On Debian, as root,
# installs and starts Debian's docker.io when there is none, saying so.
ensure_engine() {
    local out
    if command -v docker >/dev/null && out=$(docker info 2>&1); then
        return 0
    fi
    if command -v docker >/dev/null; then
        case "$out" in
        *"permission denied"*)
            die "cannot talk to the Docker engine: permission denied on its socket.
Run as root (sudo $PROG ...), or add yourself to the docker group:
  sudo usermod -aG docker \$USER   (then log in again)" ;;
        esac
        if ! engine_is_local; then
            die "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer:
$out"
        fi
    fi
    [ "$(id -u)" -eq 0 ] || die "no Docker engine answers here.
Install and start one as root, for example on Debian or Ubuntu:
  sudo apt-get install docker.io && sudo systemctl start docker
or run this command as root and it will do so."
    if ! command -v dockerd >/dev/null; then
        [ -f /etc/debian_version ] || die "no Docker engine here, and this is
not Debian: install Docker (https://docs.docker.com/engine/install/) first."
        step "No Docker engine on this machine: installing Debian's docker.io"
        say "running: apt-get update && apt-get install -y docker.io (log: /var/log/part5-install.log)"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io; } \
            >/var/log/part5-install.log 2>&1; then
            tail -20 /var/log/part5-install.log >&2
            die "installing docker.io failed (above; full log: /var/log/part5-install.log)"
        fi
        say "installed: $(dpkg-query -W -f '${Package} ${Version}' docker.io)"
    fi
    step "The Docker engine is installed but not running"
    start_engine
    say "Docker $(docker version --format '{{.Server.Version}}') is ready"
}

# ensure_manager ADDR: makes the engine a swarm manager. An engine in no
# swarm gets `docker swarm init`; one that is a worker is an error the user
# can act on.
ensure_manager() {
    local addr=$1 state control out ip
    state=$(docker info --format '{{.Swarm.LocalNodeState}}')
    control=$(docker info --format '{{.Swarm.ControlAvailable}}')
    case "$state" in
    active)
        if [ "$control" != true ]; then
            die "This node is not a swarm manager: it is a worker of a swarm.
Run $PROG on a manager (docker node ls works there), or point the CLI at one,
e.g. eval \$(docker-machine env myvm1), or DOCKER_HOST=ssh://user@manager."
        fi
        say "this engine is a swarm manager ($(docker info --format '{{.Swarm.Nodes}}') node(s))"
        return 0
        ;;
    inactive) ;;
    locked) die "the swarm is locked: unlock it first (docker swarm unlock)" ;;
    *) die "the engine's swarm state is '$state': wait, or see docker info" ;;
    esac
    step "Making this engine a swarm manager (docker swarm init)"
    if [ -n "$addr" ]; then
        out=$(docker swarm init --advertise-addr "$addr" 2>&1) || {
            case "$out" in
            *"already part of a swarm"*) return 0 ;;
            esac
            die "docker swarm init --advertise-addr $addr failed: $out"
        }
    elif ! out=$(docker swarm init 2>&1); then
        case "$out" in
        *"already part of a swarm"*) return 0 ;;
        *"advertise"* | *"listen-addr"*)
            # Several addresses and no way for the engine to choose: take
            # the one of this machine's default route, when the engine is
            # this machine's.
            engine_is_local || die "docker swarm init needs an address:
$out
Run again with --advertise-addr ADDR (an address the other nodes can reach)."
            ip=$(ip -4 route get 1.1.1.1 2>/dev/null |
                sed -n 's/.* src \([0-9.]*\).*/\1/p')
            [ -n "$ip" ] || die "docker swarm init needs an address:
$out
Run again with --advertise-addr ADDR."
            say "the engine has several addresses; advertising $ip (the default route's; use --advertise-addr to choose)"
            out=$(docker swarm init --advertise-addr "$ip" 2>&1) ||
                die "docker swarm init --advertise-addr $ip failed: $out"
            ;;
        *) die "docker swarm init failed: $out" ;;
        esac
    fi
    say "swarm created; this engine is its manager."
    say "To add a worker (as in the tutorial's Part 4), run on it:"
    docker swarm join-token worker | sed -n 's/^ *\(docker swarm join .*\)$/  \1/p'
}

# ensure_running_engine: status and down need an engine that answers; they
# never install one.
ensure_running_engine() {
    local out
    command -v docker >/dev/null || die "no docker command here (run $PROG up to set Docker up)"
    out=$(docker info 2>&1) || die "the Docker engine does not answer: $out"
}
