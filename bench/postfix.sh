#!/usr/bin/env bash
# Postfix end to end (issue 8): msg/s of a private Postfix relaying to smtp-sink, measured with
# smtp-source, bare and with mxgate as its milter, series interleaved round by round so the ratios
# hold on a noisy machine.
#
#   sudo bench/postfix.sh [ROUNDS] [MESSAGES]        defaults: 3 rounds, 2000 messages per run
#
# Series (one Postfix instance, one smtpd service per series, so nothing restarts between runs):
#   bare      no smtpd_milters
#   empty     mxgate with every check off (the empty-pipeline milter), unix socket
#   checks    mxgate with the default config's checks (helo + attachments), unix socket
#   inet      the same daemon as "checks", over inet:127.0.0.1 (TCP_NODELAY check)
# Each run: smtp-source -s 20 -m MESSAGES -l 512, one message per session, HELO mail.example.org,
# alice@example.org -> bob@example.test; timed with date +%s.%N; then the queue is drained (bounded)
# and the relayed count checked before the next run.
# Prints msg/s per series per round, ratios to bare and checks/empty, mxgate's CPU seconds per 1000
# messages (utime+stime deltas of /proc/PID/stat) and the whole machine's CPU per 1000 messages
# (/proc/stat), per series.
#
# Needs root, postfix, smtp-source, smtp-sink. Everything runs on 127.0.0.1 under one temp dir; the
# system Postfix and its config are not touched. Reuses tests/e2e/lib.sh and its Postfix templates.
# MXGATE_BIN=path skips the build. Standalone: not run by CI.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E=$REPO/tests/e2e
# shellcheck source=../tests/e2e/lib.sh
source "$E2E/lib.sh"

rounds=${1:-3}
messages=${2:-2000}
sessions=${BENCH_SESSIONS:-20}
series=(bare empty checks inet)

((EUID == 0)) || die "must run as root (Postfix needs it)"
for c in postfix postconf smtp-sink smtp-source; do
    command -v "$c" >/dev/null || die "$c not found"
done
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    _have_script=1
fi

MXGATE=${MXGATE_BIN:-$REPO/target/release/mxgate}
if [[ -z ${MXGATE_BIN:-} ]]; then
    (cd "$REPO" && cargo build --release --quiet --bin mxgate) || die "cargo build failed"
fi
[[ -x $MXGATE ]] || die "$MXGATE is not executable"
MXGATE=$(realpath "$MXGATE")

# ---- temp dir and teardown -------------------------------------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/mxgate-bench.XXXXXX")
chmod 755 "$T" # smtpd (user postfix) must reach the milter sockets
PF_CONF=$T/postfix
MAILLOG=$T/maillog
export MXGATE_SOCK=$T/unused.sock # lib.sh's render wants it
SINK_PID=
declare -A MX_PID=()

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    set +e
    for pid in "${MX_PID[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${MX_PID[@]}"; do
        wait_for 5 "mxgate $pid to exit" bash -c "! kill -0 $pid 2>/dev/null" >/dev/null ||
            kill -KILL "$pid" 2>/dev/null
    done
    postfix_stop
    stop_child "$SINK_PID"
    if [[ -n ${BENCH_KEEP:-} ]]; then log "kept $T"; else rm -rf "$T"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    exec >&2
    set +e
    log "bench: $*"
    log "---- last 20 lines of the Postfix log"
    tail -n 20 "$MAILLOG" 2>/dev/null | sed 's/^/  | /'
    for f in "$T"/mxgate-*.log; do
        [[ -f $f ]] || continue
        log "---- last 10 lines of $(basename "$f")"
        tail -n 10 "$f" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  | /'
    done
    exit 1
}

declare -A PORT=()
for s in "${series[@]}"; do PORT[$s]=$(free_port); done
SINK_PORT=$(free_port)
MILTER_PORT=$(free_port)
# lib.sh's render fills these in the e2e templates; unused by the bench's master.cf.
export SMTP_PORT=${PORT[bare]} SMTP_INET_PORT=${PORT[inet]} MILTERS=

# ---- smtp-sink: the next hop, discards everything ---------------------------------------------
(exec smtp-sink -u nobody -h sink.bench.test "127.0.0.1:$SINK_PORT" 256 </dev/null >"$T/sink.log" 2>&1) &
SINK_PID=$!
wait_for 5 "smtp-sink on $SINK_PORT" tcp_listening "$SINK_PORT" || fail "smtp-sink did not start"

# ---- mxgate: two daemons, every check off / the default config's checks ---------------------
# From conf/mxgate.toml: own listeners, log level warn (no per-message log lines).
base() {
    sed -e "0,/^listen = /s|^listen = .*|listen = [$1]|" -e 's|^socket_mode = .*|socket_mode = "0666"|' \
        -e 's|^log_level = .*|log_level = "warn"|' "$REPO/conf/mxgate.toml"
}
base "\"unix:$T/empty.sock\"" | sed 's/^enabled = true/enabled = false/' >"$T/mxgate-empty.toml"
base "\"unix:$T/checks.sock\", \"inet:127.0.0.1:$MILTER_PORT\"" >"$T/mxgate-checks.toml"
grep -q '^enabled = true' "$T/mxgate-empty.toml" && fail "mxgate-empty.toml still enables a check"
for d in empty checks; do
    NO_COLOR=1 "$MXGATE" run --config "$T/mxgate-$d.toml" </dev/null >"$T/mxgate-$d.log" 2>&1 &
    MX_PID[$d]=$!
done
mx_up() { [[ -S $T/empty.sock && -S $T/checks.sock ]] && tcp_listening "$MILTER_PORT"; }
wait_for 10 "mxgate to listen" mx_up || fail "mxgate did not start"
for d in empty checks; do kill -0 "${MX_PID[$d]}" 2>/dev/null || fail "mxgate ($d) exited"; done

# ---- Postfix: the e2e instance, one smtpd per series -----------------------------------------
mkdir -p "$PF_CONF" "$T/queue" "$T/data"
chown postfix "$T/data"
render "$E2E/conf/main.cf.in" "$PF_CONF/main.cf"
sed -i -e 's/^syslog_name = .*/syslog_name = postfix-bench/' -e '/^header_checks = /d' "$PF_CONF/main.cf"
{
    echo "# bench/postfix.sh: one smtpd per series"
    echo "127.0.0.1:${PORT[bare]} inet n - n - - smtpd"
    echo "  -o smtpd_milters="
    echo "127.0.0.1:${PORT[empty]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=unix:$T/empty.sock"
    echo "127.0.0.1:${PORT[checks]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=unix:$T/checks.sock"
    echo "127.0.0.1:${PORT[inet]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=inet:127.0.0.1:$MILTER_PORT"
    # The e2e master.cf without its smtpd services.
    render "$E2E/conf/master.cf.in" /dev/stdout |
        awk '/^127\.0\.0\.1:/ { skip = 1; next } skip && /^[ \t]/ { next } { skip = 0; print }'
} >"$PF_CONF/master.cf"
out=$(pf_cmd check 2>&1) || fail "postfix check: $out"
out=$(pf_cmd start 2>&1) || fail "postfix start: $out"
pf_up() { local s; for s in "${series[@]}"; do tcp_listening "${PORT[$s]}" || return 1; done; }
wait_for 10 "Postfix smtpd ports" pf_up || fail "Postfix does not listen"

# ---- measuring --------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }       # ticks, all threads
sys_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; } # busy ticks
sent_count() { grep -c ' status=sent ' "$MAILLOG" 2>/dev/null || true; }

# run SERIES: prints "MSG_PER_S MXGATE_TICKS SYS_TICKS"
run() {
    local s=$1 pid='' t0 t1 c0=0 c1=0 y0 y1 n0 err
    case $s in empty) pid=${MX_PID[empty]} ;; checks | inet) pid=${MX_PID[checks]} ;; esac
    n0=$(sent_count)
    [[ -n $pid ]] && c0=$(proc_cpu "$pid")
    y0=$(sys_cpu)
    t0=$(date +%s.%N)
    timeout 600 smtp-source -s "$sessions" -m "$messages" -l 512 -M mail.example.org \
        -f alice@example.org -t bob@example.test "127.0.0.1:${PORT[$s]}" 2>"$T/source.err" ||
        fail "smtp-source ($s) failed: $(head -c 500 "$T/source.err")"
    t1=$(date +%s.%N)
    y1=$(sys_cpu)
    [[ -n $pid ]] && c1=$(proc_cpu "$pid")
    err=$(head -c 300 "$T/source.err")
    [[ -z $err ]] || log "  smtp-source ($s) said: $err" >&2
    # Let the queue drain (the sink's side of this run) before the next run starts.
    wait_for 120 "queue to drain after $s" queue_empty >&2 || fail "queue did not drain after $s"
    wait_for 10 "$messages relayed ($s)" bash -c "(( \$(grep -c ' status=sent ' '$MAILLOG') >= $n0 + $messages ))" >&2 ||
        fail "$s: only $(($(sent_count) - n0)) of $messages relayed"
    awk -v m="$messages" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v y="$((y1 - y0))" \
        'BEGIN { printf "%.1f %d %d\n", m / (t1 - t0), c, y }'
}

log "bench: $rounds rounds x ${messages} messages, smtp-source -s $sessions -l 512; $(nproc) CPUs; $MXGATE"
log "bench: dir $T; smtpd ports bare ${PORT[bare]} empty ${PORT[empty]} checks ${PORT[checks]} inet ${PORT[inet]}"
# One warm-up run per series (not counted): Postfix processes spawned, caches filled.
for s in "${series[@]}"; do
    saved=$messages; messages=$((sessions * 10))
    run "$s" >/dev/null
    messages=$saved
done

declare -A RATE=() CPU=() SYS=()
printf '\n| round |'; for s in "${series[@]}"; do printf ' %s msg/s |' "$s"; done; printf '\n|---|'
for s in "${series[@]}"; do printf -- '---|'; done; printf '\n'
for ((r = 1; r <= rounds; r++)); do
    printf '| %d |' "$r"
    for s in "${series[@]}"; do
        run "$s" >"$T/result"
        read -r rate cpu sys <"$T/result"
        RATE[$s,$r]=$rate; CPU[$s]=$((${CPU[$s]:-0} + cpu)); SYS[$s]=$((${SYS[$s]:-0} + sys))
        printf ' %s |' "$rate"
    done
    printf '\n'
done

# Ratios per round (then their mean), and CPU per 1000 messages over all rounds.
printf '\n| round | empty / bare | checks / bare | inet / bare | checks / empty | inet / checks |\n|---|---|---|---|---|---|\n'
for ((r = 1; r <= rounds; r++)); do
    awk -v r="$r" -v b="${RATE[bare,$r]}" -v e="${RATE[empty,$r]}" -v c="${RATE[checks,$r]}" -v i="${RATE[inet,$r]}" \
        'BEGIN { printf "| %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", r, 100*e/b, 100*c/b, 100*i/b, 100*c/e, 100*i/c }'
done
total=$((rounds * messages))
printf '\n| series | mean msg/s | mxgate CPU s / 1000 msg | machine CPU s / 1000 msg |\n|---|---|---|---|\n'
for s in "${series[@]}"; do
    sum=0
    for ((r = 1; r <= rounds; r++)); do sum=$(awk -v a="$sum" -v b="${RATE[$s,$r]}" 'BEGIN { print a + b }'); done
    awk -v s="$s" -v sum="$sum" -v n="$rounds" -v c="${CPU[$s]}" -v y="${SYS[$s]}" -v hz="$hz" -v m="$total" \
        'BEGIN { mx = (s == "bare") ? "–" : sprintf("%.3f", c / hz / m * 1000)
                 printf "| %s | %.1f | %s | %.3f |\n", s, sum / n, mx, y / hz / m * 1000 }'
done
for d in empty checks; do
    log "mxgate ($d): RSS $(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/${MX_PID[$d]}/status")"
done
rejects=$(grep -c 'milter-reject\|reject:' "$MAILLOG" || true)
log "Postfix log: $(sent_count) relayed, $rejects rejections"
