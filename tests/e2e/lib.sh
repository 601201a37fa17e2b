# shellcheck shell=bash
# Helpers for tests/e2e/run.sh and the scenarios in tests/e2e/scenarios/.
# Sourced, not executed. Everything the run creates lives under $T (one temp dir per run).
#
# Globals set by run.sh before scenarios run:
#   E2E        this directory                 T          the run's temp dir
#   MXGATE     the mxgate binary              SMTP_PORT  Postfix smtpd (127.0.0.1)
#   SINK_PORT  smtp-sink (127.0.0.1)          SINK_DIR   one file per message received by the sink
#   SMTP_INET_PORT  smtpd whose milter is mxgate over TCP (MILTER_PORT)
#   PF_CONF    Postfix config_directory       MAILLOG    Postfix log file
#   MXGATE_SOCK, MXGATE_LOG, MXGATE_CONF (the default config)
#   DNS_ADDR   fixture DNS server (127.0.0.1:PORT) serving tests/fixtures/zones
#   DNS_LOG    its output (one "query NAME TYPE" line per query)
#   DNS_SERVFAIL_CLIENT  a 192.0.2.x address whose PTR query gets SERVFAIL

log() { printf '%s\n' "$*"; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }

# ---- time-bounded waiting -------------------------------------------------------------------

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.1s until it succeeds.
wait_for() {
    local secs=$1 what=$2; shift 2
    local deadline=$((SECONDS + secs))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            log "timeout after ${secs}s waiting for $what"
            return 1
        fi
        sleep 0.1
    done
}

# ---- loopback ports -------------------------------------------------------------------------

# port_in_use PORT: any TCP socket (any state, v4 or v6) bound to PORT.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# tcp_listening PORT: something listens on 127.0.0.1:PORT (or 0.0.0.0:PORT).
tcp_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v a="0100007F:$hex" -v b="00000000:$hex" \
        'NR > 1 && ($2 == a || $2 == b) && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# free_port: a random unused port below the kernel's ephemeral range (so no outgoing connection
# grabs it before we bind it), not handed out before in this run.
declare -A _ports_taken=()
free_port() {
    local p i lo=10000 hi=32768
    read -r hi _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    ((hi > lo + 1000)) || { lo=20000; hi=65000; }
    for ((i = 0; i < 200; i++)); do
        p=$((lo + SRANDOM % (hi - lo)))
        [[ -z ${_ports_taken[$p]:-} ]] || continue
        port_in_use "$p" && continue
        _ports_taken[$p]=1
        echo "$p"
        return 0
    done
    die "no free loopback port found"
}

# smtp_banner PORT: print the first line the server sends (bounded).
smtp_banner() {
    # shellcheck disable=SC2016
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 4 line <&3 && printf "%s\n" "${line%$'"'"'\r'"'"'}"' _ "$1"
}

# ---- templates -------------------------------------------------------------------------------

# render TEMPLATE OUT: replace @DIR@ @SMTP_PORT@ @SMTP_INET_PORT@ @SINK_PORT@ @MILTER_PORT@
# @MILTERS@ @MXGATE_SOCK@ @DNS_ADDR@.
render() {
    sed -e "s|@DIR@|$T|g" -e "s|@SMTP_PORT@|$SMTP_PORT|g" -e "s|@SINK_PORT@|$SINK_PORT|g" \
        -e "s|@SMTP_INET_PORT@|$SMTP_INET_PORT|g" -e "s|@MILTER_PORT@|$MILTER_PORT|g" \
        -e "s|@MILTERS@|${MILTERS:-}|g" -e "s|@MXGATE_SOCK@|$MXGATE_SOCK|g" \
        -e "s|@DNS_ADDR@|${DNS_ADDR:-}|g" "$1" >"$2"
}

# ---- Postfix ---------------------------------------------------------------------------------

# postfix(1) prints fatal errors only to a terminal: give it one when we can.
pf_cmd() {
    local cmd
    printf -v cmd '%q ' postfix -c "$PF_CONF" "$@"
    if [[ -n ${_have_script:-} ]]; then
        timeout 30 script -qec "$cmd" /dev/null | tr -d '\r'
        return "${PIPESTATUS[0]}"
    fi
    timeout 30 postfix -c "$PF_CONF" "$@"
}

pf_master_pid() {
    local f=$T/queue/pid/master.pid pid
    [[ -r $f ]] || return 1
    read -r pid <"$f" || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pf_master_gone() { ! pf_master_pid >/dev/null; }

# pf_pids: every process that belongs to this instance (its environment names our config dir).
pf_pids() {
    local f pid
    for f in /proc/[0-9]*/environ; do
        pid=${f#/proc/}; pid=${pid%/environ}
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        if grep -qzxF "MAIL_CONFIG=$PF_CONF" "$f" 2>/dev/null; then
            echo "$pid"
        fi
    done
}

# postfix_stop: an orderly `postfix stop`, then TERM (and KILL) whatever still runs with our
# MAIL_CONFIG. For cleanup traps: never fails.
postfix_stop() {
    local pids
    if [[ -d $PF_CONF ]] && pf_master_pid >/dev/null; then
        pf_cmd stop >/dev/null 2>&1
        wait_for 10 "Postfix master to exit" pf_master_gone >/dev/null
    fi
    pids=$(pf_pids)
    if [[ -n $pids ]]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        sleep 0.5
        pids=$(pf_pids)
        # shellcheck disable=SC2086
        [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    fi
    return 0
}

# stop_child PID: TERM a background child of this shell and reap it; nothing for an empty PID.
stop_child() {
    [[ -n ${1:-} ]] || return 0
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# queue_empty: no message on its way in this instance's queue (held mail does not count).
queue_empty() {
    [[ -z $(find "$T/queue/maildrop" "$T/queue/incoming" "$T/queue/active" "$T/queue/deferred" \
        -type f -print -quit 2>/dev/null) ]]
}

# qid_of TOKEN: the Postfix queue ID of the message whose Subject has TOKEN (empty if Postfix
# never accepted one; header_checks logs a WARN line for every "e2e-" Subject).
qid_of() {
    sed -n "s/^.* postfix-e2e\/cleanup\[[0-9]*\]: \([0-9A-Za-z]*\): warning: header Subject: .*$1.*/\1/p" \
        "$MAILLOG" 2>/dev/null | tail -n 1
}

# pf_done TOKEN: Postfix is finished with TOKEN's message ("QID: removed"); without a queue ID,
# when the whole queue has drained.
pf_done() {
    local qid
    qid=$(qid_of "$1")
    if [[ -n $qid ]]; then
        grep -q " $qid: removed\$" "$MAILLOG"
    else
        queue_empty
    fi
}

# ---- mxgate ----------------------------------------------------------------------------------

mxgate_pid() {
    local pid
    [[ -r $T/mxgate.pid && ! -s $T/mxgate.rc ]] || return 1
    read -r pid <"$T/mxgate.pid" || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
mxgate_running() { mxgate_pid >/dev/null; }

# mxgate_start [CONFIG]: start the daemon in the background, wait (10s) until it listens on
# every unix:/inet:127.0.0.1 socket of CONFIG (a unix socket must be new, not a stale one).
# A small wrapper waits for it and writes its exit status to $T/mxgate.rc.
mxgate_start() {
    local conf=${1:-$MXGATE_CONF}
    mxgate_running && die "mxgate_start: already running"
    rm -f "$T/mxgate.pid" "$T/mxgate.rc"
    # What to wait for. A socket left by a killed daemon must not pass for the new one.
    _want_sock=
    grep -qF "\"unix:$MXGATE_SOCK\"" "$conf" && _want_sock=1
    mapfile -t _want_ports < <(grep -v '^[[:space:]]*#' "$conf" | grep -o 'inet:127\.0\.0\.1:[0-9]*' | sed 's/.*://')
    _sock_before=$(stat -c '%i %z' "$MXGATE_SOCK" 2>/dev/null || true)
    echo "$conf" >"$T/mxgate.conf-in-use"
    printf '==== %s mxgate run --config %s\n' "$(date +%T.%N)" "$conf" >>"$MXGATE_LOG"
    NO_COLOR=1 MXGATE_RC=$T/mxgate.rc MXGATE_PIDFILE=$T/mxgate.pid \
        bash -c '"$@" & echo $! >"$MXGATE_PIDFILE"; wait $!; echo $? >"$MXGATE_RC"' \
        mxgate-wrapper "$MXGATE" run --config "$conf" </dev/null >>"$MXGATE_LOG" 2>&1 &
    wait_for 5 "mxgate pid file" test -s "$T/mxgate.pid" || return 1
    wait_for 10 "mxgate to listen" _mxgate_up_or_gone || true
    if [[ -s $T/mxgate.rc ]] || ! _mxgate_listening; then
        if [[ -s $T/mxgate.rc ]]; then
            log "mxgate exited with status $(cat "$T/mxgate.rc") at start; its log:"
        else
            log "mxgate did not listen within 10s (${_want_sock:+$MXGATE_SOCK }${_want_ports[*]}); its log:"
        fi
        tail -n 30 "$MXGATE_LOG" | sed 's/^/  | /'
        return 1
    fi
}
_mxgate_new_socket() { [[ -S $MXGATE_SOCK && $(stat -c '%i %z' "$MXGATE_SOCK" 2>/dev/null) != "$_sock_before" ]]; }
_mxgate_listening() {
    local p
    [[ -z $_want_sock ]] || _mxgate_new_socket || return 1
    for p in "${_want_ports[@]}"; do tcp_listening "$p" || return 1; done
}
_mxgate_up_or_gone() { _mxgate_listening || [[ -s $T/mxgate.rc ]]; }

# mxgate_stop [SIGNAL]: signal the daemon (TERM), wait up to 10s; print its exit status on
# stdout (messages go to stderr). Fails if it had to be killed.
mxgate_stop() {
    local sig=${1:-TERM} pid
    pid=$(mxgate_pid) || { log "mxgate_stop: not running" >&2; return 1; }
    kill "-$sig" "$pid"
    if ! wait_for 10 "mxgate to exit after SIG$sig" test -s "$T/mxgate.rc" >&2; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_for 5 "mxgate to die" test -s "$T/mxgate.rc" >&2 || true
        return 1
    fi
    cat "$T/mxgate.rc"
}

# ---- SMTP client -----------------------------------------------------------------------------

# token NAME: a unique string to find a message again (Subject, sink files, logs).
token() { printf 'e2e-%s-%s-%04x\n' "${1:-msg}" "$(date +%s%N | tail -c 7)" "$((SRANDOM % 65536))"; }

# smtp [swaks options...]: one SMTP session against Postfix; the transcript goes to
# $SC_DIR/N.out and the replies, one per line "STAGE TEXT", to $SC_DIR/N.replies
# (STAGE: connect helo mail rcpt data eom quit ...; one "rcpt" line per RCPT).
# The latest session is what expect_* look at. Also echoes the transcript to the scenario log.
SMTP_N=0

# smtp_from ADDR NAME [swaks options...]: like smtp, but Postfix (and so mxgate) sees client ADDR
# with hostname NAME (Postfix's own FCrDNS result: a name, or "[UNAVAILABLE]"), through XCLIENT
# (main.cf allows it from 127.0.0.0/8). Expect the XCLIENT reply at stage "xclient" (220).
smtp_from() {
    local addr=$1 name=$2; shift 2
    smtp --xclient-addr "$addr" --xclient-name "$name" "$@"
}

# rev_re IPV4: a grep -E regex for its reverse name, e.g. 66\.2\.0\.192\.in-addr\.arpa\.
rev_re() {
    local a b c d name
    IFS=. read -r a b c d <<<"$1"
    name="$d.$c.$b.$a.in-addr.arpa."
    printf '%s\n' "${name//./\\.}"
}

smtp() {
    SMTP_N=$((SMTP_N + 1))
    LAST=$SC_DIR/$SMTP_N
    log "---- swaks $*"
    timeout 60 swaks --server "127.0.0.1:$SMTP_PORT" --timeout 30s "$@" >"$LAST.out" 2>&1 || true
    sed 's/^/  | /' "$LAST.out"
    parse_replies <"$LAST.out" >"$LAST.replies"
}

parse_replies() {
    awk '
        BEGIN { stage = "connect" }
        /^ -> / {
            line = substr($0, 5)
            if (indata) { if (line == ".") { stage = "eom"; indata = 0 }; next }
            verb = toupper(line); sub(/[ :].*/, "", verb)
            if (verb == "EHLO" || verb == "HELO") stage = "helo"
            else if (verb == "MAIL") stage = "mail"
            else if (verb == "RCPT") stage = "rcpt"
            else if (verb == "DATA") stage = "data"
            else stage = tolower(verb)
            next
        }
        /^<(-|\*\*) / {
            text = substr($0, 5); sub(/^ +/, "", text); sub(/\r$/, "", text)
            if (substr(text, 4, 1) == "-") next            # continuation line
            print stage, text
            if (stage == "data" && substr(text, 1, 3) == "354") indata = 1
        }'
}

# reply_at STAGE[#N]: the reply text seen at the Nth (default first) STAGE of the last session.
reply_at() {
    local stage=${1%%#*} n=1
    [[ $1 == *#* ]] && n=${1#*#}
    awk -v s="$stage" -v n="$n" '$1 == s && ++i == n { sub(/^[^ ]+ /, ""); print; exit }' "$LAST.replies"
}

# ---- assertions (each logs, returns non-zero on failure; scenarios run under set -e) ---------

# expect_reply STAGE[#N] PREFIX: the reply at STAGE starts with PREFIX ("250", "4", "550 5.7.1 text").
expect_reply() {
    local got
    got=$(reply_at "$1")
    if [[ -z $got ]]; then
        log "FAIL: no reply at stage $1 (replies: $(tr '\n' ';' <"$LAST.replies"))"
        return 1
    fi
    if [[ $got != "$2"* ]]; then
        log "FAIL: at $1 expected '$2…', got '$got'"
        return 1
    fi
    log "ok: at $1: $got"
}

# expect_no_stage STAGE: the client never got that far (e.g. no DATA after a rejected RCPT).
expect_no_stage() {
    local got
    got=$(reply_at "$1")
    if [[ -n $got ]]; then
        log "FAIL: expected no $1 stage, got reply '$got'"
        return 1
    fi
    log "ok: no $1 stage"
}

# expect_first_failure CLASS STAGES...: the first non-2xx/3xx reply is of class CLASS (4 or 5)
# and came at one of STAGES.
expect_first_failure() {
    local class=$1; shift
    local line stage text
    line=$(awk '$2 !~ /^[23]/ { print; exit }' "$LAST.replies")
    if [[ -z $line ]]; then
        log "FAIL: expected a ${class}xx reply, all replies were 2xx/3xx"
        return 1
    fi
    stage=${line%% *}; text=${line#* }
    if [[ $text != "$class"* ]]; then
        log "FAIL: expected a ${class}xx reply, first failure was '$text' at $stage"
        return 1
    fi
    if [[ " $* " != *" $stage "* ]]; then
        log "FAIL: ${class}xx reply '$text' came at $stage, expected one of: $*"
        return 1
    fi
    log "ok: first failure at $stage: $text"
}

# sink_file TOKEN: print the sink file(s) containing TOKEN.
# shellcheck disable=SC2153 # SINK_DIR is set by the runner
sink_file() { grep -rlF -- "$1" "$SINK_DIR" 2>/dev/null || true; }

# sink_rcpts TOKEN: the envelope recipients smtp-sink got for TOKEN's message(s), sorted.
sink_rcpts() {
    local files
    files=$(sink_file "$1")
    [[ -n $files ]] || return 0
    # shellcheck disable=SC2086
    sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' $files | tr '[:upper:]' '[:lower:]' | sort -u
}

# expect_delivered TOKEN [RCPT...]: within 15s smtp-sink has a message containing TOKEN, and,
# if RCPTs are given, its envelope recipients are exactly those.
expect_delivered() {
    local tok=$1; shift
    local want got
    if ! wait_for 15 "message $tok at smtp-sink" _sink_has "$tok"; then
        log "FAIL: $tok not delivered to smtp-sink; queue:"
        find "$T/queue" -path '*/pid' -prune -o -type f -print 2>/dev/null | sed 's/^/  | /'
        return 1
    fi
    got=$(sink_rcpts "$tok" | tr '\n' ' ')
    if (($#)); then
        want=$(printf '%s\n' "$@" | tr '[:upper:]' '[:lower:]' | sort -u | tr '\n' ' ')
        if [[ $got != "$want" ]]; then
            log "FAIL: $tok delivered to: ${got:-nobody}; expected: $want"
            return 1
        fi
    fi
    log "ok: $tok delivered to: $got($(sink_file "$tok" | xargs -n1 basename | tr '\n' ' '))"
}
_sink_has() {
    # smtp-sink writes the file while receiving: it is complete once Postfix is done with it.
    [[ -n $(sink_file "$1") ]] && pf_done "$1"
}

# expect_not_delivered TOKEN: once Postfix is done with it (15s; see pf_done), smtp-sink has
# no message with TOKEN.
expect_not_delivered() {
    local qid
    if ! wait_for 15 "Postfix to finish with $1" pf_done "$1"; then
        qid=$(qid_of "$1")
        log "FAIL: Postfix not finished with $1 (queue ID ${qid:-none}); queue:"
        find "$T/queue" -path '*/pid' -prune -o -type f -print | sed 's/^/  | /'
        return 1
    fi
    if [[ -n $(sink_file "$1") ]]; then
        log "FAIL: $1 reached smtp-sink: $(sink_file "$1")"
        return 1
    fi
    qid=$(qid_of "$1")
    log "ok: $1 not delivered${qid:+ (queued as $qid)}"
}

# rejected_at_eom TOKEN: Postfix rejected TOKEN's message at end of data (its cleanup logged the
# milter-reject, so no "removed" line follows, which expect_not_delivered waits for), the queue
# has drained and smtp-sink never saw it.
rejected_at_eom() {
    local qid
    qid=$(qid_of "$1")
    [[ -n $qid ]] || { log "FAIL: no queue ID for $1"; return 1; }
    expect_log "$MAILLOG" " $qid: milter-reject: END-OF-MESSAGE " 15
    wait_for 15 "the queue to drain" queue_empty || { log "FAIL: queue not empty"; return 1; }
    if [[ -n $(sink_file "$1") ]]; then
        log "FAIL: $1 reached smtp-sink: $(sink_file "$1")"
        return 1
    fi
    log "ok: $1 rejected at end of data (queue ID $qid), not delivered"
}

# expect_header FILE REGEX: a header line of the message in FILE (a sink file; continuation
# lines joined) matches REGEX (grep -E). expect_no_header FILE REGEX: none does.
expect_header() {
    if [[ -z $1 || ! -f $1 ]]; then
        log "FAIL: expect_header: no message file '$1'"
        return 1
    fi
    if ! _headers_of "$1" | grep -qE -- "$2"; then
        log "FAIL: no header matching /$2/ in $1; headers:"
        _headers_of "$1" | sed 's/^/  | /'
        return 1
    fi
    log "ok: header: $(_headers_of "$1" | grep -E -- "$2" | head -n 1)"
}
expect_no_header() {
    if [[ -z $1 || ! -f $1 ]]; then
        log "FAIL: expect_no_header: no message file '$1'"
        return 1
    fi
    if _headers_of "$1" | grep -qE -- "$2"; then
        log "FAIL: header matching /$2/ in $1: $(_headers_of "$1" | grep -E -- "$2" | head -n 1)"
        return 1
    fi
    log "ok: no header matching /$2/"
}
# _headers_of FILE: the header section, one logical header per line.
_headers_of() {
    awk '{ sub(/\r$/, "") } /^$/ { exit } /^[ \t]/ { line = line " " substr($0, match($0, /[^ \t]/)); next }
         { if (line != "") print line; line = $0 } END { if (line != "") print line }' "$1"
}

# log_mark FILE: the current number of lines in FILE, to pass to expect_log as FROM.
log_mark() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# expect_log FILE REGEX [SECONDS [FROM]]: within SECONDS (5), a line after line FROM (0) of FILE
# matches REGEX (grep -E; ANSI colour codes ignored).
expect_log() {
    local file=$1 re=$2 secs=${3:-5} from=${4:-0}
    if ! wait_for "$secs" "/$re/ in $(basename "$file")" _log_has "$file" "$re" "$from"; then
        log "FAIL: no line matching /$re/ in $file (after line $from)"
        return 1
    fi
    log "ok: $(basename "$file"): $(_log_lines "$file" "$from" | grep -E -- "$re" | tail -n 1)"
}
_log_lines() { tail -n "+$(($2 + 1))" "$1" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g'; }
_log_has() { _log_lines "$1" "$3" | grep -qE -- "$2"; }

# ---- mxgate configs for one scenario ---------------------------------------------------------

# mxgate_conf NAME: write stdin to $SC_DIR/NAME.toml, placeholders (@DIR@, @MXGATE_SOCK@, …)
# filled in, and print the path. The default config is $MXGATE_CONF.
mxgate_conf() {
    local out=$SC_DIR/$1.toml
    render /dev/stdin "$out"
    echo "$out"
}

# without_checks NAME... <CONFIG: the config without its [checks.NAME] sections (and their
# [[checks.NAME.*]] tables), so a scenario can append its own version of them to a default config
# that already has one (the packaged config enables attachments and lists greylist).
without_checks() {
    awk -v names=" $* " '
        /^[[:space:]]*\[/ {
            hdr = $0
            sub(/^[[:space:]]*\[+[[:space:]]*/, "", hdr)
            sub(/[[:space:]]*\].*$/, "", hdr)
            n = split(hdr, part, ".")
            skip = (n >= 2 && part[1] == "checks" && index(names, " " part[2] " ") > 0)
        }
        !skip'
}

# mxgate_dns_conf NAME: like mxgate_conf, but stdin comes after conf/mxgate-dns.toml.in: the
# default listeners and [policy], and a [dns] section asking only the fixture DNS server (no
# cache, 1 s timeout, 1 attempt). Stdin adds the [checks.*] sections (no [daemon]/[dns]/[policy]).
mxgate_dns_conf() {
    local out=$SC_DIR/$1.toml
    cat "$E2E/conf/mxgate-dns.toml.in" - | render /dev/stdin "$out"
    echo "$out"
}

# mxgate_restart [CONFIG]: stop mxgate if it runs (expecting exit status 0), start it on CONFIG.
# The runner puts the default config back before the next scenario.
mxgate_restart() {
    local rc
    if mxgate_running; then
        rc=$(mxgate_stop TERM) || return 1
        [[ $rc == 0 ]] || { log "FAIL: mxgate exited with status $rc on SIGTERM"; return 1; }
    fi
    mxgate_start "$@"
}

# ---- setting up and tearing down a run (run.sh, package.sh) ----------------------------------

# pf_detect_script: let pf_cmd give postfix(1) a terminal through script(1), if that works here.
pf_detect_script() {
    if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
        _have_script=1
    fi
}

# find_fixture_dns [CARGO_BUILD_OPTION...]: set FIXTURE_DNS (absolute) to $FIXTURE_DNS_BIN, else
# target/release/examples/fixture_dns, built with cargo (and the options) if it is missing.
# shellcheck disable=SC2120 # the options are optional
find_fixture_dns() {
    FIXTURE_DNS=${FIXTURE_DNS_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/examples/fixture_dns}
    if [[ ! -x $FIXTURE_DNS ]]; then
        [[ -n ${FIXTURE_DNS_BIN:-} ]] && die "FIXTURE_DNS_BIN=$FIXTURE_DNS is not executable"
        log "building fixture_dns (cargo build --release $* --example fixture_dns)"
        (cd "$REPO" && cargo build --release "$@" --example fixture_dns) || die "cargo build of fixture_dns failed"
    fi
    FIXTURE_DNS=$(realpath "$FIXTURE_DNS")
}

# dkim_sign KEY DOMAIN SELECTOR < MESSAGE > SIGNED: the message with a DKIM-Signature on top
# (examples/dkim_sign.rs; $DKIM_SIGN_BIN, else target/release/examples/dkim_sign, built with
# cargo if it is missing).
dkim_sign() {
    local bin=${DKIM_SIGN_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/examples/dkim_sign}
    if [[ ! -x $bin ]]; then
        [[ -n ${DKIM_SIGN_BIN:-} ]] && die "DKIM_SIGN_BIN=$bin is not executable"
        log "building dkim_sign (cargo build --release --locked --example dkim_sign)"
        (cd "$REPO" && cargo build --release --locked --example dkim_sign) >&2 || die "cargo build of dkim_sign failed"
    fi
    "$bin" "$@"
}

# make_run_dir PREFIX: T = a new temp dir "$TMPDIR/PREFIX.XXXXXX", mode 755 (smtpd and mxgate,
# running as other users, reach the sockets and configs in it); dies if its path has white space.
# Sets the paths in it: PF_CONF, MAILLOG, SINK_DIR, MXGATE_LOG; and SINK_PID, DNS_PID to none.
make_run_dir() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    chmod 755 "$T"
    [[ $T != *[[:space:]]* ]] || { rmdir "$T"; die "temp dir $T contains white space (set TMPDIR)"; }
    PF_CONF=$T/postfix
    MAILLOG=$T/maillog
    SINK_DIR=$T/sink
    MXGATE_LOG=$T/mxgate.log
    SINK_PID=
    DNS_PID=
}

# on_exit FUNCTION: run FUNCTION at exit, also after SIGINT or SIGTERM (exit status 130, 143).
on_exit() {
    # shellcheck disable=SC2064 # FUNCTION is meant to be expanded now
    trap "$1" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# stop_all: for cleanup traps: stop mxgate (TERM; KILL after 5 s), this Postfix instance,
# smtp-sink ($SINK_PID) and the fixture DNS server ($DNS_PID). Never fails.
stop_all() {
    local pid
    # mxgate (and its wrapper)
    if pid=$(mxgate_pid); then
        kill -TERM "$pid" 2>/dev/null
        wait_for 5 "mxgate to exit" test -s "$T/mxgate.rc" >/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    postfix_stop
    stop_child "${SINK_PID:-}"
    stop_child "${DNS_PID:-}"
    return 0
}

# remove_run_dir [KEEP]: delete $T; with KEEP non-empty (E2E_KEEP=1, say) keep it and say where.
remove_run_dir() {
    if [[ -n ${1:-} ]]; then
        log "kept $T"
    else
        rm -rf "$T"
    fi
}

# dump_daemon_logs: the end of the Postfix log and of mxgate's stderr, for a failed run.
dump_daemon_logs() {
    log "---- last 40 lines of the Postfix log ($MAILLOG)"
    tail -n 40 "$MAILLOG" 2>/dev/null | sed 's/^/  | /'
    log "---- last 40 lines of mxgate's stderr ($MXGATE_LOG)"
    tail -n 40 "$MXGATE_LOG" 2>/dev/null | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  | /'
}

# start_sink: smtp-sink on 127.0.0.1:$SINK_PORT, the next hop, writing one file per message to
# $SINK_DIR; sets SINK_PID. Fails if it does not listen within 5 s.
start_sink() {
    mkdir -p "$SINK_DIR"
    chown nobody "$SINK_DIR"
    (cd "$SINK_DIR" && exec smtp-sink -u nobody -h sink.e2e.test -d "$SINK_DIR/msg." \
        "127.0.0.1:$SINK_PORT" 64 </dev/null >"$T/sink.log" 2>&1) &
    SINK_PID=$!
    wait_for 5 "smtp-sink on port $SINK_PORT" tcp_listening "$SINK_PORT"
}

# start_fixture_dns [OPTION...]: $FIXTURE_DNS serving tests/fixtures/zones (or what the options
# say) on a UDP+TCP port it picks itself (no race with other runs), output in $DNS_LOG; sets
# DNS_PID and DNS_ADDR (127.0.0.1:PORT). Fails if it does not say where it listens within 10 s.
# Fault, the same for every scenario (the name is in no zone, so nothing else sees it): the PTR
# query of DNS_SERVFAIL_CLIENT gets SERVFAIL.
# shellcheck disable=SC2120 # the options are optional
start_fixture_dns() {
    # shellcheck disable=SC2034 # used by scenarios
    DNS_SERVFAIL_CLIENT=192.0.2.66
    DNS_LOG=$T/dns.log
    "$FIXTURE_DNS" --listen 127.0.0.1:0 --servfail 66.2.0.192.in-addr.arpa. "$@" </dev/null >"$DNS_LOG" 2>&1 &
    DNS_PID=$!
    wait_for 10 "fixture_dns to listen" _dns_ready || true
    DNS_ADDR=$(sed -n 's/^listening on \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$DNS_LOG")
    [[ -n $DNS_ADDR ]]
}
_dns_ready() { grep -q '^listening on ' "$DNS_LOG" || ! kill -0 "$DNS_PID" 2>/dev/null; }

# postfix_up FAIL: `postfix check` (which also creates the queue directories with their owners)
# and `postfix start`, then wait (10 s) for smtpd on $SMTP_PORT and $SMTP_INET_PORT and check
# that the banner is ours. On a failure: FAIL MESSAGE (a function that does not return).
postfix_up() {
    local fail=$1 out banner
    out=$(pf_cmd check 2>&1) || "$fail" "postfix check: $out"
    [[ -z $out ]] || log "postfix check: $out"
    out=$(pf_cmd start 2>&1) || "$fail" "postfix start: $out"
    wait_for 10 "Postfix smtpd on ports $SMTP_PORT, $SMTP_INET_PORT" _pf_listening ||
        "$fail" "Postfix does not listen on $SMTP_PORT and $SMTP_INET_PORT"
    banner=$(smtp_banner "$SMTP_PORT" || true)
    [[ $banner == "220 mx.e2e.test ESMTP e2e"* ]] ||
        "$fail" "unexpected banner on port $SMTP_PORT: '$banner' (not our Postfix?)"
}
_pf_listening() { tcp_listening "$SMTP_PORT" && tcp_listening "$SMTP_INET_PORT"; }

# scenario_selected NAME [FILTER...]: no FILTER, or NAME contains one of them.
scenario_selected() {
    local name=$1 f
    shift
    (($# == 0)) && return 0
    for f in "$@"; do [[ $name == *"$f"* ]] && return 0; done
    return 1
}

# run_scenario FAIL FILE [LABEL]: run scenario FILE with SC_DIR=$T/scenarios/NAME[-LABEL], in a
# subshell under set -euo pipefail, its output in $SC_DIR/log; first (re)start mxgate on the
# default config if it is not running on it (FAIL MESSAGE if that fails). Prints PASS or FAIL
# with the time (and the scenario's log if it failed, or always with E2E_VERBOSE=1) and counts
# it in the caller's `passed` or `failed`. With SCENARIO_USER set, SC_DIR is that user's while
# the scenario runs (the daemon keeps state there) and root's again after.
# Never call it where set -e is ignored (in an `if` or `||`): the scenario's own set -e would be.
run_scenario() {
    local fail=$1 file=$2 name start rc ms
    name=$(basename "$file" .sh)${3:+-$3}
    if ! mxgate_running || [[ $(cat "$T/mxgate.conf-in-use") != "$MXGATE_CONF" ]]; then
        if mxgate_running; then mxgate_stop >/dev/null || true; fi
        mxgate_start >>"$T/scenarios/restarts.log" 2>&1 || "$fail" "mxgate did not restart"
    fi
    SC_DIR=$T/scenarios/$name
    mkdir -p "$SC_DIR"
    [[ -z ${SCENARIO_USER:-} ]] || chown "$SCENARIO_USER" "$SC_DIR"
    start=$(date +%s%N)
    set +e
    (
        set -euo pipefail
        # shellcheck source=/dev/null
        source "$file"
    ) >"$SC_DIR/log" 2>&1
    rc=$?
    set -e
    [[ -z ${SCENARIO_USER:-} ]] || chown -R 0:0 "$SC_DIR"
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
}
