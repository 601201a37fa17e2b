//! Organisational domains (RFC 7489 §3.2) from the Public Suffix List: the list compiled
//! into mxgate (the `psl` crate), or a file the operator points at with `[policy]
//! public_suffix_list` (Debian's package `publicsuffix` ships one that is updated with the
//! system, while the compiled-in copy only changes with mxgate).
//!
//! DMARC's identifier alignment and the greylist's `name:` key both use it, through one
//! [`OrgDomains`] built per config load and shared ([`crate::checks::Services`]).

use psl::Psl;
use std::fmt;
use std::path::{Path, PathBuf};

/// Longest name (RFC 1035 §2.3.4, without the root's dot).
const MAX_NAME: usize = 253;

/// The Public Suffix List in use, and the organisational domain of a name under it.
pub struct OrgDomains {
    list: List,
}

enum List {
    Builtin,
    File {
        path: PathBuf,
        list: publicsuffix::List,
    },
}

impl fmt::Debug for OrgDomains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgDomains({})", self.source())
    }
}

impl Default for OrgDomains {
    fn default() -> Self {
        OrgDomains::builtin()
    }
}

impl OrgDomains {
    /// The list compiled into mxgate.
    pub fn builtin() -> Self {
        OrgDomains {
            list: List::Builtin,
        }
    }

    /// Reads a list in the publicsuffix.org format; the error names the file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?;
        let list = parse_list(text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(OrgDomains {
            list: List::File {
                path: path.to_owned(),
                list,
            },
        })
    }

    /// Where the list came from, for the log.
    pub fn source(&self) -> String {
        match &self.list {
            List::Builtin => "built-in list".into(),
            List::File { path, .. } => path.display().to_string(),
        }
    }

    /// The organisational domain of `name` ([`normalize`]d: lower case, A-labels, no
    /// trailing dot): the public suffix that matches the most labels (exceptions and
    /// wildcards as the list says, and the list's default rule `*` for a top-level
    /// label it does not know) plus one label. A name that is itself a public suffix,
    /// a single label included, is its own organisational domain. None for a name that
    /// is not a domain name at all (empty labels, too long).
    pub fn org_domain(&self, name: &str) -> Option<String> {
        let name = normalize(name)?;
        let suffix_len = match &self.list {
            List::Builtin => psl::List
                .suffix(name.as_bytes())
                .map(|s| s.as_bytes().len()),
            List::File { list, .. } => list.suffix(name.as_bytes()).map(|s| s.as_bytes().len()),
        }
        // The default rule: the last label is a public suffix.
        .filter(|&n| n > 0)
        .unwrap_or_else(|| name.rsplit('.').next().map_or(0, str::len));
        if suffix_len >= name.len() {
            return Some(name);
        }
        // One more label in front of the suffix (name[..cut] ends with the dot before it).
        let cut = name.len() - suffix_len - 1;
        let start = name[..cut].rfind('.').map_or(0, |i| i + 1);
        Some(name[start..].to_owned())
    }

    /// Relaxed alignment (RFC 7489 §3.1): both names have the same organisational domain.
    pub fn same_org(&self, a: &str, b: &str) -> bool {
        match (self.org_domain(a), self.org_domain(b)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// A domain name as the list and DNS compare it: trailing dot removed, lower case,
/// U-labels turned into A-labels (IDNA, UTS #46). None for a name that cannot be one:
/// empty, an empty label, a label over 63 or a name over 253 octets, or a Unicode name
/// IDNA refuses.
pub fn normalize(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    let ascii = if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(name).ok()?
    };
    let valid = !ascii.is_empty()
        && ascii.len() <= MAX_NAME
        && ascii
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_graphic()));
    valid.then_some(ascii)
}

/// Parses a list file, adding the A-label form of every rule written in Unicode: the file
/// has IDN suffixes in Unicode, names are compared in A-labels ([`normalize`]), and
/// `publicsuffix` without its `punycode` feature matches rules only as written.
fn parse_list(text: &str) -> Result<publicsuffix::List, String> {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        let rule = line.split_whitespace().next().unwrap_or("");
        if rule.is_ascii() || rule.starts_with("//") {
            continue;
        }
        let (bang, body) = match rule.strip_prefix('!') {
            Some(b) => ("!", b),
            None => ("", rule),
        };
        let (star, body) = match body.strip_prefix("*.") {
            Some(b) => ("*.", b),
            None => ("", body),
        };
        match idna::domain_to_ascii(body) {
            Ok(a) => {
                out.push_str(bang);
                out.push_str(star);
                out.push_str(&a);
                out.push('\n');
            }
            Err(_) => return Err(format!("rule {rule:?} is not a valid domain name")),
        }
    }
    out.parse::<publicsuffix::List>().map_err(|e| match e {
        publicsuffix::Error::InvalidList => {
            "no rules between the \"===BEGIN ICANN DOMAINS===\" / \"===BEGIN PRIVATE DOMAINS===\" markers; is this a Public Suffix List?".to_owned()
        }
        e => e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str) -> Option<String> {
        OrgDomains::builtin().org_domain(name)
    }

    #[test]
    fn builtin_list() {
        let o = |n| org(n).unwrap();
        assert_eq!(o("mail.example.com"), "example.com");
        assert_eq!(o("example.com"), "example.com");
        assert_eq!(o("mail.example.co.uk"), "example.co.uk");
        assert_eq!(o("a.b.example.co.uk."), "example.co.uk");
        assert_eq!(o("Mail.Example.COM.AU"), "example.com.au");
        // Private section: shared-hosting customers are organisations of their own.
        assert_eq!(o("x.alice.blogspot.com"), "alice.blogspot.com");
        // Wildcard and exception rules (*.ck, !www.ck).
        assert_eq!(o("a.b.foo.ck"), "b.foo.ck");
        assert_eq!(o("a.www.ck"), "www.ck");
        // A public suffix, or a single label, is its own organisational domain.
        assert_eq!(o("co.uk"), "co.uk");
        assert_eq!(o("com"), "com");
        assert_eq!(o("localhost"), "localhost");
    }

    #[test]
    fn unknown_tld_keeps_two_labels() {
        assert_eq!(org("a.b.example.invalidtld").unwrap(), "example.invalidtld");
        assert_eq!(org("mx.example.test").unwrap(), "example.test");
    }

    #[test]
    fn idns_compare_as_a_labels() {
        // 公司.cn and 网络.cn style suffixes: "xn--55qx5d.cn" is 公司.cn.
        assert_eq!(
            org("mail.beispiel.公司.cn").unwrap(),
            "beispiel.xn--55qx5d.cn"
        );
        assert_eq!(
            org("mail.beispiel.xn--55qx5d.cn").unwrap(),
            "beispiel.xn--55qx5d.cn"
        );
        assert_eq!(org("Mail.Bücher.de").unwrap(), "xn--bcher-kva.de");
        assert!(OrgDomains::builtin().same_org("bücher.de", "mx.xn--bcher-kva.DE."));
    }

    #[test]
    fn non_names_have_none() {
        for bad in [
            "",
            ".",
            "a..b",
            "..",
            &"a".repeat(64),
            &format!("{}.com", "a.".repeat(130)),
        ] {
            assert_eq!(org(bad), None, "{bad:?}");
        }
        assert!(!OrgDomains::builtin().same_org("", ""));
    }

    #[test]
    fn a_file_replaces_the_builtin_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("psl.dat");
        std::fs::write(
            &path,
            "// ===BEGIN ICANN DOMAINS===\ncom\nuk\nexample.com\n*.wild.test\n公司.cn\n// ===END ICANN DOMAINS===\n",
        )
        .unwrap();
        let list = OrgDomains::load(&path).unwrap();
        // example.com is a public suffix in this list: its customers are organisations.
        assert_eq!(list.org_domain("a.b.example.com").unwrap(), "b.example.com");
        // co.uk is not in it: example.co.uk is a name under co.uk.
        assert_eq!(list.org_domain("mail.example.co.uk").unwrap(), "co.uk");
        assert_eq!(list.org_domain("x.y.z.wild.test").unwrap(), "y.z.wild.test");
        assert_eq!(list.org_domain("a.b.公司.cn").unwrap(), "b.xn--55qx5d.cn");
        assert_eq!(
            list.org_domain("a.b.xn--55qx5d.cn").unwrap(),
            "b.xn--55qx5d.cn"
        );
        assert_eq!(list.source(), path.display().to_string());
    }

    #[test]
    fn services_share_a_list_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("psl.dat");
        std::fs::write(&path, "// ===BEGIN ICANN DOMAINS===\ncom\n").unwrap();
        let services = crate::checks::Services::default();
        let a = services.org_domains(Some(&path)).unwrap();
        let b = services.org_domains(Some(&path)).unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b), "one parse per config build");
        assert_eq!(a.org_domain("a.b.example.com").unwrap(), "example.com");
        // A reload after the list changed reads it again.
        std::fs::write(&path, "// ===BEGIN ICANN DOMAINS===\ncom\nexample.com\n").unwrap();
        let c = services.org_domains(Some(&path)).unwrap();
        assert_eq!(c.org_domain("a.b.example.com").unwrap(), "b.example.com");
        assert_eq!(
            services.org_domains(None).unwrap().source(),
            "built-in list"
        );
        // A list that went missing is an error, not the stale copy.
        std::fs::remove_file(&path).unwrap();
        assert!(services.org_domains(Some(&path)).is_err());
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.dat");
        let e = OrgDomains::load(&missing).unwrap_err();
        assert!(e.starts_with(&missing.display().to_string()), "{e}");
        let empty = dir.path().join("empty.dat");
        std::fs::write(&empty, "// nothing\n").unwrap();
        let e = OrgDomains::load(&empty).unwrap_err();
        assert!(
            e.contains("empty.dat") && e.contains("Public Suffix List"),
            "{e}"
        );
        let broken = dir.path().join("broken.dat");
        std::fs::write(&broken, "// ===BEGIN ICANN DOMAINS===\na..b\n").unwrap();
        let e = OrgDomains::load(&broken).unwrap_err();
        assert!(e.contains("broken.dat") && e.contains("a..b"), "{e}");
    }

    #[test]
    fn the_system_list_loads_when_installed() {
        let path = Path::new("/usr/share/publicsuffix/public_suffix_list.dat");
        if !path.exists() {
            return;
        }
        let list = OrgDomains::load(path).unwrap();
        assert_eq!(
            list.org_domain("mail.example.co.uk").unwrap(),
            "example.co.uk"
        );
        assert_eq!(
            list.org_domain("mail.beispiel.公司.cn").unwrap(),
            "beispiel.xn--55qx5d.cn"
        );
    }
}
