# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.greylist with the PostgreSQL store shared by two mxgate instances behind real Postfix:
# mx1 serves the smtpd on $SMTP_PORT (unix socket), mx2 the one on $SMTP_INET_PORT (TCP). A first
# attempt greylisted at mx1 (450 4.2.0) and retried at mx2 after the delay is delivered. Then the
# database goes away: fail open (on_error = "continue", logged), a new triplet is delivered.
# The cluster is a throwaway one (initdb into a temp dir, unix socket only).
pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || { log "FAIL: PostgreSQL server binaries not found (apt-get install postgresql-15)"; exit 1; }
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/mxgate-e2e-pg.XXXXXX")
as_pg=()
if ((EUID == 0)); then chown postgres: "$pgdir"; as_pg=(runuser -u postgres --); fi
# The socket lives here: mxgate may run as another user (the package test runs it as mxgate).
chmod 0755 "$pgdir"
mx2_pid=
cleanup_pg() {
    [[ -z $mx2_pid ]] || { kill "$mx2_pid" 2>/dev/null; wait "$mx2_pid" 2>/dev/null || true; }
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup_pg EXIT
"${as_pg[@]}" "$pgbin/initdb" -A trust -N -U postgres -D "$pgdir/data" >"$SC_DIR/initdb.log" 2>&1 \
    || { cat "$SC_DIR/initdb.log"; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-c listen_addresses= -k $pgdir -p 5432 -c fsync=off" start >/dev/null \
    || { cat "$pgdir/server.log"; exit 1; }

common="[database]
host = \"$pgdir\"
port = 5432
user = \"postgres\"
dbname = \"postgres\"
connect_timeout = \"500ms\"

[checks.greylist]
store = \"postgres\"
delay = \"2s\"
"
conf1=$(mxgate_conf greylist-mx1 <<TOML
[daemon]
listen = ["unix:@MXGATE_SOCK@"]
socket_mode = "0666"
$common
TOML
)
conf2=$(mxgate_conf greylist-mx2 <<TOML
[daemon]
listen = ["inet:127.0.0.1:@MILTER_PORT@"]
$common
TOML
)
mxgate_restart "$conf1"
"$MXGATE" run --config "$conf2" >>"$SC_DIR/mx2.log" 2>&1 &
mx2_pid=$!
wait_for 10 "mx2 to listen" tcp_listening "$MILTER_PORT"

tok=$(token pg-first)
smtp_from 192.0.2.10 "[UNAVAILABLE]" --helo mail.example.org --from alice@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "450 4.2.0 Greylisted, try again later"
expect_not_delivered "$tok"

sleep 2
tok=$(token pg-retry-at-mx2)
SMTP_PORT=$SMTP_INET_PORT smtp_from 192.0.2.10 "[UNAVAILABLE]" --helo mail.example.org \
    --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

list=$("$MXGATE" greylist --config "$conf1" list)
log "$list"
grep -qP '^passed\t.*\t192\.0\.2\.0/24\talice@example\.org\tbob@example\.test$' <<<"$list" \
    || { log "FAIL: the shared triplet is not listed as passed"; exit 1; }

# The database goes away: fail open, and say so in the log.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null
mark=$(log_mark "$MXGATE_LOG")
tok=$(token pg-down)
smtp_from 192.0.2.10 "[UNAVAILABLE]" --helo mail.example.org --from alice@example.org \
    --to dave@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_delivered "$tok" dave@example.test
expect_log "$MXGATE_LOG" 'greylist postgres store: database unavailable' 5 "$mark"
