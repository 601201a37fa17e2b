# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# A well-behaved client: FQDN HELO, ordinary sender and recipient → 250 at every step, delivered.
tok=$(token clean)
smtp --helo mail.example.test --from alice@example.org --to bob@example.test \
    --header "Subject: $tok"
expect_reply helo 250
expect_reply mail 250
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
