# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# mxgate killed with SIGKILL leaves its socket behind; a new mxgate replaces it and serves.
pid=$(mxgate_pid)
kill -KILL "$pid"
wait_for 5 "mxgate to die" test -s "$T/mxgate.rc"
[[ -S $MXGATE_SOCK ]] || { log "FAIL: expected a stale socket after SIGKILL"; exit 1; }
log "ok: stale socket left by SIGKILL"
mxgate_start
log "ok: mxgate restarted over the stale socket"

tok=$(token stale)
smtp --helo mail.example.test --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
