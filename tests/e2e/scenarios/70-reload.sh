# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# SIGHUP reloads the config for new sessions; a broken config is refused and the running one kept.
conf=$SC_DIR/reload.toml
cp "$MXGATE_CONF" "$conf"
mxgate_restart "$conf"

tok=$(token reload-before)
smtp --helo localhost --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1 HELO name rejected"

# enforce → log, SIGHUP
sed -i 's/^mode = "enforce"/mode = "log"/' "$conf"
mark=$(log_mark "$MXGATE_LOG")
kill -HUP "$(mxgate_pid)"
expect_log "$MXGATE_LOG" "configuration reloaded" 5 "$mark"
tok=$(token reload-after)
smtp --helo localhost --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

# a broken config: refused, the log-mode config stays in force
echo 'this is not toml' >>"$conf"
mark=$(log_mark "$MXGATE_LOG")
kill -HUP "$(mxgate_pid)"
expect_log "$MXGATE_LOG" "reload failed" 5 "$mark"
mxgate_running || { log "FAIL: mxgate died on a broken config"; exit 1; }
tok=$(token reload-broken)
smtp --helo localhost --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_delivered "$tok" bob@example.test
