//! The embedded greylist store: one SQLite file in WAL mode.
//!
//! WAL lets `mxgate greylist list` read while the daemon writes, and a commit is in the
//! WAL before the reply goes out, so `kill -9` loses nothing committed
//! (`synchronous = NORMAL`: only a power loss or OS crash can lose the last
//! transactions, which for a greylist means re-greylisting a few triplets).
//! Queries run on tokio's blocking pool so a lock held by another process (the CLI
//! purging) never stalls the milter's event loop; `busy_timeout` bounds the wait.

use super::logic::{
    decide, ClientEntry, Expired, GreylistStore, Key, ListFilter, Listed, ListedClient, Params,
    Stats, Status, StoreFuture, Triplet,
};
use crate::store::pg::StoreError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Schema steps, applied once each (tracked in `PRAGMA user_version`).
const STEPS: &[&str] = &["CREATE TABLE greylist (
         client TEXT NOT NULL, sender TEXT NOT NULL, rcpt TEXT NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
         passed INTEGER NOT NULL, attempts INTEGER NOT NULL,
         PRIMARY KEY (client, sender, rcpt)) WITHOUT ROWID;
     CREATE INDEX greylist_last_seen ON greylist (last_seen);
     CREATE TABLE greylist_clients (
         client TEXT PRIMARY KEY, passes INTEGER NOT NULL,
         last_seen INTEGER NOT NULL, manual INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"];

/// Rows deleted per expiry transaction, so the write lock is released in between.
const EXPIRE_BATCH: i64 = 5000;

/// The SQLite greylist store.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(e.to_string())
        }
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::DiskFull) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Query(e.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(2)).map_err(sql_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| StoreError::Config(format!("{}: {e}", path.display())))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Config(format!(
                "{}: cannot switch to WAL mode (journal_mode is {mode})",
                path.display()
            )));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql_err)?;
        let mut store = SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_err)?;
        let version = usize::try_from(version).unwrap_or(0);
        if version > STEPS.len() {
            return Err(StoreError::Config(format!(
                "{}: schema version {version} is newer than this mxgate knows ({})",
                self.path.display(),
                STEPS.len()
            )));
        }
        for (i, step) in STEPS.iter().enumerate().skip(version) {
            tx.execute_batch(step)
                .map_err(|e| StoreError::Query(format!("greylist schema step {}: {e}", i + 1)))?;
        }
        tx.pragma_update(None, "user_version", STEPS.len() as i64)
            .map_err(sql_err)?;
        tx.commit().map_err(sql_err)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on the blocking pool (inline without a runtime).
    fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'_, T> {
        let conn = Arc::clone(&self.conn);
        let job = move || {
            // A panic while holding the lock leaves the connection usable (SQLite rolls
            // back an open transaction when it is dropped), so a poisoned lock is taken.
            let mut c = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut c)
        };
        Box::pin(async move {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => h
                    .spawn_blocking(job)
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?,
                Err(_) => job(),
            }
        })
    }
}

fn read_client(conn: &Connection, client: &str) -> Result<Option<ClientEntry>, StoreError> {
    conn.prepare_cached("SELECT passes, last_seen, manual FROM greylist_clients WHERE client = ?1")
        .and_then(|mut st| {
            st.query_row([client], |r| {
                Ok(ClientEntry {
                    passes: r.get(0)?,
                    last_seen: r.get(1)?,
                    manual: r.get(2)?,
                })
            })
            .optional()
        })
        .map_err(sql_err)
}

fn read_triplet(conn: &Connection, key: &Key) -> Result<Option<Triplet>, StoreError> {
    conn.prepare_cached(
        "SELECT first_seen, last_seen, passed, attempts FROM greylist
         WHERE client = ?1 AND sender = ?2 AND rcpt = ?3",
    )
    .and_then(|mut st| {
        st.query_row(params![key.client, key.sender, key.rcpt], row_triplet)
            .optional()
    })
    .map_err(sql_err)
}

fn row_triplet(r: &rusqlite::Row<'_>) -> rusqlite::Result<Triplet> {
    Ok(Triplet {
        first_seen: r.get(0)?,
        last_seen: r.get(1)?,
        passed: r.get(2)?,
        attempts: r.get(3)?,
    })
}

fn write_triplet(conn: &Connection, key: &Key, t: &Triplet) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO greylist (client, sender, rcpt, first_seen, last_seen, passed, attempts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (client, sender, rcpt) DO UPDATE SET first_seen = ?4, last_seen = ?5,
             passed = ?6, attempts = ?7",
    )
    .and_then(|mut st| {
        st.execute(params![
            key.client,
            key.sender,
            key.rcpt,
            t.first_seen,
            t.last_seen,
            t.passed,
            t.attempts
        ])
    })
    .map(|_| ())
    .map_err(sql_err)
}

fn check_sync(
    conn: &mut Connection,
    key: &Key,
    now: i64,
    p: &Params,
) -> Result<Status, StoreError> {
    // Read without the write lock first: a known triplet (the common case) needs no write.
    if let Some(c) = read_client(conn, &key.client)?.filter(|c| c.allowlisted(now, p)) {
        if !c.manual && now - c.last_seen >= p.refresh() {
            conn.prepare_cached("UPDATE greylist_clients SET last_seen = ?2 WHERE client = ?1")
                .and_then(|mut st| st.execute(params![key.client, now]))
                .map_err(sql_err)?;
        }
        return Ok(Status::ClientAllowed);
    }
    let old = read_triplet(conn, key)?;
    let (status, write) = decide(old.as_ref(), now, p);
    if write.is_none() {
        return Ok(status);
    }
    // Something changes: decide again under the write lock, on what is there now.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_err)?;
    let old = read_triplet(&tx, key)?;
    let (status, write) = decide(old.as_ref(), now, p);
    if let Some(t) = write {
        write_triplet(&tx, key, &t)?;
    }
    if matches!(status, Status::Retried { .. }) {
        tx.prepare_cached(
            "INSERT INTO greylist_clients (client, passes, last_seen, manual) VALUES (?1, 1, ?2, 0)
             ON CONFLICT (client) DO UPDATE SET passes = passes + 1, last_seen = ?2",
        )
        .and_then(|mut st| st.execute(params![key.client, now]))
        .map_err(sql_err)?;
    }
    tx.commit().map_err(sql_err)?;
    Ok(status)
}

fn expire_sync(conn: &Mutex<Connection>, now: i64, p: &Params) -> Result<Expired, StoreError> {
    let mut out = Expired::default();
    let window_cut = now - p.retry_window;
    let age_cut = now - p.max_age;
    loop {
        // One batch per lock, so sessions waiting for the connection get a turn.
        let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
        let n = conn
            .execute(
                "DELETE FROM greylist WHERE (client, sender, rcpt) IN (
                     SELECT client, sender, rcpt FROM greylist
                     WHERE last_seen < ?1 AND (passed = 0 OR last_seen < ?2) LIMIT ?3)",
                params![window_cut, age_cut, EXPIRE_BATCH],
            )
            .map_err(sql_err)?;
        out.triplets += n as u64;
        if (n as i64) < EXPIRE_BATCH {
            break;
        }
    }
    let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
    out.clients = conn
        .execute(
            "DELETE FROM greylist_clients WHERE manual = 0 AND last_seen < ?1",
            [age_cut],
        )
        .map_err(sql_err)? as u64;
    Ok(out)
}

impl GreylistStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn check<'a>(&'a self, key: &'a Key, now: i64, p: &'a Params) -> StoreFuture<'a, Status> {
        let (key, p) = (key.clone(), p.clone());
        self.blocking(move |c| check_sync(c, &key, now, &p))
    }

    fn expire<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Expired> {
        let conn = Arc::clone(&self.conn);
        let p = p.clone();
        Box::pin(async move {
            let job = move || expire_sync(&conn, now, &p);
            match tokio::runtime::Handle::try_current() {
                Ok(h) => h
                    .spawn_blocking(job)
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?,
                Err(_) => job(),
            }
        })
    }

    fn list(&self, filter: ListFilter) -> StoreFuture<'_, Vec<Listed>> {
        self.blocking(move |c| {
            let mut st = c
                .prepare(
                    "SELECT client, sender, rcpt, first_seen, last_seen, passed, attempts
                     FROM greylist
                     WHERE (?1 IS NULL OR instr(client || ' ' || sender || ' ' || rcpt, ?1) > 0)
                       AND (?2 IS NULL OR passed = ?2)
                     ORDER BY last_seen DESC LIMIT ?3",
                )
                .map_err(sql_err)?;
            let contains = filter.contains.map(|s| s.to_ascii_lowercase());
            let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
            let rows = st
                .query_map(params![contains, filter.passed, limit], |r| {
                    Ok(Listed {
                        key: Key {
                            client: r.get(0)?,
                            sender: r.get(1)?,
                            rcpt: r.get(2)?,
                        },
                        triplet: Triplet {
                            first_seen: r.get(3)?,
                            last_seen: r.get(4)?,
                            passed: r.get(5)?,
                            attempts: r.get(6)?,
                        },
                    })
                })
                .map_err(sql_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
        })
    }

    fn list_clients(&self, limit: usize) -> StoreFuture<'_, Vec<ListedClient>> {
        self.blocking(move |c| {
            let mut st = c
                .prepare(
                    "SELECT client, passes, last_seen, manual FROM greylist_clients
                     ORDER BY manual DESC, last_seen DESC LIMIT ?1",
                )
                .map_err(sql_err)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = st
                .query_map([limit], |r| {
                    Ok(ListedClient {
                        client: r.get(0)?,
                        entry: ClientEntry {
                            passes: r.get(1)?,
                            last_seen: r.get(2)?,
                            manual: r.get(3)?,
                        },
                    })
                })
                .map_err(sql_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
        })
    }

    fn stats<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Stats> {
        let p = p.clone();
        let path = self.path.clone();
        self.blocking(move |c| {
            let (greylisted, passed, oldest): (i64, i64, Option<i64>) = c
                .query_row(
                    "SELECT coalesce(sum(passed = 0), 0), coalesce(sum(passed = 1), 0),
                            min(first_seen) FROM greylist",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(sql_err)?;
            let (clients, auto, manual): (i64, i64, i64) = c
                .query_row(
                    "SELECT count(*),
                            coalesce(sum(manual = 0 AND ?1 > 0 AND passes >= ?1
                                         AND last_seen >= ?2), 0),
                            coalesce(sum(manual = 1), 0)
                     FROM greylist_clients",
                    params![p.auto_allowlist, now - p.max_age],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(sql_err)?;
            let size = |suffix: &str| {
                let mut s = path.clone().into_os_string();
                s.push(suffix);
                std::fs::metadata(PathBuf::from(s)).map_or(0, |m| m.len())
            };
            Ok(Stats {
                greylisted,
                passed,
                clients,
                auto_allowlisted: auto,
                manual,
                oldest,
                size_bytes: Some(size("") + size("-wal")),
            })
        })
    }

    fn set_manual<'a>(&'a self, client: &'a str, allow: bool, now: i64) -> StoreFuture<'a, bool> {
        let client = client.to_owned();
        self.blocking(move |c| {
            let n = if allow {
                c.execute(
                    "INSERT INTO greylist_clients (client, passes, last_seen, manual)
                     VALUES (?1, 0, ?2, 1)
                     ON CONFLICT (client) DO UPDATE SET manual = 1, last_seen = ?2
                     WHERE manual = 0",
                    params![client, now],
                )
            } else {
                c.execute(
                    "DELETE FROM greylist_clients WHERE client = ?1 AND manual = 1",
                    [client],
                )
            };
            n.map(|n| n > 0).map_err(sql_err)
        })
    }

    fn put(&self, rows: Vec<Listed>) -> StoreFuture<'_, u64> {
        self.blocking(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            for r in &rows {
                write_triplet(&tx, &r.key, &r.triplet)?;
            }
            tx.commit().map_err(sql_err)?;
            Ok(rows.len() as u64)
        })
    }

    fn clear(&self) -> StoreFuture<'_, u64> {
        self.blocking(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            let n = tx.execute("DELETE FROM greylist", []).map_err(sql_err)?;
            tx.execute("DELETE FROM greylist_clients", [])
                .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(n as u64)
        })
    }
}
