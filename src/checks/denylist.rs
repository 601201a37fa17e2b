//! Recipient denylist at RCPT: addresses that bounced or complained (fed by
//! `mxgate denylist import` from Amazon SES notifications) or were listed by hand.
//!
//! Entries are keyed like Postfix's access(5): the full address, then (with a recipient
//! delimiter) the address without its extension, the domain (and optionally parent
//! domains), then `user@`; the first key that has a live entry decides. An entry's action
//! is `drop` (remove just this recipient at end of message: the others still get the
//! mail), `discard` (the whole message, Postfix's DISCARD), `reject` (550 5.1.1), or `ok`
//! (an exception that stops the lookup, e.g. one address in a denylisted domain).
//!
//! Two backends: a Postfix-style map file (`address action [reason]`, reloaded when it
//! changes) for a single host, or a PostgreSQL table shared by every MX host, mirrored
//! in memory and kept fresh with LISTEN/NOTIFY so a lookup normally costs no round trip.

pub mod pg;

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::address::Address;
use crate::checks::common::ReplyConfig;
pub use crate::maps::Delimiter;
use crate::maps::{KeyTable, MapError, MapFile, TableFormat};
use crate::session::{Session, Stage};
use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use crate::values::{check_reload_interval, TimeSpanMs};

crate::check_config! {
    /// `[checks.denylist]`. `action` is the action given to entries added or imported
    /// without one (`mxgate denylist add/import`); each entry carries its own.
    pub struct DenylistConfig {
        action: Action::DropRecipient,
        on_error: crate::checks::common::OnError::Continue;
        /// `file` (the map file `map`) or `postgres` (the table in `[database]`).
        pub backend: Backend = Backend::File,
        /// The map file for `backend = "file"`: `address action [reason]` lines.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub map: Option<PathBuf> = None,
        /// How often the map file is checked for changes, 10ms to 1d (formerly
        /// `reload_interval_ms`, a number of milliseconds).
        #[serde(alias = "reload_interval_ms")]
        pub reload_interval: TimeSpanMs = TimeSpanMs::from_secs(1),
        /// Recipient delimiter (`"+"`): `user+ext@domain` also matches `user@domain`.
        pub recipient_delimiter: Delimiter = Delimiter::default(),
        /// Also try parent domains (`.example.com`, `example.com` for `a.example.com`).
        pub parent_domains: bool = false,
        /// PostgreSQL: keep the whole table in memory (LISTEN/NOTIFY keeps it fresh).
        /// Off: one indexed query per recipient.
        pub cache: bool = true,
        /// Reply for entries whose action is `reject` (default 550 5.1.1).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub reject_reply: Option<ReplyConfig> = None,
    }
}

/// Where the denylist lives.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// A map file on this host.
    #[default]
    File,
    /// The `mxgate_denylist` table in `[database]`.
    Postgres,
}

/// What an entry does to a recipient that matches it.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum DenyAction {
    /// Remove this recipient at end of message; discard only if none are left.
    Drop,
    /// Discard the whole message.
    Discard,
    /// Reject the recipient (550 5.1.1).
    Reject,
    /// An exception: stop looking, let the recipient through.
    Ok,
}

impl DenyAction {
    /// Name as stored in the database and written in map files.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyAction::Drop => "drop",
            DenyAction::Discard => "discard",
            DenyAction::Reject => "reject",
            DenyAction::Ok => "ok",
        }
    }

    /// Parses a map-file or command-line action (any case; Postfix's `DUNNO`/`OK` and the
    /// config's `drop-recipient` spelling are accepted).
    pub fn parse(s: &str) -> Option<DenyAction> {
        Some(match s.to_ascii_lowercase().as_str() {
            "drop" | "drop-recipient" => DenyAction::Drop,
            "discard" => DenyAction::Discard,
            "reject" => DenyAction::Reject,
            "ok" | "dunno" => DenyAction::Ok,
            _ => return None,
        })
    }

    /// The entry action for a configured check action (the default for new entries).
    pub fn from_action(a: Action) -> Option<DenyAction> {
        match a {
            Action::DropRecipient => Some(DenyAction::Drop),
            Action::Discard => Some(DenyAction::Discard),
            Action::Reject => Some(DenyAction::Reject),
            Action::Accept => Some(DenyAction::Ok),
            Action::Tempfail => None,
        }
    }
}

/// Where an entry came from.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Source {
    /// `mxgate denylist add`, or a line in the map file.
    Manual,
    /// A permanent bounce reported by Amazon SES.
    SesBounce,
    /// A complaint reported by Amazon SES.
    SesComplaint,
    /// `mxgate denylist import` of a plain address list.
    Import,
}

impl Source {
    /// Name as stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::SesBounce => "ses-bounce",
            Source::SesComplaint => "ses-complaint",
            Source::Import => "import",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "manual" => Source::Manual,
            "ses-bounce" => Source::SesBounce,
            "ses-complaint" => Source::SesComplaint,
            "import" => Source::Import,
            _ => return None,
        })
    }
}

/// One denylist entry (the key is held by the table).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DenyEntry {
    /// What a match does.
    pub action: DenyAction,
    /// Why it is listed (for the log, never sent to the client).
    pub reason: Box<str>,
    /// Where it came from.
    pub source: Source,
    /// Seconds since the epoch after which the entry no longer counts.
    pub expires: Option<i64>,
}

impl DenyEntry {
    /// True while the entry counts at `now` (seconds since the epoch).
    pub fn live(&self, now: i64) -> bool {
        self.expires.is_none_or(|e| e > now)
    }
}

/// Seconds since the epoch, for expiry checks.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Normalises a key as written by an operator: lower case, `@domain` → `domain`. Accepts
/// `user@domain`, `domain`, `.domain` (parent-domain form) and `user@`; refuses anything
/// with whitespace, control characters or angle brackets.
pub fn normalize_key(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let raw = raw
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(raw);
    let key = raw.to_ascii_lowercase();
    let key = key.strip_prefix('@').map(str::to_owned).unwrap_or(key);
    if key.is_empty() || key == "@" {
        return Err("empty address".into());
    }
    if key
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return Err(format!("{raw:?} is not an address, domain or user@"));
    }
    if let (local, Some(domain)) = Address::split(&key) {
        if local.is_empty() || domain.starts_with('.') {
            return Err(format!("{raw:?} is not an address, domain or user@"));
        }
    }
    Ok(key)
}

/// The denylist map file: `address action [reason]` per line, keys as in access(5).
#[derive(Debug, Default)]
pub struct DenyTable {
    map: HashMap<String, DenyEntry>,
}

impl DenyTable {
    /// The first live entry for `keys` (in precedence order).
    pub fn lookup<'k>(&self, keys: &'k [String], now: i64) -> Option<(&'k str, &DenyEntry)> {
        keys.iter().find_map(|k| {
            self.map
                .get(k)
                .filter(|e| e.live(now))
                .map(|e| (k.as_str(), e))
        })
    }
}

impl TableFormat for DenyTable {
    fn parse(text: &str, path: &Path) -> Result<Self, MapError> {
        let keys = KeyTable::parse(text, path)?;
        let mut map = HashMap::with_capacity(keys.len());
        for (key, entry) in keys.iter() {
            let err = |message: String| MapError {
                path: path.to_owned(),
                line: Some(entry.line),
                message,
            };
            let key = normalize_key(key).map_err(err)?;
            let (action, reason) = match entry.value.split_once(char::is_whitespace) {
                Some((a, r)) => (a, r.trim()),
                None => (entry.value.as_str(), ""),
            };
            let action = DenyAction::parse(action).ok_or_else(|| {
                err(format!(
                    "{action:?} is not an action (drop, discard, reject or ok)"
                ))
            })?;
            map.insert(
                key,
                DenyEntry {
                    action,
                    reason: reason.into(),
                    source: Source::Manual,
                    expires: None,
                },
            );
        }
        Ok(DenyTable { map })
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// The denylist check as a plugin.
pub struct Denylist;

impl CheckSpec for Denylist {
    const NAME: &'static str = "denylist";
    const STAGES: &'static [Stage] = &[Stage::Rcpt];
    const SUMMARY: &'static str = "recipient denylist fed by bounces (map file, or PostgreSQL kept fresh on every host by LISTEN/NOTIFY): drop one recipient, discard, reject";
    type Config = DenylistConfig;

    fn validate(cfg: &DenylistConfig) -> Result<(), SetupError> {
        check_reload_interval(cfg.reload_interval)?;
        DenylistCheck::settings(cfg).map(|_| ())
    }

    fn build(cfg: &DenylistConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(DenylistCheck::new(cfg, env)?))
    }
}

enum Store {
    File(Arc<MapFile<DenyTable>>),
    Pg(pg::PgDenylist),
}

/// The denylist check.
pub struct DenylistCheck {
    store: Store,
    delimiter: Option<char>,
    parents: bool,
    reject_reply: Reply,
}

impl DenylistCheck {
    /// What can be judged of the section without I/O: the default action of new
    /// entries, the reject reply, a map for the file backend.
    fn settings(cfg: &DenylistConfig) -> Result<Reply, SetupError> {
        if DenyAction::from_action(cfg.action).is_none() {
            return Err(SetupError::key(
                "action",
                "action must be drop-recipient, discard, reject or accept (the default action of new entries)",
            ));
        }
        let reject_reply = match (&cfg.reject_reply, cfg.action, cfg.common().reply) {
            (Some(r), _, _) => r.to_reply(),
            (None, Action::Reject, Some(r)) => r,
            _ => Reply::new(550, "5.1.1", "Recipient address rejected"),
        };
        reject_reply
            .validate()
            .map_err(|e| SetupError::key("reject_reply", format!("reject_reply: {e}")))?;
        if reject_reply.is_temporary() {
            return Err(SetupError::key(
                "reject_reply",
                "reject_reply must be a 5xx reply",
            ));
        }
        if cfg.backend == Backend::File && cfg.map.is_none() {
            return Err(SetupError::key(
                "map",
                "backend = \"file\" needs map = \"/path/to/denylist\"",
            ));
        }
        Ok(reject_reply)
    }

    /// Builds the check; the map file must parse (file:line otherwise).
    pub fn new(cfg: &DenylistConfig, env: &BuildEnv<'_>) -> Result<Self, SetupError> {
        let reject_reply = Self::settings(cfg)?;
        let store = match (cfg.backend, cfg.map.as_deref()) {
            (Backend::File, Some(path)) => {
                let map = MapFile::<DenyTable>::open(path)
                    .map_err(|e| SetupError::key("map", e.to_string()))?;
                map.watch(cfg.reload_interval.get());
                Store::File(map)
            }
            (Backend::File, None) => return Err(SetupError::key("map", "is not set")),
            (Backend::Postgres, _) => Store::Pg(
                pg::PgDenylist::new(env.database, env.pool()?, cfg.cache)
                    .map_err(SetupError::section)?,
            ),
        };
        Ok(DenylistCheck {
            store,
            delimiter: cfg.recipient_delimiter.0,
            parents: cfg.parent_domains,
            reject_reply,
        })
    }

    /// The lookup keys for a recipient, in precedence order.
    pub fn keys(&self, addr: &str) -> Vec<String> {
        crate::maps::address_keys(addr, self.delimiter, self.parents)
    }

    fn finding(&self, addr: &str, found: Option<(&str, &DenyEntry)>) -> Finding {
        let Some((key, e)) = found else {
            return Finding::Pass;
        };
        let mut reason = format!(
            "recipient {addr} denylisted by {key:?} ({}, source {}",
            e.action.as_str(),
            e.source.as_str()
        );
        if !e.reason.is_empty() {
            reason.push_str(": ");
            reason.extend(e.reason.chars().take(200));
        }
        reason.push(')');
        let (action, reply) = match e.action {
            DenyAction::Ok => return Finding::Pass,
            DenyAction::Drop => (Action::DropRecipient, None),
            DenyAction::Discard => (Action::Discard, None),
            DenyAction::Reject => (Action::Reject, Some(self.reject_reply.clone())),
        };
        Finding::Hit(Hit {
            reason,
            action: Some(action),
            reply,
        })
    }
}

impl Check for DenylistCheck {
    fn name(&self) -> &'static str {
        "denylist"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Rcpt]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            let Some(rcpt) = session.current_rcpt() else {
                return Ok(Finding::Pass.into());
            };
            let addr = rcpt.addr.as_str();
            let keys = self.keys(addr);
            let now = now_epoch();
            let finding = match &self.store {
                Store::File(map) => {
                    let table = map.table();
                    self.finding(addr, table.lookup(&keys, now))
                }
                Store::Pg(db) => match db.lookup(&keys, now).await {
                    Ok(found) => self.finding(addr, found.as_ref().map(|(k, e)| (k.as_str(), e))),
                    Err(e) => {
                        return Err(CheckError::temporary(
                            format!("denylist lookup for {addr}: {e}"),
                            None,
                        ))
                    }
                },
            };
            Ok(Outcome::from(finding))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_validates() {
        assert_eq!(
            Delimiter::try_from("+".to_string()),
            Ok(Delimiter(Some('+')))
        );
        assert_eq!(Delimiter::try_from(String::new()), Ok(Delimiter(None)));
        assert!(Delimiter::try_from("+-".to_string()).is_err());
        assert!(Delimiter::try_from("@".to_string()).is_err());
    }

    #[test]
    fn keys_normalise() {
        assert_eq!(
            normalize_key("<User@Example.COM>").unwrap(),
            "user@example.com"
        );
        assert_eq!(normalize_key("@Example.com").unwrap(), "example.com");
        assert_eq!(normalize_key("bob@").unwrap(), "bob@");
        assert!(normalize_key("a b@x").is_err());
        assert!(normalize_key("@").is_err());
        assert!(normalize_key("").is_err());
        assert!(normalize_key("a@.x").is_err());
    }

    #[test]
    fn table_parses_and_looks_up_in_order() {
        let t = DenyTable::parse(
            "# bounced\nBob@Example.com drop hard bounce\n@example.org REJECT\nok@example.org ok\nalice@ discard\n",
            Path::new("d"),
        )
        .unwrap();
        let k = |a: &str| crate::maps::address_keys(a, Some('+'), false);
        let hit = |a: &str| t.lookup(&k(a), 0).map(|(k, e)| (k.to_owned(), e.action));
        assert_eq!(
            hit("bob+x@example.com"),
            Some(("bob@example.com".into(), DenyAction::Drop))
        );
        assert_eq!(
            hit("x@EXAMPLE.org"),
            Some(("example.org".into(), DenyAction::Reject))
        );
        assert_eq!(
            hit("ok@example.org"),
            Some(("ok@example.org".into(), DenyAction::Ok))
        );
        assert_eq!(
            hit("alice@any.test"),
            Some(("alice@".into(), DenyAction::Discard))
        );
        assert_eq!(hit("carol@example.com"), None);
        let e = DenyTable::parse("a@x drop\nb@x maybe\n", Path::new("d")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d:2: \"maybe\" is not an action (drop, discard, reject or ok)"
        );
    }

    #[test]
    fn expired_entries_do_not_count() {
        let e = DenyEntry {
            action: DenyAction::Drop,
            reason: "".into(),
            source: Source::Manual,
            expires: Some(100),
        };
        assert!(e.live(99));
        assert!(!e.live(100));
    }
}
