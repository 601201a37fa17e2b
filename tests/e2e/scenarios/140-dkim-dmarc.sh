# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.dkim + checks.dmarc with signed.auth.test (auth.test.zone: SPF for 192.0.2.0/24,
# DKIM keys rsa and ed, DMARC p=reject), messages signed here with the test-only keys of
# tests/fixtures/dkim-e2e (examples/dkim_sign.rs):
# - signed by signed.auth.test, sent from its own server 192.0.2.10: delivered with one
#   Authentication-Results carrying spf=pass, dkim=pass (header.d, header.s) and dmarc=pass;
# - a spoofed From: signed.auth.test from 198.51.100.7 (envelope elsewhere.spf.test, SPF pass
#   for that domain, no signature): DMARC fail under p=reject, 550 5.7.1 at end of data;
# - the same unsigned message with envelope other.auth.test (SPF pass): relaxed alignment
#   (one organisational domain, auth.test) makes it dmarc=pass;
# - a forwarded message: signed by signed.auth.test (ed25519, simple/simple: one header byte
#   changed on the way through Postfix and the milter protocol would break it), with a folded
#   Subject, relayed by 198.51.100.7 with the original envelope sender: SPF fails, the aligned
#   DKIM signature passes, delivered.
# SPF runs in log mode here (its results still go to Authentication-Results and to DMARC):
# with DMARC on, DMARC decides, as the README advises for forwarded mail.
conf=$(mxgate_dns_conf dkim-dmarc <<'TOML'
[checks.spf]
mode = "log"

[checks.dkim]
mode = "enforce"

[checks.dmarc]
mode = "enforce"
TOML
)
mxgate_restart "$conf"
keys=$REPO/tests/fixtures/dkim-e2e

# message TOKEN FROM: an RFC 5322 message (LF line ends) with complete headers, so that
# Postfix's cleanup adds none of its own above the signature.
message() {
    printf '%s\n' "From: Alice <$2>" "To: bob@example.test" "Subject: $1" \
        "Date: Fri, 04 Dec 2026 10:00:00 +0000" "Message-ID: <$1@signed.auth.test>" \
        "MIME-Version: 1.0" "Content-Type: text/plain; charset=us-ascii" "" \
        "Hello Bob," "" "  trailing space and a tab	 " "-- " "Alice"
}

tok=$(token dkim-pass)
message "$tok" alice@signed.auth.test | dkim_sign "$keys/rsa2048.pem" signed.auth.test rsa >"$T/$tok.eml"
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@signed.auth.test \
    --to bob@example.test --data "@$T/$tok.eml"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
msg=$(sink_file "$tok")
expect_header "$msg" '^Authentication-Results: mx\.e2e\.test; spf=pass smtp\.mailfrom=alice@signed\.auth\.test; spf=none smtp\.helo=mail\.example\.test; dkim=pass [^;]*header\.d=signed\.auth\.test[^;]* header\.s=rsa[^;]*; dmarc=pass [^;]*header\.from=signed\.auth\.test$'
[[ $(grep -c '^Authentication-Results: mx\.e2e\.test' "$msg") == 1 ]] || { log "FAIL: not exactly one Authentication-Results of ours"; false; }

tok=$(token dmarc-spoof)
message "$tok" alice@signed.auth.test >"$T/$tok.eml"
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo mail.elsewhere.spf.test --from spoofer@elsewhere.spf.test \
    --to bob@example.test --data "@$T/$tok.eml"
expect_reply rcpt 250
expect_reply eom "550 5.7.1 DMARC: signed.auth.test's policy rejects this message"
rejected_at_eom "$tok"

tok=$(token dmarc-relaxed)
message "$tok" alice@signed.auth.test >"$T/$tok.eml"
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo mail.other.auth.test --from news@other.auth.test \
    --to bob@example.test --data "@$T/$tok.eml"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_header "$(sink_file "$tok")" '^Authentication-Results: mx\.e2e\.test; spf=pass smtp\.mailfrom=news@other\.auth\.test;.* dkim=none; dmarc=pass '

tok=$(token dkim-forwarded)
message "$tok" alice@signed.auth.test | sed 's/^Subject: .*$/&\n\t  (folded,  with spaces) /' |
    dkim_sign "$keys/ed25519.pem" signed.auth.test ed simple >"$T/$tok.eml"
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo forwarder.other.auth.test --from alice@signed.auth.test \
    --to bob@example.test --data "@$T/$tok.eml"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
msg=$(sink_file "$tok")
expect_header "$msg" '^Authentication-Results: mx\.e2e\.test; spf=fail [^;]*smtp\.mailfrom=alice@signed\.auth\.test;.* dkim=pass [^;]*header\.d=signed\.auth\.test[^;]* header\.s=ed[^;]*; dmarc=pass '
