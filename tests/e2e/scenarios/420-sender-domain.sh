# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.sender_domain (reject_non_fqdn_sender + reject_unknown_sender_domain) behind real
# Postfix against the fixture zone access.example.test: NXDOMAIN 550 5.1.8 at RCPT (postmaster@
# still delivered), null MX 550 5.7.27, no domain 504 5.5.2, a lookup answered REFUSED (a name
# outside every fixture zone) 450 4.1.8 — never 5xx; an MX-only domain and the null sender pass.
conf=$(mxgate_dns_conf sender-domain <<'TOML'
[checks.sender_domain]
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token sender-nxdomain)
smtp --helo mail.example.test --from a@gone.access.example.test \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "550 5.1.8 <a@gone.access.example.test>: Sender address rejected: Domain gone.access.example.test not found"
expect_reply rcpt#2 250
expect_delivered "$tok" postmaster@example.test
expect_log "$DNS_LOG" '^query gone\.access\.example\.test\. MX$' 5 "$mark"

tok=$(token sender-nullmx)
smtp --helo mail.example.test --from a@nullmx.access.example.test --to bob@example.test \
    --header "Subject: $tok"
expect_reply rcpt "550 5.7.27"
expect_not_delivered "$tok"

tok=$(token sender-nofqdn)
smtp --helo mail.example.test --from bob --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "504 5.5.2 <bob>: Sender address rejected: need fully-qualified address"
expect_not_delivered "$tok"

tok=$(token sender-refused)
smtp --helo mail.example.test --from a@elsewhere.example.net --to bob@example.test \
    --header "Subject: $tok"
expect_reply rcpt "450 4.1.8"
expect_first_failure 4 rcpt
expect_not_delivered "$tok"

tok=$(token sender-mx-only)
smtp --helo mail.example.test --from a@mx-only.access.example.test --to bob@example.test \
    --header "Subject: $tok"
expect_reply eom 250
expect_delivered "$tok" bob@example.test

tok=$(token sender-null)
smtp --helo mail.example.test --from '<>' --to bob@example.test --header "Subject: $tok"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
