//! What every check's config shares: the common keys (`enabled`, `mode`, `action`,
//! `on_error`, `reply`), and the macros that declare a config section with its defaults
//! and doc comments in one place, so the shipped config, the man page and the code
//! cannot disagree.

use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};

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

impl Mode {
    /// Name as written in the config and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Log => "log",
        }
    }
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

impl CheckCommon {
    /// The reply must be sendable and of the class the action needs; indymilter would
    /// otherwise silently replace it.
    pub fn validate(&self) -> Result<(), String> {
        let Some(reply) = &self.reply else {
            return Ok(());
        };
        reply.validate()?;
        match self.action {
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
                self.action.as_str()
            )),
            _ => Ok(()),
        }
    }
}

/// One key of a config section: its name and its doc comment, as written in the code.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct KeyDoc {
    /// The key as written in the file.
    pub name: &'static str,
    /// The doc comment, lines joined with spaces.
    pub doc: String,
}

/// The documentation of one config table: a section (`[dns]`, `[checks.helo]`) or a
/// table inside one (`[[checks.dnsbl.lists]]`).
#[derive(Clone, Debug)]
pub struct TableDoc {
    /// Dotted name, as in the file's header.
    pub name: String,
    /// An array of tables (`[[...]]`).
    pub array: bool,
    /// What it is for, one paragraph or more.
    pub summary: String,
    /// Its keys, in declaration order.
    pub keys: Vec<KeyDoc>,
    /// The defaults of the keys that have one.
    pub defaults: toml::Table,
}

/// A config section that knows its keys' documentation (written by [`section_config!`](crate::section_config)
/// and [`check_config!`](crate::check_config) from the doc comments), and whose `Default` is the shipped
/// default.
pub trait Documented: Serialize + Default {
    /// Every key, in declaration order.
    fn keys() -> Vec<KeyDoc>;

    /// The default of every key that has one (keys that default to nothing are absent).
    fn defaults() -> toml::Table {
        toml::Table::try_from(Self::default()).unwrap_or_default()
    }
}

/// Joins doc-comment lines into one paragraph (a blank doc line keeps a paragraph break).
pub fn join_doc(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push_str("\n\n");
            }
            continue;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(l);
    }
    out.trim_end().to_owned()
}

/// The text of a field's doc attributes (None for other attributes), as one paragraph.
pub fn doc_of(parts: &[Option<&str>]) -> String {
    let lines: Vec<&str> = parts.iter().flatten().copied().collect();
    join_doc(&lines)
}

/// The common keys' documentation, shared by every check.
pub fn common_keys() -> Vec<KeyDoc> {
    let k = |name, doc: &str| KeyDoc {
        name,
        doc: doc.to_owned(),
    };
    vec![
        k("enabled", "Build and run this check."),
        k(
            "mode",
            "\"enforce\", or \"log\" (shadow mode: log what would happen, change nothing).",
        ),
        k(
            "action",
            "What a hit does: \"reject\", \"tempfail\", \"discard\", \"drop-recipient\" or \"accept\".",
        ),
        k(
            "on_error",
            "What a DNS or database failure does: \"tempfail\" (4xx) or \"continue\" (fail open, logged).",
        ),
        k(
            "reply",
            "The SMTP reply for reject/tempfail, { code = 550, xcode = \"5.7.1\", text = \"...\" }; the code's class must match the action. Default: the check's own.",
        ),
    ]
}

/// Picks the text of a doc attribute; any other attribute gives nothing.
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_text {
    (doc = $d:literal) => {
        Some($d)
    };
    ($($other:tt)*) => {
        None::<&str>
    };
}

/// The [`KeyDoc`]s of fields given as `[[attr tokens]…] name`: the doc attributes' text,
/// joined; other attributes are skipped.
#[doc(hidden)]
#[macro_export]
macro_rules! __key_docs {
    ($( [$( [$($fattr:tt)*] )*] $field:ident ),*) => {
        vec![$(
            $crate::checks::common::KeyDoc {
                name: stringify!($field),
                doc: $crate::checks::common::doc_of(&[$( $crate::__doc_text!($($fattr)*) ),*]),
            }
        ),*]
    };
}

/// Declares a struct as it is and records its fields' doc comments (`keys()`), for
/// tables whose fields have no single default (a required `zone`).
#[macro_export]
macro_rules! documented {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$($fattr:tt)*])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$($fattr)*])* pub $field: $ty, )*
        }

        impl $name {
            /// Every key with its doc comment, in declaration order.
            pub fn keys() -> Vec<$crate::checks::common::KeyDoc> {
                $crate::__key_docs!($( [$( [$($fattr)*] )*] $field ),*)
            }
        }
    };
}

/// Declares a plain config section: a struct whose fields are all optional in the file,
/// each with its default beside it and its doc comment kept for the documentation
/// ([`Documented`]).
#[macro_export]
macro_rules! section_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$($fattr:tt)*])* pub $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $( $(#[$($fattr)*])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $crate::checks::common::Documented for $name {
            fn keys() -> Vec<$crate::checks::common::KeyDoc> {
                $crate::__key_docs!($( [$( [$($fattr)*] )*] $field ),*)
            }
        }
    };
}

/// Declares a check's config section: the common keys (`enabled`, `mode`, `action`,
/// `on_error`, `reply`) with this check's defaults, and the check's own keys, each with
/// its default and doc comment ([`Documented`]).
#[macro_export]
macro_rules! check_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            action: $action:expr,
            on_error: $on_error:expr;
            $( $(#[$($fattr:tt)*])* pub $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Build and run this check.
            pub enabled: bool,
            /// `enforce` or `log` (shadow mode).
            pub mode: $crate::checks::common::Mode,
            /// What a hit does: accept, reject, tempfail, discard, drop-recipient.
            pub action: $crate::verdict::Action,
            /// What a DNS or database failure does: tempfail or continue.
            pub on_error: $crate::checks::common::OnError,
            /// The SMTP reply for reject/tempfail.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub reply: Option<toml::Spanned<$crate::checks::common::ReplyConfig>>,
            $( $(#[$($fattr)*])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    mode: $crate::checks::common::Mode::Enforce,
                    action: $action,
                    on_error: $on_error,
                    reply: None,
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            /// The settings every check shares.
            pub fn common(&self) -> $crate::checks::common::CheckCommon {
                $crate::checks::common::CheckCommon {
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

        impl $crate::checks::common::Documented for $name {
            fn keys() -> Vec<$crate::checks::common::KeyDoc> {
                let mut keys = $crate::checks::common::common_keys();
                keys.extend($crate::__key_docs!($( [$( [$($fattr)*] )*] $field ),*));
                keys
            }
        }

        impl $crate::checks::spec::CheckConfig for $name {
            fn common(&self) -> $crate::checks::common::CheckCommon {
                $name::common(self)
            }
            fn reply_span(&self) -> Option<std::ops::Range<usize>> {
                $name::reply_span(self)
            }
        }
    };
}

/// Refuses at load an `action` that cannot refuse a whole message at end of message
/// (accept, drop-recipient): for the checks that judge the message itself.
pub fn check_eom_action(action: Action) -> Result<(), crate::checks::SetupError> {
    match action {
        Action::Reject | Action::Tempfail | Action::Discard => Ok(()),
        a => Err(crate::checks::SetupError::key(
            "action",
            format!(
                "{:?} cannot refuse a message at end of message: use \"reject\", \"tempfail\" or \"discard\"",
                a.as_str()
            ),
        )),
    }
}
