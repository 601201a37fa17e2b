//! The real daemon binary over real sockets: verdicts, held rejects, sockets, signals.

use indymilter_test::{Status, TestConnection};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon {
    child: Child,
    _dir: tempfile::TempDir,
    sock: PathBuf,
    port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(extra: &str) -> Daemon {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("mxgate.sock");
    let port = free_port();
    let conf = dir.path().join("mxgate.toml");
    std::fs::write(
        &conf,
        format!(
            "[daemon]\nlisten = [\"unix:{}\", \"inet:127.0.0.1:{port}\"]\nshutdown_timeout = 5\n{extra}\n[checks.helo]\nreply = {{ code = 554, xcode = \"5.7.1\", text = \"Bad HELO\" }}\n",
            sock.display()
        ),
    )
    .expect("write config");
    let child = Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .args(["run", "--config"])
        .arg(&conf)
        .env(
            "MXGATE_LOG",
            std::env::var("MXGATE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .spawn()
        .expect("start mxgate");
    wait_for("socket", || {
        sock.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Daemon {
        child,
        _dir: dir,
        sock,
        port,
    }
}

impl Daemon {
    /// A milter connection on the unix socket.
    async fn unix(&self) -> TestConnection {
        TestConnection::configure()
            .open_unix(&self.sock)
            .await
            .expect("unix")
    }

    /// A milter connection on the unix socket, past CONNECT from client.example.
    async fn connected(&self) -> TestConnection {
        let mut conn = self.unix().await;
        conn.connect("client.example", ([192, 0, 2, 1], 4567))
            .await
            .expect("connect");
        conn
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sigterm(child: &Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
}

async fn session(conn: &mut TestConnection, helo: &str, rcpts: &[&str]) -> Vec<Status> {
    let mut out = vec![conn
        .connect("client.example", ([192, 0, 2, 1], 4567))
        .await
        .expect("connect")];
    out.push(conn.helo(helo).await.expect("helo"));
    out.push(conn.mail(["<a@example.org>"]).await.expect("mail"));
    for r in rcpts {
        out.push(conn.rcpt([*r]).await.expect("rcpt"));
    }
    out
}

fn reject(text: &str) -> Status {
    Status::Reject {
        message: Some(std::ffi::CString::new(text).unwrap()),
    }
}

#[tokio::test]
async fn bad_helo_is_rejected_at_rcpt_except_postmaster_on_both_sockets() {
    let d = start("");
    for mut conn in [
        d.unix().await,
        TestConnection::configure()
            .open_tcp(("127.0.0.1", d.port))
            .await
            .expect("tcp"),
    ] {
        let st = session(
            &mut conn,
            "localhost",
            &["<postmaster@example.net>", "<bob@example.net>"],
        )
        .await;
        // Connect and MAIL have no check here: negotiated without replies (NOREPLY).
        assert_eq!(
            st[..4],
            [
                Status::Noreply,
                Status::Continue,
                Status::Noreply,
                Status::Continue
            ]
        );
        assert_eq!(st[4], reject("554 5.7.1 Bad HELO"));
        conn.close().await.expect("close");
    }
    let mut conn = d.unix().await;
    let st = session(&mut conn, "mail.example.org", &["<bob@example.net>"]).await;
    assert!(
        st.iter()
            .all(|s| matches!(s, Status::Continue | Status::Noreply)),
        "{st:?}"
    );
    let (actions, status) = conn.eom().await.expect("eom");
    assert_eq!(status, Status::Continue);
    assert!(actions.actions.is_empty());
    conn.close().await.expect("close");
}

#[tokio::test]
async fn without_delay_the_helo_itself_is_rejected() {
    let d = start("[policy]\ndelay_reject = false\n");
    let mut conn = d.connected().await;
    assert_eq!(
        conn.helo("[192.0.2.9]").await.expect("helo"),
        reject("554 5.7.1 Bad HELO")
    );
}

#[test]
fn sigterm_waits_for_sessions_in_flight_then_exits_zero_and_removes_socket() {
    let mut d = start("");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut conn = rt.block_on(d.connected());
    sigterm(&d.child);
    // New connections are refused once the socket is gone...
    wait_for("socket removal", || {
        !d.sock.exists() || std::os::unix::net::UnixStream::connect(&d.sock).is_err()
    });
    // ...but the session in flight still gets answers.
    // (HELO has a check, so it is answered; MAIL has none and is negotiated NOREPLY.)
    let st = rt.block_on(async {
        let st = conn.helo("mail.example.org").await.expect("helo in flight");
        conn.mail(["<a@example.org>"])
            .await
            .expect("mail in flight");
        conn.close().await.expect("close");
        st
    });
    assert_eq!(st, Status::Continue);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = d.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "mxgate did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
    assert!(!d.sock.exists(), "socket left behind");
}

fn run_with_listen(dir: &Path, listen: &str) -> std::process::Output {
    run_with_config(
        dir,
        &format!("[daemon]\nlisten = [\"{listen}\"]\nshutdown_timeout = 1\n"),
    )
}

fn run_with_config(dir: &Path, text: &str) -> std::process::Output {
    let conf = dir.join("c.toml");
    std::fs::write(&conf, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .args(["run", "--config"])
        .arg(&conf)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start");
    // A daemon that starts is stopped after a moment; one that refuses exits by itself.
    std::thread::sleep(Duration::from_millis(500));
    if child.try_wait().expect("wait").is_none() {
        sigterm(&child);
    }
    child.wait_with_output().expect("output")
}

#[test]
fn stale_socket_is_replaced_but_live_socket_and_regular_file_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    // Stale: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let out = run_with_listen(dir.path(), &format!("unix:{}", path.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Live: another process answers on it.
    let live = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let out = run_with_listen(dir.path(), &format!("unix:{}", path.display()));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.exists(), "live socket removed");
    drop(live);

    // Regular file: never deleted.
    let file = dir.path().join("file");
    std::fs::write(&file, "keep me").unwrap();
    let out = run_with_listen(dir.path(), &format!("unix:{}", file.display()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a socket"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// The checks are built before any socket is bound: a config whose checks cannot be
/// built leaves no socket, not even the socket's directory.
#[test]
fn unbuildable_checks_are_refused_before_any_socket_is_bound() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let sock = run.join("mxgate.sock");
    let out = run_with_config(
        dir.path(),
        &format!(
            "[daemon]\nlisten = [\"unix:{}\"]\nshutdown_timeout = 1\n\n[checks.relay]\nmap = \"{}/no-such-map\"\n",
            sock.display(),
            dir.path().display()
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    // Valid at load; building the check (opening its map) fails.
    assert!(err.contains("checks.relay.map: "), "{err}");
    assert!(err.contains("no-such-map"), "{err}");
    assert!(!sock.exists(), "socket left behind");
    assert!(
        !run.exists(),
        "socket directory created before the checks were built"
    );
}

/// A start that fails after a unix socket was bound removes the socket files it
/// created, and only those: another process's live socket stays.
#[test]
fn failed_start_removes_the_unix_sockets_it_bound() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("mxgate.sock");
    let listen = |second: &str| {
        format!(
            "[daemon]\nlisten = [\"unix:{}\", \"{second}\"]\nshutdown_timeout = 1\n",
            sock.display()
        )
    };

    // A TCP port held by the test.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = run_with_config(dir.path(), &listen(&format!("inet:127.0.0.1:{port}")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("cannot listen on inet:127.0.0.1:{port}")),
        "{err}"
    );
    assert!(
        !sock.exists(),
        "socket left behind after a failed inet bind"
    );

    // A unix path whose directory cannot be created (a regular file is in the way).
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let out = run_with_config(
        dir.path(),
        &listen(&format!("unix:{}", file.join("x.sock").display())),
    );
    assert!(!out.status.success());
    assert!(
        !sock.exists(),
        "socket left behind after a failed unix bind"
    );

    // Another process's live socket: refused, and that socket is not ours to remove.
    let live_path = dir.path().join("live.sock");
    let live = std::os::unix::net::UnixListener::bind(&live_path).unwrap();
    let out = run_with_config(
        dir.path(),
        &listen(&format!("unix:{}", live_path.display())),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("in use"), "{err}");
    assert!(
        !sock.exists(),
        "socket left behind after a live socket was found"
    );
    assert!(live_path.exists(), "another process's socket removed");
    drop(live);

    // An owner that does not exist: refused before the socket is created.
    let out = run_with_config(
        dir.path(),
        &format!(
            "[daemon]\nlisten = [\"unix:{}\"]\nsocket_owner = \"mxgate-no-such-user\"\n",
            sock.display()
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("daemon.socket_owner: no user"), "{err}");
    assert!(!sock.exists(), "socket left behind after an unknown owner");
}

#[test]
fn malformed_config_is_refused_with_file_line_key() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.toml");
    std::fs::write(
        &conf,
        "[daemon]\nlisten = [\"unix:/tmp/x.sock\"]\n\n[checks.helo]\naction = \"bounce\"\n",
    )
    .unwrap();
    for args in [vec!["run", "--config"], vec!["check-config"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_mxgate"))
            .args(args)
            .arg(&conf)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "{}:5: checks.helo.action: unknown variant `bounce`",
                conf.display()
            )),
            "{err}"
        );
    }
}

#[tokio::test]
async fn capture_writes_a_session_file_that_parses_back() {
    let cap = tempfile::tempdir().unwrap();
    let d = start(&format!("capture_dir = \"{}\"\n", cap.path().display()));
    let mut conn = d.connected().await;
    conn.helo("mail.example.org").await.unwrap();
    conn.mail(["<a@example.org>", "SIZE=10"]).await.unwrap();
    conn.rcpt(["<bob@example.net>"]).await.unwrap();
    conn.header("Subject", "hello").await.unwrap();
    conn.eoh().await.unwrap();
    conn.body(&b"line one\r\n.dot line\r\n"[..]).await.unwrap();
    let (_, st) = conn.eom().await.unwrap();
    assert_eq!(st, Status::Continue);
    conn.close().await.unwrap();

    let mut files = Vec::new();
    wait_for("capture file", || {
        files = std::fs::read_dir(cap.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "session"))
            .collect();
        !files.is_empty()
    });
    let sessions = mxgate::replay::format::parse_file(&files[0]).expect("captured file parses");
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.connect.addr.to_string(), "192.0.2.1");
    assert_eq!(s.connect.port, 4567);
    assert_eq!(s.helo.as_ref().unwrap().name, "mail.example.org");
    let tx = &s.transactions[0];
    assert_eq!(tx.mail.addr, "a@example.org");
    assert_eq!(tx.mail.args, vec!["SIZE=10".to_string()]);
    assert_eq!(tx.rcpts[0].addr, "bob@example.net");
    let msg = tx.message.as_ref().unwrap();
    assert_eq!(msg.headers[0].name, "Subject");
    assert_eq!(msg.headers[0].value.trim(), "hello");
    assert_eq!(msg.body, b"line one\r\n.dot line\r\n");
}

/// The bundled sessions pass against `mxgate run` on the default config, over a unix
/// socket and over TCP, driven by the `mxgate replay` command.
#[test]
fn bundled_sessions_pass_against_the_daemon_over_unix_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("mxgate.sock");
    let port = free_port();
    let default = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/mxgate.toml"))
        .expect("conf/mxgate.toml");
    let conf = default.replace(
        "listen = [\"inet:127.0.0.1:8891\"]",
        &format!(
            "listen = [\"unix:{}\", \"inet:127.0.0.1:{port}\"]",
            sock.display()
        ),
    );
    assert_ne!(
        conf, default,
        "listen line of conf/mxgate.toml changed; update this test"
    );
    let conf_path = dir.path().join("mxgate.toml");
    std::fs::write(&conf_path, conf).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .args(["run", "--config"])
        .arg(&conf_path)
        .spawn()
        .expect("start mxgate");
    wait_for("socket", || {
        sock.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let sessions = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sessions");
    for spec in [
        format!("unix:{}", sock.display()),
        format!("inet:127.0.0.1:{port}"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mxgate"))
            .args(["replay", "--socket", &spec, sessions])
            .output()
            .expect("replay");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "replay over {spec} failed:\n{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = report.lines().last().unwrap_or("");
        assert!(
            summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 "),
            "{summary}"
        );
    }
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}
