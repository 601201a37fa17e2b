# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.recipient_domain (reject_unknown_recipient_domain) behind real Postfix, which relays
# example.test and its subdomains: a recipient in an NXDOMAIN subdomain 550 5.1.2, one with a
# null MX 550 5.1.10, one in an MX-only subdomain delivered — each recipient on its own; the
# relay domain itself (relay_domains) is not looked up. With the resolver pointed at a port
# where nothing answers, the DNS timeout gives 450 4.1.2, never a 5xx.
# (A recipient without a domain never reaches mxgate here: Postfix's reject_unauth_destination
# refuses it first; tests/access.rs covers 504 5.5.2.)
conf=$(mxgate_dns_conf recipient-domain <<'TOML'
[checks.recipient_domain]
relay_domains = ["example.test"]
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token rcpt-domains)
smtp --helo mail.example.test --from alice@example.test \
    --to a@gone.access.example.test,b@nullmx.access.example.test,c@mx-only.access.example.test,bob@example.test \
    --header "Subject: $tok"
expect_reply rcpt#1 "550 5.1.2 <a@gone.access.example.test>: Recipient address rejected: Domain gone.access.example.test not found"
expect_reply rcpt#2 "550 5.1.10"
expect_reply rcpt#3 250
expect_reply rcpt#4 250
expect_reply eom 250
expect_delivered "$tok" c@mx-only.access.example.test bob@example.test
if _log_has "$DNS_LOG" '^query example\.test\. ' "$mark"; then
    log "FAIL: the relay domain example.test was looked up"
    exit 1
fi

dead=$(free_port)
conf=$(mxgate_conf recipient-domain-dns-down <<TOML
[daemon]
listen = ["unix:@MXGATE_SOCK@", "inet:127.0.0.1:@MILTER_PORT@"]
socket_mode = "0666"

[dns]
nameservers = ["127.0.0.1:$dead"]
timeout = "300ms"
attempts = 1
cache_size = 0

[checks.recipient_domain]
relay_domains = ["example.test"]
TOML
)
mxgate_restart "$conf"
tok=$(token rcpt-dns-down)
smtp --helo mail.example.test --from alice@example.test \
    --to a@mx-only.access.example.test,bob@example.test --header "Subject: $tok"
expect_reply rcpt#1 "450 4.1.2"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
