//! Load mode: many sessions over concurrent connections, latency percentiles.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{replay, ClientOptions, Phase, SocketSpec};
use super::format::Script;

/// Load settings.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Concurrent milter connections (one per session at a time, like Postfix).
    pub connections: usize,
    /// Sessions in total.
    pub sessions: usize,
    /// Client settings.
    pub client: ClientOptions,
}

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Sessions run.
    pub sessions: usize,
    /// Sessions that ended with a connection or protocol error.
    pub errors: usize,
    /// First few error messages, for the operator.
    pub error_samples: Vec<String>,
    /// Wall-clock time of the run.
    pub wall: Duration,
    /// Latency samples per phase (commands actually sent).
    pub phases: BTreeMap<Phase, Vec<Duration>>,
    /// Whole-session latency samples (connect + negotiation to close).
    pub session_latency: Vec<Duration>,
}

/// Nearest-rank percentile of sorted samples (`p` in 0..=100); `None` if empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Runs `opts.sessions` sessions round-robin over `sessions` with
/// `opts.connections` workers in the current runtime. Expectations are
/// ignored; errors are counted.
pub async fn run_load(spec: &SocketSpec, sessions: &[Script], opts: &LoadOptions) -> LoadReport {
    let next = Arc::new(AtomicUsize::new(0));
    let sessions: Arc<Vec<Script>> = Arc::new(sessions.to_vec());
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..opts.connections.max(1) {
        let next = Arc::clone(&next);
        let sessions = Arc::clone(&sessions);
        let spec = spec.clone();
        let client = opts.client.clone();
        let total = opts.sessions;
        tasks.spawn(async move {
            let mut part = LoadReport::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total || sessions.is_empty() {
                    break;
                }
                let s = &sessions[n % sessions.len()];
                let r = replay(&spec, s, &client, n as u64).await;
                part.sessions += 1;
                if let Some(e) = r.error {
                    part.errors += 1;
                    if part.error_samples.len() < 5 {
                        part.error_samples.push(format!("{}: {e}", r.name));
                    }
                }
                part.session_latency.push(r.elapsed);
                for st in r.steps.iter().filter(|st| st.was_sent()) {
                    part.phases.entry(st.phase).or_default().push(st.elapsed);
                }
            }
            part
        });
    }
    let mut total = LoadReport::default();
    while let Some(part) = tasks.join_next().await {
        match part {
            Ok(p) => {
                total.sessions += p.sessions;
                total.errors += p.errors;
                for e in p.error_samples {
                    if total.error_samples.len() < 5 {
                        total.error_samples.push(e);
                    }
                }
                total.session_latency.extend(p.session_latency);
                for (k, v) in p.phases {
                    total.phases.entry(k).or_default().extend(v);
                }
            }
            Err(e) => {
                total.errors += 1;
                total.error_samples.push(format!("worker failed: {e}"));
            }
        }
    }
    total.wall = start.elapsed();
    total
}

fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{:.3}", d.as_secs_f64() * 1000.0),
        None => "-".to_string(),
    }
}

impl LoadReport {
    /// Sessions per second over the wall-clock time.
    pub fn rate(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.sessions as f64 / secs
        } else {
            0.0
        }
    }

    /// The human-readable table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} sessions in {:.3} s: {:.0} sessions/s, {} errors",
            self.sessions,
            self.wall.as_secs_f64(),
            self.rate(),
            self.errors
        );
        for e in &self.error_samples {
            let _ = writeln!(out, "  error: {e}");
        }
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "stage", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        let mut row = |name: &str, samples: &[Duration]| {
            let mut v = samples.to_vec();
            v.sort_unstable();
            let _ = writeln!(
                out,
                "{:<8} {:>8} {:>10} {:>10} {:>10} {:>10}",
                name,
                v.len(),
                ms(percentile(&v, 50.0)),
                ms(percentile(&v, 90.0)),
                ms(percentile(&v, 99.0)),
                ms(v.last().copied())
            );
        };
        for st in Phase::ALL {
            if let Some(v) = self.phases.get(&st) {
                row(st.as_str(), v);
            }
        }
        row("session", &self.session_latency);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[d(7)], 99.0), Some(d(7)));
        let v: Vec<Duration> = (1..=100).map(d).collect();
        assert_eq!(percentile(&v, 50.0), Some(d(50)));
        assert_eq!(percentile(&v, 90.0), Some(d(90)));
        assert_eq!(percentile(&v, 99.0), Some(d(99)));
        assert_eq!(percentile(&v, 100.0), Some(d(100)));
        assert_eq!(percentile(&v, 0.0), Some(d(1)));
        let v = [d(1), d(2), d(3), d(4)];
        assert_eq!(percentile(&v, 50.0), Some(d(2)));
        assert_eq!(percentile(&v, 51.0), Some(d(3)));
    }

    #[test]
    fn render_lists_stages_and_rate() {
        let mut r = LoadReport {
            sessions: 10,
            wall: Duration::from_secs(2),
            session_latency: vec![d(3); 10],
            ..LoadReport::default()
        };
        r.phases.insert(Phase::Rcpt, vec![d(1), d(2)]);
        let text = r.render();
        assert!(
            text.starts_with("10 sessions in 2.000 s: 5 sessions/s, 0 errors"),
            "{text}"
        );
        assert!(
            text.contains("rcpt            2      1.000      2.000      2.000      2.000"),
            "{text}"
        );
        assert!(text.contains("session        10      3.000"), "{text}");
        assert!(!text.contains("helo"), "{text}");
    }
}
