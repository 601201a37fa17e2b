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
pf_detect_script

# ---- the binary under test -------------------------------------------------------------------
MXGATE=${MXGATE_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/mxgate}
if [[ ! -x $MXGATE ]]; then
    [[ -n ${MXGATE_BIN:-} ]] && die "MXGATE_BIN=$MXGATE is not executable"
    log "building mxgate (cargo build --release)"
    (cd "$REPO" && cargo build --release --bin mxgate) || die "cargo build failed"
fi
MXGATE=$(realpath "$MXGATE")
# The DNS checks' scenarios ask an authoritative server for tests/fixtures/zones (+ faults).
find_fixture_dns

# ---- temp dir and teardown -------------------------------------------------------------------
make_run_dir mxgate-e2e # smtpd (user postfix) must reach the milter socket
if command -v runuser >/dev/null && ! runuser -u postfix -- test -x "$T"; then
    rmdir "$T"
    die "user postfix cannot reach $T (a parent directory is not searchable); set TMPDIR"
fi
MXGATE_SOCK=$T/mxgate.sock
MXGATE_CONF=$T/mxgate.toml
((${#MXGATE_SOCK} < 100)) || { rmdir "$T"; die "socket path too long: $MXGATE_SOCK (set TMPDIR)"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_all
    remove_run_dir "${E2E_KEEP:-}"
    exit "$rc"
}
on_exit cleanup

dump_logs() {
    dump_daemon_logs
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
start_sink || setup_failed "smtp-sink did not start"

# ---- fixture DNS server: tests/fixtures/zones, for the scenarios' [dns] nameservers -----------
start_fixture_dns || setup_failed "fixture_dns did not start: $(head -c 2000 "$DNS_LOG")"
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
postfix_up setup_failed

# ---- scenarios -------------------------------------------------------------------------------
passed=0 failed=0
mkdir -p "$T/scenarios"
# In numeric order of the NN- prefix (sort -V: 90-… before 100-…).
mapfile -t scenario_files < <(printf '%s\n' "$E2E"/scenarios/*.sh | sort -V)
for file in "${scenario_files[@]}"; do
    scenario_selected "$(basename "$file" .sh)" "$@" || continue
    # Every scenario starts with mxgate up, on the default config.
    run_scenario setup_failed "$file"
done

((passed + failed > 0)) || { log "no scenario matched: $*"; failed=1; }
((failed == 0)) || dump_logs
log "$passed passed, $failed failed"
((failed == 0))
