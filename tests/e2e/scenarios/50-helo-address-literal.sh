# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# HELO address literals: one naming the client (127.0.0.1) passes, one naming another address
# is rejected at RCPT.
tok=$(token literal-ok)
smtp --helo '[127.0.0.1]' --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

tok=$(token literal-bad)
smtp --helo '[192.0.2.1]' --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1 HELO name rejected"
expect_no_stage eom
expect_not_delivered "$tok"
