//! mxgate in-process with a config given as text, and session files replayed against
//! it through the real milter protocol, with the replay harness's report.

use mxgate::replay::client::{ClientOptions, SocketSpec};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The outcome of replaying session files: the printed report and the counts.
pub struct Replayed {
    /// The per-session, per-stage report as `mxgate replay` prints it.
    pub report: String,
    /// Sessions whose expectations all held.
    pub passed: usize,
    /// Sessions with a mismatch or an error.
    pub failed: usize,
}

impl Replayed {
    /// Panics with the report unless every session passed and there was at least one.
    pub fn assert_all_passed(&self) {
        assert!(
            self.failed == 0 && self.passed > 0,
            "replay: {} passed, {} failed\n{}",
            self.passed,
            self.failed,
            self.report
        );
    }
}

/// A session file under tests/sessions/.
pub fn session_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sessions")
        .join(rel)
}

/// [`session_file`] `rel` alone, as the list [`replay`] takes; panics if the file is missing.
pub fn sessions(rel: &str) -> Vec<PathBuf> {
    let path = session_file(rel);
    assert!(path.exists(), "missing session file {}", path.display());
    vec![path]
}

/// `[dns]` section pointing mxgate's resolver at a test DNS server only.
pub fn dns_section(addr: std::net::SocketAddr, timeout_ms: u64) -> String {
    format!("[dns]\nnameservers = [\"{addr}\"]\ntimeout_ms = {timeout_ms}\nattempts = 1\n")
}

/// Starts mxgate in-process with `config` (TOML text) and replays `files` against it.
pub async fn replay(config: &str, files: &[PathBuf]) -> Replayed {
    let cfg = mxgate::config::parse(config, Path::new("test-config.toml"))
        .unwrap_or_else(|e| panic!("test config does not validate: {e}\n{config}"));
    let milter = mxgate::daemon::Embedded::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"));
    let replayed = replay_at(&milter.socket_spec(), files).await;
    milter.stop().await;
    replayed
}

/// Replays `files` against a milter already listening on `spec` (`unix:PATH` or
/// `inet:HOST:PORT`), 20 s timeout per reply.
pub async fn replay_at(spec: &str, files: &[PathBuf]) -> Replayed {
    let sessions = mxgate::replay::load_sessions(files)
        .unwrap_or_else(|e| panic!("session files do not parse: {e:#}"));
    let spec: SocketSpec = spec.parse().unwrap_or_else(|e| panic!("socket spec: {e}"));
    let opts = ClientOptions {
        timeout: Duration::from_secs(20),
    };
    let results = mxgate::replay::replay_all(&spec, &sessions, &opts).await;
    let (report, passed, failed) = mxgate::replay::run::report(&results, false);
    Replayed {
        report,
        passed,
        failed,
    }
}
