//! Attachment file names with a blocked extension, decoded the way a mail client
//! decodes them (RFC 2231, RFC 2047, nested messages, zip members), so encoded names
//! cannot slip past as they do past Postfix's `mime_header_checks` regexes.
//!
//! Runs at end of message on the headers and the buffered body (up to
//! `max_scan_bytes`). A message larger than that is judged on what was buffered —
//! only parts whose header block arrived whole, so a cut `x.exe.txt` is never read
//! as `x.exe` — and then `oversize` decides. A malformed structure gives the
//! `malformed` verdict, after every name that could be found was judged.

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::mime::{self, Limits, Scan, Source};
use crate::session::{Session, Stage};
use crate::verdict::{Action, Reply};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;

/// A blocked extension: lower case, without the dot; refused at load if empty or
/// holding a dot, slash or white space (it could never match).
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq, Hash)]
#[serde(try_from = "String", into = "String")]
pub struct Extension(String);

impl TryFrom<String> for Extension {
    type Error = String;

    fn try_from(v: String) -> Result<Self, String> {
        let e = v.trim();
        let e = e.strip_prefix('.').unwrap_or(e).to_lowercase();
        if e.is_empty() || e.len() > 32 {
            return Err(format!(
                "extension {v:?} must have 1 to 32 characters (without the dot)"
            ));
        }
        if e.chars()
            .any(|c| c == '.' || c == '/' || c == '\\' || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "extension {v:?} must not contain dots, slashes or white space: only the last extension counts"
            ));
        }
        Ok(Extension(e))
    }
}

impl From<Extension> for String {
    fn from(e: Extension) -> String {
        e.0
    }
}

/// A count within bounds, refused at load otherwise with the bounds in the message.
macro_rules! bounded {
    ($(#[$m:meta])* $name:ident, $key:literal, $min:expr, $max:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(usize);

        impl $name {
            /// The value.
            pub fn get(self) -> usize {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = String;

            fn try_from(v: i64) -> Result<Self, String> {
                match usize::try_from(v) {
                    Ok(n) if ($min..=$max).contains(&n) => Ok($name(n)),
                    _ => Err(format!(
                        concat!($key, " must be between {} and {}, not {}"),
                        $min, $max, v
                    )),
                }
            }
        }

        impl From<$name> for i64 {
            fn from(l: $name) -> i64 {
                i64::try_from(l.0).unwrap_or(i64::MAX)
            }
        }
    };
}

bounded!(
    /// Body bytes buffered and scanned: 64 KiB to 256 MiB.
    ScanLimit,
    "max_scan_bytes",
    64 * 1024,
    256 * 1024 * 1024
);
bounded!(
    /// MIME levels descended: 1 to 64 (mailparse itself stops at 100).
    Depth,
    "max_depth",
    1,
    64
);
bounded!(
    /// Zip central-directory entries read per archive: 1 to 65535.
    ZipEntries,
    "zip_max_entries",
    1,
    65535
);

/// What a message the check could not read whole gets.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// Let it through (logged).
    #[default]
    Continue,
    /// 5xx: 552 5.3.4 for oversize, 550 5.6.0 for malformed.
    Reject,
    /// 4xx: 452 4.3.4 for oversize, 451 4.6.0 for malformed.
    Tempfail,
}

fn default_extensions() -> Vec<Extension> {
    [
        "bat", "cmd", "com", "cpl", "exe", "hta", "jar", "js", "jse", "lnk", "msi", "pif", "ps1",
        "scr", "swf", "vbe", "vbs", "wsf",
    ]
    .iter()
    .map(|e| Extension((*e).to_owned()))
    .collect()
}

crate::check_config! {
    /// `[checks.attachments]`.
    pub struct AttachmentsConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// Extensions refused (the last extension of a name counts).
        pub blocked_extensions: Vec<Extension> = default_extensions(),
        /// Body bytes buffered and scanned; larger messages are handled per `oversize`.
        pub max_scan_bytes: ScanLimit = ScanLimit(10 * 1024 * 1024),
        /// A message larger than `max_scan_bytes` with no blocked name in what was
        /// scanned: continue, reject or tempfail.
        pub oversize: Fallback = Fallback::Continue,
        /// MIME levels descended (multiparts and attached messages).
        pub max_depth: Depth = Depth(16),
        /// A malformed structure (no boundary, parse error, nesting beyond
        /// `max_depth`, invalid base64, unreadable zip) with no blocked name found:
        /// continue, reject or tempfail.
        pub malformed: Fallback = Fallback::Continue,
        /// List the members of zip archives (central directory, no decompression).
        pub scan_zip: bool = true,
        /// Central-directory entries read per archive.
        pub zip_max_entries: ZipEntries = ZipEntries(1000),
        /// A message whose names could not all be listed (a zip with more than
        /// `zip_max_entries` entries, more names than one scan keeps), with no blocked
        /// name among those listed: reject (550 5.7.1), tempfail or continue. Reject by
        /// default: a thousand dummy files cost a sender nothing, and what they hide
        /// is unknown.
        pub incomplete: Fallback = Fallback::Reject,
    }
}

/// The attachment check as a plugin.
pub struct Attachments;

impl CheckSpec for Attachments {
    const NAME: &'static str = "attachments";
    const STAGES: &'static [Stage] = &[Stage::Eom];
    const SUMMARY: &'static str = "attachment names with blocked extensions, decoded (RFC 2231, RFC 2047, nested messages, zip members)";
    type Config = AttachmentsConfig;

    fn build(cfg: &AttachmentsConfig, _env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(AttachmentsCheck::new(cfg)))
    }
}

/// Messages up to this size are scanned on the runtime thread; larger ones on the
/// blocking pool, so a 10 MiB parse does not stall other sessions.
const INLINE_SCAN: usize = 256 * 1024;
/// Longest file name put in a reply (the end is kept: it holds the extension).
const REPLY_NAME_MAX: usize = 60;

struct Settings {
    cfg: AttachmentsConfig,
    blocked: HashSet<String>,
    limits: Limits,
}

/// The attachments check.
pub struct AttachmentsCheck {
    s: Arc<Settings>,
}

impl AttachmentsCheck {
    /// Builds the check from its config section.
    pub fn new(cfg: &AttachmentsConfig) -> Self {
        let limits = Limits {
            max_depth: cfg.max_depth.get(),
            decode_budget: cfg.max_scan_bytes.get(),
            zip: cfg.scan_zip,
            zip_max_entries: cfg.zip_max_entries.get(),
        };
        AttachmentsCheck {
            s: Arc::new(Settings {
                blocked: cfg.blocked_extensions.iter().map(|e| e.0.clone()).collect(),
                cfg: cfg.clone(),
                limits,
            }),
        }
    }
}

impl Check for AttachmentsCheck {
    fn name(&self) -> &'static str {
        "attachments"
    }

    fn stages(&self) -> &'static [Stage] {
        &[Stage::Eom]
    }

    fn body_limit(&self) -> usize {
        self.s.cfg.max_scan_bytes.get()
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        let tx = &session.tx;
        // Header fields past the kept bound may hide the MIME structure: the scan is
        // as incomplete as for a body over max_scan_bytes.
        let truncated = Incomplete {
            body: tx.body_truncated,
            header: tx.headers_truncated,
        };
        // Most mail is one text part without a name: the headers (and a linear pass
        // over a small body) prove the scan would find nothing, so the copy and the
        // parse are skipped and the verdict is the one for an empty scan (which still
        // applies `oversize` to a truncated message). Large bodies take the full path,
        // which scans them off the runtime thread.
        if tx.body.len() <= INLINE_SCAN && mime::nameless_single_part(&tx.headers, &tx.body) {
            let outcome = judge_scan(&self.s, &Scan::default(), truncated);
            if let Some(note) = &outcome.note {
                tracing::info!(session = %session.id, check = "attachments", note = %note, "scan incomplete");
            }
            return Box::pin(std::future::ready(Ok(Outcome::from(outcome.finding))));
        }
        let raw = mime::build_raw(&tx.headers, &tx.body);
        let s = Arc::clone(&self.s);
        let id = session.id.clone();
        Box::pin(async move {
            let outcome = if raw.len() <= INLINE_SCAN {
                judge(&s, &raw, truncated)
            } else {
                // A panic in the parser must not take the connection down: it
                // becomes a temporary error handled per on_error.
                tokio::task::spawn_blocking(move || judge(&s, &raw, truncated))
                    .await
                    .map_err(|e| {
                        CheckError::temporary(format!("attachment scan failed: {e}"), None)
                    })?
            };
            if let Some(note) = &outcome.note {
                tracing::info!(session = %id, check = "attachments", note = %note, "scan incomplete");
            }
            Ok(Outcome::from(outcome.finding))
        })
    }
}

/// A finding and, for a pass, what the scan could not cover (for the log).
#[derive(Debug)]
pub struct Judged {
    /// The finding.
    pub finding: Finding,
    /// Why the scan was incomplete, when it passed anyway.
    pub note: Option<String>,
}

/// What of the message was not kept for the scan.
#[derive(Clone, Copy, Debug, Default)]
struct Incomplete {
    /// The body past max_scan_bytes.
    body: bool,
    /// Header fields past the milter's bound (`MAX_HEADERS`, `MAX_HEADER_BYTES`).
    header: bool,
}

impl From<bool> for Incomplete {
    fn from(body: bool) -> Self {
        Incomplete {
            body,
            header: false,
        }
    }
}

fn judge(s: &Settings, raw: &[u8], cut: impl Into<Incomplete>) -> Judged {
    let cut = cut.into();
    let scan = mime::scan(raw, cut.body, &s.limits);
    judge_scan(s, &scan, cut)
}

/// The verdict for a finished scan.
fn judge_scan(s: &Settings, scan: &Scan, cut: Incomplete) -> Judged {
    for found in &scan.names {
        let norm = mime::normalize(&found.name);
        let Some(ext) = mime::extension(&norm) else {
            continue;
        };
        if !s.blocked.contains(&ext) {
            continue;
        }
        let shown = reply_name(&norm);
        let whence = match &found.source {
            Source::Header => String::new(),
            Source::Zip(archive) => format!(" in zip {:?}", reply_name(archive)),
            Source::Salvaged => " (in a malformed MIME part)".into(),
        };
        let reason = format!(
            "blocked attachment {:?} (.{}){} at MIME depth {}",
            shown,
            reply_name(&ext),
            whence,
            found.depth
        );
        let text = match &found.source {
            Source::Zip(archive) => format!(
                "Attachment \"{}\" contains \"{}\": .{} files are not accepted",
                reply_name(archive),
                shown,
                reply_name(&ext)
            ),
            _ => format!(
                "Attachment \"{}\" blocked: .{} files are not accepted",
                shown,
                reply_name(&ext)
            ),
        };
        let mut hit = Hit::new(reason);
        hit.reply = name_reply(&s.cfg, &text, &shown);
        return Judged {
            finding: Finding::Hit(hit),
            note: None,
        };
    }
    count_incomplete(scan, cut);
    let mut notes = Vec::new();
    if !scan.unlisted.is_empty() {
        let why = format!("not listed whole: {}", scan.unlisted.join("; "));
        if let Some(hit) = fallback_hit(
            s.cfg.incomplete,
            why.clone(),
            Reply::new(
                550,
                "5.7.1",
                "Attachments not accepted: an archive has too many files to check",
            ),
            Reply::new(
                451,
                "4.7.1",
                "Attachments not checked: an archive has too many files to check",
            ),
        ) {
            return hit;
        }
        notes.push(why);
    }
    if !scan.malformed.is_empty() {
        let why = format!("malformed MIME: {}", scan.malformed.join("; "));
        if let Some(hit) = fallback_hit(
            s.cfg.malformed,
            why.clone(),
            Reply::new(550, "5.6.0", "Malformed MIME structure"),
            Reply::new(451, "4.6.0", "Malformed MIME structure"),
        ) {
            return hit;
        }
        notes.push(why);
    }
    if cut.body || cut.header || !scan.limited.is_empty() {
        let mut why = Vec::new();
        if cut.body {
            why.push(format!(
                "message larger than max_scan_bytes ({})",
                s.cfg.max_scan_bytes.get()
            ));
        }
        if cut.header {
            why.push(format!(
                "header larger than kept ({} fields, {} bytes)",
                crate::capture::MAX_HEADERS,
                crate::capture::MAX_HEADER_BYTES
            ));
        }
        why.extend(scan.limited.iter().cloned());
        let why = format!("not scanned whole: {}", why.join("; "));
        if let Some(hit) = fallback_hit(
            s.cfg.oversize,
            why.clone(),
            Reply::new(552, "5.3.4", "Message too large to scan for attachments"),
            Reply::new(452, "4.3.4", "Message too large to scan for attachments"),
        ) {
            return hit;
        }
        notes.push(why);
    }
    Judged {
        finding: Finding::Pass,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Counts each way the scan was incomplete, whatever the verdict.
fn count_incomplete(scan: &Scan, cut: Incomplete) {
    let m = crate::metrics::global();
    let kinds = [
        (cut.body, "body_over_max_scan_bytes"),
        (cut.header, "header_over_bound"),
        (!scan.unlisted.is_empty(), "names_unlisted"),
        (!scan.malformed.is_empty(), "malformed"),
        (!scan.limited.is_empty(), "decode_limit"),
    ];
    for (hit, kind) in kinds {
        if hit {
            m.count_scan_incomplete(kind);
        }
    }
}

fn fallback_hit(f: Fallback, reason: String, reject: Reply, tempfail: Reply) -> Option<Judged> {
    let (action, reply) = match f {
        Fallback::Continue => return None,
        Fallback::Reject => (Action::Reject, reject),
        Fallback::Tempfail => (Action::Tempfail, tempfail),
    };
    Some(Judged {
        finding: Finding::Hit(Hit {
            reason,
            action: Some(action),
            reply: Some(reply),
        }),
        note: None,
    })
}

/// The reply naming the file: the configured one with `{name}` replaced, or ours
/// in the class of the configured action.
fn name_reply(cfg: &AttachmentsConfig, text: &str, name: &str) -> Option<Reply> {
    if let Some(r) = cfg.common().reply {
        let mut out = r.clone();
        out.text = r.text.replace("{name}", name);
        // The configured text was validated at load; the name is bounded but may be
        // long, so cut (on a char boundary, whatever the name holds).
        crate::text::truncate_string(&mut out.text, 900);
        return Some(out);
    }
    match cfg.action {
        Action::Reject => Some(Reply::new(550, "5.7.1", text)),
        Action::Tempfail => Some(Reply::new(450, "4.7.1", text)),
        _ => None,
    }
}

/// A name for the reply and the log: printable ASCII only (others become `?`,
/// quotes and backslashes `_`), at most [`REPLY_NAME_MAX`] characters keeping the
/// end, where the extension is.
pub fn reply_name(name: &str) -> String {
    let clean: Vec<char> = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '?',
        })
        .collect();
    if clean.len() <= REPLY_NAME_MAX {
        return clean.into_iter().collect();
    }
    let tail: String = clean[clean.len() - (REPLY_NAME_MAX - 3)..].iter().collect();
    format!("...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cfg: AttachmentsConfig) -> Settings {
        let c = AttachmentsCheck::new(&cfg);
        Arc::try_unwrap(c.s).ok().unwrap()
    }

    fn verdict(raw: &str) -> Finding {
        judge(
            &settings(AttachmentsConfig::default()),
            raw.as_bytes(),
            false,
        )
        .finding
    }

    #[test]
    fn extension_values() {
        assert_eq!(Extension::try_from(".EXE".to_string()).unwrap().0, "exe");
        assert!(Extension::try_from("tar.gz".to_string()).is_err());
        assert!(Extension::try_from("".to_string()).is_err());
        assert!(Extension::try_from(" . ".to_string()).is_err());
    }

    #[test]
    fn reply_names_are_sanitised() {
        assert_eq!(reply_name("a\"b\\c\r\n.exe"), "a_b_c??.exe");
        assert_eq!(reply_name("grüße.exe"), "gr??e.exe");
        let long = format!("{}.exe", "x".repeat(200));
        let r = reply_name(&long);
        assert_eq!(r.len(), REPLY_NAME_MAX);
        assert!(r.starts_with("...") && r.ends_with(".exe"));
    }

    #[test]
    fn blocked_name_reply() {
        let raw = "Content-Type: application/octet-stream; name=\"=?utf-8?B?aW52b2ljZS5wZGYuZXhl?=\"\r\n\r\nx";
        let Finding::Hit(hit) = verdict(raw) else {
            panic!("not blocked")
        };
        let reply = hit.reply.unwrap();
        assert_eq!((reply.code, reply.xcode.as_str()), (550, "5.7.1"));
        assert!(reply.text.contains("\"invoice.pdf.exe\""), "{}", reply.text);
        assert!(reply.validate().is_ok());
    }

    #[test]
    fn configured_reply_gets_the_name() {
        let cfg: AttachmentsConfig =
            toml::from_str("reply = { code = 554, xcode = \"5.7.1\", text = \"no {name} here\" }")
                .unwrap();
        let raw = "Content-Disposition: attachment; filename=a.js\r\n\r\nx";
        let Finding::Hit(hit) = judge(&settings(cfg), raw.as_bytes(), false).finding else {
            panic!("not blocked")
        };
        assert_eq!(hit.reply.unwrap().to_string(), "554 5.7.1 no a.js here");
    }

    #[test]
    fn harmless_and_fallbacks() {
        assert_eq!(
            verdict("Content-Disposition: attachment; filename=a.exe.pdf\r\n\r\nx"),
            Finding::Pass
        );
        let cfg: AttachmentsConfig =
            toml::from_str("malformed = \"reject\"\noversize = \"tempfail\"").unwrap();
        let s = settings(cfg);
        let bad = "Content-Type: multipart/mixed\r\n\r\nhello\r\n";
        let Finding::Hit(hit) = judge(&s, bad.as_bytes(), false).finding else {
            panic!("malformed passed")
        };
        assert_eq!(hit.action, Some(Action::Reject));
        assert_eq!(hit.reply.unwrap().xcode, "5.6.0");
        let plain = "Subject: x\r\n\r\nhello\r\n";
        let Finding::Hit(hit) = judge(&s, plain.as_bytes(), true).finding else {
            panic!("oversize passed")
        };
        assert_eq!(hit.action, Some(Action::Tempfail));
        assert_eq!(hit.reply.unwrap().to_string().get(..9), Some("452 4.3.4"));
    }
}
