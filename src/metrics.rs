//! Prometheus metrics: counters and histograms kept in this process, served in the text
//! exposition format (0.0.4) by a small HTTP/1.1 responder on a loopback address.
//!
//! The registry is process-wide ([`global`]) so the policy and the daemon count without
//! plumbing; checks that own a table (greylist, denylist) publish its size with
//! [`Registry::register_gauge`]. The endpoint is off by default (`[metrics] enabled`), and
//! only a loopback address is accepted: it has no authentication.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

crate::section_config! {
    /// `[metrics]`: the Prometheus endpoint.
    #[derive(PartialEq, Eq)]
    pub struct MetricsConfig {
        /// Serve `GET /metrics`.
        pub enabled: bool = false,
        /// A loopback `ADDR:PORT`.
        pub listen: LoopbackAddr = LoopbackAddr::default(),
    }
}

/// A socket address on 127.0.0.0/8 or ::1; anything else is refused when the config loads.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "String")]
pub struct LoopbackAddr(pub SocketAddr);

impl Default for LoopbackAddr {
    fn default() -> Self {
        LoopbackAddr(SocketAddr::from(([127, 0, 0, 1], 9891)))
    }
}

impl TryFrom<String> for LoopbackAddr {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let addr: SocketAddr = s.parse().map_err(|_| {
            format!(
                "{s:?} is not an address with a port, such as \"127.0.0.1:9891\" or \"[::1]:9891\""
            )
        })?;
        if !addr.ip().is_loopback() {
            return Err(format!(
                "{s:?} is not a loopback address: the metrics endpoint has no authentication; \
                 use 127.0.0.1 or [::1] (and a reverse proxy or SSH tunnel to reach it)"
            ));
        }
        Ok(LoopbackAddr(addr))
    }
}

impl From<LoopbackAddr> for String {
    fn from(a: LoopbackAddr) -> String {
        a.0.to_string()
    }
}

/// Upper bounds (seconds) of the check latency buckets: a HELO check takes microseconds,
/// a DNS check up to the session budget.
const BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// One check's latency histogram, updated without a lock: every check run records
/// into it, so the hot path is two relaxed atomic adds.
#[derive(Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last slot is +Inf. The count is their sum, so
    /// a scrape during an observation never shows `_count` and `+Inf` disagreeing.
    counts: [AtomicU64; BUCKETS.len() + 1],
    /// Microseconds (wraps after 584,000 years of check time).
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, us: u64) {
        let secs = us as f64 / 1e6;
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }
}

/// Where one check's run times go; get it once with [`Registry::check_timer`] (the
/// policy does when it builds its checks) and call [`CheckTimer::observe`] per run.
#[derive(Clone)]
pub struct CheckTimer(Arc<Histogram>);

impl CheckTimer {
    /// The check ran for `elapsed_us` microseconds (pass, hit or error).
    pub fn observe(&self, elapsed_us: u64) {
        self.0.observe(elapsed_us);
    }
}

type GaugeFn = Box<dyn Fn() -> Option<f64> + Send + Sync>;

struct Gauge {
    name: &'static str,
    help: &'static str,
    value: GaugeFn,
}

/// Key of a decision counter: stage, check, verdict, mode.
type DecisionKey = (String, String, String, String);

/// All metrics of the process.
pub struct Registry {
    sessions: AtomicU64,
    refused: AtomicU64,
    scans_incomplete: Mutex<BTreeMap<&'static str, u64>>,
    decisions: Mutex<BTreeMap<DecisionKey, u64>>,
    /// Taken only to register a check and to render; runs record through the handles.
    latency: Mutex<BTreeMap<&'static str, Arc<Histogram>>>,
    check_errors: Mutex<BTreeMap<&'static str, u64>>,
    dns_errors: Mutex<BTreeMap<String, u64>>,
    /// DMARC results by policy domain ([`MAX_DMARC_DOMAINS`] at most, then `other`).
    dmarc: Mutex<BTreeMap<String, [u64; DMARC_RESULTS.len()]>>,
    /// DKIM signatures by result (`none`: an unsigned message).
    dkim: Mutex<BTreeMap<&'static str, u64>>,
    gauges: Mutex<Vec<Gauge>>,
}

/// Distinct domains the DMARC counters keep a label for. Senders choose their From
/// domains (and, with a wildcard TXT record, as many policy domains as they like), so the
/// label set is capped; later domains are counted under `domain="other"`. The first
/// domains seen after a start keep their labels until the next start.
pub const MAX_DMARC_DOMAINS: usize = 256;

const DMARC_RESULTS: [crate::session::DmarcResult; 5] = [
    crate::session::DmarcResult::None,
    crate::session::DmarcResult::Pass,
    crate::session::DmarcResult::Fail,
    crate::session::DmarcResult::Temperror,
    crate::session::DmarcResult::Permerror,
];

static GLOBAL: Registry = Registry::new();

/// The process-wide registry.
pub fn global() -> &'static Registry {
    &GLOBAL
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// An empty registry (tests use their own; the daemon uses [`global`]).
    pub const fn new() -> Registry {
        Registry {
            sessions: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            scans_incomplete: Mutex::new(BTreeMap::new()),
            decisions: Mutex::new(BTreeMap::new()),
            latency: Mutex::new(BTreeMap::new()),
            check_errors: Mutex::new(BTreeMap::new()),
            dns_errors: Mutex::new(BTreeMap::new()),
            dmarc: Mutex::new(BTreeMap::new()),
            dkim: Mutex::new(BTreeMap::new()),
            gauges: Mutex::new(Vec::new()),
        }
    }

    /// A milter connection was accepted (Postfix opens one per SMTP session).
    pub fn session_started(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    /// An attachment scan that could not cover the whole message, by why (a fixed set
    /// of names from the attachments check).
    pub fn count_scan_incomplete(&self, why: &'static str) {
        if let Ok(mut m) = self.scans_incomplete.lock() {
            *m.entry(why).or_insert(0) += 1;
        }
    }

    /// A connection closed at once because `max_connections` were open.
    pub fn count_refused_connection(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// One decision line was logged.
    pub fn count_decision(&self, stage: &str, check: &str, verdict: &str, mode: &str) {
        if let Ok(mut m) = self.decisions.lock() {
            let key = (stage.into(), check.into(), verdict.into(), mode.into());
            *m.entry(key).or_insert(0) += 1;
        }
    }

    /// A check ran for `elapsed_us` microseconds (pass, hit or error). Looks the
    /// check up each time: code that records often holds a [`CheckTimer`] instead.
    pub fn observe_check(&self, check: &'static str, elapsed_us: u64) {
        self.check_timer(check).observe(elapsed_us);
    }

    /// The histogram handle of `check`, created on first use; the same one for every
    /// call with that name (a reload keeps counting into it). A histogram nothing was
    /// observed into yet is left out of [`Registry::render`], as if not registered.
    pub fn check_timer(&self, check: &'static str) -> CheckTimer {
        match self.latency.lock() {
            Ok(mut m) => CheckTimer(Arc::clone(m.entry(check).or_default())),
            // A poisoned map (a panic while holding it, which the code under it cannot
            // do) only costs this check its samples.
            Err(_) => CheckTimer(Arc::default()),
        }
    }

    /// A check failed temporarily (its DNS or database lookup), whatever on_error did.
    pub fn count_check_error(&self, check: &'static str) {
        if let Ok(mut m) = self.check_errors.lock() {
            *m.entry(check).or_insert(0) += 1;
        }
    }

    /// A DNS query failed temporarily; `kind` is short and fixed (timeout, SERVFAIL, …).
    pub fn count_dns_error(&self, kind: &str) {
        if let Ok(mut m) = self.dns_errors.lock() {
            *m.entry(kind.to_owned()).or_insert(0) += 1;
        }
    }

    /// One DMARC evaluation, under the domain whose policy record applied (None: no
    /// record, or none usable), the aggregate-report view of the traffic.
    pub fn count_dmarc(&self, policy_domain: Option<&str>, result: crate::session::DmarcResult) {
        let Some(i) = DMARC_RESULTS.iter().position(|r| *r == result) else {
            return;
        };
        if let Ok(mut m) = self.dmarc.lock() {
            let label = match policy_domain {
                Some(d) if m.contains_key(d) => d,
                // One slot stays for "other", so the cap is on the whole label set.
                Some(d)
                    if m.len() + usize::from(!m.contains_key("other")) < MAX_DMARC_DOMAINS
                        && d != "other" =>
                {
                    d
                }
                _ => "other",
            };
            let slot = match m.get_mut(label) {
                Some(s) => s,
                None => m.entry(label.to_owned()).or_default(),
            };
            slot[i] += 1;
        }
    }

    /// One DKIM verification: each signature's result, or `none` for an unsigned message.
    pub fn count_dkim(&self, facts: &[crate::session::DkimFact]) {
        if let Ok(mut m) = self.dkim.lock() {
            if facts.is_empty() {
                *m.entry("none").or_default() += 1;
            }
            for f in facts {
                *m.entry(f.result.as_str()).or_default() += 1;
            }
        }
    }

    /// Publishes a gauge read at every scrape, e.g. a table's size. A gauge of the same
    /// name is replaced (a reload rebuilds the checks). The function should hold a `Weak`
    /// to what it measures and return None once that is gone: the sample is then left out.
    pub fn register_gauge(
        &self,
        name: &'static str,
        help: &'static str,
        value: impl Fn() -> Option<f64> + Send + Sync + 'static,
    ) {
        if let Ok(mut g) = self.gauges.lock() {
            g.retain(|x| x.name != name);
            g.push(Gauge {
                name,
                help,
                value: Box::new(value),
            });
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut out,
            "mxgate_build_info",
            "gauge",
            "Always 1; the version of the running daemon.",
        );
        let _ = writeln!(
            out,
            "mxgate_build_info{{version=\"{}\"}} 1",
            esc(env!("CARGO_PKG_VERSION"))
        );

        head(
            &mut out,
            "mxgate_sessions_total",
            "counter",
            "Milter connections accepted (Postfix opens one per SMTP session).",
        );
        let _ = writeln!(
            out,
            "mxgate_sessions_total {}",
            self.sessions.load(Ordering::Relaxed)
        );
        head(
            &mut out,
            "mxgate_connections_refused_total",
            "counter",
            "Milter connections closed on arrival because max_connections were open.",
        );
        let _ = writeln!(
            out,
            "mxgate_connections_refused_total {}",
            self.refused.load(Ordering::Relaxed)
        );
        head(
            &mut out,
            "mxgate_attachment_scans_incomplete_total",
            "counter",
            "Attachment scans that could not cover the whole message, by why.",
        );
        if let Ok(m) = self.scans_incomplete.lock() {
            for (why, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "mxgate_attachment_scans_incomplete_total{{why=\"{}\"}} {n}",
                    esc(why)
                );
            }
        }

        head(
            &mut out,
            "mxgate_decisions_total",
            "counter",
            "Check hits and errors, one per decision log line, by stage, check, verdict and mode (log: shadow mode, not applied).",
        );
        if let Ok(m) = self.decisions.lock() {
            for ((stage, check, verdict, mode), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "mxgate_decisions_total{{stage=\"{}\",check=\"{}\",verdict=\"{}\",mode=\"{}\"}} {n}",
                    esc(stage),
                    esc(check),
                    esc(verdict),
                    esc(mode)
                );
            }
        }

        head(
            &mut out,
            "mxgate_check_duration_seconds",
            "histogram",
            "Time one check took at one stage, DNS lookups included.",
        );
        if let Ok(m) = self.latency.lock() {
            for (check, h) in m.iter() {
                let counts: Vec<u64> = h.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
                let count: u64 = counts.iter().sum();
                if count == 0 {
                    continue;
                }
                let sum_us = h.sum_us.load(Ordering::Relaxed);
                let check = esc(check);
                let mut cumulative = 0;
                for (i, n) in counts.iter().enumerate() {
                    cumulative += n;
                    let le = BUCKETS
                        .get(i)
                        .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
                    let _ = writeln!(
                        out,
                        "mxgate_check_duration_seconds_bucket{{check=\"{check}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "mxgate_check_duration_seconds_sum{{check=\"{check}\"}} {}",
                    sum_us as f64 / 1e6
                );
                let _ = writeln!(
                    out,
                    "mxgate_check_duration_seconds_count{{check=\"{check}\"}} {count}"
                );
            }
        }

        head(
            &mut out,
            "mxgate_check_errors_total",
            "counter",
            "Temporary check failures (DNS or database), whatever the check's on_error did.",
        );
        if let Ok(m) = self.check_errors.lock() {
            for (check, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "mxgate_check_errors_total{{check=\"{}\"}} {n}",
                    esc(check)
                );
            }
        }

        head(
            &mut out,
            "mxgate_dns_errors_total",
            "counter",
            "Temporary DNS failures by kind (timeout, SERVFAIL, REFUSED, other).",
        );
        if let Ok(m) = self.dns_errors.lock() {
            for (kind, n) in m.iter() {
                let _ = writeln!(out, "mxgate_dns_errors_total{{kind=\"{}\"}} {n}", esc(kind));
            }
        }

        head(
            &mut out,
            "mxgate_dmarc_results_total",
            "counter",
            "DMARC results by the domain whose policy record applied (\"other\": no record, or past the label limit).",
        );
        if let Ok(m) = self.dmarc.lock() {
            for (domain, counts) in m.iter() {
                for (r, n) in DMARC_RESULTS.iter().zip(counts) {
                    if *n > 0 {
                        let _ = writeln!(
                            out,
                            "mxgate_dmarc_results_total{{domain=\"{}\",result=\"{}\"}} {n}",
                            esc(domain),
                            r.as_str()
                        );
                    }
                }
            }
        }

        head(
            &mut out,
            "mxgate_dkim_results_total",
            "counter",
            "DKIM signatures verified, by result (\"none\": messages without a signature).",
        );
        if let Ok(m) = self.dkim.lock() {
            for (result, n) in m.iter() {
                let _ = writeln!(out, "mxgate_dkim_results_total{{result=\"{result}\"}} {n}");
            }
        }

        if let Ok(g) = self.gauges.lock() {
            for gauge in g.iter() {
                head(&mut out, gauge.name, "gauge", gauge.help);
                if let Some(v) = (gauge.value)() {
                    let _ = writeln!(out, "{} {v}", gauge.name);
                }
            }
        }
        out
    }
}

/// Escapes a label value (backslash, double quote, newline).
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Binds the endpoint now (so a taken port fails the start) and serves it on a task;
/// abort the handle to stop it.
pub async fn spawn_endpoint(
    addr: SocketAddr,
    registry: &'static Registry,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(listen = %listener.local_addr().unwrap_or(addr), "metrics endpoint");
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, registry));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }))
}

/// One request, one response, then close: enough for Prometheus and curl.
async fn answer(mut stream: TcpStream, registry: &'static Registry) {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return;
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            registry.render(),
        ),
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "mxgate: metrics at /metrics\n".to_string(),
        ),
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found; metrics are at /metrics\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_string(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        response.push_str(&body);
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        assert!(LoopbackAddr::try_from("127.0.0.1:9891".to_string()).is_ok());
        assert!(LoopbackAddr::try_from("[::1]:9891".to_string()).is_ok());
        let e = LoopbackAddr::try_from("0.0.0.0:9891".to_string()).unwrap_err();
        assert!(e.contains("not a loopback"), "{e}");
        assert!(LoopbackAddr::try_from("192.0.2.1:9891".to_string()).is_err());
        assert!(LoopbackAddr::try_from("localhost".to_string()).is_err());
    }

    #[test]
    fn histogram_is_cumulative_and_counts() {
        let r = Registry::new();
        r.observe_check("helo", 50); // 0.00005 s: first bucket
        r.observe_check("helo", 3_000); // 0.003 s: le 0.005
        r.observe_check("helo", 60_000_000); // 60 s: +Inf only
        let text = r.render();
        assert!(
            text.contains("mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"0.0001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"0.0025\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"30\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_count{check=\"helo\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("mxgate_check_duration_seconds_sum{check=\"helo\"} 60.00305\n"),
            "{text}"
        );
    }

    #[test]
    fn dmarc_domains_are_capped() {
        use crate::session::DmarcResult;
        let r = Registry::new();
        r.count_dmarc(Some("example.com"), DmarcResult::Pass);
        r.count_dmarc(Some("example.com"), DmarcResult::Pass);
        r.count_dmarc(Some("example.com"), DmarcResult::Fail);
        r.count_dmarc(None, DmarcResult::None);
        for i in 0..10 * MAX_DMARC_DOMAINS {
            r.count_dmarc(Some(&format!("d{i}.example")), DmarcResult::Fail);
        }
        let text = r.render();
        let has = |l: &str| text.lines().any(|x| x == l);
        assert!(
            has(r#"mxgate_dmarc_results_total{domain="example.com",result="pass"} 2"#),
            "{text}"
        );
        assert!(has(
            r#"mxgate_dmarc_results_total{domain="example.com",result="fail"} 1"#
        ));
        assert!(has(
            r#"mxgate_dmarc_results_total{domain="other",result="none"} 1"#
        ));
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("mxgate_dmarc_results_total{"))
            .collect();
        let domains: std::collections::BTreeSet<&str> =
            series.iter().filter_map(|l| l.split('"').nth(1)).collect();
        assert_eq!(domains.len(), MAX_DMARC_DOMAINS, "the label set is bounded");
        // Every evaluation is still counted, the excess under "other".
        let total: u64 = series
            .iter()
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        assert_eq!(total, 4 + 10 * MAX_DMARC_DOMAINS as u64);
    }

    #[test]
    fn labels_escaped_gauges_replaced_and_dropped() {
        let r = Registry::new();
        r.count_decision("rcpt", "x\"y", "reject", "enforce");
        r.count_decision("rcpt", "x\"y", "reject", "enforce");
        assert!(r.render().contains(
            "mxgate_decisions_total{stage=\"rcpt\",check=\"x\\\"y\",verdict=\"reject\",mode=\"enforce\"} 2\n"
        ));
        r.register_gauge("mxgate_test_size", "A size.", || Some(3.0));
        r.register_gauge("mxgate_test_size", "A size.", || Some(4.0));
        let text = r.render();
        assert_eq!(
            text.matches("# TYPE mxgate_test_size gauge").count(),
            1,
            "{text}"
        );
        assert!(text.contains("mxgate_test_size 4\n"), "{text}");
        r.register_gauge("mxgate_test_size", "A size.", || None);
        assert!(!r.render().contains("mxgate_test_size 4"));
    }
}
