//! DKIM verification of one message, in process: `DkimCheck::verify` over a message signed
//! with the test keys of tests/fixtures/dkim-e2e (keys served by the in-process DNS server
//! of tests/support/dns.rs, then answered from the resolver's cache, so the figures are
//! canonicalisation, hashing and the signature check). Bodies of 10 KB and 1 MB; one
//! signature (rsa-sha256 2048 bit, or ed25519-sha256), or three (rsa relaxed, rsa simple,
//! ed25519).
//!
//! Run: `cargo bench --bench dkim`. `cargo test --benches` runs each benchmark once.

#[allow(dead_code)] // the tests use more of the module than the benches do
#[path = "../tests/support/dns.rs"]
mod dns;

use criterion::Criterion;
use mxgate::checks::dkim::{DkimCheck, DkimConfig};
use mxgate::dns::{Dns, DnsConfig};
use mxgate::session::{DkimResult, Session};
use std::path::Path;
use std::sync::Arc;
use tokio::runtime::Runtime;
use viadkim::crypto::HashAlgorithm;
use viadkim::signature::{Canonicalization, CanonicalizationAlgorithm as Canon};
use viadkim::{DomainName, Selector, SignRequest, SigningAlgorithm, SigningKey};

const HEADER: &str = "From: Alice <alice@signed.auth.test>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: quarterly figures,\r\n\tfolded\r\n\
Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <1@signed.auth.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=us-ascii\r\n";

fn body(bytes: usize) -> Vec<u8> {
    let line = "The figures of the quarter, one line of a long text body.  \r\n";
    line.repeat(bytes / line.len() + 1).into_bytes()
}

fn request(key: &str, selector: &str, canon: Canon) -> SignRequest<SigningKey> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim-e2e");
    let pem = std::fs::read_to_string(dir.join(key)).expect("test key");
    let key = SigningKey::from_pkcs8_pem(&pem).expect("PKCS#8 key");
    let alg = SigningAlgorithm::from_parts(key.key_type(), HashAlgorithm::Sha256).expect("sha256");
    let mut r = SignRequest::new(
        DomainName::new("signed.auth.test").expect("domain"),
        Selector::new(selector).expect("selector"),
        alg,
        key,
    );
    r.canonicalization = Canonicalization {
        header: canon,
        body: canon,
    };
    r
}

/// A session at end of message with the signed message as the milter keeps it: exact
/// field values (with the space after the colon, CRLF inside folds) and the body.
async fn signed_session(body: &[u8], requests: Vec<SignRequest<SigningKey>>) -> Session {
    let fields: viadkim::header::HeaderFields = HEADER.parse().expect("header");
    let sigs = viadkim::sign(fields, body, requests).await.expect("sign");
    let mut header = String::new();
    for s in sigs {
        let s = s.expect("signed");
        header.push_str(&format!("{}:{}\r\n", s.header_name, s.header_value));
    }
    header.push_str(HEADER);
    let mut session = Session::new(
        Some("192.0.2.10".parse().expect("ip")),
        25,
        "unknown".into(),
    );
    session.tx.started = true;
    // Unfold into fields: a line starting with white space continues the previous one.
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in header.split_terminator("\r\n") {
        match fields.last_mut() {
            Some((_, v)) if line.starts_with([' ', '\t']) => {
                v.push_str("\r\n");
                v.push_str(line);
            }
            _ => {
                let (n, v) = line.split_once(':').expect("a field");
                fields.push((n.to_owned(), v.to_owned()));
            }
        }
    }
    for (n, v) in fields {
        session
            .tx
            .headers
            .push((n.clone(), v.trim_start().to_owned()));
        session.tx.raw_headers.push((n, v.into_bytes()));
    }
    session.tx.body = body.to_vec();
    session.tx.body_len = body.len() as u64;
    session
}

fn main() {
    let rt = Runtime::new().expect("runtime");
    let server = rt.block_on(dns::DnsServer::start(&[(
        "auth.test.",
        &dns::fixture_zone("auth.test.zone"),
    )]));
    let cfg = DnsConfig {
        nameservers: vec![server.addr().to_string()],
        ..DnsConfig::default()
    };
    let resolver = Arc::new(Dns::new(&cfg).expect("resolver"));
    let check = DkimCheck::new(DkimConfig::default(), resolver);
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("dkim_verify");
    for (size_name, size) in [("10KB", 10 * 1024), ("1MB", 1024 * 1024)] {
        let body = body(size);
        let cases: [(&str, Vec<SignRequest<SigningKey>>); 3] = [
            ("rsa", vec![request("rsa2048.pem", "rsa", Canon::Relaxed)]),
            (
                "ed25519",
                vec![request("ed25519.pem", "ed", Canon::Relaxed)],
            ),
            (
                "3sig",
                vec![
                    request("rsa2048.pem", "rsa", Canon::Relaxed),
                    request("rsa2048.pem", "rsa", Canon::Simple),
                    request("ed25519.pem", "ed", Canon::Relaxed),
                ],
            ),
        ];
        for (name, requests) in cases {
            let n = requests.len();
            let session = rt.block_on(signed_session(&body, requests));
            // Warm the key cache, and refuse to time a message that does not verify.
            let facts = rt.block_on(check.verify(&session));
            assert_eq!(facts.len(), n, "{name}: {facts:?}");
            assert!(
                facts.iter().all(|f| f.result == DkimResult::Pass),
                "{size_name}/{name}: {facts:?}"
            );
            group.bench_function(format!("{size_name}/{name}"), |b| {
                b.to_async(&rt).iter(|| check.verify(&session))
            });
        }
    }
    group.finish();
    c.final_summary();
}
