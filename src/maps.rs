//! Postfix-syntax lookup tables in files, reloaded when they change.
//!
//! Two formats, as in Postfix: key tables (`key value…`, like hash:/texthash: sources;
//! keys are addresses, domains, `@domain`, `user@`) and CIDR tables (`network value…`,
//! like cidr:, longest prefix wins — Postfix takes the first match, we take the most
//! specific, so entry order never matters). `#` comments, blank lines, and lines that
//! start with whitespace continue the previous entry. A file that fails to parse is
//! refused with `file:line: message`; on reload the old table stays in force.

use crate::net::Cidr;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

/// A map file that could not be read or parsed.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct MapError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the problem is on one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One table entry: its value (the rest of the line) and where it was written.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Entry {
    /// Everything after the key, whitespace-trimmed, continuation lines joined by a space.
    pub value: String,
    /// Line of the key in the file (for logs: which entry decided).
    pub line: usize,
}

/// A table format parsed from a whole file.
pub trait TableFormat: Sized + Send + Sync + 'static {
    /// Parses the file's text; `path` is for messages.
    fn parse(text: &str, path: &Path) -> Result<Self, MapError>;
    /// Number of entries (for logs and metrics).
    fn len(&self) -> usize;
    /// True without entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Splits a file into logical entries: (line, key, value).
fn parse_entries(text: &str, path: &Path) -> Result<Vec<(usize, String, String)>, MapError> {
    let mut out: Vec<(usize, String, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            match out.last_mut() {
                Some((_, _, value)) => {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(trimmed);
                    continue;
                }
                None => {
                    return Err(MapError {
                        path: path.to_owned(),
                        line: Some(line),
                        message: "continuation line without an entry above it".into(),
                    })
                }
            }
        }
        let (key, value) = match trimmed.split_once(char::is_whitespace) {
            Some((k, v)) => (k, v.trim()),
            None => (trimmed, ""),
        };
        out.push((line, key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// `key value` table; keys are matched case-insensitively.
#[derive(Debug, Default)]
pub struct KeyTable {
    map: HashMap<String, Entry>,
}

impl KeyTable {
    /// The entry for `key` (any case).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.map.get(&key.to_ascii_lowercase())
        } else {
            self.map.get(key)
        }
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl TableFormat for KeyTable {
    fn parse(text: &str, path: &Path) -> Result<Self, MapError> {
        let mut map = HashMap::new();
        for (line, key, value) in parse_entries(text, path)? {
            if value.is_empty() {
                return Err(MapError {
                    path: path.to_owned(),
                    line: Some(line),
                    message: format!("{key:?} has no value (expected `key value`)"),
                });
            }
            // Postfix keeps the first of duplicate keys (with a warning); so do we.
            let key = key.to_ascii_lowercase();
            if let Some(first) = map.get(&key) {
                let first: &Entry = first;
                tracing::warn!(file = %path.display(), line, first = first.line, key = %key, "duplicate key ignored");
                continue;
            }
            map.insert(key, Entry { value, line });
        }
        Ok(KeyTable { map })
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// `network value` table; the longest matching prefix wins.
#[derive(Debug, Default)]
pub struct CidrTable {
    /// Sorted by prefix length, longest first, so the first match is the most specific.
    entries: Vec<(Cidr, Entry)>,
}

impl CidrTable {
    /// The most specific entry containing `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<(&Cidr, &Entry)> {
        self.entries
            .iter()
            .find(|(net, _)| net.contains(ip))
            .map(|(n, e)| (n, e))
    }
}

impl TableFormat for CidrTable {
    fn parse(text: &str, path: &Path) -> Result<Self, MapError> {
        let mut entries = Vec::new();
        for (line, key, value) in parse_entries(text, path)? {
            let net: Cidr = key.parse().map_err(|m| MapError {
                path: path.to_owned(),
                line: Some(line),
                message: m,
            })?;
            if value.is_empty() {
                return Err(MapError {
                    path: path.to_owned(),
                    line: Some(line),
                    message: format!("{key} has no value (expected `network action`)"),
                });
            }
            entries.push((net, Entry { value, line }));
        }
        // Stable: equal prefixes keep file order (the first written wins, as in Postfix).
        entries.sort_by_key(|(n, _)| std::cmp::Reverse(n.prefix()));
        Ok(CidrTable { entries })
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    ino: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        ino: m.ino(),
    })
}

/// A table file kept current: readers get the table as of the last good load.
pub struct MapFile<T: TableFormat> {
    path: PathBuf,
    table: RwLock<Arc<T>>,
    stamp: RwLock<Option<Stamp>>,
}

impl<T: TableFormat> MapFile<T> {
    /// Loads the file; fails with file:line when it does not parse.
    pub fn open(path: &Path) -> Result<Arc<Self>, MapError> {
        let st = stamp(path).ok();
        let table = load::<T>(path)?;
        Ok(Arc::new(MapFile {
            path: path.to_owned(),
            table: RwLock::new(Arc::new(table)),
            stamp: RwLock::new(st),
        }))
    }

    /// The current table.
    pub fn table(&self) -> Arc<T> {
        match self.table.read() {
            Ok(t) => Arc::clone(&t),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reloads if the file changed (mtime, size or inode — editors replace files).
    /// Ok(true) when a new table is in force; Err leaves the old table in force.
    pub fn reload_if_changed(&self) -> Result<bool, MapError> {
        let now = stamp(&self.path).map_err(|e| MapError {
            path: self.path.clone(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        let old = self.stamp.read().map(|s| *s).unwrap_or(None);
        if old == Some(now) {
            return Ok(false);
        }
        // Record the stamp even when the parse fails, so a broken file is reported once,
        // not every interval; fixing it changes the stamp again.
        if let Ok(mut s) = self.stamp.write() {
            *s = Some(now);
        }
        let table = load::<T>(&self.path)?;
        let n = table.len();
        match self.table.write() {
            Ok(mut t) => *t = Arc::new(table),
            Err(p) => *p.into_inner() = Arc::new(table),
        }
        tracing::info!(file = %self.path.display(), entries = n, "map reloaded");
        Ok(true)
    }

    /// Checks the file every `interval` in a background task that ends when the map is
    /// dropped; does nothing outside a tokio runtime (unit tests, the CLI).
    pub fn watch(self: &Arc<Self>, interval: Duration) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Self> = Arc::downgrade(self);
        handle.spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(map) = weak.upgrade() else { return };
                if let Err(e) = map.reload_if_changed() {
                    tracing::error!(error = %e, "map not reloaded; the previous table stays in force");
                }
            }
        });
    }
}

fn load<T: TableFormat>(path: &Path) -> Result<T, MapError> {
    let err = |message: String| MapError {
        path: path.to_owned(),
        line: None,
        message,
    };
    // A FIFO would block the start (or a reload) until someone writes to it, and a
    // device would be read forever.
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    T::parse(&text, path)
}

/// A recipient delimiter (`+` in `user+ext@domain`): one character, or none (`""`).
/// Validated while the config is read, so a bad value is reported with file and line.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, serde::Serialize, Eq, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct Delimiter(pub Option<char>);

impl TryFrom<String> for Delimiter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (None, _) => Ok(Delimiter(None)),
            (Some(c), None) if c != '@' && !c.is_whitespace() && !c.is_control() => {
                Ok(Delimiter(Some(c)))
            }
            _ => Err(format!(
                "recipient_delimiter {s:?} must be one character other than '@' and space (or \"\")"
            )),
        }
    }
}

impl From<Delimiter> for String {
    fn from(d: Delimiter) -> String {
        d.0.map(String::from).unwrap_or_default()
    }
}

/// The keys Postfix's access(5) tries for an address, in order, with our choices:
/// the address, then the domain and (when `parents`) its parent domains, then `user@`.
/// With `delimiter` (e.g. `+`), `user+ext@domain` is tried as itself first, then as
/// `user@domain` — as Postfix does. Keys are lower-case.
pub fn address_keys(addr: &str, delimiter: Option<char>, parents: bool) -> Vec<String> {
    let addr = addr.to_ascii_lowercase();
    let (local, Some(domain)) = crate::address::Address::split(&addr) else {
        return vec![addr];
    };
    let mut keys = vec![addr.clone()];
    let base_local = delimiter
        .and_then(|d| local.split_once(d).map(|(b, _)| b))
        .filter(|b| !b.is_empty());
    if let Some(base) = base_local {
        keys.push(format!("{base}@{domain}"));
    }
    keys.push(domain.to_owned());
    if parents {
        let mut rest = domain;
        while let Some((_, parent)) = rest.split_once('.') {
            if !parent.contains('.') {
                break;
            }
            keys.push(format!(".{parent}"));
            keys.push(parent.to_owned());
            rest = parent;
        }
    }
    keys.push(format!("{local}@"));
    if let Some(base) = base_local {
        keys.push(format!("{base}@"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.map")
    }

    #[test]
    fn key_table_parses_comments_continuations_and_case() {
        let t = KeyTable::parse(
            "# comment\n\nUser@Example.com REJECT no\n  more text\n@example.org OK\n",
            p(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.get("user@example.COM").unwrap().value,
            "REJECT no more text"
        );
        assert_eq!(t.get("@example.org").unwrap().line, 5);
        assert!(t.get("other").is_none());
    }

    #[test]
    fn only_regular_files_are_read() {
        let e = MapFile::<KeyTable>::open(Path::new("/dev/zero"))
            .err()
            .expect("/dev/zero opens as a map");
        assert_eq!(e.to_string(), "/dev/zero: not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let e = MapFile::<KeyTable>::open(dir.path())
            .err()
            .expect("a directory opens as a map");
        assert!(e.to_string().ends_with(": not a regular file"), "{e}");
    }

    #[test]
    fn key_table_errors_name_the_line() {
        let e = KeyTable::parse("ok OK\nlonely\n", p()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.map:2: \"lonely\" has no value (expected `key value`)"
        );
        let e = KeyTable::parse("  starts indented\n", p()).unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn cidr_longest_prefix_wins_regardless_of_order() {
        let t = CidrTable::parse(
            "192.0.2.0/24 REJECT net\n192.0.2.7 OK\n2001:db8::/32 REJECT v6\n0.0.0.0/0 DUNNO\n",
            p(),
        )
        .unwrap();
        let v = |ip: &str| t.lookup(ip.parse().unwrap()).map(|(_, e)| e.value.clone());
        assert_eq!(v("192.0.2.7").as_deref(), Some("OK"));
        assert_eq!(v("192.0.2.8").as_deref(), Some("REJECT net"));
        assert_eq!(v("198.51.100.1").as_deref(), Some("DUNNO"));
        assert_eq!(v("2001:db8::1").as_deref(), Some("REJECT v6"));
        assert_eq!(v("2001:db9::1"), None);
        let e = CidrTable::parse("10.0.0.0/8 OK\n10.1.0.0/99 OK\n", p()).unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn address_keys_follow_access_5() {
        assert_eq!(
            address_keys("User+Tag@Mail.Example.COM", Some('+'), true),
            vec![
                "user+tag@mail.example.com",
                "user@mail.example.com",
                "mail.example.com",
                ".example.com",
                "example.com",
                "user+tag@",
                "user@",
            ]
        );
        assert_eq!(
            address_keys("a@b.example", None, false),
            vec!["a@b.example", "b.example", "a@"]
        );
        assert_eq!(address_keys("postmaster", None, true), vec!["postmaster"]);
    }

    #[test]
    fn reload_keeps_old_table_on_error_and_picks_up_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        std::fs::write(&path, "a@x OK\n").unwrap();
        let m = MapFile::<KeyTable>::open(&path).unwrap();
        assert!(!m.reload_if_changed().unwrap());
        std::fs::write(&path, "a@x OK\nbroken\n").unwrap();
        let e = m.reload_if_changed().unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(m.table().get("a@x").is_some(), "old table stays");
        std::fs::write(&path, "b@x REJECT\n").unwrap();
        assert!(m.reload_if_changed().unwrap());
        assert!(m.table().get("a@x").is_none());
        assert_eq!(m.table().get("b@x").unwrap().value, "REJECT");
    }
}
