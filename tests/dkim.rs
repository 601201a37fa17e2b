//! The DKIM check (`[checks.dkim]`) through the real daemon and milter protocol: messages
//! signed here with the test keys of tests/fixtures/dkim-e2e/ (and the example signatures
//! of RFC 6376 and RFC 8463), key records served by the in-process DNS server, replayed as
//! Postfix presents them (folded header values with bare LF, the leading space of each
//! value, the body with CRLF). What a client sees is the end-of-message answer and the
//! Authentication-Results header the milter adds.

mod support;

use std::path::{Path, PathBuf};
use support::daemon::{dns_section, replay};
use support::dns::{fixture_zone, DnsServer, Fault};
use viadkim::crypto::HashAlgorithm;
use viadkim::signature::{Canonicalization, CanonicalizationAlgorithm as Canon};
use viadkim::signer::{BodyLength, Expiration, HeaderSelection, Timestamp};
use viadkim::{DomainName, Selector, SignRequest, SigningAlgorithm, SigningKey};

/// The auth.test zone of the e2e scenarios (keys rsa and ed under signed.auth.test) and
/// key records that must not verify; RFC 6376 Appendix C's key for example.com and
/// RFC 8463 Appendix A's two keys for
/// football.example.com; elsewhere.example, a domain of "someone else" (SPF pass from
/// 198.51.100.0/24).
fn zones() -> Vec<(&'static str, String)> {
    let rsa_p = fixture_zone("auth.test.zone")
        .lines()
        .find(|l| l.starts_with("rsa._domainkey.signed"))
        .and_then(|l| l.split_once("p=").map(|(_, p)| p.replace(['"', ' '], "")))
        .expect("the rsa key record in auth.test.zone");
    // TXT strings hold at most 255 bytes (RFC 1035 §3.3.14): the key goes in several.
    let rsa_p: String = rsa_p
        .as_bytes()
        .chunks(200)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\" \"");
    let auth = format!(
        "{}\n\
revoked._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p=\"\n\
garbled._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p=%%not-base64%%\"\n\
sha1only._domainkey.signed IN TXT \"v=DKIM1; k=rsa; h=sha1; p={rsa_p}\"\n\
edasrsa._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p=S+brCFBXRZZq6vUjtFWzGGV7r2zsk6AmH4oz6wmELF4=\"\n\
flaky._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p={rsa_p}\"\n\
stalled._domainkey.signed IN TXT \"v=DKIM1; k=rsa; p={rsa_p}\"\n\
strict._domainkey.signed IN TXT \"v=DKIM1; k=rsa; t=s; p={rsa_p}\"\n",
        fixture_zone("auth.test.zone")
    );
    let example_com = "\
$ORIGIN example.com.
$TTL 300
@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 5
@ IN NS ns.example.com.
ns IN A 192.0.2.53
brisbane._domainkey IN TXT \"v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB\"
"
    .to_owned();
    let football = "\
$ORIGIN football.example.com.
$TTL 300
@ IN SOA ns.football.example.com. hostmaster.football.example.com. 1 3600 600 86400 5
@ IN NS ns.football.example.com.
ns IN A 192.0.2.53
brisbane._domainkey IN TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"
test._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"
"
    .to_owned();
    let elsewhere = "\
$ORIGIN elsewhere.example.
$TTL 300
@ IN SOA ns.elsewhere.example. hostmaster.elsewhere.example. 1 3600 600 86400 5
@ IN NS ns.elsewhere.example.
ns IN A 192.0.2.53
@ IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"
"
    .to_owned();
    vec![
        ("auth.test.", auth),
        ("elsewhere.example.", elsewhere),
        ("example.com.", example_com),
        ("football.example.com.", football),
    ]
}

async fn dns() -> DnsServer {
    let zones = zones();
    let refs: Vec<(&str, &str)> = zones.iter().map(|(o, t)| (*o, t.as_str())).collect();
    DnsServer::start(&refs).await
}

/// How to sign: key file, selector, canonicalisation (header/body), and the options that
/// make the edge cases.
#[derive(Clone)]
struct Sig {
    key: &'static str,
    selector: &'static str,
    header: Canon,
    body: Canon,
    length: BodyLength,
    headers: Option<&'static [&'static str]>,
    expires: Expiration,
    timestamp: Timestamp,
    identity: Option<&'static str>,
}

fn rsa(selector: &'static str) -> Sig {
    Sig {
        key: "rsa2048.pem",
        selector,
        header: Canon::Relaxed,
        body: Canon::Relaxed,
        length: BodyLength::NoLimit,
        headers: None,
        expires: Expiration::Never,
        timestamp: Timestamp::Now,
        identity: None,
    }
}

fn ed() -> Sig {
    Sig {
        key: "ed25519.pem",
        ..rsa("ed")
    }
}

impl Sig {
    fn simple(mut self) -> Self {
        self.header = Canon::Simple;
        self.body = Canon::Simple;
        self
    }
}

/// `message` (LF line ends, as the fixture files) with one DKIM-Signature per `sigs` on
/// top, signed by signed.auth.test over the CRLF form the milter sees.
async fn sign(message: &str, sigs: &[Sig]) -> String {
    let crlf: String = message.split_inclusive('\n').map(crlf_line).collect();
    let (header, body) = crlf.split_once("\r\n\r\n").expect("a blank line");
    let header: viadkim::header::HeaderFields = format!("{header}\r\n").parse().expect("header");
    let requests: Vec<_> = sigs
        .iter()
        .map(|s| {
            let pem = std::fs::read_to_string(keys().join(s.key)).expect("test key");
            let key = SigningKey::from_pkcs8_pem(&pem).expect("a PKCS#8 key");
            let algorithm = SigningAlgorithm::from_parts(key.key_type(), HashAlgorithm::Sha256)
                .expect("sha256");
            let mut r = SignRequest::new(
                DomainName::new("signed.auth.test").expect("domain"),
                Selector::new(s.selector).expect("selector"),
                algorithm,
                key,
            );
            r.canonicalization = Canonicalization {
                header: s.header,
                body: s.body,
            };
            r.body_length = s.length;
            r.expiration = s.expires;
            r.timestamp = s.timestamp;
            r.identity = s
                .identity
                .map(|i| viadkim::signature::Identity::new(i).expect("identity"));
            if let Some(h) = s.headers {
                r.header_selection = HeaderSelection::Manual(
                    h.iter()
                        .map(|n| viadkim::header::FieldName::new(*n).expect("field name"))
                        .collect(),
                );
            }
            r
        })
        .collect();
    let mut out = String::new();
    let signed = viadkim::sign(header, body.as_bytes(), requests)
        .await
        .expect("a valid sign request");
    for s in signed {
        let s = s.expect("signed");
        out.push_str(&format!(
            "{}:{}\n",
            s.header_name,
            s.header_value.replace("\r\n", "\n")
        ));
    }
    out.push_str(message);
    out
}

fn crlf_line(l: &str) -> String {
    match l.strip_suffix('\n') {
        Some(l) => format!("{l}\r\n"),
        None => l.to_owned(),
    }
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim-e2e")
}

const MESSAGE: &str = "\
From: Alice <alice@signed.auth.test>
To: Bob <bob@example.net>
Subject: quarterly figures
Date: Fri, 04 Dec 2026 10:00:00 +0000
Message-ID: <1@signed.auth.test>

Hello Bob,

the figures are attached.
";

/// One message of a replay: the signed file, and the expectations at end of message.
struct Case {
    name: &'static str,
    message: String,
    expect: Vec<String>,
}

fn case(name: &'static str, message: String, expect: &[&str]) -> Case {
    Case {
        name,
        message,
        expect: expect.iter().map(|e| e.to_string()).collect(),
    }
}

/// Replays `cases` (one session each, from 192.0.2.10) against mxgate with `[checks.dkim]`
/// plus `extra`, and asserts every expectation held.
async fn run(dns: &DnsServer, extra: &str, cases: &[Case]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sessions = String::new();
    for (i, c) in cases.iter().enumerate() {
        let file = format!("m{i}.eml");
        std::fs::write(dir.path().join(&file), &c.message).expect("write message");
        sessions.push_str(&format!(
            "session {}\nconnect 192.0.2.10 port {} name mail.signed.auth.test\n\
             helo mail.signed.auth.test\nmail <bounce@signed.auth.test>\n\
             rcpt <bob@example.net>\nmessage @{file}\n",
            c.name,
            41000 + i
        ));
        for e in &c.expect {
            sessions.push_str(&format!("eom expect {e}\n"));
        }
        sessions.push('\n');
    }
    let path = dir.path().join("dkim.session");
    std::fs::write(&path, &sessions).expect("write session file");
    let config = format!(
        "{}\n[checks.dkim]\nauthserv_id = \"mx.test\"\n{extra}\n",
        dns_section(dns.addr(), 1000)
    );
    replay(&config, &[path]).await.assert_all_passed();
}

const AR: &str = "header Authentication-Results ~";

#[tokio::test]
async fn signatures_that_verify() {
    let dns = dns().await;
    let folded = MESSAGE.replace(
        "Subject: quarterly figures\n",
        "Subject: quarterly\n figures,\n\tfolded twice  \n",
    );
    let trailing = MESSAGE.replace("the figures are attached.\n", "trailing spaces  \n\n\n\n");
    let twice = format!("Subject: an older subject\n{MESSAGE}");
    let once = Sig {
        headers: Some(&["From", "To", "Subject", "Date"]),
        ..rsa("rsa")
    };
    let empty = MESSAGE
        .split_once("\n\n")
        .map(|(h, _)| format!("{h}\n\n"))
        .unwrap_or_default();
    let cases = [
        case(
            "rsa-relaxed",
            sign(MESSAGE, &[rsa("rsa")]).await,
            &[
                "continue",
                &format!(
                    "{AR} mx.test; dkim=pass header.d=signed.auth.test header.s=rsa header.b="
                ),
            ],
        ),
        case(
            "ed25519-simple",
            sign(MESSAGE, &[ed().simple()]).await,
            &[
                "continue",
                &format!("{AR} dkim=pass header.d=signed.auth.test header.s=ed"),
            ],
        ),
        case(
            "folded-header-simple-keeps-every-byte",
            sign(&folded, &[rsa("rsa").simple()]).await,
            &[&format!(
                "{AR} dkim=pass header.d=signed.auth.test header.s=rsa"
            )],
        ),
        case(
            "trailing-whitespace-and-empty-lines-simple",
            sign(&trailing, &[ed().simple()]).await,
            &[&format!(
                "{AR} dkim=pass header.d=signed.auth.test header.s=ed"
            )],
        ),
        case(
            "empty-body-relaxed",
            sign(&empty, &[rsa("rsa")]).await,
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "empty-body-simple",
            sign(&empty, &[ed().simple()]).await,
            &[&format!("{AR} dkim=pass")],
        ),
        // h=subject once: the bottom-most Subject is the signed one (RFC 6376 §5.4.2).
        case(
            "duplicated-field-signs-the-last",
            sign(&twice, &[once]).await,
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "two-signatures-two-results",
            sign(MESSAGE, &[rsa("rsa"), ed()]).await,
            &[
                &format!("{AR} dkim=pass header.d=signed.auth.test header.s=rsa"),
                &format!("{AR} dkim=pass header.d=signed.auth.test header.s=ed"),
            ],
        ),
        // An incoming header under our authserv-id is a forgery: removed, ours added.
        case(
            "forged-results-removed",
            sign(
                &format!(
                    "Authentication-Results: mx.test; dkim=pass header.d=bank.test\n{MESSAGE}"
                ),
                &[rsa("rsa")],
            )
            .await,
            &[
                "delete-header Authentication-Results 1",
                &format!("{AR} mx.test; dkim=pass header.d=signed.auth.test"),
            ],
        ),
        case(
            "unsigned",
            MESSAGE.to_owned(),
            &["continue", &format!("{AR} mx.test; dkim=none")],
        ),
    ];
    run(&dns, "", &cases).await;
}

#[tokio::test]
async fn canonicalisation_decides_what_a_change_breaks() {
    let dns = dns().await;
    let respace = |m: &str| {
        m.replace(
            "Subject: quarterly figures",
            "Subject:  quarterly   figures",
        )
        .replace("the figures are attached.", "the figures  are attached.   ")
    };
    let relaxed = sign(MESSAGE, &[rsa("rsa")]).await;
    let simple = sign(MESSAGE, &[rsa("rsa").simple()]).await;
    let mut simple_body_only = rsa("rsa");
    simple_body_only.body = Canon::Simple;
    let simple_body = sign(MESSAGE, &[simple_body_only]).await;
    let cases = [
        case(
            "relaxed-survives-whitespace",
            respace(&relaxed),
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "simple-header-breaks",
            respace(&simple).replace("the figures  are attached.   ", "the figures are attached."),
            &[&format!(
                "{AR} dkim=fail (signature verification failed: signature did not verify"
            )],
        ),
        case(
            "simple-body-breaks",
            respace(&simple_body),
            &[&format!("{AR} dkim=fail (body hash did not verify")],
        ),
    ];
    run(&dns, "", &cases).await;
}

#[tokio::test]
async fn tampering_fails() {
    let dns = dns().await;
    let signed = sign(MESSAGE, &[rsa("rsa"), ed()]).await;
    let oversigned = sign(
        MESSAGE,
        &[Sig {
            headers: Some(&["From", "From", "Subject", "Date"]),
            ..rsa("rsa")
        }],
    )
    .await;
    let twice = format!("Subject: an older subject\n{MESSAGE}");
    let once = Sig {
        headers: Some(&["From", "To", "Subject", "Date"]),
        ..rsa("rsa")
    };
    let cases = [
        case(
            "body-changed",
            signed.replace("figures are attached", "figures are elsewhere"),
            &[
                "continue",
                &format!("{AR} dkim=fail (body hash did not verify) header.d=signed.auth.test header.s=rsa"),
            ],
        ),
        case(
            "signed-header-changed",
            signed.replace("Subject: quarterly figures", "Subject: urgent invoice"),
            &[&format!("{AR} dkim=fail (signature verification failed: signature did not verify")],
        ),
        case(
            "unsigned-header-added-still-passes",
            signed.replace("To: Bob", "X-Added: by a list\nTo: Bob"),
            &[&format!("{AR} dkim=pass")],
        ),
        // h= names From twice where the message has one: a second From added below the
        // signed one is caught (the "oversigning" defence of RFC 6376 §8.15).
        case(
            "oversigned-from-added",
            oversigned.replace("To: Bob", "From: Mallory <m@evil.test>\nTo: Bob"),
            &[&format!("{AR} dkim=fail (signature verification failed: signature did not verify")],
        ),
        // The top Subject was never signed; the bottom one was.
        case(
            "duplicated-field-top-changed",
            sign(&twice, std::slice::from_ref(&once))
                .await
                .replace("an older subject", "a changed subject"),
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "duplicated-field-bottom-changed",
            sign(&twice, &[once])
                .await
                .replace("quarterly figures", "changed figures"),
            &[&format!("{AR} dkim=fail")],
        ),
    ];
    run(&dns, "", &cases).await;
}

#[tokio::test]
async fn body_length_and_expiry() {
    let dns = dns().await;
    let partial = Sig {
        length: BodyLength::Exact(12),
        ..rsa("rsa")
    };
    let appended = format!(
        "{}Appended below the signed part.\n",
        sign(MESSAGE, std::slice::from_ref(&partial)).await
    );
    let past = 1_600_000_000;
    let expired = Sig {
        timestamp: Timestamp::Exact(past),
        expires: Expiration::Exact(past + 3600),
        ..rsa("rsa")
    };
    let cases = [
        case(
            "l-shorter-than-the-body",
            appended.clone(),
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "expired",
            sign(MESSAGE, &[expired]).await,
            &[&format!(
                "{AR} dkim=policy (local policy violation: signature expired"
            )],
        ),
    ];
    run(&dns, "", &cases).await;
    let refused = [case("l-refused", appended, &[&format!("{AR} dkim=policy")])];
    run(&dns, "allow_partial_body = false", &refused).await;
}

#[tokio::test]
async fn broken_keys_are_permerror() {
    let dns = dns().await;
    let cases = [
        case(
            "revoked",
            sign(MESSAGE, &[rsa("revoked")]).await,
            &["continue", &format!("{AR} dkim=permerror (key revoked")],
        ),
        case(
            "garbled",
            sign(MESSAGE, &[rsa("garbled")]).await,
            &[&format!("{AR} dkim=permerror (unusable public key record: invalid Base64 string) header.d=signed.auth.test header.s=garbled")],
        ),
        case(
            "hash-not-allowed-by-the-key",
            sign(MESSAGE, &[rsa("sha1only")]).await,
            &[&format!(
                "{AR} dkim=permerror (unusable public key record: no supported hash algorithms)"
            )],
        ),
        case(
            "no-key-record",
            sign(MESSAGE, &[rsa("absent")]).await,
            &[&format!("{AR} dkim=permerror (no key record")],
        ),
        case(
            "key-type-mismatch",
            sign(MESSAGE, &[rsa("edasrsa")]).await,
            &[&format!("{AR} dkim=permerror")],
        ),
        // t=s: the key may sign only for d= itself, not for an i= in a subdomain.
        case(
            "key-strict-identity-in-a-subdomain",
            sign(
                MESSAGE,
                &[Sig {
                    identity: Some("@mail.signed.auth.test"),
                    ..rsa("strict")
                }],
            )
            .await,
            &[&format!("{AR} dkim=permerror (domain mismatch)")],
        ),
        case(
            "key-strict-identity-of-the-domain",
            sign(
                MESSAGE,
                &[Sig {
                    identity: Some("alice@signed.auth.test"),
                    ..rsa("strict")
                }],
            )
            .await,
            &[&format!("{AR} dkim=pass header.d=signed.auth.test header.s=strict")],
        ),
        case(
            "signature-missing-tags",
            format!("DKIM-Signature: v=1; a=rsa-sha256; d=signed.auth.test; s=rsa\n{MESSAGE}"),
            &[&format!("{AR} dkim=permerror")],
        ),
    ];
    run(&dns, "", &cases).await;
    // Every signature broken and fail = "reject": refused with the reason.
    let refused = [case(
        "all-failed-rejected",
        sign(MESSAGE, &[rsa("revoked")]).await,
        &["reject 550 5.7.20 ~ no signature of this message verifies"],
    )];
    run(&dns, "fail = \"reject\"", &refused).await;
}

#[tokio::test]
async fn dns_failures_are_temperror() {
    let dns = dns().await;
    dns.set_fault("flaky._domainkey.signed.auth.test.", Fault::ServFail);
    dns.set_fault("stalled._domainkey.signed.auth.test.", Fault::Timeout);
    let flaky = sign(MESSAGE, &[rsa("flaky")]).await;
    let stalled = sign(MESSAGE, &[rsa("stalled")]).await;
    let both = sign(MESSAGE, &[rsa("flaky"), ed()]).await;
    let cases = [
        case(
            "servfail-continues-by-default",
            flaky.clone(),
            &["continue", &format!("{AR} dkim=temperror")],
        ),
        case(
            "timeout",
            stalled.clone(),
            &["continue", &format!("{AR} dkim=temperror")],
        ),
        case(
            "a-pass-beside-a-temperror",
            both.clone(),
            &[&format!("{AR} dkim=temperror"), &format!("{AR} dkim=pass")],
        ),
    ];
    run(&dns, "", &cases).await;
    let tempfailed = [
        case(
            "servfail-tempfails",
            flaky,
            &["tempfail 451 4.7.5 ~ temporary error verifying"],
        ),
        case("timeout-tempfails", stalled, &["tempfail 451 4.7.5"]),
        case("a-pass-is-enough", both, &["continue"]),
    ];
    run(
        &dns,
        "on_error = \"tempfail\"\ntimeout = \"300ms\"",
        &tempfailed,
    )
    .await;
}

#[tokio::test]
async fn bounds() {
    let dns = dns().await;
    let big_body: String = (0..2000)
        .map(|i| format!("line {i:05} of a long message body, to go past the bound\n"))
        .collect();
    let big = format!("{MESSAGE}{big_body}");
    let within = Sig {
        length: BodyLength::Exact(1000),
        ..rsa("rsa")
    };
    let cases = [
        case(
            "over-max-body-bytes-is-neutral",
            sign(&big, &[rsa("rsa")]).await,
            &[
                "continue",
                &format!("{AR} dkim=neutral (not verified: message over max_body_bytes)"),
            ],
        ),
        case(
            "l-within-the-bound-verifies",
            sign(&big, &[within]).await,
            &[&format!("{AR} dkim=pass")],
        ),
        case(
            "over-max-signatures",
            sign(MESSAGE, &[rsa("rsa"), ed()]).await,
            &[
                &format!("{AR} dkim=pass header.d=signed.auth.test header.s=rsa"),
                &format!("{AR} dkim=neutral (not verified: over max_signatures) header.d=signed.auth.test header.s=ed"),
            ],
        ),
    ];
    run(&dns, "max_body_bytes = 65536\nmax_signatures = 1", &cases).await;
}

/// The example signatures of the RFCs, verbatim as their messages would arrive: RFC 6376
/// Appendix A.2 (simple/simple, with errata 3192 and 4926 applied) and RFC 8463 Appendix
/// A.3 (ed25519-sha256 and rsa-sha256, relaxed/relaxed).
#[tokio::test]
async fn rfc_example_signatures() {
    let dns = dns().await;
    let rfc6376 = "\
DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;
      c=simple/simple; q=dns/txt; i=joe@football.example.com;
      h=Received : From : To : Subject : Date : Message-ID;
      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB
        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut
        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV
        4bmp/YzhwvcubU4=;
Received: from client1.football.example.com  [192.0.2.1]
      by submitserver.example.com with SUBMISSION;
      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game. Are you hungry yet?

Joe.
";
    let rfc8463 = "\
DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
";
    let cases = [
        case(
            "rfc6376-a2",
            rfc6376.to_owned(),
            &[&format!("{AR} dkim=pass header.d=example.com header.s=brisbane")],
        ),
        case(
            "rfc8463-a3",
            rfc8463.to_owned(),
            &[
                &format!("{AR} dkim=pass header.d=football.example.com header.s=brisbane"),
                &format!("{AR} dkim=pass header.d=football.example.com header.s=test"),
            ],
        ),
        case(
            "rfc8463-a3-tampered",
            rfc8463.replace("We lost the game.", "We won the game."),
            &[&format!("{AR} dkim=fail (body hash did not verify) header.d=football.example.com header.s=brisbane")],
        ),
    ];
    run(&dns, "", &cases).await;
}

/// DKIM's facts decide DMARC: a forwarded message (SPF fails for the forwarder's address)
/// whose aligned signature still verifies passes; the same message with its body changed
/// is rejected by the sender domain's p=reject, and so is an unsigned one from another
/// domain's server; an envelope domain under the same organisational domain aligns.
#[tokio::test]
async fn dmarc_reads_the_dkim_result() {
    let dns = dns().await;
    let signed = sign(MESSAGE, &[ed()]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.eml"), &signed).expect("write");
    std::fs::write(
        dir.path().join("bad.eml"),
        signed.replace("figures are attached", "invoice is attached"),
    )
    .expect("write");
    let session = "\
session forwarded-with-its-signature
connect 198.51.100.7 port 42001 name relay.other.auth.test
helo relay.other.auth.test
mail <alice@signed.auth.test>
rcpt <bob@example.net>
message @ok.eml
eom expect continue
eom expect header Authentication-Results ~ spf=fail
eom expect header Authentication-Results ~ dkim=pass header.d=signed.auth.test
eom expect header Authentication-Results ~ dmarc=pass (p=reject dis=none) header.from=signed.auth.test

session forwarded-and-changed
connect 198.51.100.7 port 42002 name relay.other.auth.test
helo relay.other.auth.test
mail <alice@signed.auth.test>
rcpt <bob@example.net>
message @bad.eml
eom expect reject 550 5.7.1 ~ signed.auth.test

session spoofed-from-unsigned
connect 198.51.100.7 port 42003 name mail.elsewhere.example
helo mail.elsewhere.example
mail <spoofer@elsewhere.example>
rcpt <bob@example.net>
message @spoof.eml
eom expect reject 550 5.7.1 ~ signed.auth.test

session relaxed-alignment-one-organisational-domain
connect 198.51.100.7 port 42004 name relay.other.auth.test
helo relay.other.auth.test
mail <news@other.auth.test>
rcpt <bob@example.net>
message @spoof.eml
eom expect continue
eom expect header Authentication-Results ~ spf=pass smtp.mailfrom=news@other.auth.test
eom expect header Authentication-Results ~ dkim=none; dmarc=pass
";
    std::fs::write(dir.path().join("spoof.eml"), MESSAGE).expect("write");
    let path = dir.path().join("dmarc.session");
    std::fs::write(&path, session).expect("write session");
    let config = format!(
        "{}\n[checks.spf]\nauthserv_id = \"mx.test\"\nmode = \"log\"\n\
         [checks.dkim]\nauthserv_id = \"mx.test\"\n\
         [checks.dmarc]\nauthserv_id = \"mx.test\"\n",
        dns_section(dns.addr(), 1000)
    );
    replay(&config, &[path]).await.assert_all_passed();
}

/// The milter asks Postfix for the exact header values (LEADING_SPACE), and then Postfix
/// writes an added field as `Name:value`: the space after the colon is ours to send.
#[tokio::test]
async fn added_fields_carry_the_space_after_the_colon() {
    use mxgate::replay::client::{ClientOptions, SocketSpec};
    let dns = dns().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("m.eml"), sign(MESSAGE, &[ed()]).await).expect("write");
    let path = dir.path().join("space.session");
    std::fs::write(
        &path,
        "session space\nconnect 192.0.2.10 port 43001 name mail.signed.auth.test\n\
         helo mail.signed.auth.test\nmail <bounce@signed.auth.test>\nrcpt <bob@example.net>\n\
         message @m.eml\n",
    )
    .expect("write session");
    let config = format!(
        "{}\n[checks.dkim]\nauthserv_id = \"mx.test\"\n",
        dns_section(dns.addr(), 1000)
    );
    let cfg = mxgate::config::parse(&config, Path::new("t.toml")).expect("config");
    let milter = mxgate::daemon::Embedded::start(cfg).await.expect("start");
    let spec: SocketSpec = milter.socket_spec().parse().expect("spec");
    let sessions = mxgate::replay::load_sessions(&[path]).expect("sessions");
    let opts = ClientOptions {
        timeout: std::time::Duration::from_secs(20),
    };
    let results = mxgate::replay::replay_all(&spec, &sessions, &opts).await;
    milter.stop().await;
    let added: Vec<String> = results
        .iter()
        .flat_map(|r| &r.steps)
        .flat_map(|s| &s.actions)
        .filter_map(|a| a.header_set())
        .map(|(n, v)| format!("{n}:{v}"))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        added[0].starts_with("Authentication-Results: mx.test; dkim=pass"),
        "{added:?}"
    );
}
