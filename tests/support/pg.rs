//! A private, throwaway PostgreSQL cluster for tests.
//!
//! The PostgreSQL store must be tested against a real server, and tests must not share one
//! (state would leak between them) or need a system service, sudo or network ports. So each
//! `PgCluster` runs `initdb` into a fresh temporary directory and starts its own `postgres`
//! listening only on a unix socket in that directory (`listen_addresses=` is empty), with
//! durability off (`fsync`, `full_page_writes`, `synchronous_commit`) because the data is
//! thrown away. Dropping the `PgCluster` stops the server and deletes the directory.
//!
//! ```ignore
//! mod support;
//! use support::pg::PgCluster;
//!
//! #[tokio::test]
//! async fn greylist_on_postgres() {
//!     let pg = PgCluster::start().await;
//!     pg.create_database("mxgate").await;
//!     let url = pg.conn_string_for("mxgate");   // hand this to the store under test
//!     let client = pg.client_for("mxgate").await;
//!     // ...
//! }   // server stopped, files removed
//! ```
//!
//! Binaries: `$MXGATE_PG_BIN` (a directory) if set, else the highest version in
//! `/usr/lib/postgresql/*/bin`, else `initdb`/`postgres` on PATH. If none is found the test
//! panics — a missing server must fail loudly, never skip the test.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root both `initdb` and
//! `postgres` run as the `postgres` user (created by Debian's server package); the temporary
//! directory is chowned to it.

use std::ffi::CString;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio_postgres::{Client, NoTls};

/// How long the server may take to accept a first connection before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a fast shutdown may take in `Drop` before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

const MISSING_BINARIES: &str =
    "PostgreSQL server binaries not found: install postgresql-15 (apt-get install postgresql-15)";

/// A running private PostgreSQL server. See the module documentation.
pub struct PgCluster {
    // Drop stops `child` first, then removes `dir` (the server must not outlive its files).
    child: Option<Child>,
    dir: Option<TempDir>,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    startup: Duration,
}

impl PgCluster {
    /// Create and start a cluster; returns once a connection as `postgres` succeeds.
    ///
    /// Async because readiness is checked with tokio-postgres; `initdb` runs on tokio's blocking
    /// pool, so any runtime flavour works. Panics with the tool's output or the server log if
    /// anything fails, and within 20 s at most.
    pub async fn start() -> PgCluster {
        let started = Instant::now();
        let mut cluster = match tokio::task::spawn_blocking(init_and_spawn).await {
            Ok(cluster) => cluster,
            // Re-raise the helper's panic with its own message.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        cluster.wait_ready(started).await;
        cluster.startup = started.elapsed();
        cluster
    }

    /// [`PgCluster::start`] for plain `#[test]` functions: runs it on a private current-thread
    /// runtime. Panics if called from inside a tokio runtime (use `start().await` there).
    pub fn start_blocking() -> PgCluster {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build tokio runtime")
            .block_on(Self::start())
    }

    /// libpq-style connection string for the `postgres` database as superuser `postgres`:
    /// `host=<socket dir> port=<port> user=postgres dbname=postgres`.
    pub fn conn_string(&self) -> String {
        self.conn_string_for("postgres")
    }

    /// Connection string for database `dbname` (see [`PgCluster::create_database`]).
    pub fn conn_string_for(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={}",
            self.socket_dir.display(),
            self.port,
            dbname
        )
    }

    /// mxgate's database settings for the `postgres` database as superuser `postgres` on this
    /// cluster, everything else at its default.
    pub fn db_config(&self) -> mxgate::store::pg::DbConfig {
        mxgate::store::pg::DbConfig {
            host: self.socket_dir.display().to_string(),
            port: self.port,
            user: "postgres".into(),
            dbname: "postgres".into(),
            ..mxgate::store::pg::DbConfig::default()
        }
    }

    /// The same settings as mxgate's `[database]` TOML section (`host`, `port`, `user`,
    /// `dbname`; one key a line, ending with a newline), for further keys to be appended.
    pub fn database_section(&self) -> String {
        format!(
            "[database]\nhost = \"{}\"\nport = {}\nuser = \"postgres\"\ndbname = \"postgres\"\n",
            self.socket_dir.display(),
            self.port
        )
    }

    /// The directory holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port number; with no TCP listener it only names the socket file.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory (inside the temporary directory).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The temporary directory holding everything; removed on drop.
    pub fn temp_path(&self) -> &Path {
        self.dir.as_ref().expect("temp dir present").path()
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Time from `start()` to the first successful connection.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// The server's log so far (stdout and stderr of `postgres`), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// A client connected to the `postgres` database; its connection task is spawned on the
    /// current runtime and ends when the client is dropped or the server stops.
    pub async fn client(&self) -> Client {
        self.client_for("postgres").await
    }

    /// A client connected to database `dbname`.
    pub async fn client_for(&self, dbname: &str) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.conn_string_for(dbname), NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "connect to test PostgreSQL database {dbname:?}: {e}\n{}",
                    self.log_section()
                )
            });
        tokio::spawn(async move {
            // An error here means the server went away (e.g. the cluster was dropped first);
            // the client's own calls report it, so there is nothing more to do.
            let _ = connection.await;
        });
        client
    }

    /// `CREATE DATABASE name` (quoted as an identifier). Panics on error.
    pub async fn create_database(&self, name: &str) {
        let client = self.client().await;
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        client
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Poll until a connection succeeds, the server dies, or START_TIMEOUT passes.
    async fn wait_ready(&mut self, started: Instant) {
        let conn = self.conn_string();
        let mut last_err = String::from("no attempt yet");
        while started.elapsed() < START_TIMEOUT {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "PostgreSQL server exited during startup ({status})\n{}",
                    self.log_section()
                );
            }
            match tokio_postgres::connect(&conn, NoTls).await {
                Ok((client, connection)) => {
                    drop(client);
                    // The client is gone, so this finishes at once (the session is closed).
                    let _ = connection.await;
                    return;
                }
                Err(e) => last_err = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "PostgreSQL did not accept connections within {START_TIMEOUT:?} \
             ({conn}; last error: {last_err})\n{}",
            self.log_section()
        );
    }

    fn log_section(&self) -> String {
        format!(
            "--- server log {} ---\n{}--- end of server log ---",
            self.log_path.display(),
            self.log()
        )
    }

    /// Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), then SIGKILL if it hangs.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, which has not been reaped yet (try_wait above), so
        // the pid cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        eprintln!("test PostgreSQL (pid {pid}) ignored fast shutdown; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
        // TempDir's own Drop would ignore errors; report them, since a leftover directory
        // means something still holds it.
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(e) = dir.close() {
                eprintln!(
                    "could not remove test PostgreSQL dir {}: {e}",
                    path.display()
                );
            }
        }
    }
}

/// initdb into a fresh temp dir and spawn the server (blocking; run on the blocking pool).
fn init_and_spawn() -> PgCluster {
    let bin = find_bin_dir();
    let run_as = postgres_user_if_root();

    let dir = tempfile::Builder::new()
        .prefix("mxgate-pg-")
        .tempdir()
        .expect("create temp dir for PostgreSQL");
    let data_dir = dir.path().join("data");
    let socket_dir = dir.path().join("sock");
    std::fs::create_dir(&socket_dir).expect("create socket dir");
    let log_path = dir.path().join("server.log");
    let log = File::create(&log_path).expect("create server log");
    if let Some((uid, gid)) = run_as {
        // initdb creates data/ inside the temp dir, and postgres writes its socket and lock
        // file into sock/: both must belong to the user they run as.
        for p in [dir.path(), &socket_dir] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", p.display()));
        }
    }

    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args([
            "-A",
            "trust",
            "-N",
            "-U",
            "postgres",
            "--no-locale",
            "-E",
            "UTF8",
            "-D",
        ])
        .arg(&data_dir);
    configure(&mut initdb, dir.path(), run_as);
    let out = initdb
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.join("initdb").display()));
    if !out.status.success() {
        panic!(
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let port = free_port();
    let mut postgres = Command::new(bin.join("postgres"));
    postgres
        .arg("-D")
        .arg(&data_dir)
        // No TCP listener: the unix socket is private to this test, so no port clashes.
        .args(["-c", "listen_addresses="])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", socket_dir.display()))
        .arg("-k")
        .arg(&socket_dir)
        .args(["-p", &port.to_string()])
        // The data is thrown away: skip the work that only protects it from crashes.
        .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
        .args(["-c", "synchronous_commit=off"])
        .stdout(Stdio::from(log.try_clone().expect("dup log fd")))
        .stderr(Stdio::from(log));
    configure(&mut postgres, dir.path(), run_as);
    let child = postgres
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.join("postgres").display()));

    PgCluster {
        child: Some(child),
        dir: Some(dir),
        data_dir,
        socket_dir,
        log_path,
        port,
        startup: Duration::ZERO,
    }
}

/// Settings shared by initdb and postgres.
fn configure(cmd: &mut Command, cwd: &Path, run_as: Option<(u32, u32)>) {
    // The test's cwd may not be readable by `postgres` (e.g. under /root); initdb fails there.
    cmd.current_dir(cwd).stdin(Stdio::null());
    // Locale from the environment could name one that is not installed.
    cmd.env("LC_ALL", "C");
    if let Some((uid, gid)) = run_as {
        // std drops supplementary groups (setgroups(0)) before setuid when running as root.
        cmd.uid(uid).gid(gid);
    }
}

/// `$MXGATE_PG_BIN`, else the highest `/usr/lib/postgresql/<version>/bin`, else PATH.
fn find_bin_dir() -> PathBuf {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("MXGATE_PG_BIN") {
        let dir = PathBuf::from(dir);
        if has_both(&dir) {
            return dir;
        }
        panic!(
            "MXGATE_PG_BIN={} has no initdb and postgres; {MISSING_BINARIES}",
            dir.display()
        );
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            // Version directories are numbers ("15", "16"); compare numerically.
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| has_both(d))
        .unwrap_or_else(|| panic!("{MISSING_BINARIES}"))
}

/// Some((uid, gid)) of the `postgres` user if we are root (PostgreSQL refuses to run as root),
/// None otherwise (then the server runs as the current user).
fn postgres_user_if_root() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = CString::new("postgres").unwrap();
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwnam_r (the thread-safe variant; tests run on many threads) writes into
    // `pwd` and `buf`, which outlive the call; `result` is null or points to `pwd`.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        panic!(
            "tests run as root, and PostgreSQL refuses to run as root, but there is no \
             `postgres` user to run it as; install postgresql-15 (apt-get install \
             postgresql-15), which creates it, or run the tests as an ordinary user"
        );
    }
    Some((pwd.pw_uid, pwd.pw_gid))
}

/// A port number no one is listening on. Nothing listens on it over TCP (no TCP listener), but
/// it names the socket file and seeds the SysV shared-memory key, so distinct clusters should
/// get distinct numbers.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("pick a port number")
}
