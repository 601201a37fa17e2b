# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# Same bad HELO, but to postmaster@: exempt recipients are never rejected → accepted, delivered.
tok=$(token exempt)
smtp --helo localhost --from alice@example.org --to postmaster@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test
