//! SIGHUP under load, the real binary: a reload every 50 ms for 5 s, the config file
//! switching between valid and broken each time, while sessions with expectations
//! replay without pause. No session may fail or see another verdict (a broken file
//! keeps the running config), and the daemon ends it alive and reloading. The config is
//! the shipped conf/mxgate.toml, the sessions tests/sessions/helo.session.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write config");
    std::fs::rename(&tmp, path).expect("rename config");
}

/// Kills the daemon however the test ends (an orphan would hold the test's pipes).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sighup(pid: u32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(pid as i32, libc::SIGHUP);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_lose_no_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("mxgate.sock");
    let conf = dir.path().join("mxgate.toml");
    let log = dir.path().join("mxgate.log");
    // The shipped config, which the session file's expectations are written for, on a
    // private socket.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/mxgate.toml"))
            .expect("conf/mxgate.toml");
    let valid = shipped.replacen(
        "listen = [\"inet:127.0.0.1:8891\"]",
        &format!("listen = [\"unix:{}\"]", sock.display()),
        1,
    );
    assert_ne!(valid, shipped, "the shipped listen line moved");
    let broken = format!("{valid}\n[checks.helo]\nmode = \n");
    write_atomically(&conf, &valid);
    let child = Command::new(env!("CARGO_BIN_EXE_mxgate"))
        .args(["run", "--config"])
        .arg(&conf)
        .env("MXGATE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).expect("log file")))
        .spawn()
        .expect("start mxgate");
    let mut child = Killed(child);
    let started = Instant::now();
    while !sock.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "no socket");
        std::thread::sleep(Duration::from_millis(20));
    }

    let pid = child.0.id();
    let (conf2, valid2) = (conf.clone(), valid.clone());
    let storm = std::thread::spawn(move || {
        for i in 0..100 {
            write_atomically(&conf2, if i % 2 == 0 { &broken } else { &valid2 });
            sighup(pid);
            std::thread::sleep(Duration::from_millis(50));
        }
    });

    let files: Vec<PathBuf> =
        vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sessions/helo.session")];
    let sessions = mxgate::replay::load_sessions(&files).expect("session file");
    let spec: mxgate::replay::client::SocketSpec =
        format!("unix:{}", sock.display()).parse().expect("spec");
    let opts = mxgate::replay::client::ClientOptions {
        timeout: Duration::from_secs(20),
    };
    let mut rounds = 0;
    loop {
        let done = storm.is_finished();
        let results = mxgate::replay::replay_all(&spec, &sessions, &opts).await;
        let (report, _passed, failed) = mxgate::replay::run::report(&results, false);
        assert_eq!(
            failed, 0,
            "round {rounds} during the reload storm:\n{report}"
        );
        rounds += 1;
        if done {
            break;
        }
    }
    storm.join().expect("storm thread");
    assert!(child.0.try_wait().expect("wait").is_none(), "mxgate exited");
    drop(child);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("reload failed"),
        "no failed reload logged:\n{text}"
    );
    assert!(
        text.contains("configuration reloaded"),
        "no reload logged:\n{text}"
    );
    eprintln!(
        "{rounds} rounds of {} sessions under 100 SIGHUPs, none failed",
        sessions.len()
    );
}
