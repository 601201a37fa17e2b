//! PostgreSQL connection pool and schema migrations, shared by every check that keeps
//! state in the database (denylist, relay recipients, sender access, greylist).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};

use crate::values::{check_count, SetupError, TimeSpanMs};
use std::path::PathBuf;
use std::time::Duration;
use tokio_postgres::NoTls;

crate::section_config! {
    /// `[database]`: how to reach PostgreSQL. The password never appears in the config
    /// itself (nor in logs): it comes from `password_file` or `$MXGATE_DB_PASSWORD`.
    #[derive(PartialEq)]
    pub struct DbConfig {
        /// Host name, IP address, or the directory of a unix socket (`/var/run/postgresql`).
        pub host: String = "/var/run/postgresql".into(),
        /// Port (also selects the unix socket file `.s.PGSQL.PORT`).
        pub port: u16 = 5432,
        /// Database user.
        pub user: String = "mxgate".into(),
        /// Database name.
        pub dbname: String = "mxgate".into(),
        /// File whose first line is the password (mode 0600, readable by mxgate).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub password_file: Option<PathBuf> = None,
        /// Connections kept open, 1 to 1000.
        pub pool_size: usize = 8,
        /// Time to connect, or to wait for a free connection, 10ms to 5m (formerly
        /// `connect_timeout_ms`, a number of milliseconds).
        #[serde(alias = "connect_timeout_ms")]
        pub connect_timeout: TimeSpanMs = TimeSpanMs::from_secs(2),
        /// Time one query may take before it counts as a database failure, 10ms to 5m
        /// (formerly `query_timeout_ms`, a number of milliseconds).
        #[serde(alias = "query_timeout_ms")]
        pub query_timeout: TimeSpanMs = TimeSpanMs::from_secs(1),
        /// Apply schema migrations at start-up (else `mxgate denylist init` etc. do it).
        pub migrate_on_start: bool = true,
    }
}

/// A database failure, classified like DNS errors: checks map `Unavailable` to their
/// `on_error`; nothing here is ever a permanent verdict.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Cannot connect, pool exhausted, timeout: may go away.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answered with an error (schema, constraint, syntax).
    #[error("database error: {0}")]
    Query(String),
    /// Configuration (password file, …).
    #[error("database configuration: {0}")]
    Config(String),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.as_db_error().is_some() {
            StoreError::Query(e.to_string())
        } else {
            StoreError::Unavailable(e.to_string())
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

impl DbConfig {
    fn password(&self) -> Result<Option<String>, StoreError> {
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                StoreError::Config(format!("cannot read password_file {}: {e}", path.display()))
            })?;
            return Ok(text.lines().next().map(|l| l.trim_end().to_owned()));
        }
        Ok(std::env::var("MXGATE_DB_PASSWORD").ok())
    }

    /// A pool; connections are made on first use, so this succeeds with the database down.
    pub fn pool(&self) -> Result<Pool, StoreError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("mxgate")
            .connect_timeout(self.connect_timeout.get().max(Duration::from_millis(1)));
        if let Some(p) = self.password()? {
            pg.password(p);
        }
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let t = self.connect_timeout.get().max(Duration::from_millis(1));
        Pool::builder(manager)
            .max_size(self.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(t),
                create: Some(t),
                recycle: Some(t),
            })
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))
    }

    /// The tokio-postgres settings for a dedicated connection outside the pool (LISTEN
    /// needs one: a pooled connection would be recycled under the listener).
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, StoreError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("mxgate")
            .connect_timeout(self.connect_timeout.get().max(Duration::from_millis(1)));
        if let Some(p) = self.password()? {
            pg.password(p);
        }
        Ok(pg)
    }

    /// The per-query time limit.
    pub fn query_timeout(&self) -> Duration {
        self.query_timeout.get().max(Duration::from_millis(1))
    }

    /// The ranges of the numeric keys; the key in the error is inside `[database]`.
    pub fn validate(&self) -> Result<(), SetupError> {
        check_count("pool_size", self.pool_size, 1..=1000)?;
        let (min, max) = (TimeSpanMs::from_millis(10), TimeSpanMs::from_secs(300));
        self.connect_timeout.check("connect_timeout", min, max)?;
        self.query_timeout.check("query_timeout", min, max)
    }
}

/// Runs `f` under the query timeout, turning a timeout into `Unavailable`.
pub async fn timed<T>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| Err(StoreError::Unavailable("query timed out".into())))
}

/// Applies the missing steps of `component`'s schema, each in a transaction, under an
/// advisory lock so two MX hosts starting together do not race. Steps are append-only:
/// step N (1-based) runs once, ever.
pub async fn migrate(
    client: &mut tokio_postgres::Client,
    component: &str,
    steps: &[&str],
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('mxgate_schema'))",
        &[],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS mxgate_schema (
             component text PRIMARY KEY,
             version integer NOT NULL,
             updated timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i32 = tx
        .query_opt(
            "SELECT version FROM mxgate_schema WHERE component = $1",
            &[&component],
        )
        .await?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let current = usize::try_from(current).unwrap_or(0);
    for (i, step) in steps.iter().enumerate().skip(current) {
        tx.batch_execute(step)
            .await
            .map_err(|e| StoreError::Query(format!("{component} schema step {}: {e}", i + 1)))?;
    }
    if steps.len() > current {
        let version = i32::try_from(steps.len()).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO mxgate_schema (component, version) VALUES ($1, $2)
             ON CONFLICT (component) DO UPDATE SET version = $2, updated = now()",
            &[&component, &version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
