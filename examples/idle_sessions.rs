//! Holds many concurrent, idle milter sessions open against a running mxgate, the way a
//! busy Postfix does while its SMTP clients think (for bench/idle.sh: memory per session).
//!
//! ```text
//! cargo run --release --example idle_sessions -- --socket unix:PATH|inet:HOST:PORT
//!     [--sessions 1000] [--ramp 50] [--timeout-secs 30]
//! ```
//!
//! Every session opens a connection, negotiates (protocol 6), sends the connect macros the
//! milter asked for and the connect command, then the HELO macros and HELO, as Postfix's
//! smtpd does, and waits for the HELO reply. At most `--ramp` sessions are being set up at
//! once. Once all of them are idle it prints
//!
//! ```text
//! idle N ok F failed ELAPSED_MS ms H helo
//! ```
//!
//! (H: how many got a HELO reply; 0 when the milter negotiated HELO off.)
//!
//! then runs one fresh, complete session (connect to end of message, with an attachment-free
//! body) on a new connection while the others stay open, and prints
//!
//! ```text
//! fresh ok|failed ELAPSED_MS ms connect=… helo=… mail=… rcpt=… eom=…
//! ```
//!
//! It then holds the idle sessions until a line or end of file arrives on standard input,
//! closes them all (QUIT) and prints `closed N`. Exit status: 0 when every idle session got
//! a HELO reply of continue and the fresh session was answered at every stage without a
//! reject or tempfail; 1 otherwise; 2 on bad arguments.
//!
//! The idle sessions come from mail.example.test (192.0.2.10 and 2001:db8::10, alternating),
//! which the fixture zones (tests/fixtures/zones) confirm forward and reverse; the fresh
//! session sends `MAIL FROM:<alice@example.test>` and `RCPT TO:<postmaster@example.test>`
//! (postmaster@ is exempt from greylisting by default).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indymilter_test::{MacroStage, ProtoOpts, SocketInfo, Status, TestConnection};
use tokio::sync::{mpsc, watch, Semaphore};

const USAGE: &str = "usage: idle_sessions --socket unix:PATH|inet:HOST:PORT \
[--sessions N] [--ramp N] [--timeout-secs N]";

/// Where the milter listens.
#[derive(Clone)]
enum Target {
    Unix(String),
    Inet(String),
}

/// Parsed command line.
struct Args {
    target: Target,
    sessions: usize,
    ramp: usize,
    timeout: Duration,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut target = None;
    let mut sessions = 1000;
    let mut ramp = 50;
    let mut timeout = Duration::from_secs(30);
    while let Some(arg) = argv.next() {
        let mut value = |what: &str| argv.next().ok_or_else(|| format!("{arg} needs {what}"));
        let number = |v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{v:?} is not a positive number"))
        };
        match arg.as_str() {
            "--socket" => {
                let v = value("a socket")?;
                target = Some(if let Some(p) = v.strip_prefix("unix:") {
                    Target::Unix(p.to_string())
                } else if let Some(a) = v.strip_prefix("inet:") {
                    Target::Inet(a.to_string())
                } else {
                    return Err(format!(
                        "--socket {v}: expected unix:PATH or inet:HOST:PORT"
                    ));
                });
            }
            "--sessions" => sessions = number(value("a number")?)?,
            "--ramp" => ramp = number(value("a number")?)?,
            "--timeout-secs" => timeout = Duration::from_secs(number(value("a number")?)? as u64),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let target = target.ok_or_else(|| format!("--socket is required\n{USAGE}"))?;
    Ok(Args {
        target,
        sessions,
        ramp,
        timeout,
    })
}

/// The SMTP client one session pretends to be, for the macros Postfix would send.
struct Client {
    addr: SocketAddr,
    name: &'static str,
    queue_id: String,
    mail: Option<String>,
    rcpt: Option<String>,
}

impl Client {
    fn new(seq: usize) -> Client {
        let ip = if seq.is_multiple_of(2) {
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))
        } else {
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10))
        };
        Client {
            // Distinct source ports, as distinct SMTP clients have.
            addr: SocketAddr::new(ip, 10_000 + (seq % 50_000) as u16),
            name: "mail.example.test",
            queue_id: format!("4Xidle{seq:06X}"),
            mail: None,
            rcpt: None,
        }
    }

    /// The value Postfix's smtpd gives `name` at this point; `None` when undefined (then
    /// Postfix leaves it out).
    fn macro_value(&self, name: &str) -> Option<String> {
        let bare = name
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_string());
        Some(match bare {
            "j" | "daemon_name" | "if_name" => "mx.test".to_string(),
            "daemon_addr" | "if_addr" => "127.0.0.1".to_string(),
            "daemon_port" => "25".to_string(),
            "v" => "Postfix 3.x (idle_sessions)".to_string(),
            "_" => format!("{} [{}]", self.name, self.addr.ip()),
            "client_addr" => self.addr.ip().to_string(),
            "client_port" => self.addr.port().to_string(),
            "client_name" | "client_ptr" => self.name.to_string(),
            "client_resolve" => "OK".to_string(),
            "i" => self.queue_id.clone(),
            "mail_addr" => self.mail.clone()?,
            "mail_host" => domain(self.mail.as_deref()?)?,
            "mail_mailer" => self.mail.as_ref().map(|_| "smtp".to_string())?,
            "rcpt_addr" => self.rcpt.clone()?,
            "rcpt_host" => domain(self.rcpt.as_deref()?)?,
            "rcpt_mailer" => self.rcpt.as_ref().map(|_| "smtp".to_string())?,
            _ => return None,
        })
    }
}

/// One milter connection with the macro names the milter requested, per stage.
struct Conn {
    conn: TestConnection,
    requested: HashMap<MacroStage, Vec<String>>,
    client: Client,
}

impl Conn {
    async fn open(target: &Target, timeout: Duration, client: Client) -> Result<Conn, String> {
        let builder = TestConnection::configure()
            .protocol_version(6)
            .read_timeout(timeout)
            .write_timeout(timeout);
        let conn = match target {
            Target::Unix(p) => builder.open_unix(p).await,
            Target::Inet(a) => builder.open_tcp(a.as_str()).await,
        }
        .map_err(|e| format!("open: {e}"))?;
        let requested = conn
            .requested_macros()
            .iter()
            .map(|(stage, names)| {
                let names = names
                    .to_string_lossy()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                (*stage, names)
            })
            .collect();
        Ok(Conn {
            conn,
            requested,
            client,
        })
    }

    /// Sends the requested macros of `stage` that have a value (Postfix sends a macro
    /// packet only when there is something in it).
    async fn macros(&mut self, stage: MacroStage) -> Result<(), String> {
        let values: Vec<(String, String)> = self
            .requested
            .get(&stage)
            .into_iter()
            .flatten()
            .filter_map(|n| self.client.macro_value(n).map(|v| (n.clone(), v)))
            .collect();
        if values.is_empty() {
            return Ok(());
        }
        self.conn
            .macros(stage, values)
            .await
            .map_err(|e| format!("macros: {e}"))
    }

    /// Connect and HELO, each with its macros; the two replies (HELO `None` when the
    /// milter negotiated it off: Postfix then does not send it).
    async fn greet(&mut self, helo: &str) -> Result<(Status, Option<Status>), String> {
        self.macros(MacroStage::Connect).await?;
        let info = SocketInfo::Inet(self.client.addr);
        let connect = self
            .conn
            .connect(self.client.name, info)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        if !passes(&connect) || self.conn.negotiated_opts().contains(ProtoOpts::NO_HELO) {
            return Ok((connect, None));
        }
        self.macros(MacroStage::Helo).await?;
        let helo = self
            .conn
            .helo(helo)
            .await
            .map_err(|e| format!("helo: {e}"))?;
        Ok((connect, Some(helo)))
    }
}

fn short(s: &Status) -> String {
    match s {
        Status::Continue => "continue".into(),
        Status::Noreply => "noreply".into(),
        Status::Accept => "accept".into(),
        Status::Discard => "discard".into(),
        Status::Skip => "skip".into(),
        Status::Reject { message } => format!(
            "reject({})",
            message
                .as_ref()
                .map(|m| m.to_string_lossy())
                .unwrap_or_default()
        ),
        Status::Tempfail { message } => format!(
            "tempfail({})",
            message
                .as_ref()
                .map(|m| m.to_string_lossy())
                .unwrap_or_default()
        ),
    }
}

/// A reply that lets the session go on (what a clean client must get).
fn passes(s: &Status) -> bool {
    matches!(
        s,
        Status::Continue | Status::Noreply | Status::Accept | Status::Skip
    )
}

/// One idle session: set up under a ramp permit, report the set-up on `ready`, then hold
/// the connection until `release` turns true.
async fn idle_session(
    target: Target,
    timeout: Duration,
    seq: usize,
    ramp: Arc<Semaphore>,
    ready: mpsc::UnboundedSender<Result<bool, String>>,
    mut release: watch::Receiver<bool>,
) -> Result<(), String> {
    let set_up = async {
        let _permit = ramp.acquire().await.map_err(|e| e.to_string())?;
        let mut conn = Conn::open(&target, timeout, Client::new(seq)).await?;
        let (connect, helo) = conn.greet("mail.example.test").await?;
        // The last reply of the greeting must be a plain continue: a good client that
        // is now waiting for the next SMTP command.
        let last = helo.as_ref().unwrap_or(&connect);
        if !matches!(last, Status::Continue) {
            return Err(format!(
                "session {seq}: connect {}, HELO {} (expected continue)",
                short(&connect),
                helo.as_ref().map_or("off".into(), short)
            ));
        }
        Ok((conn, helo.is_some()))
    };
    let conn = set_up.await;
    let _ = ready.send(conn.as_ref().map(|(_, helo)| *helo).map_err(String::clone));
    drop(ready);
    let (conn, _) = conn?;
    // Idle: no byte goes either way until the operator releases the sessions.
    let _ = release.wait_for(|r| *r).await;
    conn.conn.close().await.map_err(|e| format!("close: {e}"))
}

/// The complete session run while the idle ones are open: `Ok(outcome line)` when every
/// stage let it through, `Err(outcome line)` otherwise. Stages negotiated off are not sent.
async fn fresh_session(target: &Target, timeout: Duration) -> Result<String, String> {
    let mut conn = Conn::open(target, timeout, Client::new(0)).await?;
    let opts = conn.conn.negotiated_opts();
    let mut stages: Vec<(&str, Option<Status>)> = Vec::new();
    let (connect, helo) = conn.greet("mail.example.test").await?;
    let mut go_on = passes(&connect) && helo.as_ref().is_none_or(passes);
    stages.push(("connect", Some(connect)));
    stages.push(("helo", helo));
    if go_on && !opts.contains(ProtoOpts::NO_MAIL) {
        conn.client.mail = Some("<alice@example.test>".into());
        conn.macros(MacroStage::Mail).await?;
        let mail = conn.conn.mail(["<alice@example.test>"]).await;
        let mail = mail.map_err(|e| format!("mail: {e}"))?;
        go_on = passes(&mail);
        stages.push(("mail", Some(mail)));
    }
    if go_on && !opts.contains(ProtoOpts::NO_RCPT) {
        conn.client.rcpt = Some("<postmaster@example.test>".into());
        conn.macros(MacroStage::Rcpt).await?;
        let rcpt = conn.conn.rcpt(["<postmaster@example.test>"]).await;
        let rcpt = rcpt.map_err(|e| format!("rcpt: {e}"))?;
        go_on = passes(&rcpt);
        stages.push(("rcpt", Some(rcpt)));
    }
    let mut actions = 0;
    if go_on {
        let (n, eom) = message(&mut conn).await?;
        actions = n;
        stages.push(("eom", Some(eom)));
    }
    conn.conn.close().await.map_err(|e| format!("close: {e}"))?;
    let ok = go_on && stages.iter().flat_map(|(_, s)| s).all(passes);
    let mut line: Vec<String> = stages
        .iter()
        .map(|(name, s)| format!("{name}={}", s.as_ref().map_or("off".into(), short)))
        .collect();
    line.push(format!("actions={actions}"));
    let line = line.join(" ");
    if ok {
        Ok(line)
    } else {
        Err(line)
    }
}

/// DATA, two headers, a short body and end of message, skipping what was negotiated off.
async fn message(conn: &mut Conn) -> Result<(usize, Status), String> {
    let opts = conn.conn.negotiated_opts();
    let err = |what: &'static str| move |e: indymilter_test::TestError| format!("{what}: {e}");
    if !opts.contains(ProtoOpts::NO_DATA) {
        conn.macros(MacroStage::Data).await?;
        conn.conn.data().await.map_err(err("data"))?;
    }
    if !opts.contains(ProtoOpts::NO_HEADER) {
        for (n, v) in [("From", "alice@example.test"), ("Subject", "idle bench")] {
            conn.conn.header(n, v).await.map_err(err("header"))?;
        }
    }
    if !opts.contains(ProtoOpts::NO_EOH) {
        conn.macros(MacroStage::Eoh).await?;
        conn.conn.eoh().await.map_err(err("eoh"))?;
    }
    if !opts.contains(ProtoOpts::NO_BODY) {
        conn.conn
            .body(&b"Hello while a thousand others wait.\r\n"[..])
            .await
            .map_err(err("body"))?;
    }
    conn.macros(MacroStage::Eom).await?;
    let (actions, status) = conn.conn.eom().await.map_err(err("eom"))?;
    Ok((actions.actions.len(), status))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn run(args: Args) -> ExitCode {
    let ramp = Arc::new(Semaphore::new(args.ramp));
    let (release, watcher) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..args.sessions {
        tasks.spawn(idle_session(
            args.target.clone(),
            args.timeout,
            seq,
            Arc::clone(&ramp),
            ready_tx.clone(),
            watcher.clone(),
        ));
    }
    drop(ready_tx);
    let mut failures = Vec::new();
    let mut reported = 0;
    let mut helo_replies = 0;
    // Every task reports once and then drops its sender, so this ends after the last
    // set-up even if a task panicked.
    while let Some(r) = ready_rx.recv().await {
        reported += 1;
        match r {
            Ok(true) => helo_replies += 1,
            Ok(false) => {}
            Err(e) => failures.push(e),
        }
    }
    // A task that died without reporting counts as a failure too.
    for _ in reported..args.sessions {
        failures.push("session task ended without a report".into());
    }
    let idle = args.sessions - failures.len();
    println!(
        "idle {idle} ok {} failed {} ms {helo_replies} helo",
        failures.len(),
        ms(start.elapsed())
    );
    for f in failures.iter().take(5) {
        eprintln!("idle_sessions: {f}");
    }

    let t0 = Instant::now();
    let fresh = fresh_session(&args.target, args.timeout).await;
    let fresh_ok = fresh.is_ok();
    match fresh {
        Ok(line) => println!("fresh ok {} ms {line}", ms(t0.elapsed())),
        Err(line) => println!("fresh failed {} ms {line}", ms(t0.elapsed())),
    }

    // Hold until the operator (bench/idle.sh) has read the daemon's memory.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
    let _ = release.send(true);
    let mut closed = 0;
    let mut close_errors = 0;
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(())) => closed += 1,
            Ok(Err(e)) => {
                close_errors += 1;
                // Set-up failures were printed already.
                if close_errors <= 5 && !failures.contains(&e) {
                    eprintln!("idle_sessions: {e}");
                }
            }
            Err(e) => {
                close_errors += 1;
                eprintln!("idle_sessions: task: {e}");
            }
        }
    }
    println!("closed {closed}");
    if failures.is_empty() && fresh_ok && closed == args.sessions {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("idle_sessions: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idle_sessions: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}
