# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# The same policy through mxgate's TCP listener (inet:127.0.0.1:MILTER_PORT), via the second
# smtpd whose smtpd_milters points there.
tok=$(token inet-clean)
SMTP_PORT=$SMTP_INET_PORT smtp --helo mail.example.test --from alice@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

tok=$(token inet-badhelo)
SMTP_PORT=$SMTP_INET_PORT smtp --helo localhost --from alice@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1 HELO name rejected"
expect_not_delivered "$tok"
