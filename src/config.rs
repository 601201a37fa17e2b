//! The TOML configuration: schema, defaults and validation.
//!
//! Errors name the file, the line and the key, so an operator can go straight to the
//! mistake; a config that does not validate is never used.

use crate::checks::helo::HeloConfig;
use crate::net::{Cidr, ListenSpec};
use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A config that could not be read or did not validate.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key path, when known (`checks.helo.action`).
    pub key: Option<String>,
    /// What is wrong, in the operator's terms.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Log-only shadow mode or enforcement, per check.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Apply the verdict.
    #[default]
    Enforce,
    /// Log what would have happened and continue.
    Log,
}

/// What a check does when its DNS or database lookup fails.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Answer 4xx so the client retries later.
    Tempfail,
    /// Fail open: log, count, go on.
    #[default]
    Continue,
}

/// A configured reply: `reply = { code = 550, xcode = "5.7.1", text = "…" }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyConfig {
    /// 4xx or 5xx, matching the action.
    pub code: u16,
    /// RFC 3463 enhanced status code.
    pub xcode: String,
    /// Reply text.
    pub text: String,
}

impl ReplyConfig {
    /// The reply this config describes.
    pub fn to_reply(&self) -> Reply {
        Reply::new(self.code, &self.xcode, &self.text)
    }
}

/// Settings every check has, whatever it checks.
#[derive(Clone, Debug)]
pub struct CheckCommon {
    /// Off means the check is not built at all.
    pub enabled: bool,
    /// enforce or log.
    pub mode: Mode,
    /// What a hit does.
    pub action: Action,
    /// What a lookup failure does.
    pub on_error: OnError,
    /// Reply for reject/tempfail hits; the check's default otherwise.
    pub reply: Option<Reply>,
}

/// Declares a check's config struct with the common keys (`enabled`, `mode`, `action`,
/// `on_error`, `reply`) and the check's own keys, all optional with defaults.
#[macro_export]
macro_rules! check_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            action: $action:expr,
            on_error: $on_error:expr;
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Build and run this check.
            pub enabled: bool,
            /// `enforce` or `log` (shadow mode).
            pub mode: $crate::config::Mode,
            /// What a hit does: accept, reject, tempfail, discard, drop-recipient.
            pub action: $crate::verdict::Action,
            /// What a DNS or database failure does: tempfail or continue.
            pub on_error: $crate::config::OnError,
            /// The SMTP reply for reject/tempfail.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub reply: Option<toml::Spanned<$crate::config::ReplyConfig>>,
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    mode: $crate::config::Mode::Enforce,
                    action: $action,
                    on_error: $on_error,
                    reply: None,
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            /// The settings every check shares.
            pub fn common(&self) -> $crate::config::CheckCommon {
                $crate::config::CheckCommon {
                    enabled: self.enabled,
                    mode: self.mode,
                    action: self.action,
                    on_error: self.on_error,
                    reply: self.reply.as_ref().map(|r| r.get_ref().to_reply()),
                }
            }

            /// Span of the reply table, for error messages.
            pub fn reply_span(&self) -> Option<std::ops::Range<usize>> {
                self.reply.as_ref().map(|r| r.span())
            }
        }
    };
}

/// How the daemon runs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// Sockets: `unix:/path` or `inet:ADDR:PORT`, several allowed.
    pub listen: Vec<Spanned<String>>,
    /// Permissions of unix sockets, octal.
    pub socket_mode: Spanned<String>,
    /// Owner of unix sockets (user name), when started as root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_owner: Option<Spanned<String>>,
    /// Group of unix sockets (group name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_group: Option<Spanned<String>>,
    /// Concurrent milter connections; more wait to be accepted.
    pub max_connections: usize,
    /// Seconds of silence from the MTA before a connection is dropped.
    pub connection_timeout: u64,
    /// Seconds sessions in flight get to finish on SIGTERM.
    pub shutdown_timeout: u64,
    /// `current-thread` (least CPU per message) or `multi-thread`.
    pub runtime: RuntimeKind,
    /// Write every session seen, in the replay format, to this directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_dir: Option<PathBuf>,
    /// `text` or `json` log lines on stderr.
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info` or `mxgate=debug`.
    pub log_level: String,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            listen: vec![Spanned::new(0..0, "inet:127.0.0.1:8891".into())],
            socket_mode: Spanned::new(0..0, "0660".into()),
            socket_owner: None,
            socket_group: None,
            max_connections: 1000,
            connection_timeout: 300,
            shutdown_timeout: 30,
            runtime: RuntimeKind::CurrentThread,
            capture_dir: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
        }
    }
}

/// The tokio runtime flavour.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    /// One thread: ~20 % less CPU per message behind Postfix, ~10 % under replay load
    /// (bench/postfix.sh with BENCH_MT=1, bench/runtime.sh).
    CurrentThread,
    /// A worker per core.
    MultiThread,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// key=value text.
    Text,
    /// One JSON object per line.
    Json,
}

/// Policy applied around all checks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Hold connect/HELO/MAIL hits until the first RCPT (like smtpd_delay_reject).
    pub delay_reject: bool,
    /// Recipients that held hits never reject: `postmaster@` (any domain), `abuse@example.com`.
    pub exempt_recipients: Vec<String>,
    /// Clients in these networks skip all checks.
    pub trusted_networks: Vec<Spanned<String>>,
    /// SMTP-authenticated clients (`{auth_authen}` set) skip all checks.
    pub skip_authenticated: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            delay_reject: true,
            exempt_recipients: vec!["postmaster@".into(), "abuse@".into()],
            trusted_networks: Vec::new(),
            skip_authenticated: true,
        }
    }
}

/// One section per check; the order of the sections in the file is the order checks
/// run within a stage.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChecksConfig {
    /// HELO/EHLO name sanity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<HeloConfig>,
    /// Reverse DNS of the client (PTR, forward-confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdns: Option<crate::checks::rdns::RdnsConfig>,
    /// DNS blocklists and allowlists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnsbl: Option<crate::checks::dnsbl::DnsblConfig>,
    /// SPF (RFC 7208) for the HELO and MAIL FROM identities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf: Option<crate::checks::spf::SpfConfig>,
    /// Client access table (CIDR).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_access: Option<crate::checks::client_access::ClientAccessConfig>,
    /// Sender access table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_access: Option<crate::checks::sender_access::SenderAccessConfig>,
    /// Sender address syntax and domain existence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_domain: Option<crate::checks::sender_domain::SenderDomainConfig>,
    /// Recipient address syntax and domain existence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_domain: Option<crate::checks::recipient_domain::RecipientDomainConfig>,
    /// Valid recipients of relayed domains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay: Option<crate::checks::relay::RelayConfig>,
    /// Recipient denylist (bounces, complaints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denylist: Option<crate::checks::denylist::DenylistConfig>,
    /// Greylisting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greylist: Option<crate::checks::greylist::GreylistConfig>,
    /// Attachment file-name blocking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<crate::checks::attachments::AttachmentsConfig>,
}

/// The whole, validated configuration.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Sockets, runtime, logging, capture.
    pub daemon: DaemonConfig,
    /// Delay, exemptions, trusted clients.
    pub policy: PolicyConfig,
    /// The shared resolver.
    pub dns: crate::dns::DnsConfig,
    /// PostgreSQL, for checks with a database backend.
    pub database: crate::store::pg::DbConfig,
    /// The checks.
    pub checks: ChecksConfig,
    /// The Prometheus endpoint (off by default).
    pub metrics: crate::metrics::MetricsConfig,
    /// Check names in the order the file lists them.
    #[serde(skip)]
    pub check_order: Vec<String>,
    /// Parsed `daemon.listen`.
    #[serde(skip)]
    pub listen: Vec<ListenSpec>,
    /// Parsed `daemon.socket_mode`.
    #[serde(skip)]
    pub socket_mode: u32,
    /// Parsed `policy.trusted_networks`.
    #[serde(skip)]
    pub trusted: Vec<Cidr>,
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_owned(),
        line: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, path)
}

/// Parses and validates config text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let err_at = |span: Option<std::ops::Range<usize>>, key: Option<String>, message: String| {
        let (line, key) = match span {
            Some(s) if s.end > 0 => (
                Some(line_of(text, s.start)),
                key.or_else(|| key_at(text, s.start)),
            ),
            _ => (None, key),
        };
        ConfigError {
            path: path.to_owned(),
            line,
            key,
            message,
        }
    };
    let mut config: Config = toml::from_str(text)
        .map_err(|e: toml::de::Error| err_at(e.span(), None, e.message().trim().to_owned()))?;

    // Serde forgets the order of tables; re-read it so checks run as the file lists them.
    let table: toml::Table = toml::from_str(text)
        .map_err(|e: toml::de::Error| err_at(e.span(), None, e.message().trim().to_owned()))?;
    config.check_order = table
        .get("checks")
        .and_then(|c| c.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();

    config.listen = config
        .daemon
        .listen
        .iter()
        .map(|l| {
            l.get_ref()
                .parse::<ListenSpec>()
                .map_err(|m| err_at(Some(l.span()), Some("daemon.listen".into()), m))
        })
        .collect::<Result<_, _>>()?;
    if config.listen.is_empty() {
        return Err(err_at(
            None,
            Some("daemon.listen".into()),
            "no socket to listen on".into(),
        ));
    }
    let mode = &config.daemon.socket_mode;
    config.socket_mode = u32::from_str_radix(mode.get_ref(), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| {
            err_at(
                Some(mode.span()),
                Some("daemon.socket_mode".into()),
                format!(
                    "{:?} is not an octal permission such as \"0660\"",
                    mode.get_ref()
                ),
            )
        })?;
    config.trusted = config
        .policy
        .trusted_networks
        .iter()
        .map(|n| {
            n.get_ref()
                .parse::<Cidr>()
                .map_err(|m| err_at(Some(n.span()), Some("policy.trusted_networks".into()), m))
        })
        .collect::<Result<_, _>>()?;
    for (i, e) in config.policy.exempt_recipients.iter().enumerate() {
        if !e.contains('@') {
            return Err(err_at(
                None,
                Some(format!("policy.exempt_recipients[{i}]")),
                format!("{e:?} must be an address, `local@` or `@domain`"),
            ));
        }
    }
    if config.daemon.max_connections == 0 {
        return Err(err_at(
            None,
            Some("daemon.max_connections".into()),
            "must be at least 1".into(),
        ));
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.daemon.log_level) {
        return Err(err_at(
            None,
            Some("daemon.log_level".into()),
            format!("{e}"),
        ));
    }

    if let Err(m) = config.dns.servers() {
        return Err(err_at(None, Some("dns.nameservers".into()), m));
    }

    for check in crate::checks::registry() {
        if let Some((common, reply_span)) = (check.common)(&config) {
            validate_common(check.name, &common).map_err(|m| {
                err_at(
                    reply_span.or(None),
                    Some(format!("checks.{}.reply", check.name)),
                    m,
                )
            })?;
        }
    }
    Ok(config)
}

/// The reply must be sendable and of the class the action needs; indymilter would
/// otherwise silently replace it.
fn validate_common(_check: &str, common: &CheckCommon) -> Result<(), String> {
    let Some(reply) = &common.reply else {
        return Ok(());
    };
    reply.validate()?;
    match common.action {
        Action::Reject if reply.is_temporary() => Err(format!(
            "action is reject but the reply {} is temporary (4xx)",
            reply.code
        )),
        Action::Tempfail if !reply.is_temporary() => Err(format!(
            "action is tempfail but the reply {} is permanent (5xx)",
            reply.code
        )),
        Action::Accept | Action::Discard | Action::DropRecipient => Err(format!(
            "a reply is never sent with action {}; remove it",
            common.action.as_str()
        )),
        _ => Ok(()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The dotted key at a byte offset: the last `[table]` header above it plus the key
/// on that line, so `unknown field` errors say `checks.helo.foo`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[line_start..].lines().next().unwrap_or("");
    let trimmed = line.trim();
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    if trimmed.starts_with('[') {
        return Some(
            trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    let key = trimmed.split_once('=').map(|(k, _)| k.trim().to_owned())?;
    Some(match header {
        Some(h) => format!("{h}.{key}"),
        None => key,
    })
}

impl Config {
    /// The effective configuration as TOML, defaults filled in.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print config: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Config, ConfigError> {
        parse(s, Path::new("test.toml"))
    }

    #[test]
    fn defaults_are_valid() {
        let c = parse_str("").unwrap();
        assert_eq!(c.listen.len(), 1);
        assert!(c.policy.delay_reject);
        assert_eq!(c.socket_mode, 0o660);
    }

    #[test]
    fn unknown_key_names_file_line_key() {
        let e = parse_str("[daemon]\nlisten = [\"unix:/tmp/x\"]\n\n[checks.helo]\nbogus = 1\n")
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("test.toml:5: checks.helo.bogus: unknown field"),
            "{s}"
        );
    }

    #[test]
    fn bad_value_names_key() {
        let e = parse_str("[checks.helo]\nmode = \"maybe\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("checks.helo.mode"));
    }

    #[test]
    fn reply_class_must_match_action() {
        let e = parse_str(
            "[checks.helo]\naction = \"reject\"\nreply = { code = 450, xcode = \"4.7.1\", text = \"x\" }\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("temporary"), "{e}");
        let e = parse_str(
            "[checks.helo]\naction = \"reject\"\nreply = { code = 550, xcode = \"4.7.1\", text = \"x\" }\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }

    #[test]
    fn bad_listen_and_network() {
        let e = parse_str("[daemon]\n\nlisten = [\"tcp:1\"]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("daemon.listen")));
        let e = parse_str("[policy]\ntrusted_networks = [\"10.0.0.0/99\"]\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn order_follows_file() {
        let c = parse_str("[checks.helo]\nenabled = true\n").unwrap();
        assert_eq!(c.check_order, vec!["helo".to_string()]);
    }

    #[test]
    fn effective_config_round_trips() {
        let c = parse_str("[checks.helo]\nmode = \"log\"\n").unwrap();
        let again = parse_str(&c.to_toml()).unwrap();
        assert_eq!(again.checks.helo.unwrap().mode, Mode::Log);
    }
}
