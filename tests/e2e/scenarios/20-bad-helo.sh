# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# HELO localhost (not an FQDN): with delay_reject the rejection comes at RCPT, with mxgate's reply.
tok=$(token badhelo)
smtp --helo localhost --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_reply helo 250
expect_reply mail 250
expect_reply rcpt "550 5.7.1 HELO name rejected"
expect_no_stage eom
expect_not_delivered "$tok"
