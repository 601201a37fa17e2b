//! Sender access table at MAIL (enforced at the first RCPT with delay_reject), like
//! Postfix's `check_sender_access`: the sender is looked up as access(5) does for
//! addresses — the full address, `user@domain` without the extension, the domain (and
//! its parents), `user@` — and the first key found decides: `OK`/`ALLOW` (accept the
//! message: no more checks for it), `REJECT [text]`, `DEFER [text]`, `NNN text`,
//! `DISCARD`, `DUNNO` (stop looking in this table), `WARN text`.
//!
//! Two sources, tried in this order as Postfix tries two `check_sender_access` tables:
//! a map file (reloaded on change, refused with file:line when broken) and the
//! PostgreSQL table `mxgate_sender_access` (one indexed query per MAIL FROM). A
//! database failure is a temporary error (`on_error`), never a rejection.
//!
//! The null sender is looked up as `<>` (configurable, like Postfix's
//! `smtpd_null_access_lookup_key`).

use super::client_access::{open_watched, AccessAction, AccessMap};
use super::{Check, CheckError, CheckFuture, Finding, Outcome, BuildEnv, CheckSpec, SetupError};
pub use crate::maps::Delimiter;
use crate::address::Address;
use crate::maps::{address_keys, KeyTable, MapFile};
use crate::session::{Session, Stage};
use crate::store::pg::{migrate, timed, StoreError};
use crate::verdict::Action;
use std::path::PathBuf;
use std::sync::Arc;
use crate::values::{check_reload_interval, TimeSpanMs};
use std::time::Duration;

crate::check_config! {
    /// `[checks.sender_access]`. Each entry's action decides; `action` and `reply`
    /// apply to `REJECT` entries.
    pub struct SenderAccessConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// The map file: `pattern action [text]` lines (Postfix access(5) syntax).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub map: Option<PathBuf> = None,
        /// Also look in the PostgreSQL table `mxgate_sender_access` (`[database]`).
        pub database: bool = false,
        /// How often the map file is checked for changes, 10ms to 1d (formerly
        /// `reload_interval_ms`, a number of milliseconds).
        #[serde(alias = "reload_interval_ms")]
        pub reload_interval: TimeSpanMs = TimeSpanMs::from_secs(1),
        /// `example.com` also matches `sub.example.com` (Postfix's default, with
        /// smtpd_access_maps in parent_domain_matches_subdomains). Off: only
        /// `.example.com` entries match subdomains.
        pub parent_domains: bool = true,
        /// Recipient delimiter (`"+"`): `user+ext@domain` also matches `user@domain`
        /// and `user@`.
        pub recipient_delimiter: Delimiter = Delimiter(None),
        /// The key the null sender is looked up as; `""`: not looked up.
        pub null_sender_key: String = "<>".to_owned(),
    }
}

/// Schema of `mxgate_sender_access` (component `sender_access`), append-only.
///
/// A table of its own rather than a `kind` column in the recipient denylist: the two
/// checks differ in actions (allow/defer/NNN text here; drop-recipient there), in
/// lifecycle (the denylist is fed by bounce imports and expires entries) and in who
/// edits them, and neither should need a migration when the other changes.
pub const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS mxgate_sender_access (
        pattern text PRIMARY KEY
            CHECK (pattern <> '' AND pattern = lower(pattern)),
        action text NOT NULL
            CHECK (action ~* '^(ok|allow|permit|reject|defer|tempfail|discard|dunno|warn|[45][0-9][0-9])([[:space:]]|$)'),
        note text,
        created timestamptz NOT NULL DEFAULT now()
    )"];

/// The sender access check as a plugin.
pub struct SenderAccess;

impl CheckSpec for SenderAccess {
    const NAME: &'static str = "sender_access";
    const STAGES: &'static [Stage] = &[Stage::Mail];
    const SUMMARY: &'static str = "sender access table (access(5) lookup order; map file and/or PostgreSQL)";
    type Config = SenderAccessConfig;

    fn validate(cfg: &SenderAccessConfig) -> Result<(), SetupError> {
        check_reload_interval(cfg.reload_interval)?;
        if cfg.map.is_none() && !cfg.database {
            return Err(SetupError::section(
                "neither map nor database is set: nothing to look senders up in",
            ));
        }
        Ok(())
    }

    fn build(cfg: &SenderAccessConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Self::validate(cfg)?;
        let map = match cfg.map.as_deref() {
            Some(path) => Some(
                open_watched::<KeyTable>(path, cfg.reload_interval.get())
                    .map_err(|m| SetupError::key("map", m))?,
            ),
            None => None,
        };
        let db = if cfg.database {
            Some(Db {
                pool: env.pool()?,
                timeout: env.database.query_timeout(),
                migrate: env.database.migrate_on_start,
                migrated: tokio::sync::OnceCell::new(),
            })
        } else {
            None
        };
        Ok(Box::new(SenderAccessCheck {
            cfg: cfg.clone(),
            map,
            db,
        }))
    }
}

struct Db {
    pool: deadpool_postgres::Pool,
    timeout: Duration,
    migrate: bool,
    migrated: tokio::sync::OnceCell<()>,
}

impl Db {
    /// The first (in `keys` order) key with a row, and its action text.
    async fn lookup(&self, keys: &[String]) -> Result<Option<(String, String)>, StoreError> {
        let mut client = self.pool.get().await?;
        if self.migrate {
            // Once per process, on first use: build runs outside async code, and a
            // database that is down at start must not stop mxgate.
            self.migrated
                .get_or_try_init(|| async { migrate(&mut client, "sender_access", SCHEMA).await })
                .await?;
        }
        let stmt = client
            .prepare_cached(
                "SELECT pattern, action FROM mxgate_sender_access WHERE pattern = ANY($1)",
            )
            .await?;
        let rows = client.query(&stmt, &[&keys]).await?;
        let found: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(keys
            .iter()
            .find_map(|k| found.iter().find(|(p, _)| p == k).cloned()))
    }
}

/// The sender access check.
pub struct SenderAccessCheck {
    cfg: SenderAccessConfig,
    map: Option<Arc<MapFile<AccessMap<KeyTable>>>>,
    db: Option<Db>,
}

impl SenderAccessCheck {
    /// The keys tried for `sender`, most specific first.
    pub fn keys(&self, sender: &str) -> Vec<String> {
        sender_keys(
            sender,
            &self.cfg.null_sender_key,
            self.cfg.recipient_delimiter.0,
            self.cfg.parent_domains,
        )
    }

    async fn run(&self, session: &Session) -> Result<Outcome, CheckError> {
        let sender = session.tx.sender.as_str();
        let keys = self.keys(sender);
        if keys.is_empty() {
            return Ok(Finding::Pass.into());
        }
        let shown = if sender.is_empty() {
            "<>".to_owned()
        } else {
            format!("<{sender}>")
        };
        let prefix = format!("{}: Sender address rejected", crate::text::printable(&shown, 400));
        let common = self.cfg.common();
        if let Some(map) = &self.map {
            let table = map.table();
            for key in &keys {
                let Some(entry) = table.table.get(key) else {
                    continue;
                };
                let Some(action) = table.action(entry.line) else {
                    break;
                };
                let reason = format!(
                    "sender {} matches {key} ({}:{})",
                    crate::text::printable(&shown, 400),
                    map.path().display(),
                    entry.line
                );
                // DUNNO ends the search in this table only; the database still counts,
                // as a second check_sender_access table would in Postfix.
                match action.finding(&reason, &prefix, &common) {
                    Finding::Pass => break,
                    hit => return Ok(hit.into()),
                }
            }
        }
        if let Some(db) = &self.db {
            let found = timed(db.timeout, db.lookup(&keys))
                .await
                .map_err(|e| CheckError::temporary(format!("sender access table: {e}"), None))?;
            if let Some((key, value)) = found {
                match AccessAction::parse(&value) {
                    Ok(action) => {
                        let reason = format!(
                            "sender {} matches {key} (mxgate_sender_access)",
                            crate::text::printable(&shown, 400)
                        );
                        return Ok(action.finding(&reason, &prefix, &common).into());
                    }
                    Err(e) => tracing::error!(
                        pattern = %key, error = %e,
                        "mxgate_sender_access: unusable action ignored; fix the row"
                    ),
                }
            }
        }
        Ok(Finding::Pass.into())
    }
}

/// access(5) keys for a sender: the null sender as `null_key` (none when empty), else
/// [`address_keys`], where without `parents` a bare parent domain is not tried (only
/// `.parent`, as Postfix does when smtpd_access_maps is not in
/// parent_domain_matches_subdomains).
pub fn sender_keys(
    sender: &str,
    null_key: &str,
    delimiter: Option<char>,
    parents: bool,
) -> Vec<String> {
    if sender.is_empty() {
        return if null_key.is_empty() {
            Vec::new()
        } else {
            vec![null_key.to_ascii_lowercase()]
        };
    }
    let keys = address_keys(sender, delimiter, true);
    if parents {
        return keys;
    }
    let domain = Address::domain_of(sender).to_ascii_lowercase();
    keys.into_iter()
        .filter(|k| k.contains('@') || k.starts_with('.') || *k == domain)
        .collect()
}

impl Check for SenderAccessCheck {
    fn name(&self) -> &'static str {
        "sender_access"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Mail]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(self.run(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_access_5_with_and_without_parents() {
        assert_eq!(
            sender_keys("Bob+x@Mail.Spam.Example", "<>", Some('+'), true),
            vec![
                "bob+x@mail.spam.example",
                "bob@mail.spam.example",
                "mail.spam.example",
                ".spam.example",
                "spam.example",
                "bob+x@",
                "bob@",
            ]
        );
        assert_eq!(
            sender_keys("bob@mail.spam.example", "<>", None, false),
            vec![
                "bob@mail.spam.example",
                "mail.spam.example",
                ".spam.example",
                "bob@"
            ]
        );
        assert_eq!(sender_keys("", "<>", None, true), vec!["<>"]);
        assert!(sender_keys("", "", None, true).is_empty());
    }

    #[test]
    fn delimiter_is_validated() {
        assert!(Delimiter::try_from("+".to_owned()).is_ok());
        assert_eq!(Delimiter::try_from(String::new()).unwrap(), Delimiter(None));
        assert!(Delimiter::try_from("+-".to_owned()).is_err());
        assert!(Delimiter::try_from("@".to_owned()).is_err());
    }
}
