//! The TOML configuration: schema, defaults and validation.
//!
//! Errors name the file, the line and the key, so an operator can go straight to the
//! mistake; a config that does not validate is never used.

use crate::checks::{Registration, Section, SetupError};
use crate::net::{Cidr, ListenSpec};
use crate::values::{check_count, collect_spellings, Spelling, TimeSpan};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

pub use crate::checks::common::{CheckCommon, Mode, OnError, ReplyConfig};

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

crate::section_config! {
    /// How the daemon runs.
    pub struct DaemonConfig {
        /// Sockets: `unix:/path` or `inet:ADDR:PORT`, several allowed.
        pub listen: Vec<Spanned<String>> = vec![Spanned::new(0..0, "inet:127.0.0.1:8891".into())],
        /// Permissions of unix sockets, octal.
        pub socket_mode: Spanned<String> = Spanned::new(0..0, "0660".into()),
        /// Owner of unix sockets (user name), when started as root.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub socket_owner: Option<Spanned<String>> = None,
        /// Group of unix sockets (group name).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub socket_group: Option<Spanned<String>> = None,
        /// Concurrent milter connections, 1 to 100000. One more is closed as soon as it
        /// is accepted, so that the MTA applies its milter_default_action at once
        /// instead of waiting for its connect timeout.
        pub max_connections: usize = 1000,
        /// Silence from the MTA after which a connection is dropped, 1s to 1d (a bare
        /// number counts seconds: deprecated).
        pub connection_timeout: TimeSpan = TimeSpan::from_secs(300),
        /// Longest a milter connection (one SMTP session) may stay open, however busy,
        /// 1s to 1d; then it is closed and the MTA applies milter_default_action to
        /// the rest of that SMTP session. A client trickling a byte now and then cannot
        /// hold a connection slot for longer.
        pub session_timeout: TimeSpan = TimeSpan::from_secs(3600),
        /// Time sessions in flight get to finish on SIGTERM, 0s to 1h (a bare number
        /// counts seconds: deprecated).
        pub shutdown_timeout: TimeSpan = TimeSpan::from_secs(30),
        /// `current-thread` (least CPU per message) or `multi-thread`.
        pub runtime: RuntimeKind = RuntimeKind::CurrentThread,
        /// Write every session seen, in the replay format, to this directory.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub capture_dir: Option<PathBuf> = None,
        /// `text` or `json` log lines on stderr.
        pub log_format: LogFormat = LogFormat::Text,
        /// tracing filter, e.g. `info` or `mxgate=debug`.
        pub log_level: String = "info".into(),
    }
}

impl DaemonConfig {
    /// The ranges of the numeric keys; the key in the error is inside `[daemon]`.
    pub fn validate(&self) -> Result<(), SetupError> {
        check_count("max_connections", self.max_connections, 1..=100_000)?;
        self.connection_timeout.check(
            "connection_timeout",
            TimeSpan::from_secs(1),
            TimeSpan::from_secs(86_400),
        )?;
        self.session_timeout.check(
            "session_timeout",
            TimeSpan::from_secs(1),
            TimeSpan::from_secs(86_400),
        )?;
        self.shutdown_timeout.check(
            "shutdown_timeout",
            TimeSpan::from_secs(0),
            TimeSpan::from_secs(3600),
        )
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

crate::section_config! {
    /// Policy applied around all checks.
    pub struct PolicyConfig {
        /// Hold connect/HELO/MAIL hits until the first RCPT (like smtpd_delay_reject).
        pub delay_reject: bool = true,
        /// Recipients that held hits never reject: `postmaster@` (any domain), `abuse@example.com`.
        pub exempt_recipients: Vec<String> = vec!["postmaster@".into(), "abuse@".into()],
        /// Clients in these networks skip all checks.
        pub trusted_networks: Vec<Spanned<String>> = Vec::new(),
        /// SMTP-authenticated clients (`{auth_authen}` set) skip all checks.
        pub skip_authenticated: bool = true,
        /// The Public Suffix List that organisational domains (DMARC alignment, greylist
        /// `name` keys) are found with, in the publicsuffix.org format, read at start
        /// and on reload; default: the list compiled into mxgate. Debian's package
        /// publicsuffix installs one that stays current:
        /// /usr/share/publicsuffix/public_suffix_list.dat.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub public_suffix_list: Option<PathBuf> = None,
    }
}

/// The names of the `[checks.*]` sections, in the order the file lists them. Each
/// section's content is read by its own check ([`Registration::parse`]).
#[derive(Clone, Debug, Default)]
pub struct CheckNames(pub Vec<String>);

impl<'de> Deserialize<'de> for CheckNames {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = CheckNames;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of check sections")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CheckNames, A::Error> {
                let mut names = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    names.push(k);
                }
                Ok(CheckNames(names))
            }
        }
        d.deserialize_map(Names)
    }
}

/// The text a config was read from, kept so that problems found after parsing (a check
/// that cannot be built) still name the line.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
}

impl Source {
    /// An error at a dotted key (`checks.relay.map`), with the key's line when the file
    /// has it (else its section's line).
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> ConfigError {
        // A key the file may still spell the old way (`timeout_ms`): both lookups fall
        // back to the same table header, and a key's own line comes after it.
        let old_spelling = (!key.contains('[')).then(|| key_line(&self.text, &format!("{key}_ms")));
        ConfigError {
            path: self.path.clone(),
            line: key_line(&self.text, key).max(old_spelling.flatten()),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// A check's setup problem, located.
    pub fn setup_error(&self, check: &str, e: &SetupError) -> ConfigError {
        let key = match &e.key {
            Some(k) => format!("checks.{check}.{k}"),
            None => format!("checks.{check}"),
        };
        self.error_at(&key, e.message.clone())
    }
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
    /// The names of the check sections in file order (their contents are in `checks`).
    #[serde(rename = "checks", skip_serializing)]
    pub check_names: CheckNames,
    /// The Prometheus endpoint (off by default).
    pub metrics: crate::metrics::MetricsConfig,
    /// Every check section of the file, in run order: file order, except that a check
    /// comes after the checks it reads ([`Registration::after`]).
    #[serde(skip)]
    pub checks: Vec<Arc<dyn Section>>,
    /// Things the operator should know that do not stop mxgate (a section moved after
    /// the check it reads, a deprecated spelling).
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// Where the config came from.
    #[serde(skip)]
    pub source: Arc<Source>,
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
    let text = read_text(path)?;
    parse(&text, path)
}

/// Most bytes a config file may have: far more than any real one, little enough that
/// pointing `--config` at a device cannot fill the memory.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// The text of a config file: a regular file (a FIFO would block the start, a device
/// would be read forever) of at most [`MAX_CONFIG_BYTES`], in UTF-8 with LF or CRLF
/// line ends; each refusal names the file and, where there is one, the line.
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read as _;
    let err = |line: Option<usize>, message: String| ConfigError {
        path: path.to_owned(),
        line,
        key: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err(None, "not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(err(
            None,
            format!("larger than {} MiB", MAX_CONFIG_BYTES >> 20),
        ));
    }
    let line_at = |offset: usize| line_of_bytes(&bytes, offset);
    let text = match String::from_utf8(bytes.clone()) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            return Err(err(
                Some(line_at(at)),
                format!("not valid UTF-8 (byte {at} of the file); TOML is UTF-8"),
            ));
        }
    };
    // TOML ends lines with LF or CRLF; a file with bare CRs (old Mac line ends) would
    // read as one long line.
    if let Some(at) = text
        .as_bytes()
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        return Err(err(
            Some(line_at(at)),
            "a carriage return without a line feed: TOML lines end with LF or CRLF (convert the file, e.g. with tr '\\r' '\\n')".into(),
        ));
    }
    Ok(text)
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// A TOML error's own words, or, where the parser gives none (a value missing at the
/// end of the file, a NUL in a comment), what stands at its position.
fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let m = e.message().trim();
    if !m.is_empty() {
        return m.to_owned();
    }
    let at = e.span().map_or(text.len(), |s| s.start.min(text.len()));
    match text.get(at..).map(|rest| rest.chars().next()) {
        Some(None) => "the file ends where a value or a line end is expected".into(),
        Some(Some(c)) if c.is_control() => format!(
            "control character U+{:04X} is not allowed here (not even in a comment)",
            c as u32
        ),
        Some(Some(c)) => format!("unexpected {c:?}"),
        None => "not valid TOML here".into(),
    }
}

/// Parses and validates config text; `path` is only used in messages. Deprecated
/// spellings (a duration as a bare number, a `*_ms` key) load, each with a warning in
/// [`Config::warnings`] that names its line.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let (config, spellings) = collect_spellings(|| parse_checked(text, path));
    let mut config = config?;
    let deprecated: Vec<String> = spellings
        .iter()
        .filter_map(|s| deprecation(text, path, s))
        .collect();
    config.warnings.splice(0..0, deprecated);
    Ok(config)
}

/// The warning for a duration spelt the old way (a bare number, or a key that ends in
/// `_ms`), None for one written as it should be.
fn deprecation(text: &str, path: &Path, s: &Spelling) -> Option<String> {
    let start = s.span.start.min(text.len());
    // The key is what stands before the `=` in front of the value (also inside an
    // inline table); its table is the header above.
    let before = text[..start].trim_end().strip_suffix('=')?;
    let last = before
        .rsplit(['\n', '{', ','])
        .next()?
        .trim()
        .rsplit('.')
        .next()?
        .trim_matches(|c| c == '"' || c == '\'' || c == ' ');
    let new = last.strip_suffix("_ms");
    if new.is_none() && !s.bare_number {
        return None;
    }
    let full = match key_at(text, start) {
        Some(k) if k.ends_with(last) => k,
        Some(k) => format!("{k}.{last}"),
        None => last.to_owned(),
    };
    Some(format!(
        "{}:{}: {full}: deprecated: write {} = \"{}\"",
        path.display(),
        line_of(text, start),
        new.unwrap_or(last),
        s.value
    ))
}

fn parse_checked(text: &str, path: &Path) -> Result<Config, ConfigError> {
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
        .map_err(|e: toml::de::Error| err_at(e.span(), None, toml_message(&e, text)))?;

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
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.daemon.log_level) {
        return Err(err_at(
            None,
            Some("daemon.log_level".into()),
            format!("{e}"),
        ));
    }

    config.source = Arc::new(Source {
        path: path.to_owned(),
        text: text.to_owned(),
    });
    let source = Arc::clone(&config.source);
    let in_section = |section: &str, e: SetupError| {
        let key = match &e.key {
            Some(k) => format!("{section}.{k}"),
            None => section.to_owned(),
        };
        source.error_at(&key, e.message)
    };
    config
        .daemon
        .validate()
        .map_err(|e| in_section("daemon", e))?;
    config.dns.validate().map_err(|e| in_section("dns", e))?;
    config
        .database
        .validate()
        .map_err(|e| in_section("database", e))?;
    let mut sections: Vec<Arc<dyn Section>> = Vec::new();
    for name in &config.check_names.0 {
        let Some(reg) = crate::checks::registration(name) else {
            let known: Vec<&str> = crate::checks::registry().iter().map(|r| r.name).collect();
            return Err(source.error_at(
                &format!("checks.{name}"),
                format!("unknown check; known: {}", known.join(", ")),
            ));
        };
        let Some(section) = (reg.parse)(text)
            .map_err(|e: toml::de::Error| err_at(e.span(), None, toml_message(&e, text)))?
        else {
            continue;
        };
        let common = section.common();
        common.validate().map_err(|m| {
            err_at(
                section.reply_span(),
                Some(format!("checks.{}.reply", reg.name)),
                m,
            )
        })?;
        if common.enabled {
            section
                .validate()
                .map_err(|e| source.setup_error(reg.name, &e))?;
        }
        sections.push(section);
    }
    let (ordered, moved) = run_order(sections, &source);
    config.checks = ordered;
    config.warnings.extend(moved);
    Ok(config)
}

/// File order, except that a check runs after every enabled check it reads
/// ([`Registration::after`]) even when the file lists it earlier. Deriving the order
/// rather than refusing the file keeps every installed config working, and the order
/// it replaces could only have given wrong verdicts; each move is reported as a warning.
fn run_order(
    sections: Vec<Arc<dyn Section>>,
    source: &Source,
) -> (Vec<Arc<dyn Section>>, Vec<String>) {
    let name = |s: &Arc<dyn Section>| s.registration().name;
    let enabled: Vec<&'static str> = sections
        .iter()
        .filter(|s| s.common().enabled)
        .map(name)
        .collect();
    let mut warnings = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if !s.common().enabled {
            continue;
        }
        for dep in s.registration().after {
            if enabled.contains(dep) && sections[i..].iter().any(|l| name(l) == *dep) {
                let e = source.error_at(
                    &format!("checks.{}", name(s)),
                    format!("listed before checks.{dep}, which it reads; it runs after it"),
                );
                warnings.push(e.to_string());
            }
        }
    }
    let mut out: Vec<Arc<dyn Section>> = Vec::with_capacity(sections.len());
    let mut pending = sections;
    // Place the first pending section whose enabled dependencies are all placed. `after`
    // names only registered checks and has no cycle (tested), so one is always ready;
    // the fallback to the first keeps this total even if that ever broke.
    while !pending.is_empty() {
        let i = pending
            .iter()
            .position(|s| {
                s.registration()
                    .after
                    .iter()
                    .all(|dep| !enabled.contains(dep) || out.iter().any(|o| name(o) == *dep))
            })
            .unwrap_or(0);
        out.push(pending.remove(i));
    }
    (out, warnings)
}

/// The line of a dotted key (`checks.relay.map`): the key's own line inside its table,
/// else the table's header line.
fn key_line(text: &str, dotted: &str) -> Option<usize> {
    let (table, key) = match dotted.split_once("checks.") {
        Some(("", rest)) => match rest.split_once('.') {
            Some((check, key)) => (format!("checks.{check}"), Some(key)),
            None => (format!("checks.{rest}"), None),
        },
        _ => match dotted.rsplit_once('.') {
            Some((t, k)) => (t.to_owned(), Some(k)),
            None => (String::new(), Some(dotted)),
        },
    };
    // `lists[2]...`: the third `[[checks.X.lists]]` table.
    if let Some((array, rest)) = key.and_then(|k| k.split_once('[')) {
        let index: Option<usize> = rest.split(']').next().and_then(|i| i.parse().ok());
        let wanted = format!("{table}.{array}");
        let found = text
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                l.trim()
                    .strip_prefix("[[")
                    .and_then(|h| h.split("]]").next())
                    .is_some_and(|h| {
                        h.split('.').map(str::trim).collect::<Vec<_>>().join(".") == wanted
                    })
            })
            .nth(index.unwrap_or(0))
            .map(|(n, _)| n + 1);
        if found.is_some() {
            return found;
        }
    }
    // The key's first path component, without an index: `lists[2].zone` -> `lists`.
    let key = key.map(|k| k.split(['.', '[']).next().unwrap_or(k).trim());
    let mut in_table = table.is_empty();
    let mut header_line = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix('[') {
            let h = h.trim_start_matches('[');
            let h = h.split(']').next().unwrap_or("").trim();
            let h: String = h.split('.').map(str::trim).collect::<Vec<_>>().join(".");
            in_table = h == table;
            if in_table && header_line.is_none() {
                header_line = Some(n + 1);
            }
            continue;
        }
        if in_table {
            if let (Some(k), Some((lhs, _))) = (key, line.split_once('=')) {
                if lhs.trim() == k {
                    return Some(n + 1);
                }
            }
        }
    }
    header_line
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
    /// The effective configuration as TOML, defaults filled in, checks in run order.
    pub fn to_toml(&self) -> String {
        let mut table = match toml::Table::try_from(self) {
            Ok(t) => t,
            Err(e) => return format!("# cannot print config: {e}\n"),
        };
        let mut checks = toml::Table::new();
        for s in &self.checks {
            match s.to_toml() {
                Ok(v) => {
                    checks.insert(s.registration().name.to_owned(), v);
                }
                Err(e) => return format!("# cannot print checks.{}: {e}\n", s.registration().name),
            }
        }
        if !checks.is_empty() {
            table.insert("checks".into(), toml::Value::Table(checks));
        }
        toml::to_string_pretty(&table).unwrap_or_else(|e| format!("# cannot print config: {e}\n"))
    }

    /// The typed settings of the check whose config type is `T`, if the file has its
    /// section (enabled or not).
    pub fn section<T: 'static>(&self) -> Option<&T> {
        self.checks
            .iter()
            .find_map(|s| s.as_any().downcast_ref::<T>())
    }

    /// What checks are built with: the shared services and the global settings they read.
    pub fn build_env<'a>(
        &'a self,
        services: &'a crate::checks::Services,
    ) -> crate::checks::BuildEnv<'a> {
        crate::checks::BuildEnv {
            services,
            dns: &self.dns,
            database: &self.database,
            public_suffix_list: self.policy.public_suffix_list.as_deref(),
        }
    }

    /// The check sections in run order, with their registrations.
    pub fn check_sections(
        &self,
    ) -> impl Iterator<Item = (&'static Registration, &Arc<dyn Section>)> {
        self.checks.iter().map(|s| (s.registration(), s))
    }
}

#[cfg(test)]
mod spelling_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Config, ConfigError> {
        parse(s, Path::new("test.toml"))
    }

    /// `load` of a file holding `bytes`: the error, as printed.
    fn load_error(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, bytes).expect("write");
        let e = load(&path).expect_err("loads");
        e.to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    }

    #[test]
    fn unreadable_files_are_named_with_their_line() {
        assert_eq!(
            load_error(b"[daemon]\nlog_level = \"info\xff\"\n"),
            "DIR/m.toml:2: not valid UTF-8 (byte 26 of the file); TOML is UTF-8"
        );
        let cr = load_error(b"[daemon]\rlog_level = \"info\"\r");
        assert!(
            cr.starts_with("DIR/m.toml:1: a carriage return without a line feed"),
            "{cr}"
        );
        // CRLF is TOML.
        let dir = tempfile::tempdir().expect("tempdir");
        let crlf = dir.path().join("crlf.toml");
        std::fs::write(&crlf, b"[daemon]\r\nlog_level = \"debug\"\r\n").expect("write");
        assert_eq!(load(&crlf).expect("CRLF loads").daemon.log_level, "debug");
        assert_eq!(
            load_error(b"[daemon]\nlog_level ="),
            "DIR/m.toml:2: daemon.log_level: the file ends where a value or a line end is expected"
        );
        assert_eq!(
            load_error(b"[daemon]\n# a \0 nul\n"),
            "DIR/m.toml:2: control character U+0000 is not allowed here (not even in a comment)"
        );
        let big = vec![b'#'; MAX_CONFIG_BYTES as usize + 1];
        assert_eq!(load_error(&big), "DIR/m.toml: larger than 4 MiB");
    }

    #[test]
    fn devices_and_fifos_are_refused_without_reading() {
        let e = load(Path::new("/dev/zero")).expect_err("/dev/zero loads");
        assert_eq!(e.to_string(), "/dev/zero: not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs");
        assert!(made.success(), "mkfifo failed");
        // Opening a FIFO without a writer would block this test forever.
        let e = load(&fifo).expect_err("a FIFO loads");
        assert!(
            e.to_string().ends_with("fifo.toml: not a regular file"),
            "{e}"
        );
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
        let c = parse_str("[checks.helo]\nenabled = true\n[checks.attachments]\n").unwrap();
        let names: Vec<&str> = c.check_sections().map(|(r, _)| r.name).collect();
        assert_eq!(names, ["helo", "attachments"]);
    }

    #[test]
    fn unknown_check_is_refused_with_its_line() {
        let e = parse_str("[daemon]\n\n[checks.bogus]\nenabled = true\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("checks.bogus")),
            "{e}"
        );
        assert!(e.message.contains("known: "), "{e}");
    }

    #[test]
    fn key_lines() {
        let t = "[daemon]\nlisten = []\n[checks.relay]\n# map = \"x\"\n map = \"y\"\n[[checks.dnsbl.lists]]\nzone = \"z\"\n";
        assert_eq!(key_line(t, "checks.relay.map"), Some(5));
        assert_eq!(key_line(t, "checks.relay.table"), Some(3));
        assert_eq!(key_line(t, "checks.relay"), Some(3));
        assert_eq!(key_line(t, "daemon.listen"), Some(2));
        assert_eq!(key_line(t, "checks.dnsbl.lists[0].zone"), Some(6));
        assert_eq!(key_line(t, "checks.dnsbl.lists[1]"), None);
        assert_eq!(key_line(t, "checks.missing.x"), None);
    }

    #[test]
    fn effective_config_round_trips() {
        let c = parse_str("[checks.helo]\nmode = \"log\"\n").unwrap();
        let again = parse_str(&c.to_toml()).unwrap();
        let helo = again
            .section::<crate::checks::helo::HeloConfig>()
            .expect("helo section");
        assert_eq!(helo.mode, Mode::Log);
    }
}
