//! The DMARC check (`[checks.dmarc]`) through the policy at end of message, against the
//! in-process DNS server with the zones below, with the SPF and DKIM facts of the
//! message set directly (as the SPF and DKIM checks would record them).

mod support;

use mxgate::checks::Services;
use mxgate::policy::{EomOutcome, Ledger, Policy};
use mxgate::session::{DkimFact, DkimResult, DmarcResult, Session, SpfFact, SpfResult};
use mxgate::verdict::{HeaderEdit, Verdict};
use std::sync::{Arc, Mutex};
use support::daemon::dns_section;
use support::dns::{DnsServer, Fault};

/// Policies under example.com (relaxed unless said), a suffix-list case under co.uk, and
/// a domain without any record.
const EXAMPLE_COM: &str = r#"
$ORIGIN example.com.
$TTL 300
@            IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 5
@            IN NS  ns.example.com.
ns           IN A   192.0.2.53
_dmarc       IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
_dmarc       IN TXT "google-site-verification=not-dmarc"
_dmarc.strict     IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
_dmarc.quarantine IN TXT "v=DMARC1; p=quarantine"
_dmarc.pct0       IN TXT "v=DMARC1; p=reject; pct=0"
_dmarc.pct100     IN TXT "v=DMARC1; p=reject; pct=100"
_dmarc.monitor    IN TXT "v=DMARC1; p=none"
_dmarc.several    IN TXT "v=DMARC1; p=reject"
_dmarc.several    IN TXT "v=DMARC1; p=none"
_dmarc.broken     IN TXT "v=DMARC1; p=block"
_dmarc.temp       IN TXT "v=DMARC1; p=reject"
mail         IN A   192.0.2.10
"#;

const EXAMPLE_CO_UK: &str = r#"
$ORIGIN example.co.uk.
$TTL 300
@            IN SOA ns.example.co.uk. hostmaster.example.co.uk. 1 3600 600 86400 5
@            IN NS  ns.example.co.uk.
ns           IN A   192.0.2.53
_dmarc       IN TXT "v=DMARC1; p=reject; sp=quarantine"
"#;

const EXAMPLE_NET: &str = r#"
$ORIGIN example.net.
$TTL 300
@            IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 5
@            IN NS  ns.example.net.
ns           IN A   192.0.2.53
"#;

async fn dns() -> DnsServer {
    DnsServer::start(&[
        ("example.com.", EXAMPLE_COM),
        ("example.co.uk.", EXAMPLE_CO_UK),
        ("example.net.", EXAMPLE_NET),
    ])
    .await
}

const SIZE_BOUND: &str = "not verified: message over max_body_bytes";

fn policy(dns: &DnsServer, extra: &str) -> Policy {
    let text = format!(
        "{}\n[checks.dmarc]\nauthserv_id = \"mx.test\"\n{extra}\n",
        dns_section(dns.addr(), 1000)
    );
    let cfg = mxgate::config::parse(&text, std::path::Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    Policy::new(Arc::new(cfg), &Services::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// A message's facts as the milter and the SPF/DKIM checks leave them.
#[derive(Clone, Default)]
struct Msg {
    from: Vec<&'static str>,
    spf: Option<(SpfResult, &'static str)>,
    dkim: Vec<(DkimResult, &'static str, Option<&'static str>)>,
}

fn from(v: &'static str) -> Msg {
    Msg {
        from: vec![v],
        ..Msg::default()
    }
}

impl Msg {
    fn spf(mut self, r: SpfResult, domain: &'static str) -> Self {
        self.spf = Some((r, domain));
        self
    }
    fn dkim(mut self, r: DkimResult, d: &'static str) -> Self {
        self.dkim.push((r, d, None));
        self
    }
    fn dkim_why(mut self, r: DkimResult, d: &'static str, why: &'static str) -> Self {
        self.dkim.push((r, d, Some(why)));
        self
    }

    fn session(&self) -> Session {
        let mut s = Session::new(Some("192.0.2.10".parse().unwrap()), 25, "unknown".into());
        s.helo = Some("mail.example.com".into());
        s.tx.started = true;
        s.tx.sender = "bounce@example.com".into();
        s.tx.headers.push(("Subject".into(), "test".into()));
        for f in &self.from {
            s.tx.headers.push(("From".into(), f.to_string()));
        }
        s.tx.spf = self.spf.map(|(result, domain)| SpfFact {
            result,
            domain: domain.into(),
        });
        s.tx.dkim = self
            .dkim
            .iter()
            .map(|(result, d, why)| DkimFact {
                result: *result,
                domain: d.to_string(),
                selector: "sel".into(),
                b_prefix: "abcdefgh".into(),
                reason: why.map(str::to_owned),
            })
            .collect();
        s
    }
}

/// What the message came to.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Delivered,
    Quarantined,
    Rejected(String),
    Tempfailed(String),
}

struct Run {
    out: EomOutcome,
    session: Session,
}

impl Run {
    fn seen(&self) -> Seen {
        let quarantined = self.out.edits.iter().any(
            |e| matches!(e, HeaderEdit::Add(n, v) if n == "X-Mxgate-DMARC" && v == "quarantine"),
        );
        match &self.out.verdict {
            None if quarantined => Seen::Quarantined,
            None => Seen::Delivered,
            Some(Verdict::Reject(r)) => Seen::Rejected(r.to_string()),
            Some(Verdict::Tempfail(r)) => Seen::Tempfailed(r.to_string()),
            Some(v) => panic!("unexpected verdict {v:?}"),
        }
    }

    /// Our Authentication-Results value.
    fn ar(&self) -> String {
        self.out
            .edits
            .iter()
            .find_map(|e| match e {
                HeaderEdit::Add(n, v) if n == "Authentication-Results" => Some(v.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn result(&self) -> DmarcResult {
        self.session.tx.dmarc.as_ref().expect("a DMARC fact").result
    }
}

async fn run(p: &Policy, msg: &Msg) -> Run {
    let mut session = msg.session();
    let mut ledger = Ledger::default();
    let out = p.end_of_message(&mut session, &mut ledger).await;
    Run { out, session }
}

#[tokio::test]
async fn a_table_of_messages() {
    use DkimResult as D;
    use DmarcResult as R;
    use SpfResult as S;
    let dns = dns().await;
    let p = policy(&dns, "");
    let rejected = |domain: &str| {
        Seen::Rejected(format!(
            "550 5.7.1 DMARC: {domain}'s policy rejects this message (From not aligned with a passing SPF or DKIM)"
        ))
    };
    let cases: Vec<(&str, Msg, R, Seen, &str)> = vec![
        (
            "aligned SPF pass",
            from("Alice <alice@example.com>").spf(S::Pass, "example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass (p=reject dis=none) header.from=example.com",
        ),
        (
            "relaxed SPF: a subdomain's MAIL FROM",
            from("alice@example.com").spf(S::Pass, "bounces.example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "unaligned SPF pass, no DKIM",
            from("alice@example.com").spf(S::Pass, "example.net"),
            R::Fail,
            rejected("example.com"),
            "",
        ),
        (
            "aligned SPF that failed",
            from("alice@example.com").spf(S::Fail, "example.com"),
            R::Fail,
            rejected("example.com"),
            "",
        ),
        (
            "aligned DKIM pass, SPF unaligned",
            from("alice@example.com")
                .spf(S::Pass, "example.net")
                .dkim(D::Pass, "example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "relaxed DKIM: d= a subdomain",
            from("alice@example.com").dkim(D::Pass, "mail.example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "unaligned DKIM pass and an aligned DKIM fail",
            from("alice@example.com")
                .dkim(D::Pass, "example.net")
                .dkim(D::Fail, "example.com"),
            R::Fail,
            rejected("example.com"),
            "",
        ),
        (
            "strict DKIM: the organisational domain is not enough",
            from("a@strict.example.com").dkim(D::Pass, "example.com"),
            R::Fail,
            rejected("strict.example.com"),
            "",
        ),
        (
            "strict DKIM: the exact domain",
            from("a@strict.example.com").dkim(D::Pass, "Strict.Example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass (p=reject dis=none) header.from=strict.example.com",
        ),
        (
            "strict SPF: a subdomain's MAIL FROM",
            from("a@strict.example.com").spf(S::Pass, "bounce.strict.example.com"),
            R::Fail,
            rejected("strict.example.com"),
            "",
        ),
        (
            "strict SPF: the exact domain",
            from("a@strict.example.com").spf(S::Pass, "strict.example.com"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "p=quarantine adds the header",
            from("a@quarantine.example.com"),
            R::Fail,
            Seen::Quarantined,
            "dmarc=fail (p=quarantine dis=quarantine) header.from=quarantine.example.com",
        ),
        (
            "p=none only reports",
            from("a@monitor.example.com"),
            R::Fail,
            Seen::Delivered,
            "dmarc=fail (p=none dis=none) header.from=monitor.example.com",
        ),
        (
            "a subdomain without a record: the organisational domain's p (no sp)",
            from("a@news.example.com"),
            R::Fail,
            rejected("news.example.com"),
            "",
        ),
        (
            "across a public suffix: example.co.uk's sp=quarantine",
            from("a@mail.example.co.uk"),
            R::Fail,
            Seen::Quarantined,
            "dmarc=fail (p=reject sp=quarantine dis=quarantine) header.from=mail.example.co.uk",
        ),
        (
            "the organisational domain itself: its p",
            from("a@example.co.uk"),
            R::Fail,
            rejected("example.co.uk"),
            "",
        ),
        (
            "relaxed alignment across a public suffix",
            from("a@mail.example.co.uk").dkim(D::Pass, "bounce.example.co.uk"),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "pct=0: reject lowered to quarantine",
            from("a@pct0.example.com"),
            R::Fail,
            Seen::Quarantined,
            "dis=quarantine",
        ),
        (
            "pct=100: rejected",
            from("a@pct100.example.com"),
            R::Fail,
            rejected("pct100.example.com"),
            "",
        ),
        (
            "no record anywhere",
            from("a@mail.example.net").spf(S::Fail, "example.net"),
            R::None,
            Seen::Delivered,
            "dmarc=none (no policy) header.from=mail.example.net",
        ),
        (
            "several DMARC records: none applies",
            from("a@several.example.com"),
            R::None,
            Seen::Delivered,
            "dmarc=none",
        ),
        (
            "an unusable record (bad p, no rua)",
            from("a@broken.example.com"),
            R::Permerror,
            Seen::Delivered,
            "dmarc=permerror (unusable policy record) header.from=broken.example.com",
        ),
        (
            "no From",
            Msg::default().spf(S::Pass, "example.com"),
            R::Permerror,
            Seen::Delivered,
            "dmarc=permerror (no From)",
        ),
        (
            "several From fields",
            Msg {
                from: vec!["a@example.com", "b@example.net"],
                ..Msg::default()
            }
            .spf(S::Pass, "example.net"),
            R::Permerror,
            Seen::Rejected(
                "550 5.7.1 DMARC: several From; the author's domain cannot be told".into(),
            ),
            "",
        ),
        (
            "a From with two addresses",
            from("a@example.net, b@example.com").spf(S::Pass, "example.net"),
            R::Permerror,
            Seen::Rejected(
                "550 5.7.1 DMARC: From with several addresses; the author's domain cannot be told"
                    .into(),
            ),
            "",
        ),
        (
            "our DKIM size bound left the aligned signature unverified",
            from("alice@example.com")
                .spf(S::Pass, "example.net")
                .dkim_why(D::Neutral, "example.com", SIZE_BOUND),
            R::Temperror,
            Seen::Delivered,
            "dmarc=temperror (p=reject dis=none) header.from=example.com",
        ),
        (
            "an unaligned signature over the size bound is no excuse",
            from("alice@example.com").dkim_why(D::Neutral, "example.net", SIZE_BOUND),
            R::Fail,
            rejected("example.com"),
            "",
        ),
        (
            "a neutral for another reason is no excuse",
            from("alice@example.com").dkim_why(D::Neutral, "example.com", "no key"),
            R::Fail,
            rejected("example.com"),
            "",
        ),
        (
            "an aligned pass wins over an unverified signature",
            from("alice@example.com")
                .spf(S::Pass, "example.com")
                .dkim_why(D::Neutral, "example.com", SIZE_BOUND),
            R::Pass,
            Seen::Delivered,
            "dmarc=pass",
        ),
        (
            "an aligned DKIM temperror",
            from("alice@example.com").dkim(D::Temperror, "example.com"),
            R::Temperror,
            Seen::Delivered,
            "dmarc=temperror",
        ),
    ];
    let mut failures = Vec::new();
    for (name, msg, result, seen, ar) in cases {
        let r = run(&p, &msg).await;
        let got = (r.result(), r.seen());
        if got != (result, seen) {
            failures.push(format!("{name}: got {got:?}"));
            continue;
        }
        // A refused message gets no headers; a delivered one has our result.
        if !ar.is_empty() && !r.ar().contains(ar) {
            failures.push(format!(
                "{name}: Authentication-Results {:?} lacks {ar:?}",
                r.ar()
            ));
        }
        if r.out.verdict.is_none() && !r.ar().starts_with("mx.test; dmarc=") {
            failures.push(format!("{name}: Authentication-Results {:?}", r.ar()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn servfail_is_temperror_and_on_error_decides() {
    let dns = dns().await;
    dns.set_fault("_dmarc.temp.example.com.", Fault::ServFail);
    let msg = from("a@temp.example.com");
    // Default on_error = "continue": delivered with the result in the header.
    let r = run(&policy(&dns, ""), &msg).await;
    assert_eq!(
        (r.result(), r.seen()),
        (DmarcResult::Temperror, Seen::Delivered)
    );
    assert_eq!(
        r.ar(),
        "mx.test; dmarc=temperror (policy lookup failed) header.from=temp.example.com"
    );
    assert!(dns.query_count("_dmarc.temp.example.com.") > 0);
    let r = run(&policy(&dns, "on_error = \"tempfail\""), &msg).await;
    assert_eq!(
        r.seen(),
        Seen::Tempfailed(
            "451 4.7.1 DMARC: temporary error evaluating temp.example.com, try again later".into()
        )
    );
    // Not a temperror once the server answers again: the policy rejects.
    dns.clear_faults();
    let r = run(&policy(&dns, "on_error = \"tempfail\""), &msg).await;
    assert_eq!(r.result(), DmarcResult::Fail);
}

#[tokio::test]
async fn the_size_bound_temperror_tempfails_when_asked() {
    let dns = dns().await;
    let msg = from("alice@example.com").dkim_why(DkimResult::Neutral, "example.com", SIZE_BOUND);
    let r = run(&policy(&dns, "on_error = \"tempfail\""), &msg).await;
    assert!(matches!(r.seen(), Seen::Tempfailed(t) if t.starts_with("451 4.7.1")));
}

#[tokio::test]
async fn actions_replies_and_log_mode() {
    let dns = dns().await;
    let failing = from("alice@example.com").spf(SpfResult::Fail, "example.com");
    // p=reject handled as a quarantine.
    let r = run(&policy(&dns, "reject = \"header\""), &failing).await;
    assert_eq!(r.seen(), Seen::Quarantined);
    assert!(r.ar().contains("dis=quarantine"), "{}", r.ar());
    let r = run(&policy(&dns, "reject = \"continue\""), &failing).await;
    assert_eq!(r.seen(), Seen::Delivered);
    assert!(
        r.ar().contains("dmarc=fail (p=reject dis=none)"),
        "{}",
        r.ar()
    );
    // quarantine = "reject" refuses, naming what the policy asked.
    let r = run(
        &policy(&dns, "quarantine = \"reject\""),
        &from("a@quarantine.example.com"),
    )
    .await;
    assert_eq!(
        r.seen(),
        Seen::Rejected("550 5.7.1 DMARC: quarantine.example.com's policy quarantines this message (From not aligned with a passing SPF or DKIM)".into())
    );
    // The operator's header and reply.
    let r = run(
        &policy(&dns, "quarantine_header = \"X-Spam-Flag: YES\""),
        &from("a@quarantine.example.com"),
    )
    .await;
    assert!(r
        .out
        .edits
        .contains(&HeaderEdit::Add("X-Spam-Flag".into(), "YES".into())));
    let r = run(
        &policy(
            &dns,
            "reply = { code = 554, xcode = \"5.7.1\", text = \"no\" }",
        ),
        &failing,
    )
    .await;
    assert_eq!(r.seen(), Seen::Rejected("554 5.7.1 no".into()));
    // action = "tempfail" (trying the policy out, like soft_bounce): our text, 4xx.
    let r = run(&policy(&dns, "action = \"tempfail\""), &failing).await;
    assert!(
        matches!(r.seen(), Seen::Tempfailed(t) if t.starts_with("451 4.7.1 DMARC: example.com's policy rejects"))
    );
    // Log mode changes nothing: no refusal, no quarantine header, dis=none.
    let p = policy(&dns, "mode = \"log\"");
    let r = run(&p, &failing).await;
    assert_eq!((r.result(), r.seen()), (DmarcResult::Fail, Seen::Delivered));
    assert!(r.ar().contains("dis=none"), "{}", r.ar());
    let r = run(&p, &from("a@quarantine.example.com")).await;
    assert_eq!(r.seen(), Seen::Delivered);
    // malformed_from = "continue": several From is reported, not refused.
    let two = Msg {
        from: vec!["a@example.com", "b@example.net"],
        ..Msg::default()
    };
    let r = run(&policy(&dns, "malformed_from = \"continue\""), &two).await;
    assert_eq!(
        (r.result(), r.seen()),
        (DmarcResult::Permerror, Seen::Delivered)
    );
    assert!(
        r.ar().contains("dmarc=permerror (several From)"),
        "{}",
        r.ar()
    );
    // Without the header: nothing but the verdict.
    let r = run(
        &policy(&dns, "add_authentication_results = false"),
        &from("a@example.com").spf(SpfResult::Pass, "example.com"),
    )
    .await;
    assert!(r.out.edits.is_empty(), "{:?}", r.out.edits);
}

#[tokio::test]
async fn results_merge_with_spf_into_one_header() {
    let dns = dns().await;
    let p = policy(&dns, "");
    let mut session = from("alice@example.com")
        .spf(SpfResult::Pass, "example.com")
        .session();
    let mut ledger = Ledger::default();
    // What [checks.spf] left at MAIL.
    ledger.tx.edits.push(HeaderEdit::AuthResult {
        authserv_id: "mx.test".into(),
        resinfo: "spf=pass smtp.mailfrom=example.com".into(),
    });
    let out = p.end_of_message(&mut session, &mut ledger).await;
    let ars: Vec<&String> = out
        .edits
        .iter()
        .filter_map(|e| match e {
            HeaderEdit::Add(n, v) if n == "Authentication-Results" => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(
        ars,
        ["mx.test; spf=pass smtp.mailfrom=example.com; dmarc=pass (p=reject dis=none) header.from=example.com"]
    );
}

#[tokio::test]
async fn a_public_suffix_list_file_changes_the_organisational_domain() {
    let dns = dns().await;
    let msg = from("a@news.example.com");
    // Built in: news.example.com's organisational domain is example.com, whose p=reject applies.
    let r = run(&policy(&dns, ""), &msg).await;
    assert_eq!(r.result(), DmarcResult::Fail);
    // A list where example.com is a public suffix (as a hosting provider's would be):
    // news.example.com is its own organisation, and has no record.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("psl.dat");
    std::fs::write(
        &list,
        "// ===BEGIN ICANN DOMAINS===\ncom\nuk\nco.uk\n// ===END ICANN DOMAINS===\n// ===BEGIN PRIVATE DOMAINS===\nexample.com\n// ===END PRIVATE DOMAINS===\n",
    )
    .unwrap();
    let text = format!(
        "[policy]\npublic_suffix_list = \"{}\"\n{}\n[checks.dmarc]\nauthserv_id = \"mx.test\"\n",
        list.display(),
        dns_section(dns.addr(), 1000)
    );
    let cfg = mxgate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
    let p = Policy::new(Arc::new(cfg), &Services::default()).unwrap();
    let r = run(&p, &msg).await;
    assert_eq!((r.result(), r.seen()), (DmarcResult::None, Seen::Delivered));
    assert!(r.ar().contains("dmarc=none"), "{}", r.ar());
    // Relaxed alignment follows the same list: mail.example.com no longer aligns with
    // news.example.com.
    let r = run(
        &p,
        &from("a@example.com").dkim(DkimResult::Pass, "mail.example.com"),
    )
    .await;
    assert_eq!(r.result(), DmarcResult::Fail);

    // A missing list stops the start with the file, line and key.
    let missing = dir.path().join("missing.dat");
    let text = format!(
        "[policy]\npublic_suffix_list = \"{}\"\n{}\n[checks.dmarc]\n",
        missing.display(),
        dns_section(dns.addr(), 1000)
    );
    let cfg = mxgate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
    let e = match Policy::new(Arc::new(cfg), &Services::default()) {
        Ok(_) => panic!("a missing list was accepted"),
        Err(e) => e,
    };
    assert!(
        e.starts_with("t.toml:2: policy.public_suffix_list: "),
        "{e}"
    );
    assert!(e.contains("missing.dat"), "{e}");
}

#[tokio::test]
async fn results_are_counted_per_policy_domain() {
    let dns = dns().await;
    let p = policy(&dns, "");
    run(&p, &from("a@quarantine.example.com")).await;
    let text = mxgate::metrics::global().render();
    assert!(
        text.lines().any(|l| l.starts_with(
            r#"mxgate_dmarc_results_total{domain="quarantine.example.com",result="fail"} "#
        )),
        "{text}"
    );
}

/// A `MakeWriter` into a shared buffer, to read the log lines a test caused.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn report_log_has_what_an_aggregate_report_needs() {
    let dns = dns().await;
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let msg = from("Alice <alice@mail.example.co.uk>")
        .spf(SpfResult::Pass, "example.net")
        .dkim(DkimResult::Pass, "example.co.uk")
        .dkim(DkimResult::Fail, "example.net");
    run(&policy(&dns, "report_log = true"), &msg).await;
    run(&policy(&dns, ""), &msg).await;
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let reports: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "dmarc report")
        .collect();
    assert_eq!(reports.len(), 1, "one line, only with report_log: {text}");
    let f = &reports[0]["fields"];
    assert_eq!(f["source_ip"], "192.0.2.10");
    assert_eq!(f["header_from"], "mail.example.co.uk");
    assert_eq!(f["envelope_from"], "example.com");
    assert_eq!(f["spf_domain"], "example.net");
    assert_eq!(f["spf_result"], "pass");
    assert_eq!(f["spf_aligned"], false);
    assert_eq!(f["policy_domain"], "example.co.uk");
    assert_eq!(
        (f["p"].as_str(), f["sp"].as_str()),
        (Some("reject"), Some("quarantine"))
    );
    assert_eq!(f["pct"], 100);
    assert_eq!(f["result"], "pass");
    assert_eq!(f["disposition"], "none");
    let dkim: serde_json::Value = serde_json::from_str(f["dkim"].as_str().unwrap()).unwrap();
    assert_eq!(
        dkim,
        serde_json::json!([
            {"d": "example.co.uk", "s": "sel", "result": "pass", "aligned": true},
            {"d": "example.net", "s": "sel", "result": "fail", "aligned": false},
        ])
    );
}
