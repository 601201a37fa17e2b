//! The shared greylist store: PostgreSQL, so several MX hosts see one greylist (a
//! message greylisted at mx1 and retried at mx2 passes).
//!
//! Round trips per RCPT: one read for a known triplet (the common case) or an
//! allowlisted client; a read and an `INSERT … ON CONFLICT DO NOTHING` for a new one.
//! Anything else changes a row: a transaction re-reads it `FOR UPDATE` and decides again,
//! so two hosts racing on one retry serialise on the row and never both greylist it, and
//! two first attempts insert one row. Times are the MX hosts' clocks (keep them in NTP).

use super::logic::{
    decide, ClientEntry, Expired, GreylistStore, Key, ListFilter, Listed, ListedClient, Params,
    Stats, Status, StoreFuture, Triplet,
};
use crate::store::pg::{migrate, timed, StoreError};
use deadpool_postgres::Pool;
use std::time::Duration;

/// Schema steps (append-only; see [`crate::store::pg::migrate`]).
pub const STEPS: &[&str] = &["CREATE TABLE greylist (
         client text NOT NULL, sender text NOT NULL, rcpt text NOT NULL,
         first_seen bigint NOT NULL, last_seen bigint NOT NULL,
         passed boolean NOT NULL, attempts bigint NOT NULL,
         PRIMARY KEY (client, sender, rcpt));
     CREATE INDEX greylist_last_seen ON greylist (last_seen);
     CREATE TABLE greylist_clients (
         client text PRIMARY KEY, passes bigint NOT NULL,
         last_seen bigint NOT NULL, manual boolean NOT NULL DEFAULT false);"];

const READ: &str = "SELECT c.passes, c.last_seen, c.manual,
            t.first_seen, t.last_seen, t.passed, t.attempts
     FROM (SELECT 1) AS one
     LEFT JOIN greylist_clients c ON c.client = $1
     LEFT JOIN greylist t ON t.client = $1 AND t.sender = $2 AND t.rcpt = $3";

const UPSERT: &str =
    "INSERT INTO greylist (client, sender, rcpt, first_seen, last_seen, passed, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (client, sender, rcpt) DO UPDATE SET first_seen = $4, last_seen = $5,
         passed = $6, attempts = $7";

/// Rows deleted per expiry statement.
const EXPIRE_BATCH: i64 = 5000;

/// The PostgreSQL greylist store over the shared pool.
pub struct PgStore {
    pool: Pool,
    timeout: Duration,
    migrate_on_use: bool,
    schema: tokio::sync::OnceCell<()>,
}

impl PgStore {
    /// A store over `pool`; each operation is bounded by `timeout`. With `migrate`, the
    /// schema is brought up to date on first use (not at build: the database may be down
    /// when mxgate starts, and that must not stop it).
    pub fn new(pool: Pool, timeout: Duration, migrate: bool) -> PgStore {
        PgStore {
            pool,
            timeout,
            migrate_on_use: migrate,
            schema: tokio::sync::OnceCell::new(),
        }
    }

    /// Applies the schema now.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.pool.get().await?;
        migrate(&mut c, "greylist", STEPS).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        if self.migrate_on_use {
            self.schema
                .get_or_try_init(|| async { self.migrate().await })
                .await?;
        }
        Ok(self.pool.get().await?)
    }

    async fn check_inner(&self, key: &Key, now: i64, p: &Params) -> Result<Status, StoreError> {
        let mut c = self.client().await?;
        let st = c.prepare_cached(READ).await?;
        let row = c
            .query_one(&st, &[&key.client, &key.sender, &key.rcpt])
            .await?;
        let client = row.get::<_, Option<i64>>(0).map(|passes| ClientEntry {
            passes,
            last_seen: row.get(1),
            manual: row.get(2),
        });
        if let Some(ce) = client.filter(|ce| ce.allowlisted(now, p)) {
            if !ce.manual && now - ce.last_seen >= p.refresh() {
                c.execute(
                    "UPDATE greylist_clients SET last_seen = $2 WHERE client = $1",
                    &[&key.client, &now],
                )
                .await?;
            }
            return Ok(Status::ClientAllowed);
        }
        let old = row.get::<_, Option<i64>>(3).map(|first_seen| Triplet {
            first_seen,
            last_seen: row.get(4),
            passed: row.get(5),
            attempts: row.get(6),
        });
        let (status, write) = decide(old.as_ref(), now, p);
        let Some(new) = write else {
            return Ok(status);
        };
        if old.is_none() {
            let st = c
                .prepare_cached(
                    "INSERT INTO greylist (client, sender, rcpt, first_seen, last_seen, passed, attempts)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .await?;
            let n = c
                .execute(
                    &st,
                    &[
                        &key.client,
                        &key.sender,
                        &key.rcpt,
                        &new.first_seen,
                        &new.last_seen,
                        &new.passed,
                        &new.attempts,
                    ],
                )
                .await?;
            if n == 1 {
                return Ok(status);
            }
            // Another host inserted it meanwhile: decide on its row below.
        }
        let tx = c.transaction().await?;
        let st = tx
            .prepare_cached(
                "SELECT first_seen, last_seen, passed, attempts FROM greylist
                 WHERE client = $1 AND sender = $2 AND rcpt = $3 FOR UPDATE",
            )
            .await?;
        let old = tx
            .query_opt(&st, &[&key.client, &key.sender, &key.rcpt])
            .await?
            .map(|r| Triplet {
                first_seen: r.get(0),
                last_seen: r.get(1),
                passed: r.get(2),
                attempts: r.get(3),
            });
        let (status, write) = decide(old.as_ref(), now, p);
        if let Some(t) = write {
            let st = tx.prepare_cached(UPSERT).await?;
            tx.execute(
                &st,
                &[
                    &key.client,
                    &key.sender,
                    &key.rcpt,
                    &t.first_seen,
                    &t.last_seen,
                    &t.passed,
                    &t.attempts,
                ],
            )
            .await?;
        }
        if matches!(status, Status::Retried { .. }) {
            let st = tx
                .prepare_cached(
                    "INSERT INTO greylist_clients (client, passes, last_seen) VALUES ($1, 1, $2)
                     ON CONFLICT (client) DO UPDATE
                     SET passes = greylist_clients.passes + 1, last_seen = $2",
                )
                .await?;
            tx.execute(&st, &[&key.client, &now]).await?;
        }
        tx.commit().await?;
        Ok(status)
    }
}

impl GreylistStore for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn check<'a>(&'a self, key: &'a Key, now: i64, p: &'a Params) -> StoreFuture<'a, Status> {
        Box::pin(timed(self.timeout, self.check_inner(key, now, p)))
    }

    fn expire<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Expired> {
        Box::pin(async move {
            let c = self.client().await?;
            let mut out = Expired::default();
            loop {
                let n = timed(self.timeout * 10, async {
                    Ok(c.execute(
                        "DELETE FROM greylist WHERE (client, sender, rcpt) IN (
                             SELECT client, sender, rcpt FROM greylist
                             WHERE last_seen < $1 AND (NOT passed OR last_seen < $2)
                             LIMIT $3)",
                        &[&(now - p.retry_window), &(now - p.max_age), &EXPIRE_BATCH],
                    )
                    .await?)
                })
                .await?;
                out.triplets += n;
                if (n as i64) < EXPIRE_BATCH {
                    break;
                }
            }
            out.clients = c
                .execute(
                    "DELETE FROM greylist_clients WHERE NOT manual AND last_seen < $1",
                    &[&(now - p.max_age)],
                )
                .await?;
            Ok(out)
        })
    }

    fn list(&self, filter: ListFilter) -> StoreFuture<'_, Vec<Listed>> {
        Box::pin(async move {
            let c = self.client().await?;
            let contains = filter.contains.map(|s| s.to_ascii_lowercase());
            let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
            let rows = c
                .query(
                    "SELECT client, sender, rcpt, first_seen, last_seen, passed, attempts
                     FROM greylist
                     WHERE ($1::text IS NULL
                            OR strpos(client || ' ' || sender || ' ' || rcpt, $1) > 0)
                       AND ($2::boolean IS NULL OR passed = $2)
                     ORDER BY last_seen DESC LIMIT $3",
                    &[&contains, &filter.passed, &limit],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| Listed {
                    key: Key {
                        client: r.get(0),
                        sender: r.get(1),
                        rcpt: r.get(2),
                    },
                    triplet: Triplet {
                        first_seen: r.get(3),
                        last_seen: r.get(4),
                        passed: r.get(5),
                        attempts: r.get(6),
                    },
                })
                .collect())
        })
    }

    fn list_clients(&self, limit: usize) -> StoreFuture<'_, Vec<ListedClient>> {
        Box::pin(async move {
            let c = self.client().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c
                .query(
                    "SELECT client, passes, last_seen, manual FROM greylist_clients
                     ORDER BY manual DESC, last_seen DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| ListedClient {
                    client: r.get(0),
                    entry: ClientEntry {
                        passes: r.get(1),
                        last_seen: r.get(2),
                        manual: r.get(3),
                    },
                })
                .collect())
        })
    }

    fn stats<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Stats> {
        Box::pin(async move {
            let c = self.client().await?;
            let t = c
                .query_one(
                    "SELECT count(*) FILTER (WHERE NOT passed), count(*) FILTER (WHERE passed),
                            min(first_seen),
                            pg_total_relation_size('greylist')
                              + pg_total_relation_size('greylist_clients')
                     FROM greylist",
                    &[],
                )
                .await?;
            let k = c
                .query_one(
                    "SELECT count(*),
                            count(*) FILTER (WHERE NOT manual AND $1::bigint > 0 AND passes >= $1::bigint
                                             AND last_seen >= $2::bigint),
                            count(*) FILTER (WHERE manual)
                     FROM greylist_clients",
                    &[&p.auto_allowlist, &(now - p.max_age)],
                )
                .await?;
            Ok(Stats {
                greylisted: t.get(0),
                passed: t.get(1),
                oldest: t.get(2),
                size_bytes: t
                    .get::<_, Option<i64>>(3)
                    .and_then(|s| u64::try_from(s).ok()),
                clients: k.get(0),
                auto_allowlisted: k.get(1),
                manual: k.get(2),
            })
        })
    }

    fn set_manual<'a>(&'a self, client: &'a str, allow: bool, now: i64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let c = self.client().await?;
            let n = if allow {
                c.execute(
                    "INSERT INTO greylist_clients (client, passes, last_seen, manual)
                     VALUES ($1, 0, $2, true)
                     ON CONFLICT (client) DO UPDATE SET manual = true, last_seen = $2
                     WHERE NOT greylist_clients.manual",
                    &[&client, &now],
                )
                .await?
            } else {
                c.execute(
                    "DELETE FROM greylist_clients WHERE client = $1 AND manual",
                    &[&client],
                )
                .await?
            };
            Ok(n > 0)
        })
    }

    fn put(&self, rows: Vec<Listed>) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let st = tx.prepare_cached(UPSERT).await?;
            for r in &rows {
                let (k, t) = (&r.key, &r.triplet);
                tx.execute(
                    &st,
                    &[
                        &k.client,
                        &k.sender,
                        &k.rcpt,
                        &t.first_seen,
                        &t.last_seen,
                        &t.passed,
                        &t.attempts,
                    ],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        })
    }

    fn clear(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let n = tx.execute("DELETE FROM greylist", &[]).await?;
            tx.execute("DELETE FROM greylist_clients", &[]).await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}
