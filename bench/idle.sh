#!/usr/bin/env bash
# Memory of `mxgate run` holding many concurrent idle milter sessions (issue 8 target:
# RSS < 50 MB with 1,000), on a unix socket and on inet:127.0.0.1, with the current-thread
# and the multi-thread runtime: one fresh daemon per combination.
#   bash bench/idle.sh [SESSIONS]        (default 1000; standalone, not run by CI)
#
# Each run: start mxgate with most checks on (client_access, helo, rdns, dnsbl, spf,
# sender_access, sender_domain, recipient_domain, relay, denylist, attachments, greylist on
# SQLite; DNS from examples/fixture_dns.rs on loopback), replay one warm-up session, read
# VmRSS/VmHWM from /proc ("before"); examples/idle_sessions.rs opens SESSIONS connections
# (negotiate, connect with Postfix's macros, HELO; every HELO reply must be "continue"),
# holds them idle, runs one complete fresh session meanwhile; read memory, threads and open
# descriptors ("idle"); close them all and read memory again ("after", 2 s later).
# Needs: cargo, python3 (free port), a hard `ulimit -n` above SESSIONS + 200 (raised here).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
sessions=${1:-1000}
[[ $sessions =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash bench/idle.sh [SESSIONS]" >&2; exit 2; }
for tool in cargo python3; do
  command -v "$tool" > /dev/null || { echo "bench/idle.sh: $tool is required" >&2; exit 1; }
done

# Daemon and client each hold one descriptor per session, plus a few dozen of their own.
need=$((sessions + 200))
if (( $(ulimit -Sn) < need )); then
  ulimit -n "$need" 2> /dev/null || {
    echo "bench/idle.sh: open files limit is $(ulimit -Sn) (hard $(ulimit -Hn)); need $need." \
         "Raise the hard limit (e.g. run as root, or limits.conf) and retry." >&2
    exit 1
  }
fi

cargo build --release --quiet --bin mxgate --example fixture_dns --example idle_sessions
bin=$PWD/target/release/mxgate
client=$PWD/target/release/examples/idle_sessions

tmp=$(mktemp -d)
daemon=; dnspid=; holder=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  exec 3>&- 2> /dev/null || true
  for p in $holder $daemon $dnspid; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start_dns target/release/examples/fixture_dns "$tmp"

# Small tables: enough for the checks to load and look up, none lists the bench's client.
cat > "$tmp/client_access.cidr" <<'EOF'
198.51.100.0/24   REJECT 5.7.1 no mail from this network
192.0.2.128/25    DEFER try again later
EOF
cat > "$tmp/sender_access" <<'EOF'
spam.access.example.test   REJECT spamming domain
bob@example.org            REJECT 5.7.9 bob is blocked
EOF
cat > "$tmp/relay_recipients" <<'EOF'
@example.test     OK
EOF
cat > "$tmp/denylist" <<'EOF'
bounced@example.test   drop   permanent bounce
EOF
cat > "$tmp/warmup.session" <<'EOF'
session warm-up
connect 192.0.2.10 port 40000 name mail.example.test
helo mail.example.test expect continue
mail <alice@example.test> expect continue
rcpt <postmaster@example.test> expect continue
header Subject: warm-up
body
hello
.
eom expect continue
EOF

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_config FILE RUNTIME LISTEN
write_config() {
  cat > "$1" <<TOML
[daemon]
listen = ["$3"]
runtime = "$2"
max_connections = $((sessions + 100))
log_level = "warn"
[dns]
nameservers = ["$dns"]
timeout = "2s"
TOML
  all_checks "$tmp" client_access helo rdns dnsbl spf sender_access sender_domain recipient_domain \
      relay denylist attachments greylist |
    add_keys checks.denylist "map = \"$tmp/denylist\"" |
    add_keys checks.greylist "path = \"$tmp/greylist-$2.sqlite\"" >> "$1"
}

# mem PID -> "RSS_KiB HWM_KiB THREADS"
mem() {
  awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} /^Threads:/ {t = $2} END {print r, h, t}' "/proc/$1/status"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

rows=()
failed=0
for runtime in current-thread multi-thread; do
  for kind in unix inet; do
    if [[ $kind == unix ]]; then sock="unix:$tmp/mx.sock"; else sock="inet:127.0.0.1:$(free_port)"; fi
    conf="$tmp/$runtime-$kind.toml"
    write_config "$conf" "$runtime" "$sock"
    "$bin" check-config "$conf" > /dev/null 2>&1 || { "$bin" check-config "$conf"; exit 1; }
    "$bin" run --config "$conf" 2> "$tmp/$runtime-$kind.log" &
    daemon=$!
    up=
    for _ in $(seq 100); do
      if "$bin" replay --socket "$sock" "$tmp/warmup.session" > "$tmp/warmup.out" 2>&1; then up=1; break; fi
      kill -0 "$daemon" 2> /dev/null || break
      sleep 0.1
    done
    if [[ -z $up ]]; then
      echo "bench/idle.sh: mxgate ($runtime, $kind) did not answer the warm-up session:" >&2
      cat "$tmp/warmup.out" "$tmp/$runtime-$kind.log" >&2
      exit 1
    fi
    sleep 0.5
    read -r rss0 _ _ < <(mem "$daemon")

    # The client holds its sessions until a line arrives on fd 3's FIFO.
    rm -f "$tmp/ctl"; mkfifo "$tmp/ctl"
    exec 3<> "$tmp/ctl"
    "$client" --socket "$sock" --sessions "$sessions" < "$tmp/ctl" > "$tmp/client.out" 2> "$tmp/client.err" &
    holder=$!
    for _ in $(seq 600); do
      grep -q '^fresh ' "$tmp/client.out" 2> /dev/null && break
      kill -0 "$holder" 2> /dev/null || break
      sleep 0.1
    done
    sleep 0.5
    read -r rss1 _ thr1 < <(mem "$daemon")
    fds=$(find "/proc/$daemon/fd" -mindepth 1 -maxdepth 1 | wc -l)
    # A second, independent fresh session while the idle ones are still open.
    if "$bin" replay --socket "$sock" "$tmp/warmup.session" > "$tmp/fresh2.out" 2>&1; then fresh2=ok; else fresh2=FAILED; fi
    echo close >&3
    exec 3>&-
    wait "$holder" && crc=0 || crc=$?
    holder=
    sleep 2
    read -r rss2 hwm2 _ < <(mem "$daemon")
    kill "$daemon"; wait "$daemon" || true; daemon=

    idle_line=$(grep '^idle ' "$tmp/client.out" || echo "idle 0 ok ? failed ? ms 0 helo")
    fresh_line=$(grep '^fresh ' "$tmp/client.out" || echo "fresh missing")
    closed=$(sed -n 's/^closed //p' "$tmp/client.out")
    # "idle N ok F failed MS ms H helo"
    read -r _ ok _ _ _ setup _ helos _ <<< "$idle_line"
    echo "== $runtime $kind: $idle_line; $fresh_line; replay while idle: $fresh2; closed ${closed:-?}; client exit $crc"
    [[ -s $tmp/client.err ]] && sed 's/^/   client: /' "$tmp/client.err" | head -5
    if [[ $crc != 0 || $ok != "$sessions" || $helos != "$sessions" || $fresh2 != ok || $fds -lt $sessions ]]; then
      echo "   FAILED: not every session was served (see above; daemon log $runtime-$kind.log):" >&2
      tail -5 "$tmp/$runtime-$kind.log" >&2
      failed=1
    fi
    per=$(awk -v a="$rss0" -v b="$rss1" -v n="$sessions" 'BEGIN {printf "%.1f", (b - a) / n}')
    fresh_ms=$(awk '{print $3}' <<< "$fresh_line")
    rows+=("| $runtime | $kind | $helos/$sessions | $(mib "$rss0") | $(mib "$rss1") | $(mib "$rss2") | $(mib "$hwm2") | $per | $thr1 | $fds | $setup | $fresh_ms |")
  done
done

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $sessions idle sessions, mxgate $(git rev-parse --short HEAD)"
echo
echo "| runtime | socket | HELO replies | RSS before (MiB) | RSS idle (MiB) | RSS after (MiB) | VmHWM (MiB) | KiB/session | threads | fds | set-up (ms) | fresh session (ms) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
