#!/usr/bin/env bash
# Postfix end to end (issue 8): msg/s of a private Postfix relaying to smtp-sink, measured with
# smtp-source, bare and with a milter, series interleaved round by round so the ratios hold on a
# noisy machine.
#
#   sudo bench/postfix.sh [ROUNDS] [MESSAGES]        defaults: 3 rounds, 2000 messages per run
#   env: BENCH_SESSIONS (concurrent SMTP sessions and replay connections, 20),
#        BENCH_REPLAY_SESSIONS (sessions per replay load run, 20000), BENCH_KEEP=1 (keep the dir),
#        BENCH_MT=1 (add the multi-thread series)
#
# Series (one Postfix instance, one smtpd service per series, so nothing restarts between runs):
#   bare      no smtpd_milters
#   empty     examples/empty_milter.rs: indymilter alone, every callback Continue, one header
#             added at end of message, on the stage set mxgate negotiates with every check on
#             (connect, helo, mail, rcpt, header, eoh, body, eom); unix socket
#   emptynr   the same empty milter, but with header and body negotiated without replies
#             (NOREPLY), as mxgate negotiates them: same stage set and protocol options
#   all       mxgate with every check enabled (client_access, helo, rdns, dnsbl, spf, sender_access,
#             sender_domain, recipient_domain, relay, denylist, attachments, greylist), unix socket
#   inet      the same daemon as "all", over inet:127.0.0.1
#   auth      a second mxgate like "all" plus dkim and dmarc (issue 15), unix socket; smtp-source's
#             messages are unsigned, so this shows their fixed cost (header buffering, the DMARC
#             policy lookup, SPF alignment); the replay part below adds a signed message
#   mt        (with BENCH_MT=1) a second mxgate like "all" but runtime = "multi-thread", unix socket
# The checks look things up for real: a fixture DNS server on loopback (examples/fixture_dns.rs,
# tests/fixtures/zones plus a bench.test zone for the sender), a throwaway PostgreSQL 15 cluster
# (denylist with 10,000 entries and its cache, greylist store, relay table), map files. The mail is
# clean and from a good client: SPF pass for bench.test, not listed, relayed recipient, not on the
# denylist, greylist triplet passed before the first measured run (auto-allowlist off, so every
# RCPT still reads and refreshes the triplet in PostgreSQL).
# Each run: smtp-source -s 20 -m MESSAGES -l 512, one message per session, HELO mail.bench.test,
# alice@bench.test -> bob@example.test; timed with date +%s.%N; then the queue is drained (bounded)
# and the relayed count checked before the next run.
# Then the milters alone, without Postfix: `mxgate replay --load` of the same message against the
# empty milter and mxgate over their unix sockets, interleaved.
# Prints msg/s per series per round, ratios, the milter's CPU seconds per 1000 messages
# (utime+stime deltas of /proc/PID/stat) and the whole machine's CPU per 1000 messages
# (/proc/stat), per series.
#
# Needs root, postfix, smtp-source, smtp-sink, PostgreSQL 15 server binaries. Everything runs on
# 127.0.0.1 under one temp dir; the system Postfix and its config are not touched. Reuses
# tests/e2e/lib.sh and its Postfix templates. MXGATE_BIN=path skips the build of mxgate (the
# examples are built unless EXAMPLES_DIR=dir holds empty_milter and fixture_dns).
# Standalone: not run by CI.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E=$REPO/tests/e2e
# shellcheck source=../tests/e2e/lib.sh
source "$E2E/lib.sh"
# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"

rounds=${1:-3}
messages=${2:-2000}
sessions=${BENCH_SESSIONS:-20}
replay_sessions=${BENCH_REPLAY_SESSIONS:-20000}
series=(bare empty emptynr all auth inet)
[[ -n ${BENCH_MT:-} ]] && series+=(mt)

((EUID == 0)) || die "must run as root (Postfix needs it)"
for c in postfix postconf smtp-sink smtp-source; do
    command -v "$c" >/dev/null || die "$c not found (apt-get install postfix)"
done
pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || die "PostgreSQL server binaries not found (apt-get install postgresql-15)"
pf_detect_script

MXGATE=${MXGATE_BIN:-$REPO/target/release/mxgate}
if [[ -z ${MXGATE_BIN:-} ]]; then
    (cd "$REPO" && cargo build --release --quiet --bin mxgate) || die "cargo build failed"
fi
[[ -x $MXGATE ]] || die "$MXGATE is not executable"
MXGATE=$(realpath "$MXGATE")
EXAMPLES=${EXAMPLES_DIR:-$REPO/target/release/examples}
if [[ -z ${EXAMPLES_DIR:-} ]]; then
    (cd "$REPO" && cargo build --release --quiet --example empty_milter --example fixture_dns --example dkim_sign) ||
        die "cargo build of the examples failed"
fi
for e in empty_milter fixture_dns dkim_sign; do [[ -x $EXAMPLES/$e ]] || die "$EXAMPLES/$e is not executable"; done

# ---- temp dir and teardown -------------------------------------------------------------------
make_run_dir mxgate-bench # smtpd (user postfix) must reach the milter sockets
export MXGATE_SOCK=$T/unused.sock # lib.sh's render wants it
declare -A MX_PID=()
PG_DIR=$T/pg
as_pg=(runuser -u postgres --)

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
    stop_child "$DNS_PID"
    [[ -d $PG_DIR/data ]] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1
    remove_run_dir "${BENCH_KEEP:-}"
    exit "$rc"
}
on_exit cleanup

fail() {
    exec >&2
    set +e
    log "bench: $*"
    log "---- last 20 lines of the Postfix log"
    tail -n 20 "$MAILLOG" 2>/dev/null | sed 's/^/  | /'
    for f in "$T"/mxgate-*.log "$T"/empty.log "$PG_DIR"/server.log; do
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

# ---- fixture DNS: the test zones plus bench.test, the sender's domain ------------------------
mkdir -p "$T/zones"
cp "$REPO"/tests/fixtures/zones/*.zone "$T/zones/"
cat >"$T/zones/bench.test.zone" <<'ZONE'
$ORIGIN bench.test.
$TTL 3600
@     IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300
@     IN NS  ns.bench.test.
@     IN MX  10 mail.bench.test.
@     IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
ns    IN A   127.0.0.1
mail  IN A   127.0.0.1
mail  IN TXT "v=spf1 a -all"
_dmarc IN TXT "v=DMARC1; p=reject"
ZONE
# The signing key of the replayed signed message (the test-only key of the e2e scenarios).
dkim_key=$REPO/tests/fixtures/dkim-e2e/rsa2048.pem
dkim_p=$(openssl pkey -in "$dkim_key" -pubout -outform DER | base64 -w0)
printf 'rsa._domainkey IN TXT "v=DKIM1; k=rsa; p=%s" "%s"\n' "${dkim_p:0:200}" "${dkim_p:200}" \
    >>"$T/zones/bench.test.zone"
FIXTURE_DNS=$EXAMPLES/fixture_dns
start_fixture_dns --zones "$T/zones" || fail "fixture_dns did not start: $(head -c 1000 "$DNS_LOG")"

# ---- PostgreSQL: a throwaway cluster, unix socket only -----------------------------------------
mkdir -p "$PG_DIR" && chown postgres: "$PG_DIR" && chmod 0755 "$PG_DIR"
"${as_pg[@]}" "$pgbin/initdb" -A trust -N -U postgres -D "$PG_DIR/data" >"$T/initdb.log" 2>&1 ||
    fail "initdb: $(tail -n 5 "$T/initdb.log")"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses= -k $PG_DIR -p 5432" start >/dev/null || fail "PostgreSQL did not start"

# ---- milters: the empty baseline and mxgate with every check ---------------------------------
"$EXAMPLES/empty_milter" "unix:$T/empty.sock" connect,helo,mail,rcpt,header,eoh,body,eom \
    </dev/null >"$T/empty.log" 2>&1 &
MX_PID[empty]=$!
"$EXAMPLES/empty_milter" "unix:$T/emptynr.sock" connect,helo,mail,rcpt,header,eoh,body,eom header,body \
    </dev/null >"$T/emptynr.log" 2>&1 &
MX_PID[emptynr]=$!

printf '%s\n' '127.0.0.0/8 DUNNO' '192.0.2.0/24 REJECT 5.7.1 no mail from this network' \
    '198.51.100.0/24 DEFER try later' '2001:db8::/32 REJECT' >"$T/client_access.cidr"
printf '%s\n' 'spam.example.net REJECT spamming domain' 'bad@example.org REJECT' \
    'friend@spam.example.net OK' >"$T/sender_access"
printf '%s\n' 'bob@example.test OK' 'carol@example.test OK' 'postmaster@example.test OK' \
    >"$T/relay_recipients"
# Every check on, in the order of conf/mxgate.toml's sections; greylist last.
cat >"$T/mxgate-all.toml" <<TOML
[daemon]
listen = ["unix:$T/all.sock", "inet:127.0.0.1:$MILTER_PORT"]
socket_mode = "0666"
log_level = "warn"
max_connections = 1000

[dns]
nameservers = ["$DNS_ADDR"]

[database]
host = "$PG_DIR"
port = 5432
user = "postgres"
dbname = "postgres"

TOML
all_checks "$T" client_access helo rdns dnsbl spf sender_access sender_domain recipient_domain \
    relay denylist attachments greylist |
    add_keys checks.dnsbl 'self_test = false' |
    add_keys checks.recipient_domain 'relay_domains = ["example.test"]' |
    add_keys checks.relay 'table = true' |
    add_keys checks.denylist 'backend = "postgres"' |
    add_keys checks.greylist 'store = "postgres"' 'delay = 1' 'auto_allowlist = 0' >>"$T/mxgate-all.toml"
"$MXGATE" check-config "$T/mxgate-all.toml" >/dev/null 2>"$T/check-config.err" ||
    fail "check-config: $(cat "$T/check-config.err")"
# The denylist: 10,000 other addresses, loaded into the daemon's cache at start.
for i in $(seq 1 10000); do echo "gone$i@example.test drop-recipient bounced"; done >"$T/denylist.txt"
"$MXGATE" denylist --config "$T/mxgate-all.toml" init >/dev/null || fail "denylist init failed"
"$MXGATE" denylist --config "$T/mxgate-all.toml" import "$T/denylist.txt" >/dev/null ||
    fail "denylist import failed"
NO_COLOR=1 "$MXGATE" run --config "$T/mxgate-all.toml" </dev/null >"$T/mxgate-all.log" 2>&1 &
MX_PID[all]=$!
# "auth": the same plus DKIM verification and DMARC.
{
    sed -e "s|^listen = .*|listen = [\"unix:$T/auth.sock\"]|" "$T/mxgate-all.toml"
    all_checks "$T" dkim dmarc
} >"$T/mxgate-auth.toml"
"$MXGATE" check-config "$T/mxgate-auth.toml" >/dev/null 2>"$T/check-config.err" ||
    fail "check-config (auth): $(cat "$T/check-config.err")"
NO_COLOR=1 "$MXGATE" run --config "$T/mxgate-auth.toml" </dev/null >"$T/mxgate-auth.log" 2>&1 &
MX_PID[auth]=$!
if [[ -n ${BENCH_MT:-} ]]; then
    sed -e "s|^listen = .*|listen = [\"unix:$T/mt.sock\"]|" -e 's|^\[daemon\]$|[daemon]\nruntime = "multi-thread"|' \
        "$T/mxgate-all.toml" >"$T/mxgate-mt.toml"
    NO_COLOR=1 "$MXGATE" run --config "$T/mxgate-mt.toml" </dev/null >"$T/mxgate-mt.log" 2>&1 &
    MX_PID[mt]=$!
fi
mx_up() {
    [[ -S $T/empty.sock && -S $T/emptynr.sock && -S $T/all.sock && -S $T/auth.sock ]] && tcp_listening "$MILTER_PORT" &&
        { [[ -z ${BENCH_MT:-} ]] || [[ -S $T/mt.sock ]]; }
}
wait_for 10 "the milters to listen" mx_up || fail "a milter did not start"
for d in "${!MX_PID[@]}"; do kill -0 "${MX_PID[$d]}" 2>/dev/null || fail "milter ($d) exited"; done

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
    echo "127.0.0.1:${PORT[emptynr]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=unix:$T/emptynr.sock"
    echo "127.0.0.1:${PORT[all]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=unix:$T/all.sock"
    echo "127.0.0.1:${PORT[auth]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=unix:$T/auth.sock"
    echo "127.0.0.1:${PORT[inet]} inet n - n - - smtpd"
    echo "  -o smtpd_milters=inet:127.0.0.1:$MILTER_PORT"
    if [[ -n ${BENCH_MT:-} ]]; then
        echo "127.0.0.1:${PORT[mt]} inet n - n - - smtpd"
        echo "  -o smtpd_milters=unix:$T/mt.sock"
    fi
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
    case $s in empty) pid=${MX_PID[empty]} ;; emptynr) pid=${MX_PID[emptynr]} ;; all | inet) pid=${MX_PID[all]} ;; auth) pid=${MX_PID[auth]} ;; mt) pid=${MX_PID[mt]} ;; esac
    n0=$(sent_count)
    [[ -n $pid ]] && c0=$(proc_cpu "$pid")
    y0=$(sys_cpu)
    t0=$(date +%s.%N)
    timeout 600 smtp-source -s "$sessions" -m "$messages" -l 512 -M mail.bench.test \
        -f alice@bench.test -t bob@example.test "127.0.0.1:${PORT[$s]}" 2>"$T/source.err" ||
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
log "bench: dir $T; smtpd ports bare ${PORT[bare]} empty ${PORT[empty]} all ${PORT[all]} inet ${PORT[inet]}"
# Greylist pre-pass: the first attempt of the bench's one triplet is greylisted (450), the retry
# after the 1 s delay passes; from then on every RCPT finds the passed triplet.
smtp-source -s 1 -m 1 -l 512 -M mail.bench.test -f alice@bench.test -t bob@example.test \
    "127.0.0.1:${PORT[all]}" >/dev/null 2>&1 || true
wait_for 10 "the first attempt to be greylisted" grep -q 'milter-reject: RCPT .*4\.2\.0' "$MAILLOG" ||
    fail "the greylist pre-pass attempt was not greylisted"
sleep 1.5
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

# Ratios per round, and CPU per 1000 messages over all rounds.
printf '\n| round | empty / bare | all / bare | all / empty | all / emptynr | inet / all | auth / all |\n|---|---|---|---|---|---|---|\n'
for ((r = 1; r <= rounds; r++)); do
    awk -v r="$r" -v b="${RATE[bare,$r]}" -v e="${RATE[empty,$r]}" -v n="${RATE[emptynr,$r]}" \
        -v c="${RATE[all,$r]}" -v i="${RATE[inet,$r]}" -v a="${RATE[auth,$r]}" \
        'BEGIN { printf "| %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", r, 100*e/b, 100*c/b, 100*c/e, 100*c/n, 100*i/c, 100*a/c }'
done
total=$((rounds * messages))
printf '\n| series | mean msg/s | milter CPU s / 1000 msg | machine CPU s / 1000 msg |\n|---|---|---|---|\n'
for s in "${series[@]}"; do
    sum=0
    for ((r = 1; r <= rounds; r++)); do sum=$(awk -v a="$sum" -v b="${RATE[$s,$r]}" 'BEGIN { print a + b }'); done
    awk -v s="$s" -v sum="$sum" -v n="$rounds" -v c="${CPU[$s]}" -v y="${SYS[$s]}" -v hz="$hz" -v m="$total" \
        'BEGIN { mx = (s == "bare") ? "–" : sprintf("%.3f", c / hz / m * 1000)
                 printf "| %s | %.1f | %s | %.3f |\n", s, sum / n, mx, y / hz / m * 1000 }'
done

# ---- the milters alone: replay load mode over the same unix sockets ---------------------------
# The same message as Postfix's runs (bench/sessions/clean-bench.session), first replayed once
# with its expectations against mxgate (every check must pass it: Received-SPF pass added),
# then as load: 20 connections, series interleaved, sessions/s and milter CPU per 1000 sessions.
session_file=$REPO/bench/sessions/clean-bench.session
out=$("$MXGATE" replay --socket "unix:$T/all.sock" "$session_file" 2>&1) ||
    fail "the bench session does not pass every check: $out"
declare -A LRATE=() LCPU=()
printf '\n| round | empty sessions/s | emptynr sessions/s | all sessions/s | all / empty | all / emptynr |\n|---|---|---|---|---|---|\n'
for ((r = 1; r <= rounds; r++)); do
    for d in empty emptynr all; do
        c0=$(proc_cpu "${MX_PID[$d]}")
        line=$("$MXGATE" replay --load --connections "$sessions" --sessions "$replay_sessions" \
            --socket "unix:$T/$d.sock" "$session_file" 2>&1 | head -n 1)
        c1=$(proc_cpu "${MX_PID[$d]}")
        [[ $line =~ ,\ 0\ errors$ ]] || fail "replay load ($d): $line"
        LRATE[$d,$r]=$(sed -n 's/^.*: \([0-9.]*\) sessions\/s.*$/\1/p' <<<"$line")
        LCPU[$d]=$((${LCPU[$d]:-0} + c1 - c0))
    done
    awk -v r="$r" -v e="${LRATE[empty,$r]}" -v n="${LRATE[emptynr,$r]}" -v a="${LRATE[all,$r]}" \
        'BEGIN { printf "| %d | %s | %s | %s | %.1f %% | %.1f %% |\n", r, e, n, a, 100*a/e, 100*a/n }'
done
# A DKIM-signed message (rsa-sha256, relaxed, the same 512-byte body), all vs auth: what
# verifying one signature and applying DMARC cost the milter.
{
    printf '%s\n' "From: <alice@bench.test>" "To: <bob@example.test>" \
        "Date: Mon, 23 Nov 2026 12:00:00 +0000" "Message-Id: <20261123120000.2@mail.bench.test>" ""
    for _ in $(seq 8); do echo abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789; done
} | "$EXAMPLES/dkim_sign" "$dkim_key" bench.test rsa >"$T/signed.eml" || fail "dkim_sign failed"
sed -e '/^header /d' -e '/^body$/,/^\.$/d' -e 's|^eom expect continue$|message @signed.eml\n&|' \
    -e 's|^session clean-bench$|session signed-bench|' "$session_file" >"$T/signed-bench.session"
printf '%s\n' 'eom expect header Authentication-Results ~ dkim=pass' >>"$T/signed-bench.session"
out=$("$MXGATE" replay --socket "unix:$T/auth.sock" "$T/signed-bench.session" 2>&1) ||
    fail "the signed bench session does not verify: $out"
printf '\n| round | all sessions/s (signed) | auth sessions/s (signed) | auth / all |\n|---|---|---|---|\n'
for ((r = 1; r <= rounds; r++)); do
    for d in all auth; do
        c0=$(proc_cpu "${MX_PID[$d]}")
        line=$("$MXGATE" replay --load --connections "$sessions" --sessions "$replay_sessions" \
            --socket "unix:$T/$d.sock" "$T/signed-bench.session" 2>&1 | head -n 1)
        c1=$(proc_cpu "${MX_PID[$d]}")
        [[ $line =~ ,\ 0\ errors$ ]] || fail "replay load ($d, signed): $line"
        LRATE[$d,s$r]=$(sed -n 's/^.*: \([0-9.]*\) sessions\/s.*$/\1/p' <<<"$line")
        LCPU[$d,s]=$((${LCPU[$d,s]:-0} + c1 - c0))
    done
    awk -v r="$r" -v a="${LRATE[all,s$r]}" -v u="${LRATE[auth,s$r]}" \
        'BEGIN { printf "| %d | %s | %s | %.1f %% |\n", r, a, u, 100*u/a }'
done
for d in all auth; do
    awk -v d="$d" -v c="${LCPU[$d,s]}" -v hz="$hz" -v n="$((rounds * replay_sessions))" \
        'BEGIN { printf "milter CPU (%s), replay load of the signed message: %.3f s / 1000 sessions\n", d, c / hz / n * 1000 }'
done
for d in empty emptynr all; do
    awk -v d="$d" -v c="${LCPU[$d]}" -v hz="$hz" -v n="$((rounds * replay_sessions))" \
        'BEGIN { printf "milter CPU (%s), replay load: %.3f s / 1000 sessions\n", d, c / hz / n * 1000 }'
done
for d in "${!MX_PID[@]}"; do
    log "milter ($d): RSS $(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/${MX_PID[$d]}/status")"
done
rejects=$(grep -c 'milter-reject\|reject:' "$MAILLOG" || true) # 1: the greylist pre-pass
log "Postfix log: $(sent_count) relayed, $rejects rejections"
