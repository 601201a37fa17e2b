//! A standalone authoritative DNS server for mxgate's end-to-end tests and benchmarks.
//!
//! ```text
//! cargo run --example fixture_dns -- --listen 127.0.0.1:0 [--zones DIR]
//!     [--servfail NAME]... [--refused NAME]... [--timeout NAME]...
//! ```
//!
//! Serves every `*.zone` file of DIR (default: `tests/fixtures/zones` of this crate), the origin
//! being the file name without `.zone` plus a trailing dot (`example.test.zone` → `example.test.`),
//! on UDP and TCP of the `--listen` address (port 0: a free port). `--servfail`, `--refused` and
//! `--timeout` make a name (or, as `*.zone.`, everything below a zone) fail that way, so a test
//! driving mxgate from outside the process can provoke temporary DNS errors.
//!
//! Prints `listening on ADDR` once it answers, so a script can wait for that line and read the
//! port from it. Exits 0 on SIGTERM or SIGINT; exit status 2 on bad arguments or zones.
//!
//! The server itself is the test support module `tests/support/dns.rs`, shared with the
//! integration tests so both see the same answers.

#[allow(dead_code)] // the tests use more of the module than this program does
#[path = "../tests/support/dns.rs"]
mod dns;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dns::{DnsServer, Fault};
use tokio::signal::unix::{signal, SignalKind};

const USAGE: &str = "usage: fixture_dns --listen ADDR:PORT [--zones DIR] \
[--servfail NAME]... [--refused NAME]... [--timeout NAME]...";

/// Parsed command line.
struct Args {
    listen: SocketAddr,
    zones: PathBuf,
    faults: Vec<(String, Fault)>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut listen = None;
    let mut zones = dns::fixture_dir();
    let mut faults = Vec::new();
    while let Some(arg) = argv.next() {
        let mut value = |what: &str| argv.next().ok_or_else(|| format!("{arg} needs {what}"));
        match arg.as_str() {
            "--listen" => {
                let v = value("an address")?;
                listen = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| format!("--listen {v}: {e}"))?,
                );
            }
            "--zones" => zones = PathBuf::from(value("a directory")?),
            "--servfail" => faults.push((value("a name")?, Fault::ServFail)),
            "--refused" => faults.push((value("a name")?, Fault::Refused)),
            "--timeout" => faults.push((value("a name")?, Fault::Timeout)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let listen = listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?;
    // mxgate's tests may only ever talk to loopback; refuse anything else outright.
    if !listen.ip().is_loopback() {
        return Err(format!(
            "--listen {listen}: only loopback addresses are allowed"
        ));
    }
    Ok(Args {
        listen,
        zones,
        faults,
    })
}

/// (origin, zone text) for every `*.zone` file in `dir`, sorted by file name.
fn read_zones(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut zones = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let Some(origin) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".zone"))
        else {
            continue;
        };
        if origin.is_empty() {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        zones.push((format!("{origin}."), text));
    }
    if zones.is_empty() {
        return Err(format!("no *.zone file in {}", dir.display()));
    }
    zones.sort();
    Ok(zones)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fixture_dns: {e}");
            return ExitCode::from(2);
        }
    };
    let zones = match read_zones(&args.zones) {
        Ok(z) => z,
        Err(e) => {
            eprintln!("fixture_dns: {e}");
            return ExitCode::from(2);
        }
    };
    // Signal handlers first, so a SIGTERM right after "listening on" is never lost.
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("fixture_dns: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };

    let refs: Vec<(&str, &str)> = zones
        .iter()
        .map(|(o, t)| (o.as_str(), t.as_str()))
        .collect();
    // A bad zone or an address in use panics inside the support module with the reason; the
    // panic message on stderr and exit status 101 are enough for a test script.
    let server = DnsServer::start_on(&refs, args.listen).await;
    for (name, fault) in &args.faults {
        server.set_fault(name, *fault);
    }
    let origins: Vec<&str> = refs.iter().map(|(o, _)| *o).collect();
    println!(
        "listening on {} (udp+tcp), zones: {}",
        server.addr(),
        origins.join(" ")
    );
    for (name, fault) in &args.faults {
        println!("fault: {name} -> {fault:?}");
    }

    // The query log (what mxgate asked, in order) helps to debug a failing scenario; print it
    // as it grows rather than only at exit, since a test dumps logs before it stops us.
    let mut printed = 0;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = tick.tick() => printed = print_queries(&server, printed),
        }
    }
    let total = print_queries(&server, printed);
    println!("stopping after {total} queries");
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Print the queries after the first `skip`; return how many there are now.
fn print_queries(server: &DnsServer, skip: usize) -> usize {
    let queries = server.queries();
    for (name, rtype) in queries.iter().skip(skip) {
        println!("query {name} {rtype}");
    }
    queries.len()
}
