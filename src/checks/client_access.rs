//! Client access table at connect, like Postfix's `check_client_access cidr:FILE`: a
//! CIDR table (IPv4 and IPv6; the longest matching prefix wins) whose values are
//! Postfix access(5) actions — `OK`/`ALLOW` (no more checks for this connection),
//! `REJECT [text]`, `DEFER`/`TEMPFAIL [text]`, `NNN text`, `DISCARD`, `DUNNO`, `WARN text`.
//!
//! The file is reloaded when it changes; a file that does not parse (including an
//! action mxgate does not know) is refused at start with `file:line`, and on reload the
//! previous table stays in force.
//!
//! The access(5) value parser ([`AccessAction`]) and the validating table wrapper
//! ([`AccessMap`]) are shared with the sender access check.

use super::{Check, CheckFuture, Finding, Hit, BuildEnv, CheckSpec, SetupError};
use crate::maps::{CidrTable, KeyTable, MapError, MapFile, TableFormat};
use crate::session::{Session, Stage};
use crate::verdict::{Action, Reply};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use crate::values::{check_reload_interval, TimeSpanMs};
use std::time::Duration;

crate::check_config! {
    /// `[checks.client_access]`. Each entry's action decides; `action` and `reply`
    /// apply to `REJECT` entries (e.g. `action = "tempfail"` turns them into 450s while
    /// a new table is tried out, like Postfix's soft_bounce).
    pub struct ClientAccessConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// The CIDR table: `network action [text]` lines (Postfix cidr: syntax).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub map: Option<PathBuf> = None,
        /// How often the map file is checked for changes, 10ms to 1d (formerly
        /// `reload_interval_ms`, a number of milliseconds).
        #[serde(alias = "reload_interval_ms")]
        pub reload_interval: TimeSpanMs = TimeSpanMs::from_secs(1),
    }
}

/// The client access check as a plugin.
pub struct ClientAccess;

impl CheckSpec for ClientAccess {
    const NAME: &'static str = "client_access";
    const STAGES: &'static [Stage] = &[Stage::Connect];
    const SUMMARY: &'static str = "client access table (CIDR, longest prefix): OK / REJECT / DEFER / DISCARD";
    type Config = ClientAccessConfig;

    fn validate(cfg: &ClientAccessConfig) -> Result<(), SetupError> {
        check_reload_interval(cfg.reload_interval)?;
        match cfg.map {
            Some(_) => Ok(()),
            None => Err(SetupError::key("map", "is not set (the CIDR table file to use)")),
        }
    }

    fn build(cfg: &ClientAccessConfig, _env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Self::validate(cfg)?;
        let path = cfg.map.as_deref().unwrap_or(Path::new(""));
        let map = open_watched::<CidrTable>(path, cfg.reload_interval.get())
            .map_err(|m| SetupError::key("map", m))?;
        Ok(Box::new(ClientAccessCheck {
            cfg: cfg.clone(),
            map,
        }))
    }
}

/// Opens an access table and watches it for changes; the error names file:line.
pub(crate) fn open_watched<T: TableFormat>(
    path: &Path,
    interval: Duration,
) -> Result<Arc<MapFile<AccessMap<T>>>, String> {
    let map = MapFile::<AccessMap<T>>::open(path).map_err(|e| e.to_string())?;
    map.watch(interval);
    Ok(map)
}

/// The client access check.
pub struct ClientAccessCheck {
    cfg: ClientAccessConfig,
    map: Arc<MapFile<AccessMap<CidrTable>>>,
}

impl Check for ClientAccessCheck {
    fn name(&self) -> &'static str {
        "client_access"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Connect]
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        let finding = match session.client_addr {
            // A client without an IP address (local socket) has nothing to match.
            None => Finding::Pass,
            Some(ip) => {
                let table = self.map.table();
                match table.table.lookup(ip) {
                    None => Finding::Pass,
                    Some((net, entry)) => match table.action(entry.line) {
                        None => Finding::Pass,
                        Some(action) => action.finding(
                            &format!(
                                "client {ip} matches {net} ({}:{})",
                                self.map.path().display(),
                                entry.line
                            ),
                            &format!("<{}>: Client host rejected", client_name(session)),
                            &self.cfg.common(),
                        ),
                    },
                }
            }
        };
        Box::pin(std::future::ready(Ok(finding.into())))
    }
}

/// `name[addr]` as Postfix shows the client in its replies: `unknown[addr]` when the
/// MTA has no verified name (it passes `[addr]` to milters then).
fn client_name(session: &Session) -> String {
    let name = session.client_name.as_str();
    let name = if name.is_empty() || name.starts_with('[') {
        "unknown"
    } else {
        name
    };
    match session.client_addr {
        Some(ip) => crate::text::printable(&format!("{name}[{ip}]"), 400),
        None => crate::text::printable(name, 400),
    }
}

/// One access(5) value, as mxgate supports it.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum AccessAction {
    /// `OK`, `ALLOW`: let it through and skip the remaining checks (connection at
    /// connect, message at MAIL).
    Allow,
    /// `REJECT [X.Y.Z] [text]`: the configured action (reject) with this text.
    Reject {
        /// Enhanced status code given in the entry.
        xcode: Option<String>,
        /// Reply text given in the entry.
        text: Option<String>,
    },
    /// `DEFER`/`TEMPFAIL [X.Y.Z] [text]`: 450, try again later.
    Defer {
        /// Enhanced status code given in the entry.
        xcode: Option<String>,
        /// Reply text given in the entry.
        text: Option<String>,
    },
    /// `NNN [X.Y.Z] text`: exactly this reply (4NN tempfail, 5NN reject).
    Code {
        /// 4NN or 5NN.
        code: u16,
        /// Enhanced status code given in the entry.
        xcode: Option<String>,
        /// Reply text given in the entry.
        text: Option<String>,
    },
    /// `DISCARD [text]`: accept and throw the message away (text only logged).
    Discard(Option<String>),
    /// `DUNNO`: no decision, and no less specific key of this table is tried.
    Dunno,
    /// `WARN text`: log and go on.
    Warn(Option<String>),
}

impl AccessAction {
    /// Parses a map value; the error says what to write instead.
    pub fn parse(value: &str) -> Result<AccessAction, String> {
        let value = value.trim();
        let (word, rest) = match value.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (value, ""),
        };
        let text = |rest: &str| -> Result<(Option<String>, Option<String>), String> {
            let (xcode, text) = split_xcode(rest);
            if let Some(t) = text {
                if let Some(c) = t.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
                    return Err(format!("reply text contains {c:?}; use printable ASCII"));
                }
                if t.len() > 900 {
                    return Err("reply text is longer than 900 bytes".into());
                }
            }
            Ok((xcode.map(str::to_owned), text.map(str::to_owned)))
        };
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "OK" | "ALLOW" | "PERMIT" => Ok(AccessAction::Allow),
            "REJECT" => {
                let (xcode, text) = text(rest)?;
                check_class(xcode.as_deref(), '5', "REJECT")?;
                Ok(AccessAction::Reject { xcode, text })
            }
            "DEFER" | "TEMPFAIL" => {
                let (xcode, text) = text(rest)?;
                check_class(xcode.as_deref(), '4', &upper)?;
                Ok(AccessAction::Defer { xcode, text })
            }
            "DISCARD" => Ok(AccessAction::Discard(
                Some(rest.to_owned()).filter(|r| !r.is_empty()),
            )),
            "DUNNO" => Ok(AccessAction::Dunno),
            "WARN" => Ok(AccessAction::Warn(
                Some(rest.to_owned()).filter(|r| !r.is_empty()),
            )),
            _ if word.bytes().all(|b| b.is_ascii_digit()) => {
                let code: u16 = word.parse().unwrap_or(0);
                if word.len() == 3 && (400..=599).contains(&code) && !rest.is_empty() {
                    let (xcode, text) = text(rest)?;
                    let class = if code < 500 { '4' } else { '5' };
                    check_class(xcode.as_deref(), class, word)?;
                    Ok(AccessAction::Code { code, xcode, text })
                } else {
                    // Postfix reads an all-numerical value as OK; that surprise is not
                    // worth copying.
                    Err(format!(
                        "{word:?} is ambiguous (Postfix reads a bare number as OK): write OK, \
                         or a 4NN/5NN code followed by text"
                    ))
                }
            }
            "DEFER_IF_REJECT" | "DEFER_IF_PERMIT" | "FILTER" | "HOLD" | "PREPEND" | "REDIRECT"
            | "BCC" | "INFO" => Err(format!(
                "{word} is a Postfix action mxgate does not implement; keep it in Postfix"
            )),
            _ => Err(format!(
                "unknown action {:?}: expected OK, ALLOW, REJECT, DEFER, TEMPFAIL, DISCARD, \
                 DUNNO, WARN or NNN text (Postfix restriction names are not supported)",
                crate::text::printable(word, 400)
            )),
        }
    }

    /// The finding for this action. `reason` says which entry matched (for the log);
    /// `prefix` starts the default reply text (`<addr>: Sender address rejected`).
    pub fn finding(
        &self,
        reason: &str,
        prefix: &str,
        common: &crate::checks::common::CheckCommon,
    ) -> Finding {
        let full = |text: &Option<String>| {
            format!("{prefix}: {}", text.as_deref().unwrap_or("Access denied"))
        };
        let hit = |action: Option<Action>, reply: Option<Reply>, what: &str| {
            Finding::Hit(Hit {
                reason: format!("{reason}: {what}"),
                action,
                reply,
            })
        };
        match self {
            AccessAction::Allow => hit(Some(Action::Accept), None, "allow"),
            AccessAction::Dunno => Finding::Pass,
            AccessAction::Warn(text) => {
                tracing::warn!(
                    reason,
                    text = text.as_deref().unwrap_or(""),
                    "access table WARN"
                );
                Finding::Pass
            }
            AccessAction::Discard(text) => hit(
                Some(Action::Discard),
                None,
                &format!(
                    "discard{}",
                    text.as_ref().map(|t| format!(" ({t})")).unwrap_or_default()
                ),
            ),
            AccessAction::Reject { xcode, text } => {
                // The configured action and reply apply; the entry's text and code
                // refine the reply when the configured action sends one.
                let base = common
                    .reply
                    .clone()
                    .or_else(|| Reply::default_for(common.action));
                let reply = base.map(|b| {
                    let xcode = xcode
                        .as_deref()
                        .filter(|x| x.starts_with(if b.is_temporary() { '4' } else { '5' }))
                        .unwrap_or(&b.xcode);
                    let text = if text.is_none() && common.reply.is_some() {
                        b.text.clone()
                    } else {
                        full(text)
                    };
                    Reply::new(b.code, xcode, &text)
                });
                hit(None, reply, "reject")
            }
            AccessAction::Defer { xcode, text } => hit(
                Some(Action::Tempfail),
                Some(Reply::new(
                    450,
                    xcode.as_deref().unwrap_or("4.7.1"),
                    &full(text),
                )),
                "defer",
            ),
            AccessAction::Code { code, xcode, text } => {
                let temporary = *code < 500;
                let default_x = if temporary { "4.7.1" } else { "5.7.1" };
                hit(
                    Some(if temporary {
                        Action::Tempfail
                    } else {
                        Action::Reject
                    }),
                    Some(Reply::new(
                        *code,
                        xcode.as_deref().unwrap_or(default_x),
                        &full(text),
                    )),
                    &code.to_string(),
                )
            }
        }
    }
}

/// Splits a leading RFC 3463 code (`5.7.1 text`) off a reply text.
fn split_xcode(rest: &str) -> (Option<&str>, Option<&str>) {
    let (first, after) = match rest.split_once(char::is_whitespace) {
        Some((f, a)) => (f, a.trim()),
        None => (rest, ""),
    };
    let parts: Vec<&str> = first.split('.').collect();
    let is_xcode = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    if is_xcode {
        (Some(first), non_empty(after))
    } else {
        (None, non_empty(rest))
    }
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

fn check_class(xcode: Option<&str>, class: char, what: &str) -> Result<(), String> {
    match xcode {
        Some(x) if !x.starts_with(class) => Err(format!(
            "enhanced status code {x} does not match {what} (it must start with {class}.)"
        )),
        _ => Ok(()),
    }
}

/// A table whose every value is a valid [`AccessAction`], checked when the file is
/// parsed — so a typo in an action is refused at start, and on reload the previous
/// table stays in force, exactly like a syntax error.
#[derive(Debug)]
pub struct AccessMap<T> {
    /// The underlying table (lookups).
    pub table: T,
    /// The parsed action of each entry, by the entry's line.
    actions: HashMap<usize, AccessAction>,
}

impl<T> AccessMap<T> {
    /// The action of the entry written on `line`.
    pub fn action(&self, line: usize) -> Option<&AccessAction> {
        self.actions.get(&line)
    }
}

impl<T: TableFormat> TableFormat for AccessMap<T> {
    fn parse(text: &str, path: &Path) -> Result<Self, MapError> {
        let table = T::parse(text, path)?;
        // Both formats are `key value` lines, so the key view of the same text lists
        // every entry with its line, whatever T is.
        let entries = KeyTable::parse(text, path)?;
        let mut actions = HashMap::new();
        for (key, entry) in entries.iter() {
            let action = AccessAction::parse(&entry.value).map_err(|message| MapError {
                path: path.to_owned(),
                line: Some(entry.line),
                message: format!("{key}: {message}"),
            })?;
            actions.insert(entry.line, action);
        }
        Ok(AccessMap { table, actions })
    }

    fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::common::{CheckCommon, Mode, OnError};

    fn common(action: Action, reply: Option<Reply>) -> CheckCommon {
        CheckCommon {
            enabled: true,
            mode: Mode::Enforce,
            action,
            on_error: OnError::Continue,
            reply,
        }
    }

    fn hit(f: Finding) -> Hit {
        match f {
            Finding::Hit(h) => h,
            Finding::Pass => panic!("expected a hit"),
        }
    }

    #[test]
    fn parses_postfix_values() {
        assert_eq!(AccessAction::parse("OK").unwrap(), AccessAction::Allow);
        assert_eq!(AccessAction::parse("allow").unwrap(), AccessAction::Allow);
        assert_eq!(AccessAction::parse("DUNNO").unwrap(), AccessAction::Dunno);
        assert_eq!(
            AccessAction::parse("REJECT 5.7.2 go away").unwrap(),
            AccessAction::Reject {
                xcode: Some("5.7.2".into()),
                text: Some("go away".into())
            }
        );
        assert_eq!(
            AccessAction::parse("reject").unwrap(),
            AccessAction::Reject {
                xcode: None,
                text: None
            }
        );
        assert_eq!(
            AccessAction::parse("521 5.7.1 bye now").unwrap(),
            AccessAction::Code {
                code: 521,
                xcode: Some("5.7.1".into()),
                text: Some("bye now".into())
            }
        );
        assert!(matches!(
            AccessAction::parse("TEMPFAIL later").unwrap(),
            AccessAction::Defer { xcode: None, .. }
        ));
        assert_eq!(
            AccessAction::parse("DISCARD spam").unwrap(),
            AccessAction::Discard(Some("spam".into()))
        );
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        for bad in [
            "HOLD",
            "FILTER smtp:x",
            "reject_unknown_client_hostname",
            "550",
            "1234",
            "REJECT 4.7.1 class mismatch",
            "450 5.7.1 mismatch",
            "DEFER 5.7.1 mismatch",
            "REJECT caf\u{e9}",
        ] {
            assert!(AccessAction::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn findings_carry_replies_of_the_right_class() {
        let c = common(Action::Reject, None);
        let h = hit(AccessAction::parse("REJECT").unwrap().finding(
            "r",
            "<x>: Sender address rejected",
            &c,
        ));
        assert_eq!(h.action, None);
        assert_eq!(
            h.reply.unwrap().to_string(),
            "550 5.7.1 <x>: Sender address rejected: Access denied"
        );
        let h = hit(AccessAction::parse("REJECT 5.7.9 spam domain")
            .unwrap()
            .finding("r", "<x>: S", &c));
        assert_eq!(
            h.reply.unwrap().to_string(),
            "550 5.7.9 <x>: S: spam domain"
        );
        // Soft-bounce style: the configured tempfail makes REJECT entries 4xx.
        let t = common(Action::Tempfail, None);
        let h = hit(AccessAction::parse("REJECT 5.7.9 spam")
            .unwrap()
            .finding("r", "<x>: S", &t));
        assert_eq!(h.reply.unwrap().to_string(), "450 4.7.1 <x>: S: spam");
        // A configured reply is used as is for entries without text.
        let own = common(Action::Reject, Some(Reply::new(554, "5.7.1", "Go away")));
        let h = hit(AccessAction::parse("REJECT")
            .unwrap()
            .finding("r", "<x>: S", &own));
        assert_eq!(h.reply.unwrap().to_string(), "554 5.7.1 Go away");
        let h = hit(AccessAction::parse("DEFER")
            .unwrap()
            .finding("r", "<x>: S", &c));
        assert_eq!(h.action, Some(Action::Tempfail));
        assert_eq!(
            h.reply.unwrap().to_string(),
            "450 4.7.1 <x>: S: Access denied"
        );
        let h = hit(AccessAction::parse("421 4.7.0 closing")
            .unwrap()
            .finding("r", "<x>: S", &c));
        assert_eq!(h.action, Some(Action::Tempfail));
        assert_eq!(h.reply.unwrap().to_string(), "421 4.7.0 <x>: S: closing");
        let h = hit(AccessAction::parse("OK").unwrap().finding("r", "p", &c));
        assert_eq!(h.action, Some(Action::Accept));
        assert_eq!(
            AccessAction::parse("DUNNO").unwrap().finding("r", "p", &c),
            Finding::Pass
        );
    }

    #[test]
    fn a_bad_action_is_a_parse_error_with_its_line() {
        let e = AccessMap::<CidrTable>::parse(
            "192.0.2.0/24 REJECT\n\n2001:db8::/32 BOUNCE now\n",
            Path::new("c.cidr"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(
            e.to_string()
                .starts_with("c.cidr:3: 2001:db8::/32: unknown action"),
            "{e}"
        );
        let ok = AccessMap::<CidrTable>::parse(
            "192.0.2.0/24 REJECT no\n192.0.2.7 OK\n",
            Path::new("c.cidr"),
        )
        .unwrap();
        let (_, e) = ok.table.lookup("192.0.2.7".parse().unwrap()).unwrap();
        assert_eq!(ok.action(e.line), Some(&AccessAction::Allow));
    }
}
