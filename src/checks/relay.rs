//! Relay-recipient validation at RCPT, as Postfix's `relay_domains` +
//! `relay_recipient_maps`: a backup MX or inbound relay accepts mail only for the
//! recipients that exist behind it, instead of queueing mail for nobody and bouncing it
//! later (backscatter).
//!
//! Relayed domains are the configured `domains` plus every domain that has an entry in
//! the map file or the table. Valid recipients: `user@domain` entries, and `@domain`
//! wildcards that accept any user of a domain; the value of an entry is ignored, as in
//! Postfix. A recipient in a relayed domain that is not listed gets 550 5.1.1 "User
//! unknown in relay recipient table"; a domain that is not relayed gets 554 5.7.1 "Relay
//! access denied", or is left to Postfix with `unknown_domain = "continue"`.

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::address::Address;
use crate::checks::common::ReplyConfig;
use crate::maps::Delimiter;
use crate::maps::{KeyTable, MapError, MapFile, TableFormat};
use crate::session::{Session, Stage};
use crate::store::pg::{migrate, timed, StoreError};
use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use crate::values::{check_reload_interval, TimeSpanMs};
use std::time::Duration;

crate::check_config! {
    /// `[checks.relay]`.
    pub struct RelayConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Tempfail;
        /// Map file of valid recipients (`user@example.com OK`, `@example.com OK`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub map: Option<PathBuf> = None,
        /// How often the map file is checked for changes, 10ms to 1d (formerly
        /// `reload_interval_ms`, a number of milliseconds).
        #[serde(alias = "reload_interval_ms")]
        pub reload_interval: TimeSpanMs = TimeSpanMs::from_secs(1),
        /// Also look recipients up in the `mxgate_relay` table of `[database]`.
        pub table: bool = false,
        /// Relayed domains besides those in the map or table (`.example.com` also
        /// matches its subdomains). A listed domain without entries has no valid users.
        pub domains: Vec<String> = Vec::new(),
        /// A recipient in a domain that is not relayed: `reject` (554 5.7.1) or
        /// `continue` (leave it to Postfix's relay restrictions).
        pub unknown_domain: UnknownDomain = UnknownDomain::Reject,
        /// Recipient delimiter (`"+"`): `user+ext@domain` is valid when `user@domain` is.
        pub recipient_delimiter: Delimiter = Delimiter::default(),
        /// Reply for a domain that is not relayed (default 554 5.7.1).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub relay_denied_reply: Option<ReplyConfig> = None,
    }
}

/// What happens to a recipient in a domain mxgate does not relay for.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownDomain {
    /// 554 5.7.1 Relay access denied.
    #[default]
    Reject,
    /// Not our business: Postfix's own restrictions decide.
    Continue,
}

/// Schema steps for `migrate(client, "relay", SCHEMA)`; append-only. Keys are
/// `user@domain` or `@domain`, lower case; `domain` is derived for the relayed-domain test.
pub const SCHEMA: &[&str] = &["CREATE TABLE mxgate_relay (
        key     text PRIMARY KEY
                CHECK (key = lower(key) AND (key LIKE '%_@_%' OR key ~ '^@[^@]+$')),
        domain  text GENERATED ALWAYS AS (split_part(key, '@', 2)) STORED,
        note    text NOT NULL DEFAULT '',
        created timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX mxgate_relay_domain ON mxgate_relay (domain);"];

/// The relay map: valid recipient keys and the domains they imply.
#[derive(Debug, Default)]
pub struct RelayTable {
    keys: HashSet<String>,
    domains: HashSet<String>,
}

impl RelayTable {
    /// True when any of `keys` is listed.
    pub fn listed(&self, keys: &[String]) -> bool {
        keys.iter().any(|k| self.keys.contains(k))
    }

    /// True when the map has an entry for `domain`.
    pub fn relays(&self, domain: &str) -> bool {
        self.domains.contains(domain)
    }
}

impl TableFormat for RelayTable {
    fn parse(text: &str, path: &Path) -> Result<Self, MapError> {
        let table = KeyTable::parse(text, path)?;
        let mut keys = HashSet::with_capacity(table.len());
        let mut domains = HashSet::new();
        for (key, entry) in table.iter() {
            let domain = match Address::split(key) {
                (_, Some(d)) if !d.is_empty() && !d.starts_with('.') => d,
                _ => {
                    return Err(MapError {
                        path: path.to_owned(),
                        line: Some(entry.line),
                        message: format!(
                        "{key:?} is neither user@domain nor @domain (relay_recipient_maps syntax)"
                    ),
                    })
                }
            };
            domains.insert(domain.to_owned());
            keys.insert(key.to_owned());
        }
        Ok(RelayTable { keys, domains })
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The relay-recipient check as a plugin.
pub struct Relay;

impl CheckSpec for Relay {
    const NAME: &'static str = "relay";
    const STAGES: &'static [Stage] = &[Stage::Rcpt];
    const SUMMARY: &'static str = "relay recipients (relay_domains + relay_recipient_maps: map file `@domain` wildcards, table): unknown user 550 5.1.1";
    type Config = RelayConfig;

    fn validate(cfg: &RelayConfig) -> Result<(), SetupError> {
        check_reload_interval(cfg.reload_interval)?;
        RelayCheck::settings(cfg).map(|_| ())
    }

    fn build(cfg: &RelayConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(RelayCheck::new(cfg, env)?))
    }
}

struct Table {
    pool: deadpool_postgres::Pool,
    timeout: Duration,
    migrate: bool,
    migrated: AtomicBool,
}

/// The relay-recipient check.
pub struct RelayCheck {
    map: Option<Arc<MapFile<RelayTable>>>,
    table: Option<Table>,
    /// Exact domains, and `.parent` suffixes.
    domains: HashSet<String>,
    suffixes: Vec<String>,
    unknown_domain: UnknownDomain,
    delimiter: Option<char>,
    unknown_user_reply: Option<Reply>,
    relay_denied_reply: Reply,
}

impl RelayCheck {
    /// What can be judged of the section without I/O: something to check against, the
    /// domains, the relay-denied reply.
    fn settings(cfg: &RelayConfig) -> Result<(HashSet<String>, Vec<String>, Reply), SetupError> {
        if cfg.map.is_none() && !cfg.table && cfg.domains.is_empty() {
            return Err(SetupError::section(
                "nothing to check against: set map, table = true or domains",
            ));
        }
        let mut domains = HashSet::new();
        let mut suffixes = Vec::new();
        for (i, d) in cfg.domains.iter().enumerate() {
            let d = d.trim().to_ascii_lowercase();
            if d.is_empty() || d.contains(['@', ' ']) {
                return Err(SetupError::key(
                    format!("domains[{i}]"),
                    format!("domains: {d:?} is not a domain"),
                ));
            }
            if d.starts_with('.') {
                suffixes.push(d);
            } else {
                domains.insert(d);
            }
        }
        let relay_denied_reply = match &cfg.relay_denied_reply {
            Some(r) => r.to_reply(),
            None => Reply::new(554, "5.7.1", "Relay access denied"),
        };
        relay_denied_reply
            .validate()
            .map_err(|e| SetupError::key("relay_denied_reply", format!("relay_denied_reply: {e}")))?;
        if relay_denied_reply.is_temporary() {
            return Err(SetupError::key(
                "relay_denied_reply",
                "relay_denied_reply must be a 5xx reply",
            ));
        }
        Ok((domains, suffixes, relay_denied_reply))
    }

    /// Builds the check; the map file must parse.
    pub fn new(cfg: &RelayConfig, env: &BuildEnv<'_>) -> Result<Self, SetupError> {
        let (domains, suffixes, relay_denied_reply) = Self::settings(cfg)?;
        let map = match &cfg.map {
            Some(path) => {
                let m = MapFile::<RelayTable>::open(path)
                    .map_err(|e| SetupError::key("map", e.to_string()))?;
                m.watch(cfg.reload_interval.get());
                Some(m)
            }
            None => None,
        };
        let table = if cfg.table {
            Some(Table {
                pool: env.pool()?,
                timeout: env.database.query_timeout(),
                migrate: env.database.migrate_on_start,
                migrated: AtomicBool::new(false),
            })
        } else {
            None
        };
        // The configured `reply` wins; otherwise Postfix's wording for an unknown user.
        let unknown_user_reply = (cfg.action == Action::Reject && cfg.reply.is_none()).then(|| {
            Reply::new(
                550,
                "5.1.1",
                "Recipient address rejected: User unknown in relay recipient table",
            )
        });
        Ok(RelayCheck {
            map,
            table,
            domains,
            suffixes,
            unknown_domain: cfg.unknown_domain,
            delimiter: cfg.recipient_delimiter.0,
            unknown_user_reply,
            relay_denied_reply,
        })
    }

    fn configured_domain(&self, domain: &str) -> bool {
        self.domains.contains(domain) || self.suffixes.iter().any(|s| domain.ends_with(s.as_str()))
    }

    /// (listed, domain relayed) from the table, in one round trip.
    async fn query(
        &self,
        t: &Table,
        keys: &[String],
        domain: &str,
    ) -> Result<(bool, bool), StoreError> {
        timed(t.timeout, async {
            let mut client = t.pool.get().await?;
            if t.migrate && !t.migrated.load(Ordering::Relaxed) {
                migrate(&mut client, "relay", SCHEMA).await?;
                t.migrated.store(true, Ordering::Relaxed);
            }
            let stmt = client
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM mxgate_relay WHERE key = ANY($1)),
                            EXISTS (SELECT 1 FROM mxgate_relay WHERE domain = $2)",
                )
                .await?;
            let row = client.query_one(&stmt, &[&keys, &domain]).await?;
            Ok((row.get(0), row.get(1)))
        })
        .await
    }

    async fn judge(&self, addr: &str) -> Result<Finding, CheckError> {
        let lower = addr.to_ascii_lowercase();
        // A bare local part (`<postmaster>`) is a local address: Postfix's business.
        let (local, Some(domain)) = Address::split(&lower) else {
            return Ok(Finding::Pass);
        };
        let mut keys = vec![lower.clone()];
        if let Some(base) = self
            .delimiter
            .and_then(|d| local.split_once(d).map(|(b, _)| b))
            .filter(|b| !b.is_empty())
        {
            keys.push(format!("{base}@{domain}"));
        }
        keys.push(format!("@{domain}"));
        let map = self.map.as_ref().map(|m| m.table());
        if map.as_ref().is_some_and(|m| m.listed(&keys)) {
            return Ok(Finding::Pass);
        }
        let mut relayed =
            self.configured_domain(domain) || map.as_ref().is_some_and(|m| m.relays(domain));
        if let Some(t) = &self.table {
            match self.query(t, &keys, domain).await {
                Ok((true, _)) => return Ok(Finding::Pass),
                Ok((false, d)) => relayed |= d,
                Err(e) => {
                    return Err(CheckError::temporary(
                        format!("relay recipient lookup for {addr}: {e}"),
                        None,
                    ))
                }
            }
        }
        if relayed {
            return Ok(Finding::Hit(Hit {
                reason: format!("{addr}: user unknown in relay recipient table"),
                action: None,
                reply: self.unknown_user_reply.clone(),
            }));
        }
        match self.unknown_domain {
            UnknownDomain::Continue => Ok(Finding::Pass),
            UnknownDomain::Reject => Ok(Finding::Hit(Hit {
                reason: format!("{addr}: domain {domain} is not relayed"),
                action: Some(Action::Reject),
                reply: Some(self.relay_denied_reply.clone()),
            })),
        }
    }
}

impl Check for RelayCheck {
    fn name(&self) -> &'static str {
        "relay"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Rcpt]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            let Some(rcpt) = session.current_rcpt() else {
                return Ok(Finding::Pass.into());
            };
            self.judge(&rcpt.addr).await.map(Outcome::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_derives_domains_and_refuses_other_keys() {
        let t = RelayTable::parse(
            "# relay recipients\n@Example.com OK\nalice@example.org OK\n",
            Path::new("r"),
        )
        .unwrap();
        assert!(t.relays("example.com") && t.relays("example.org"));
        assert!(!t.relays("example.net"));
        assert!(t.listed(&["@example.com".into()]));
        assert!(t.listed(&["alice@example.org".into()]));
        assert!(!t.listed(&["bob@example.org".into(), "@example.org".into()]));
        let e = RelayTable::parse("a@x OK\nexample.net OK\n", Path::new("r")).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with("r:2: \"example.net\""), "{e}");
    }
}
