//! The denylist in PostgreSQL: schema, one indexed query per recipient, and the
//! in-memory mirror kept fresh with LISTEN/NOTIFY.
//!
//! A statement-level trigger notifies channel `mxgate_denylist` with the changed keys
//! (newline-separated) or `*` when a statement touched more than 100 rows; the listener
//! re-reads just those keys, or the whole table. The mirror is loaded after LISTEN, so no
//! change between load and listen is lost; after a lost connection it reconnects and
//! reloads everything. While the database is unreachable a warm mirror keeps serving.

use super::{DenyAction, DenyEntry, Source};
use crate::store::pg::{migrate, timed, DbConfig, StoreError};
use deadpool_postgres::Pool;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use tokio_postgres::{AsyncMessage, NoTls};

/// The NOTIFY channel.
pub const CHANNEL: &str = "mxgate_denylist";

/// Schema steps for `migrate(client, "denylist", SCHEMA)`; append-only.
pub const SCHEMA: &[&str] = &[r#"
CREATE TABLE mxgate_denylist (
    key     text PRIMARY KEY
            CHECK (key = lower(key) AND key <> '' AND key !~ '[[:space:][:cntrl:]]'),
    action  text NOT NULL CHECK (action IN ('drop', 'discard', 'reject', 'ok')),
    reason  text NOT NULL DEFAULT '',
    source  text NOT NULL DEFAULT 'manual'
            CHECK (source IN ('manual', 'ses-bounce', 'ses-complaint', 'import')),
    created timestamptz NOT NULL DEFAULT now(),
    expires timestamptz
);
CREATE FUNCTION mxgate_denylist_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys text[];
BEGIN
    -- Transition tables exist only for the events their trigger was declared with, and
    -- plpgsql plans each branch when it first runs, so each branch names only its own.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(key) INTO keys FROM (SELECT key FROM new_rows LIMIT 101) s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(key) INTO keys FROM (SELECT key FROM old_rows LIMIT 101) s;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(key) INTO keys
          FROM (SELECT key FROM new_rows UNION SELECT key FROM old_rows LIMIT 101) s;
    END IF;
    IF TG_OP = 'TRUNCATE' OR cardinality(keys) > 100
       OR length(array_to_string(keys, E'\n')) > 7000 THEN
        PERFORM pg_notify('mxgate_denylist', '*');
    ELSIF cardinality(keys) > 0 THEN
        PERFORM pg_notify('mxgate_denylist', array_to_string(keys, E'\n'));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER mxgate_denylist_ins AFTER INSERT ON mxgate_denylist
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mxgate_denylist_notify();
CREATE TRIGGER mxgate_denylist_upd AFTER UPDATE ON mxgate_denylist
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mxgate_denylist_notify();
CREATE TRIGGER mxgate_denylist_del AFTER DELETE ON mxgate_denylist
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mxgate_denylist_notify();
CREATE TRIGGER mxgate_denylist_trunc AFTER TRUNCATE ON mxgate_denylist
    FOR EACH STATEMENT EXECUTE FUNCTION mxgate_denylist_notify();
"#];

const COLUMNS: &str = "key, action, reason, source, (extract(epoch FROM expires))::int8 AS expires";

/// Live entries for a set of keys: what both the per-recipient query and the listener's
/// partial reloads run.
const BY_KEYS: &str = "SELECT key, action, reason, source, (extract(epoch FROM expires))::int8 \
     FROM mxgate_denylist WHERE key = ANY($1) AND (expires IS NULL OR expires > now())";

/// Rows fetched per round trip when loading the whole table.
const LOAD_BATCH: i32 = 20_000;

fn entry_of(row: &tokio_postgres::Row) -> Result<(String, DenyEntry), StoreError> {
    let key: String = row
        .try_get(0)
        .map_err(|e| StoreError::Query(e.to_string()))?;
    let action: &str = row
        .try_get(1)
        .map_err(|e| StoreError::Query(e.to_string()))?;
    let reason: &str = row
        .try_get(2)
        .map_err(|e| StoreError::Query(e.to_string()))?;
    let source: &str = row
        .try_get(3)
        .map_err(|e| StoreError::Query(e.to_string()))?;
    let expires: Option<i64> = row
        .try_get(4)
        .map_err(|e| StoreError::Query(e.to_string()))?;
    let action = DenyAction::parse(action)
        .ok_or_else(|| StoreError::Query(format!("denylist {key:?}: unknown action {action:?}")))?;
    Ok((
        key,
        DenyEntry {
            action,
            reason: reason.into(),
            source: Source::parse(source).unwrap_or(Source::Import),
            expires,
        },
    ))
}

/// The denylist table, queried directly or through the shared mirror.
pub struct PgDenylist {
    pool: Pool,
    timeout: Duration,
    migrate: bool,
    migrated: AtomicBool,
    cache: Option<Arc<Cache>>,
}

impl PgDenylist {
    /// Sets up the backend; with `cache`, starts (or joins) the mirror for this database.
    /// Never connects here, so a database that is down does not stop mxgate starting.
    pub fn new(db: &DbConfig, pool: Pool, cache: bool) -> Result<Self, String> {
        let cache = if cache {
            Some(Cache::shared(db).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(PgDenylist {
            pool,
            timeout: db.query_timeout(),
            migrate: db.migrate_on_start,
            migrated: AtomicBool::new(false),
            cache,
        })
    }

    /// The first live entry among `keys` (precedence order): from the mirror when it is
    /// loaded, else with one query.
    pub async fn lookup(
        &self,
        keys: &[String],
        now: i64,
    ) -> Result<Option<(String, DenyEntry)>, StoreError> {
        if let Some(cache) = &self.cache {
            if let Some(found) = cache.lookup(keys, now) {
                return Ok(found);
            }
        }
        timed(self.timeout, self.query(keys)).await
    }

    async fn query(&self, keys: &[String]) -> Result<Option<(String, DenyEntry)>, StoreError> {
        let mut client = self.pool.get().await?;
        if self.migrate && !self.migrated.load(Ordering::Relaxed) {
            migrate(&mut client, "denylist", SCHEMA).await?;
            self.migrated.store(true, Ordering::Relaxed);
        }
        let stmt = client.prepare_cached(BY_KEYS).await?;
        let rows = client.query(&stmt, &[&keys]).await?;
        let mut found: HashMap<String, DenyEntry> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let (k, e) = entry_of(row)?;
            found.insert(k, e);
        }
        Ok(keys.iter().find_map(|k| found.remove_entry(k.as_str())))
    }

    /// True once the mirror holds the whole table (for tests and the log).
    pub fn cache_warm(&self) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|c| c.state.warm.load(Ordering::Acquire))
    }
}

#[derive(Default)]
struct CacheState {
    map: RwLock<HashMap<Box<str>, DenyEntry>>,
    warm: AtomicBool,
}

/// The in-memory mirror of the table, shared by every check built for the same
/// `[database]` (so a config reload keeps it warm), with its listener task.
pub struct Cache {
    state: Arc<CacheState>,
    task: Option<tokio::task::AbortHandle>,
}

impl Drop for Cache {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

type Registry = Mutex<Vec<(String, Weak<Cache>)>>;

fn registry() -> &'static Registry {
    static CACHES: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    CACHES.get_or_init(Default::default)
}

impl Cache {
    fn shared(db: &DbConfig) -> Result<Arc<Cache>, StoreError> {
        // The whole section is the identity: another database, user or password is
        // another mirror.
        let id = format!("{db:?}");
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|(_, w)| w.strong_count() > 0);
        if let Some(c) = reg
            .iter()
            .find(|(k, _)| *k == id)
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(c);
        }
        let pg = db.pg_config()?;
        let state = Arc::new(CacheState::default());
        // Outside a runtime (check-config) there is nothing to keep fresh.
        let task = tokio::runtime::Handle::try_current().ok().map(|h| {
            h.spawn(listen_loop(
                Arc::clone(&state),
                pg,
                db.migrate_on_start,
                db.query_timeout(),
            ))
            .abort_handle()
        });
        let weak_state = Arc::downgrade(&state);
        crate::metrics::global().register_gauge(
            "mxgate_denylist_cache_entries",
            "Entries of the PostgreSQL denylist held in memory (absent while not loaded).",
            move || {
                let st = weak_state.upgrade()?;
                if !st.warm.load(Ordering::Acquire) {
                    return None;
                }
                let n = st
                    .map
                    .read()
                    .map(|m| m.len())
                    .unwrap_or_else(|p| p.into_inner().len());
                Some(n as f64)
            },
        );
        let cache = Arc::new(Cache { state, task });
        reg.push((id, Arc::downgrade(&cache)));
        Ok(cache)
    }

    /// None while the mirror is not loaded yet (the caller queries instead).
    #[allow(clippy::type_complexity)]
    fn lookup(&self, keys: &[String], now: i64) -> Option<Option<(String, DenyEntry)>> {
        if !self.state.warm.load(Ordering::Acquire) {
            return None;
        }
        let map = self.state.map.read().unwrap_or_else(|p| p.into_inner());
        Some(keys.iter().find_map(|k| {
            map.get(k.as_str())
                .filter(|e| e.live(now))
                .map(|e| (k.clone(), e.clone()))
        }))
    }
}

async fn listen_loop(
    state: Arc<CacheState>,
    pg: tokio_postgres::Config,
    migrate_schema: bool,
    query_timeout: Duration,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let started = std::time::Instant::now();
        if let Err(e) = listen_once(&state, &pg, migrate_schema, query_timeout).await {
            let warm = state.warm.load(Ordering::Acquire);
            tracing::warn!(error = %e, cache_warm = warm,
                "denylist: database listener down; {}",
                if warm { "serving the cached table" } else { "lookups query the database" });
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(200);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listen_once(
    state: &CacheState,
    pg: &tokio_postgres::Config,
    migrate_schema: bool,
    query_timeout: Duration,
) -> Result<(), StoreError> {
    let (mut client, mut conn) = pg.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The connection must be polled for queries to progress; poll_message does that and
    // hands us the notifications. It ends (closing the channel) when the connection does.
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "denylist listener connection failed");
                    return;
                }
                None => return,
            }
        }
    });
    let _stop_driver = crate::task::AbortOnDrop::new(driver.abort_handle());
    if migrate_schema {
        timed(query_timeout * 10, migrate(&mut client, "denylist", SCHEMA)).await?;
    }
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    load_all(&mut client, state).await?;
    while let Some(first) = rx.recv().await {
        // Coalesce whatever else arrived meanwhile: a burst of changes is one reload.
        let mut all = false;
        let mut keys: HashSet<String> = HashSet::new();
        let mut take = |payload: String| {
            if payload == "*" {
                all = true;
            } else if !all {
                keys.extend(
                    payload
                        .split('\n')
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned),
                );
            }
        };
        take(first);
        while let Ok(p) = rx.try_recv() {
            take(p);
        }
        if all || keys.len() > 10_000 {
            load_all(&mut client, state).await?;
        } else {
            load_keys(&client, state, keys, query_timeout).await?;
        }
    }
    Err(StoreError::Unavailable("listener connection closed".into()))
}

/// Reads the whole table in batches inside one snapshot, then swaps it in.
async fn load_all(
    client: &mut tokio_postgres::Client,
    state: &CacheState,
) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let tx = client.transaction().await?;
    let sql =
        format!("SELECT {COLUMNS} FROM mxgate_denylist WHERE expires IS NULL OR expires > now()");
    let portal = tx.bind(sql.as_str(), &[]).await?;
    let mut map: HashMap<Box<str>, DenyEntry> = HashMap::new();
    loop {
        let rows = tx.query_portal(&portal, LOAD_BATCH).await?;
        let n = rows.len();
        for row in &rows {
            let (k, e) = entry_of(row)?;
            map.insert(k.into_boxed_str(), e);
        }
        if n < LOAD_BATCH as usize {
            break;
        }
        // Let sessions run between batches on a current-thread runtime.
        tokio::task::yield_now().await;
    }
    tx.commit().await?;
    let n = map.len();
    *state.map.write().unwrap_or_else(|p| p.into_inner()) = map;
    state.warm.store(true, Ordering::Release);
    tracing::info!(
        entries = n,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "denylist: table loaded into the cache"
    );
    Ok(())
}

/// Re-reads the notified keys: present ones are replaced, absent (or expired) removed.
async fn load_keys(
    client: &tokio_postgres::Client,
    state: &CacheState,
    keys: HashSet<String>,
    limit: Duration,
) -> Result<(), StoreError> {
    let list: Vec<String> = keys.into_iter().collect();
    let rows = timed(limit, async { Ok(client.query(BY_KEYS, &[&list]).await?) }).await?;
    let mut fresh: HashMap<String, DenyEntry> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let (k, e) = entry_of(row)?;
        fresh.insert(k, e);
    }
    let mut map = state.map.write().unwrap_or_else(|p| p.into_inner());
    for k in list {
        match fresh.remove(&k) {
            Some(e) => {
                map.insert(k.into_boxed_str(), e);
            }
            None => {
                map.remove(k.as_str());
            }
        }
    }
    tracing::debug!(
        entries = map.len(),
        "denylist: cache updated from notification"
    );
    Ok(())
}
