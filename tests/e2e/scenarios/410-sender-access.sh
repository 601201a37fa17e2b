# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.sender_access (Postfix's check_sender_access) behind real Postfix: a spamming domain
# and its subdomains rejected at RCPT (postmaster@ still delivered), one address in it allowed
# (OK accepts the message: the sender_domain check listed after, which would 450 this unknown
# domain, is skipped), DISCARD throws the message away, the null sender looked up as <>.
table=$SC_DIR/sender_access
cat >"$table" <<'MAP'
spam.example.net            REJECT spamming domain
friend@spam.example.net     OK
tagged@example.test         DISCARD
<>                          REJECT no bounces here
MAP
conf=$(mxgate_dns_conf sender-access <<TOML
[checks.sender_access]
map = "$table"

[checks.sender_domain]
TOML
)
mxgate_restart "$conf"

tok=$(token sender-rejected)
smtp --helo mail.example.test --from x@mail.spam.example.net \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "550 5.7.1 <x@mail.spam.example.net>: Sender address rejected: spamming domain"
expect_reply rcpt#2 250
expect_delivered "$tok" postmaster@example.test

tok=$(token sender-ok)
smtp --helo mail.example.test --from friend@spam.example.net --to bob@example.test \
    --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

tok=$(token sender-discard)
smtp --helo mail.example.test --from tagged@example.test --to bob@example.test \
    --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_not_delivered "$tok"
expect_log "$MAILLOG" "discard" 5

tok=$(token sender-null)
smtp --helo mail.example.test --from '<>' --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1 <>: Sender address rejected: no bounces here"
expect_not_delivered "$tok"

tok=$(token sender-clean)
smtp --helo mail.example.test --from alice@example.test --to bob@example.test \
    --header "Subject: $tok"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
