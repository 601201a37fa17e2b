//! The session-replay harness: the MTA side of the milter protocol.
//!
//! Session files (see `tests/sessions/README.md`) describe SMTP sessions
//! with optional expectations; [`client`] replays them against a milter as
//! Postfix's smtpd would, [`run`] checks and reports, [`load`] measures
//! throughput and latency, [`diff`] compares two configurations. The daemon's
//! capture mode builds [`format::Script`] values and writes them with
//! [`format::write`].
//!
//! The replay has its own words, kept apart from the daemon's
//! (`session::Session`, `session::Transaction`, `session::Stage`,
//! `verdict::Verdict`, `verdict::Reply`):
//!
//! - [`Script`]: one SMTP connection to replay, a
//!   `session NAME` block of a session file; its `transactions` are
//!   [`MailTransaction`](format::MailTransaction)s (MAIL, RCPT…, DATA).
//! - [`Phase`](client::Phase): where the MTA consults the milter, one per
//!   kind of milter command (nine, headers and body chunks included).
//! - [`Response`](format::Response): the milter's answer to a command as
//!   the MTA sees it (continue, accept, reject, tempfail, discard).
//! - [`SmtpReply`](client::SmtpReply): the custom reply text that came with
//!   a reject or tempfail.
//! - [`Expectation`](format::Expectation): what a session file demands of a
//!   phase (`expect …`); [`EomCheck`](format::EomCheck): one `eom expect` line.
//! - [`StepResult`](client::StepResult): one step of a replay, a command sent
//!   (or not) or a header/body summary; a [`ScriptResult`]
//!   holds a script's steps.

pub mod client;
pub mod diff;
pub mod format;
pub mod load;
pub mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};

use client::{ClientOptions, ScriptResult, SocketSpec};
use format::Script;

/// `mxgate replay` arguments.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Milter socket to replay against, as in Postfix's smtpd_milters:
    /// unix:/path, inet:host:port or inet:[::1]:port.
    #[arg(long, value_name = "SPEC", conflicts_with_all = ["config", "diff"])]
    pub socket: Option<String>,

    /// Start mxgate in-process with this config and replay against it.
    #[arg(long, value_name = "FILE", conflicts_with = "diff")]
    pub config: Option<PathBuf>,

    /// Load mode: ignore expectations, measure sessions/s and per-stage latency.
    #[arg(long, conflicts_with = "diff")]
    pub load: bool,

    /// Load mode: concurrent milter connections.
    #[arg(long, value_name = "K", default_value_t = 20)]
    pub connections: usize,

    /// Load mode: sessions in total (the files' sessions, round-robin).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub sessions: usize,

    /// Runtime threads for the replay client (1 = current-thread runtime,
    /// so that the load client does not starve the milter on small machines).
    #[arg(long, value_name = "T", default_value_t = 1)]
    pub threads: usize,

    /// Replay against two configs started in-process and list the sessions
    /// whose verdicts differ (exit 1 if any).
    #[arg(long, num_args = 2, value_names = ["CONFIG_A", "CONFIG_B"])]
    pub diff: Option<Vec<PathBuf>>,

    /// Seconds to wait for the milter on every read and write.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Show every header and body command in the report.
    #[arg(long, short)]
    pub verbose: bool,

    /// Session files, or directories (all *.session files in them, sorted).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
}

/// Runs `mxgate replay`. Returns exit code 0 when everything matched (or,
/// in load mode, no session failed; in diff mode, nothing differs) and 1
/// otherwise; bad arguments, unreadable or malformed session files and bad
/// configs are errors.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    let sessions = load_sessions(&args.files)?;
    if sessions.is_empty() {
        bail!("no sessions in the given files");
    }
    let rt = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    rt.block_on(run_async(args, sessions))
}

/// Expands directories and parses every file.
pub fn load_sessions(files: &[PathBuf]) -> anyhow::Result<Vec<Script>> {
    let mut paths = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(f)
                .with_context(|| format!("cannot read directory {}", f.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "session") && p.is_file())
                .collect();
            found.sort();
            paths.extend(found);
        } else {
            paths.push(f.clone());
        }
    }
    let mut sessions = Vec::new();
    for p in &paths {
        sessions.extend(format::parse_file(p)?);
    }
    Ok(sessions)
}

/// Replays sessions one after another (expectation mode).
pub async fn replay_all(
    spec: &SocketSpec,
    sessions: &[Script],
    opts: &ClientOptions,
) -> Vec<ScriptResult> {
    let mut out = Vec::with_capacity(sessions.len());
    for (i, s) in sessions.iter().enumerate() {
        out.push(client::replay(spec, s, opts, i as u64).await);
    }
    out
}

async fn start_embedded(path: &Path) -> anyhow::Result<crate::daemon::Embedded> {
    let config = crate::config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::daemon::Embedded::start(config)
        .await
        .with_context(|| format!("cannot start mxgate with {}", path.display()))
}

async fn run_async(args: ReplayArgs, sessions: Vec<Script>) -> anyhow::Result<ExitCode> {
    let opts = ClientOptions {
        timeout: Duration::from_secs_f64(args.timeout),
    };

    if let Some(configs) = &args.diff {
        let [a, b] = configs.as_slice() else {
            bail!("--diff needs two config files");
        };
        let mut results = Vec::new();
        for path in [a, b] {
            let milter = start_embedded(path).await?;
            let spec: SocketSpec = milter.socket_spec().parse()?;
            results.push(replay_all(&spec, &sessions, &opts).await);
            milter.stop().await;
        }
        let diffs = diff::compare(&results[0], &results[1]);
        print!("{}", diff::render(&diffs, sessions.len()));
        return Ok(if diffs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }

    let (spec, embedded) = match (&args.socket, &args.config) {
        (Some(s), None) => (s.parse::<SocketSpec>()?, None),
        (None, Some(path)) => {
            let m = start_embedded(path).await?;
            (m.socket_spec().parse::<SocketSpec>()?, Some(m))
        }
        _ => bail!("give either --socket SPEC or --config FILE (or --diff A B)"),
    };

    let code = if args.load {
        if matches!(spec, SocketSpec::Inet(_)) {
            // indymilter-test gives no access to its TCP socket, so the client keeps Nagle on,
            // as Postfix does: a macro message and its command are two writes, and the command
            // waits for the milter's ACK. mxgate ACKs at once (TCP_QUICKACK); a milter that
            // delays its ACKs shows ~40 ms stalls here, and under Postfix too.
            eprintln!(
                "note: over inet the client, like Postfix, leaves Nagle on: ~40 ms stalls at \
                 stages with macros mean the milter delays its ACKs (mxgate does not)."
            );
        }
        let report = load::run_load(
            &spec,
            &sessions,
            &load::LoadOptions {
                connections: args.connections,
                sessions: args.sessions,
                client: opts,
            },
        )
        .await;
        print!("{}", report.render());
        if report.errors == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    } else {
        let results = replay_all(&spec, &sessions, &opts).await;
        let (text, _, failed) = run::report(&results, args.verbose);
        print!("{text}");
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    };
    if let Some(m) = embedded {
        m.stop().await;
    }
    Ok(code)
}

#[cfg(test)]
mod milter_tests;
