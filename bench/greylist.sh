#!/usr/bin/env bash
# Greylisting under replay load mode, against `mxgate run` on a unix socket, for both stores:
#   - 100 % new triplets (every RCPT inserts a row and is greylisted),
#   - 100 % known triplets (every RCPT finds a passed row: a read, no write),
# on SQLite (a file in a temp dir) and PostgreSQL (a throwaway cluster started here from
# /usr/lib/postgresql/*/bin, unix socket only, fsync on as in production); then the SQLite
# file size and the daemon's RSS after 1 million triplets (bulk-inserted with python3's sqlite3,
# not through SMTP) and a known-triplet load against that file.
#   bash bench/greylist.sh [SESSIONS] [TRIPLETS]      (defaults 20000, 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-20000}; big=${2:-1000000}
cargo build --release --quiet --bin mxgate
bin=$PWD/target/release/mxgate
tmp=$(mktemp -d); pgdir=$(mktemp -d)
pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg=()
if ((EUID == 0)); then chown postgres: "$pgdir"; as_pg=(runuser -u postgres --); fi
cleanup() {
    local pids; mapfile -t pids < <(jobs -p)
    ((${#pids[@]} == 0)) || kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    [[ ! -d $pgdir/data ]] || "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT

# One session per triplet: client from three /24s, one sender (digit runs fold), distinct
# recipients. auto_allowlist = 0 so every RCPT goes to the triplet table.
python3 - "$tmp/load.session" "$sessions" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
nets = ["192.0.2", "198.51.100", "203.0.113"]
with open(path, "w") as f:
    for i in range(n):
        f.write(f"session t{i}\nconnect {nets[i % 3]}.{i % 250 + 1} port 1 name unknown\n"
                f"helo mail.example.org\nmail <s{i}@example.org>\nrcpt <r{i}@example.net>\n\n")
PY

start_daemon() { # NAME STORE-SECTION
    cat > "$tmp/$1.toml" <<TOML
[daemon]
listen = ["unix:$tmp/$1.sock"]
log_level = "error"
$2
[checks.greylist]
delay = 0
auto_allowlist = 0
${3:-}
TOML
    "$bin" run --config "$tmp/$1.toml" &
    for _ in $(seq 100); do [[ -S $tmp/$1.sock ]] && break; sleep 0.1; done
}
load() { # NAME
    "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$1.sock" "$tmp/load.session"
}
summary() { # NAME LABEL: the session rate and the rcpt and session p99
    local out; out=$(load "$1")
    printf '%-28s %s\n' "$2" "$(head -1 <<<"$out")"
    grep -E '^ *(stage|rcpt|session) ' <<<"$out" | sed 's/^/    /'
}
rss() { ps -o rss= -p "$(pgrep -f "$tmp/$1.toml" | head -1)" | awk '{printf "%.1f MiB", $1/1024}'; }

echo "== SQLite"
start_daemon sqlite "" "path = \"$tmp/g.sqlite\""
summary sqlite "sqlite 100% new"
load sqlite >/dev/null   # the retries: every triplet passes (one write each)
summary sqlite "sqlite 100% known"
echo "sqlite daemon RSS: $(rss sqlite); file $(du -b "$tmp/g.sqlite" | cut -f1) bytes + WAL $(du -b "$tmp/g.sqlite-wal" 2>/dev/null | cut -f1) bytes"

echo "== PostgreSQL ($pgbin)"
"${as_pg[@]}" "$pgbin/initdb" -A trust -N -U postgres -D "$pgdir/data" >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-c listen_addresses= -k $pgdir -p 5432" start >/dev/null
start_daemon pg "[database]
host = \"$pgdir\"
port = 5432
user = \"postgres\"
dbname = \"postgres\"" 'store = "postgres"'
summary pg "postgres 100% new"
load pg >/dev/null
summary pg "postgres 100% known"
echo "postgres daemon RSS: $(rss pg)"

echo "== SQLite with $big triplets"
"$bin" greylist --config "$tmp/sqlite.toml" purge --all >/dev/null
kill "$(pgrep -f "$tmp/sqlite.toml" | head -1)"; sleep 0.5
python3 - "$tmp/g.sqlite" "$big" <<'PY'
import sqlite3, sys, time
path, n = sys.argv[1], int(sys.argv[2])
now = int(time.time())
nets = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
t = time.time()
db.executemany(
    "INSERT INTO greylist (client, sender, rcpt, first_seen, last_seen, passed, attempts) "
    "VALUES (?, 's#@example.org', ?, ?, ?, 1, 2)",
    ((nets[i % 3], f"r{i}@example.net", now - 1000, now) for i in range(n)))
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(f"bulk insert of {n} triplets: {time.time() - t:.1f} s")
PY
echo "file size: $(du -b "$tmp/g.sqlite" | cut -f1) bytes ($(du -h "$tmp/g.sqlite" | cut -f1))"
"$bin" greylist --config "$tmp/sqlite.toml" stats
start_daemon sqlite "" "path = \"$tmp/g.sqlite\""
echo "daemon RSS at start on the $big-triplet file: $(rss sqlite)"
summary sqlite "sqlite 100% known (${big})"
echo "daemon RSS after the load: $(rss sqlite)"
