#!/usr/bin/env bash
# End-to-end tests of mxgate behind a real Postfix.
#
#   tests/e2e/run.sh [FILTER...]      as root, from anywhere; FILTER = part of a scenario file name
#
# Starts, all on 127.0.0.1 and under one temp dir: smtp-sink (the "next hop"), mxgate, and a
# private Postfix instance (own config_directory, queue, data dir, log file; smtpd_milters =
# mxgate's socket). Then runs each tests/e2e/scenarios/*.sh with swaks as the client, and tears
# everything down. The system Postfix is neither used nor touched.
#
# Environment:
#   MXGATE_BIN   binary to test (default: target/release/mxgate, built if missing)
#   FIXTURE_DNS_BIN  the fixture DNS server (default: target/release/examples/fixture_dns,
#                built if missing)
#   E2E_KEEP=1   keep the temp dir (and print its path) instead of deleting it
#   E2E_VERBOSE=1  print every scenario's log, not only failing ones
#
# Output: one PASS/FAIL line per scenario, then "N passed, N failed"; exit 1 on any failure.
# Needs: postfix, swaks (tests/prereqs.sh installs them).
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E/lib.sh"

((EUID == 0)) || die "must run as root (Postfix needs it)"
for c in postfix postconf smtp-sink swaks; do
    command -v "$c" >/dev/null || die "$c not found; run tests/prereqs.sh (as root)"
done
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    _have_script=1
fi

# ---- the binary under test -------------------------------------------------------------------
MXGATE=${MXGATE_BIN:-$REPO/target/release/mxgate}
if [[ ! -x $MXGATE ]]; then
    [[ -n ${MXGATE_BIN:-} ]] && die "MXGATE_BIN=$MXGATE is not executable"
    log "building mxgate (cargo build --release)"
    (cd "$REPO" && cargo build --release --bin mxgate) || die "cargo build failed"
fi
MXGATE=$(realpath "$MXGATE")
# The DNS checks' scenarios ask an authoritative server for tests/fixtures/zones (+ faults).
FIXTURE_DNS=${FIXTURE_DNS_BIN:-$REPO/target/release/examples/fixture_dns}
if [[ ! -x $FIXTURE_DNS ]]; then
    [[ -n ${FIXTURE_DNS_BIN:-} ]] && die "FIXTURE_DNS_BIN=$FIXTURE_DNS is not executable"
    log "building fixture_dns (cargo build --release --example fixture_dns)"
    (cd "$REPO" && cargo build --release --example fixture_dns) || die "cargo build of fixture_dns failed"
fi
FIXTURE_DNS=$(realpath "$FIXTURE_DNS")

# ---- temp dir and teardown -------------------------------------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/mxgate-e2e.XXXXXX")
chmod 755 "$T" # smtpd (user postfix) must reach the milter socket
if command -v runuser >/dev/null && ! runuser -u postfix -- test -x "$T"; then
    rmdir "$T"
    die "user postfix cannot reach $T (a parent directory is not searchable); set TMPDIR"
fi
PF_CONF=$T/postfix
MAILLOG=$T/maillog
SINK_DIR=$T/sink
MXGATE_SOCK=$T/mxgate.sock
MXGATE_LOG=$T/mxgate.log
MXGATE_CONF=$T/mxgate.toml
[[ $T != *[[:space:]]* ]] || { rmdir "$T"; die "temp dir $T contains white space (set TMPDIR)"; }
((${#MXGATE_SOCK} < 100)) || { rmdir "$T"; die "socket path too long: $MXGATE_SOCK (set TMPDIR)"; }
SINK_PID=
DNS_PID=

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    set +e
    # mxgate (and its wrapper)
    if pid=$(mxgate_pid); then
        kill -TERM "$pid" 2>/dev/null
        wait_for 5 "mxgate to exit" test -s "$T/mxgate.rc" >/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    postfix_stop
    stop_child "$SINK_PID"
    stop_child "$DNS_PID"
    if [[ -n ${E2E_KEEP:-} ]]; then
        log "kept $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump_logs() {
    log "---- last 40 lines of the Postfix log ($MAILLOG)"
    tail -n 40 "$MAILLOG" 2>/dev/null | sed 's/^/  | /'
    log "---- last 40 lines of mxgate's stderr ($MXGATE_LOG)"
    tail -n 40 "$MXGATE_LOG" 2>/dev/null | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  | /'
    log "---- last 10 lines of smtp-sink's output"
    tail -n 10 "$T/sink.log" 2>/dev/null | sed 's/^/  | /'
    log "---- last 20 lines of fixture_dns's output (the queries it got)"
    tail -n 20 "$DNS_LOG" 2>/dev/null | sed 's/^/  | /'
}
setup_failed() {
    log "e2e setup failed: $*"
    dump_logs
    log "0 passed, 1 failed"
    exit 1
}

SMTP_PORT=$(free_port)      # smtpd, milter = mxgate's unix socket
SMTP_INET_PORT=$(free_port) # smtpd, milter = mxgate's TCP socket
SINK_PORT=$(free_port)
MILTER_PORT=$(free_port)    # mxgate's TCP socket
MILTERS=unix:$MXGATE_SOCK # smtpd_milters, used by render
export MILTERS
log "e2e: dir $T, smtpd 127.0.0.1:$SMTP_PORT and :$SMTP_INET_PORT, sink :$SINK_PORT, mxgate :$MILTER_PORT $MXGATE"

# ---- smtp-sink: the next hop, one file per message -------------------------------------------
mkdir -p "$SINK_DIR"
chown nobody "$SINK_DIR"
(cd "$SINK_DIR" && exec smtp-sink -u nobody -h sink.e2e.test -d "$SINK_DIR/msg." \
    "127.0.0.1:$SINK_PORT" 64 </dev/null >"$T/sink.log" 2>&1) &
SINK_PID=$!
wait_for 5 "smtp-sink on port $SINK_PORT" tcp_listening "$SINK_PORT" || setup_failed "smtp-sink did not start"

# ---- fixture DNS server: tests/fixtures/zones, for the scenarios' [dns] nameservers -----------
# Port 0: the server picks a free UDP+TCP port and says which; no race with other runs.
# Faults (the same for every scenario; the names are in no zone, so nothing else sees them):
# shellcheck disable=SC2034 # used by scenarios
DNS_SERVFAIL_CLIENT=192.0.2.66 # its PTR query gets SERVFAIL
DNS_LOG=$T/dns.log
"$FIXTURE_DNS" --listen 127.0.0.1:0 --servfail 66.2.0.192.in-addr.arpa. </dev/null >"$DNS_LOG" 2>&1 &
DNS_PID=$!
dns_ready() { grep -q '^listening on ' "$DNS_LOG" || ! kill -0 "$DNS_PID" 2>/dev/null; }
wait_for 10 "fixture_dns to listen" dns_ready || true
DNS_ADDR=$(sed -n 's/^listening on \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$DNS_LOG")
[[ -n $DNS_ADDR ]] || setup_failed "fixture_dns did not start: $(head -c 2000 "$DNS_LOG")"
log "e2e: fixture DNS on $DNS_ADDR ($FIXTURE_DNS)"

# ---- mxgate ----------------------------------------------------------------------------------
render "$E2E/conf/mxgate.toml.in" "$MXGATE_CONF"
: >"$MXGATE_LOG"
mxgate_start || setup_failed "mxgate did not start"

# ---- Postfix ---------------------------------------------------------------------------------
mkdir -p "$PF_CONF" "$T/queue" "$T/data"
chown postfix "$T/data"
render "$E2E/conf/main.cf.in" "$PF_CONF/main.cf"
render "$E2E/conf/master.cf.in" "$PF_CONF/master.cf"
echo '/^Subject: .*e2e-/ WARN' >"$PF_CONF/header_checks"
# Creates the queue directories with their owners (postfix, group postdrop) and checks the config.
out=$(pf_cmd check 2>&1) || setup_failed "postfix check: $out"
[[ -z $out ]] || log "postfix check: $out"
out=$(pf_cmd start 2>&1) || setup_failed "postfix start: $out"
pf_listening() { tcp_listening "$SMTP_PORT" && tcp_listening "$SMTP_INET_PORT"; }
wait_for 10 "Postfix smtpd on ports $SMTP_PORT, $SMTP_INET_PORT" pf_listening ||
    setup_failed "Postfix does not listen on $SMTP_PORT and $SMTP_INET_PORT"
banner=$(smtp_banner "$SMTP_PORT" || true)
[[ $banner == "220 mx.e2e.test ESMTP e2e"* ]] ||
    setup_failed "unexpected banner on port $SMTP_PORT: '$banner' (not our Postfix?)"

# ---- scenarios -------------------------------------------------------------------------------
passed=0 failed=0
mkdir -p "$T/scenarios"
# In numeric order of the NN- prefix (sort -V: 90-… before 100-…).
mapfile -t scenario_files < <(printf '%s\n' "$E2E"/scenarios/*.sh | sort -V)
for file in "${scenario_files[@]}"; do
    name=$(basename "$file" .sh)
    if (($#)); then
        match=
        for f in "$@"; do [[ $name == *"$f"* ]] && match=1; done
        [[ -n $match ]] || continue
    fi
    # Every scenario starts with mxgate up, on the default config.
    if ! mxgate_running || [[ $(cat "$T/mxgate.conf-in-use") != "$MXGATE_CONF" ]]; then
        if mxgate_running; then mxgate_stop >/dev/null || true; fi
        mxgate_start >>"$T/scenarios/restarts.log" 2>&1 || setup_failed "mxgate did not restart"
    fi
    SC_DIR=$T/scenarios/$name
    mkdir -p "$SC_DIR"
    start=$(date +%s%N)
    set +e
    (
        set -euo pipefail
        # shellcheck source=/dev/null
        source "$file"
    ) >"$SC_DIR/log" 2>&1
    rc=$?
    set -e
    ms=$((($(date +%s%N) - start) / 1000000))
    if ((rc == 0)); then
        passed=$((passed + 1))
        log "PASS $name (${ms}ms)"
        [[ -z ${E2E_VERBOSE:-} ]] || sed 's/^/    /' "$SC_DIR/log"
    else
        failed=$((failed + 1))
        log "FAIL $name (${ms}ms, exit $rc)"
        sed 's/^/    /' "$SC_DIR/log"
    fi
done

((passed + failed > 0)) || { log "no scenario matched: $*"; failed=1; }
((failed == 0)) || dump_logs
log "$passed passed, $failed failed"
((failed == 0))
