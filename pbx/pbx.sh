#!/usr/bin/env bash
# Switchboard loopback test PBX: Asterisk 22 from Debian sid in a cached chroot.
# Usage: pbx/pbx.sh {build|start|stop|kill|restart|status|prompts}
# Everything listens on 127.0.0.1 only (SIP 5060, AMI 5038, RTP 20000-20999).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
CONF_SRC="$HERE/asterisk"
CACHE="${SWITCHBOARD_PBX_CACHE:-/var/cache/switchboard-pbx}"
# Bump the suffix when the package set changes, so old roots are not reused.
ROOT="$CACHE/sid-asterisk-v1"
STATE="${SWITCHBOARD_PBX_STATE:-/run/switchboard-pbx}"
PIDFILE="$STATE/asterisk.pid"
OUTLOG="$STATE/asterisk.out"
AST_CONF=/etc/asterisk-test/asterisk.conf
AMI_PORT=5038
# The IVR's prompts (switchboard ivr prompts), where the FastAGI server's STREAM FILE finds them.
PROMPTS_DIR="$ROOT/usr/share/asterisk/sounds/switchboard"

log() { echo "pbx: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (chroot + debootstrap)"; }

host_tools() {
    local missing=()
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
    command -v flock >/dev/null 2>&1 || missing+=(util-linux)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing host packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

mirror() {
    # The machine's own configured Debian mirror, read at run time.
    local m=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        m="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
    fi
    if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
        m="$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//){print $i; exit}}' /etc/apt/sources.list)"
    fi
    [ -n "$m" ] || die "cannot find a Debian mirror in the apt sources"
    echo "$m"
}

root_ok() { [ -x "$ROOT/usr/sbin/asterisk" ] && [ -d "$ROOT/usr/lib/x86_64-linux-gnu/asterisk/modules" ]; }

cmd_build() {
    if [ "${SWITCHBOARD_SKIP_PBX:-}" = "1" ]; then log "SWITCHBOARD_SKIP_PBX=1: not building"; return 0; fi
    need_root
    host_tools
    root_ok && { log "root ready: $ROOT"; return 0; }
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.build.lock"
    flock -w 900 9 || die "timed out waiting for another build"
    root_ok && { log "root ready: $ROOT"; return 0; }
    local tmp start
    tmp="$(mktemp -d "$CACHE/build.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    start=$(date +%s)
    log "building Debian sid root with asterisk in $tmp (about a minute)"
    timeout 1200 debootstrap --variant=minbase --include=asterisk sid "$tmp" "$(mirror)" \
        >"$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    [ -x "$tmp/usr/sbin/asterisk" ] || die "asterisk missing from the built root"
    rm -rf "$ROOT"
    mv -T "$tmp" "$ROOT"
    trap - EXIT
    log "root built in $(( $(date +%s) - start )) s: $ROOT ($(chroot "$ROOT" asterisk -V))"
}

pid_alive() {
    local pid
    [ -s "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE")"
    [ -d "/proc/$pid" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "asterisk -f -C $AST_CONF"
}

ami_banner() {
    # Prints the AMI banner line if something answers on the AMI port.
    local line=""
    if exec 3<>"/dev/tcp/127.0.0.1/$AMI_PORT"; then
        IFS= read -r -t 2 line <&3 || true
        exec 3<&- 3>&-
    fi 2>/dev/null
    printf '%s' "${line%$'\r'}"
}

conf_hash() { cat "$CONF_SRC"/*.conf | sha256sum | cut -c1-16; }

install_conf() {
    rm -rf "$ROOT/etc/asterisk-test"
    mkdir -p "$ROOT/etc/asterisk-test"
    cp "$CONF_SRC"/*.conf "$ROOT/etc/asterisk-test/"
    # No name servers: the test PBX only ever talks to 127.0.0.1 by address.
    : >"$ROOT/etc/resolv.conf"
    local d
    for d in var/lib/asterisk-test var/spool/asterisk-test var/run/asterisk-test var/log/asterisk-test; do
        rm -rf "${ROOT:?}/$d"
        mkdir -p "$ROOT/$d"
    done
    browser_phones
}

browser_phones() {
    # Issue 20: ICE host candidates. Asterisk offers only non-loopback addresses while the browser
    # phones' RTP is bound to 127.0.0.1: map each local IPv4 address to 127.0.0.1 (host-specific).
    { echo; echo "[ice_host_candidates]"
      ip -4 -o addr show 2>/dev/null | awk '$2 != "lo" {split($4, a, "/"); print a[1] " => 127.0.0.1"}'
    } >>"$ROOT/etc/asterisk-test/rtp.conf"
    # Hold music and the recording notice (tones a test can recognise), and the recordings' directory.
    python3 "$HERE/sounds.py" "$ROOT/var/lib/asterisk-test/moh" "$ROOT/usr/share/asterisk/sounds"
    mkdir -p "$ROOT/var/spool/asterisk-test/monitor"
}

project_python() {
    # SWITCHBOARD_PYTHON, else the checkout's .venv, else python3 (it needs the project's packages).
    local py="${SWITCHBOARD_PYTHON:-}"
    [ -n "$py" ] || { [ -x "$REPO/.venv/bin/python" ] && py="$REPO/.venv/bin/python"; }
    echo "${py:-python3}"
}

cmd_prompts() {
    # Render the IVR's prompts (espeak-ng, 8 kHz WAV) into the root; unchanged files are skipped.
    root_ok || die "no PBX root: pbx/pbx.sh build first"
    if ! command -v espeak-ng >/dev/null 2>&1; then
        log "installing espeak-ng (the IVR's prompts)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends espeak-ng >/dev/null
    fi
    mkdir -p "$PROMPTS_DIR"
    PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$(project_python)" -m agent_ui.cli ivr prompts \
        --out "$PROMPTS_DIR" --file "$REPO/config/defaults/ivr.yaml" >&2
}

cmd_start() {
    need_root
    root_ok || cmd_build
    command -v sipp >/dev/null 2>&1 || host_tools
    if pid_alive; then
        # Another checkout may have started it with other files: restart with ours.
        if [ "$(cat "$STATE/conf.hash" 2>/dev/null)" = "$(conf_hash)" ]; then
            log "already running (pid $(cat "$PIDFILE"))"; return 0
        fi
        log "running with other configuration files: restarting with $CONF_SRC"
        cmd_stop
    fi
    [ -z "$(ami_banner)" ] || die "something else already answers on 127.0.0.1:$AMI_PORT"
    mkdir -p "$STATE"
    install_conf
    conf_hash >"$STATE/conf.hash"
    local t0 pid i
    t0=$(date +%s%N)
    # Asterisk must not inherit our other descriptors (a caller's `flock` lock, above all: it
    # would hold the machine's PBX lock for as long as Asterisk runs).
    (
        for fd in /proc/self/fd/*; do
            n="${fd##*/}"
            [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null
        done
        exec setsid chroot "$ROOT" /usr/sbin/asterisk -f -C "$AST_CONF" </dev/null >"$OUTLOG" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$PIDFILE"
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$OUTLOG" "$ROOT/var/log/asterisk-test/messages.log" >&2 || true; die "asterisk exited during boot"; }
        if timeout 5 chroot "$ROOT" /usr/sbin/asterisk -C "$AST_CONF" -rx "core waitfullybooted" >/dev/null 2>&1 \
            && [ -n "$(ami_banner)" ]; then
            log "up: pid $pid, fully booted, AMI on 127.0.0.1:$AMI_PORT in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
            return 0
        fi
        sleep 0.1
        [ "$i" -lt 150 ] || { cmd_stop; die "asterisk did not become ready"; }
    done
}

cmd_stop() {
    local pid i
    if ! pid_alive; then rm -f "$PIDFILE"; log "not running"; return 0; fi
    pid="$(cat "$PIDFILE")"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then log "still up after 10 s; SIGKILL $pid"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    rm -f "$PIDFILE"
    log "stopped (pid $pid)"
}

cmd_kill() {
    local pid
    if ! pid_alive; then log "not running"; return 0; fi
    pid="$(cat "$PIDFILE")"
    kill -KILL "$pid"
    for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    rm -f "$PIDFILE"
    log "killed (pid $pid)"
}

cmd_status() {
    if pid_alive; then
        echo "running pid $(cat "$PIDFILE") root $ROOT ami 127.0.0.1:$AMI_PORT banner '$(ami_banner)'"
    else
        echo "stopped (root $( root_ok && echo present || echo absent ): $ROOT)"
        return 3
    fi
}

case "${1:-}" in
    build) cmd_build ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    kill) cmd_kill ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    prompts) cmd_prompts ;;
    root) echo "$ROOT" ;;
    *) echo "usage: $0 {build|start|stop|kill|restart|status|prompts|root}" >&2; exit 2 ;;
esac
