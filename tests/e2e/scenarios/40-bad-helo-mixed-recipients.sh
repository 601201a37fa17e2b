# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# Bad HELO, two recipients in one transaction: the ordinary one is rejected at its RCPT, the
# exempt one accepted; the message is delivered to postmaster@ only.
tok=$(token mixed)
smtp --helo localhost --from alice@example.org --to bob@example.test,postmaster@example.test \
    --header "Subject: $tok"
expect_reply rcpt#1 "550 5.7.1 HELO name rejected"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test
