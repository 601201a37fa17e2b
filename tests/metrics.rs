//! The Prometheus endpoint over a real socket: off by default, loopback only, and what it
//! counts after sessions went through the real milter protocol.

mod support;

use mxgate::replay::client::{ClientOptions, SocketSpec};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback port free right now (the endpoint binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// One HTTP/1.1 request; returns (status line, body).
async fn http(addr: SocketAddr, request: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the metrics endpoint {addr}: {e}"));
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("the endpoint did not close the connection within 5 s")
        .unwrap();
    let text = String::from_utf8(out).expect("response is not UTF-8");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header/body separator in {text:?}"));
    let status = head.lines().next().unwrap_or("").to_string();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Content-Length in {head:?}"));
    if !request.starts_with("HEAD") {
        assert_eq!(len, body.len(), "Content-Length does not match the body");
    }
    (status, body.to_string())
}

/// The value of the sample `name{labels}` (exact text before the value), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("bad value for {series}: {v}"))
        })
        .unwrap_or(0.0)
}

fn config(port: u16) -> String {
    format!(
        "[metrics]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n\n[checks.helo]\nreply = {{ code = 550, xcode = \"5.7.1\", text = \"HELO name rejected\" }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_counts_sessions_decisions_and_latency() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg = mxgate::config::parse(&config(port), Path::new("metrics.toml")).unwrap();
    let milter = mxgate::daemon::Embedded::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"));

    let (status, before) = http(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    for family in [
        "# TYPE mxgate_sessions_total counter",
        "# TYPE mxgate_decisions_total counter",
        "# TYPE mxgate_check_duration_seconds histogram",
        "# TYPE mxgate_check_errors_total counter",
        "# TYPE mxgate_dns_errors_total counter",
        "# TYPE mxgate_sessions_active gauge",
    ] {
        assert!(before.contains(family), "missing {family:?} in:\n{before}");
    }
    let reject =
        "mxgate_decisions_total{stage=\"helo\",check=\"helo\",verdict=\"reject\",mode=\"enforce\"}";
    let helo_count = "mxgate_check_duration_seconds_count{check=\"helo\"}";
    let helo_inf = "mxgate_check_duration_seconds_bucket{check=\"helo\",le=\"+Inf\"}";

    // helo.session: one clean session, one with HELO localhost (a hit, held until RCPT).
    let sessions =
        mxgate::replay::load_sessions(&[support::daemon::session_file("helo.session")]).unwrap();
    let n_sessions = sessions.len() as f64;
    let spec: SocketSpec = milter.socket_spec().parse().unwrap();
    let results = mxgate::replay::replay_all(
        &spec,
        &sessions,
        &ClientOptions {
            timeout: Duration::from_secs(20),
        },
    )
    .await;
    let (report, _passed, failed) = mxgate::replay::run::report(&results, false);
    assert_eq!(failed, 0, "{report}");

    let (_, after) = http(addr, "GET /metrics?x=1 HTTP/1.1\r\n\r\n").await;
    // Other tests in this crate share the process-wide registry: compare deltas.
    let d = |series: &str| sample(&after, series) - sample(&before, series);
    assert!(
        d("mxgate_sessions_total") >= n_sessions,
        "sessions_total grew by {}, expected >= {n_sessions}\n{after}",
        d("mxgate_sessions_total")
    );
    assert!(d(reject) >= 1.0, "no helo reject counted:\n{after}");
    assert!(
        d(helo_count) >= n_sessions,
        "helo latency not observed:\n{after}"
    );
    assert_eq!(
        sample(&after, helo_inf),
        sample(&after, helo_count),
        "+Inf bucket != count"
    );
    // Buckets are cumulative: never decreasing.
    let buckets: Vec<f64> = after
        .lines()
        .filter(|l| l.starts_with("mxgate_check_duration_seconds_bucket{check=\"helo\","))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 18, "{after}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");

    let (status, body) = http(addr, "GET /nope HTTP/1.1\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found", "{body}");
    let (status, _) = http(addr, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
    let (status, body) = http(addr, "HEAD /metrics HTTP/1.1\r\n\r\n").await;
    assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", ""));

    milter.stop().await;
    // Stopped with the daemon.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the endpoint still answers after the daemon stopped"
    );
}

#[tokio::test]
async fn off_by_default_and_taken_port_fails_start() {
    let c = mxgate::config::parse("", Path::new("empty.toml")).unwrap();
    assert!(!c.metrics.enabled);
    assert_eq!(c.metrics.listen.0.to_string(), "127.0.0.1:9891");

    // A port in use: the daemon does not start, and says which key.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let cfg = mxgate::config::parse(&config(port), Path::new("metrics.toml")).unwrap();
    let err = match mxgate::daemon::Embedded::start(cfg).await {
        Ok(m) => {
            m.stop().await;
            panic!("mxgate started although the metrics port {port} is taken");
        }
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("metrics.listen"), "{err}");
}

#[test]
fn only_loopback_is_accepted_with_file_line_key() {
    let e = mxgate::config::parse(
        "[daemon]\n\n[metrics]\nenabled = true\nlisten = \"0.0.0.0:9891\"\n",
        Path::new("m.toml"),
    )
    .unwrap_err();
    assert_eq!(e.line, Some(5), "{e}");
    assert_eq!(e.key.as_deref(), Some("metrics.listen"), "{e}");
    assert!(e.to_string().contains("not a loopback address"), "{e}");
    assert!(
        mxgate::config::parse("[metrics]\nlisten = \"[::1]:9999\"\n", Path::new("m.toml")).is_ok()
    );
    let e = mxgate::config::parse("[metrics]\nport = 1\n", Path::new("m.toml")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("metrics.port"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greylist_counters_are_published() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let conf = format!(
        "[metrics]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n\n[checks.greylist]\nenabled = true\npath = \"{}\"\ndelay = 3600\n",
        dir.path().join("g.sqlite").display()
    );
    let cfg = mxgate::config::parse(&conf, Path::new("metrics.toml")).unwrap();
    let milter = mxgate::daemon::Embedded::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("cannot start mxgate: {e:#}"));
    let session = dir.path().join("g.session");
    std::fs::write(
        &session,
        "session first-try\nconnect 192.0.2.10 port 1\nhelo mail.example.org\nmail <a@example.org>\n\
         rcpt <bob@example.net> expect tempfail 450 4.2.0\nrcpt <postmaster@example.net> expect continue\n",
    )
    .unwrap();
    let sessions = mxgate::replay::load_sessions(&[session]).unwrap();
    let spec: SocketSpec = milter.socket_spec().parse().unwrap();
    let results = mxgate::replay::replay_all(&spec, &sessions, &ClientOptions::default()).await;
    let (report, _, failed) = mxgate::replay::run::report(&results, false);
    assert_eq!(failed, 0, "{report}");
    let (_, body) = http(addr, "GET /metrics HTTP/1.1\r\n\r\n").await;
    assert_eq!(sample(&body, "mxgate_greylist_greylisted"), 1.0, "{body}");
    assert_eq!(sample(&body, "mxgate_greylist_skipped"), 1.0, "{body}");
    assert!(
        body.contains("# TYPE mxgate_greylist_store_errors gauge"),
        "{body}"
    );
    milter.stop().await;
}
