#!/usr/bin/env bash
# Replay load mode with the PostgreSQL denylist against a 1-million-row table (generated here
# with generate_series, never committed), sessions of 1, 10 and 50 recipients per message, the
# in-memory cache warm (`cache = true`) vs off (`cache = false`: one indexed query per recipient).
# A throwaway PostgreSQL cluster runs on a unix socket in a temp dir (as user postgres when root).
#   bash bench/denylist.sh [ROUNDS] [SESSIONS] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; sessions=${2:-5000}; rows=${3:-1000000}
cargo build --release --quiet --bin mxgate
bin=$PWD/target/release/mxgate
pgbin=${MXGATE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[[ -x $pgbin/initdb ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }
tmp=$(mktemp -d)
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  [[ -f $tmp/pg.pid ]] && kill -INT "$(cat "$tmp/pg.pid")" 2>/dev/null && sleep 1
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/sock"; ((EUID == 0)) && chown -R postgres "$tmp"
as_pg "$pgbin/initdb" -A trust -N -U postgres -D "$tmp/data" >/dev/null
as_pg "$pgbin/postgres" -D "$tmp/data" -c listen_addresses= -k "$tmp/sock" -p 5432 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off >"$tmp/pg.log" 2>&1 &
echo $! >"$tmp/pg.pid"
psql=("$pgbin/psql" -X -q -h "$tmp/sock" -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1)
for _ in $(seq 100); do "${psql[@]}" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done

db="[database]
host = \"$tmp/sock\"
port = 5432
user = \"postgres\"
dbname = \"postgres\"
pool_size = 8"
printf '%s\n[checks.denylist]\nbackend = "postgres"\n' "$db" >"$tmp/init.toml"
"$bin" denylist --config "$tmp/init.toml" init >/dev/null
t0=$(date +%s.%N)
"${psql[@]}" -c "INSERT INTO mxgate_denylist (key, action, source)
  SELECT 'user' || i || '@bench.example', 'drop', 'import' FROM generate_series(1, $rows) i;
  ANALYZE mxgate_denylist;"
echo "denylist: $rows rows generated in $(echo "$(date +%s.%N) - $t0" | bc) s"

for c in warm:true off:false; do
  name=${c%%:*}
  cat >"$tmp/$name.toml" <<TOML
[daemon]
listen = ["unix:$tmp/$name.sock"]
log_level = "info"
$db
[checks.denylist]
backend = "postgres"
cache = ${c##*:}
recipient_delimiter = "+"
TOML
  "$bin" run --config "$tmp/$name.toml" 2>"$tmp/$name.log" &
done
for _ in $(seq 300); do
  grep -q 'table loaded into the cache' "$tmp/warm.log" 2>/dev/null && [[ -S $tmp/off.sock ]] && break
  sleep 0.1
done
grep -q 'table loaded into the cache' "$tmp/warm.log" || { echo "cache never loaded" >&2; cat "$tmp/warm.log" >&2; exit 1; }
echo "cache: $(grep -o 'entries=[0-9]* elapsed_ms=[0-9]*' "$tmp/warm.log" | head -1)"

# 200 sessions per file; recipients drawn from 1..2*rows, so about half are listed.
for n in 1 10 50; do
  awk -v n="$n" -v max=$((rows * 2)) 'BEGIN { srand(4); for (s = 0; s < 200; s++) {
      printf "session s%d\nconnect 192.0.2.10 port 1 name mail.sender.test\nhelo mail.sender.test\nmail <a@sender.test>\n", s
      for (r = 0; r < n; r++) printf "rcpt <user%d@bench.example>\n", int(rand() * max) + 1
      printf "header Subject: x\nbody\nHi.\n.\neom\n\n" } }' >"$tmp/rcpt$n.session"
done

for r in $(seq "$rounds"); do
  for n in 1 10 50; do
    for c in warm off; do
      printf 'round %s  %2s rcpt  %-5s ' "$r" "$n" "$c"
      "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$c.sock" "$tmp/rcpt$n.session" | head -1
    done
  done
done
for n in 1 10 50; do
  for c in warm off; do
    echo "== $n recipients, cache $c"
    "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$c.sock" "$tmp/rcpt$n.session" | tail -n +2
  done
done
for c in warm off; do
  pid=$(pgrep -f "$tmp/$c.toml")
  echo "$c daemon: $(ps -o rss=,cputime= -p "$pid" | awk '{print "RSS " $1 " KiB, CPU " $2}')"
done
