# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.helo in mode "log": the bad HELO is only logged; the message is accepted and delivered.
conf=$(sed 's/^mode = "enforce"/mode = "log"/' "$MXGATE_CONF" | mxgate_conf log-mode)
grep -q '^mode = "log"' "$conf" || { log "FAIL: could not derive a log-mode config"; exit 1; }
mxgate_restart "$conf"

tok=$(token logmode)
smtp --helo localhost --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
