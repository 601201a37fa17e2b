//! Reply text templates, like Postfix's rbl_reply_maps with `$rbl_txt`.
//!
//! Placeholders: `{client}` (the client address), `{zone}` (the list's DNS zone),
//! `{name}` (the list's name), `{txt}` (the list's TXT record, empty when unknown)
//! and `{txt:PREFIX}` (PREFIX then the TXT record, or nothing when there is none:
//! Postfix's `${rbl_reason?; $rbl_reason}`). `{{` and `}}` are literal braces.

use serde::{Deserialize, Serialize};

/// The longest reply text a [`crate::verdict::Reply`] may carry.
const MAX_TEXT: usize = 900;

/// The longest TXT record text put into a reply.
const MAX_TXT: usize = 200;

/// The default: Postfix's default_rbl_reply in our placeholders.
pub const DEFAULT_TEMPLATE: &str =
    "Service unavailable; client [{client}] blocked using {zone}{txt:; }";

/// A parsed, validated reply template.
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReplyTemplate {
    text: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, Eq, PartialEq)]
enum Part {
    Lit(String),
    Client,
    Zone,
    Name,
    Txt(String),
}

/// What a template is expanded with.
pub struct Vars<'a> {
    /// The client address as text.
    pub client: &'a str,
    /// The list's zone.
    pub zone: &'a str,
    /// The list's name.
    pub name: &'a str,
    /// The TXT record, already made printable ([`printable_txt`]).
    pub txt: Option<&'a str>,
}

impl ReplyTemplate {
    /// True when the template shows the TXT record (so it is worth a query).
    pub fn uses_txt(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Txt(_)))
    }

    /// The reply text, cut to what an SMTP reply may carry.
    pub fn expand(&self, vars: &Vars<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Client => out.push_str(vars.client),
                Part::Zone => out.push_str(vars.zone),
                Part::Name => out.push_str(vars.name),
                Part::Txt(prefix) => {
                    if let Some(txt) = vars.txt.filter(|t| !t.is_empty()) {
                        out.push_str(prefix);
                        out.push_str(txt);
                    }
                }
            }
        }
        crate::text::truncate_string(&mut out, MAX_TEXT);
        if out.trim().is_empty() {
            // An all-placeholder template with nothing to fill would send an empty reply.
            out = "Service unavailable; client blocked by a DNS list".into();
        }
        out
    }
}

/// A TXT record as reply text: printable ASCII only (a list controls these bytes,
/// and a CR/LF would break the SMTP reply), at most 200 characters.
pub fn printable_txt(txt: &str) -> String {
    txt.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX_TXT)
        .collect::<String>()
        .trim()
        .to_owned()
}

impl From<ReplyTemplate> for String {
    fn from(t: ReplyTemplate) -> String {
        t.text
    }
}

impl TryFrom<String> for ReplyTemplate {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("reply template is empty".into());
        }
        if text.len() > MAX_TEXT {
            return Err(format!("reply template is longer than {MAX_TEXT} bytes"));
        }
        if let Some(c) = text.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
            return Err(format!(
                "reply template contains {c:?}; use printable ASCII"
            ));
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(['{', '}']) {
            lit.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("{{") {
                lit.push('{');
                rest = after;
            } else if let Some(after) = tail.strip_prefix("}}") {
                lit.push('}');
                rest = after;
            } else if tail.starts_with('}') {
                return Err(format!(
                    "reply template {text:?}: unmatched '}}' (write '}}}}' for a brace)"
                ));
            } else {
                let Some(end) = tail.find('}') else {
                    return Err(format!(
                        "reply template {text:?}: unclosed '{{' (write '{{{{' for a brace)"
                    ));
                };
                let inner = &tail[1..end];
                let part = match inner {
                    "client" => Part::Client,
                    "zone" => Part::Zone,
                    "name" => Part::Name,
                    "txt" => Part::Txt(String::new()),
                    _ => match inner.strip_prefix("txt:") {
                        Some(prefix) => Part::Txt(prefix.to_owned()),
                        None => {
                            return Err(format!(
                                "reply template: unknown placeholder {{{inner}}}; known: {{client}}, {{zone}}, {{name}}, {{txt}}, {{txt:PREFIX}}"
                            ))
                        }
                    },
                };
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(part);
                rest = &tail[end + 1..];
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(ReplyTemplate { text, parts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> ReplyTemplate {
        ReplyTemplate::try_from(s.to_string()).unwrap()
    }

    fn vars<'a>(txt: Option<&'a str>) -> Vars<'a> {
        Vars {
            client: "192.0.2.10",
            zone: "dnsbl.test",
            name: "testbl",
            txt,
        }
    }

    #[test]
    fn default_template_like_postfix() {
        let d = t(DEFAULT_TEMPLATE);
        assert!(d.uses_txt());
        assert_eq!(
            d.expand(&vars(Some("listed for spam"))),
            "Service unavailable; client [192.0.2.10] blocked using dnsbl.test; listed for spam"
        );
        assert_eq!(
            d.expand(&vars(None)),
            "Service unavailable; client [192.0.2.10] blocked using dnsbl.test"
        );
        assert_eq!(
            d.expand(&vars(Some(""))),
            "Service unavailable; client [192.0.2.10] blocked using dnsbl.test"
        );
    }

    #[test]
    fn placeholders_and_escapes() {
        let x = t("{name} ({zone}) lists {client}: {txt} {{literal}}");
        assert_eq!(
            x.expand(&vars(Some("why"))),
            "testbl (dnsbl.test) lists 192.0.2.10: why {literal}"
        );
        assert!(!t("Blocked, see https://example.test/{client}").uses_txt());
        assert_eq!(
            t("no placeholders").expand(&vars(Some("x"))),
            "no placeholders"
        );
        // The brief's example: the prefix is taken verbatim.
        assert_eq!(
            t("blocked using {zone}{txt: ; }").expand(&vars(Some("r"))),
            "blocked using dnsbl.test ; r"
        );
    }

    #[test]
    fn refused_templates() {
        for bad in ["", "  ", "{unknown}", "a {zone", "a } b", "tab\there", "{}"] {
            assert!(
                ReplyTemplate::try_from(bad.to_string()).is_err(),
                "{bad:?} accepted"
            );
        }
        let e = ReplyTemplate::try_from("{rbl_txt}".to_string()).unwrap_err();
        assert!(e.contains("known"), "{e}");
    }

    #[test]
    fn txt_is_made_safe_and_reply_bounded() {
        assert_eq!(printable_txt("a\r\nb\tc é"), "a??b?c ?");
        assert_eq!(printable_txt(&"x".repeat(500)).len(), 200);
        let long = t(&format!("{}{{txt}}", "y".repeat(850)));
        let out = long.expand(&vars(Some(&"z".repeat(200))));
        assert_eq!(out.len(), 900);
        assert!(crate::verdict::Reply::new(554, "5.7.1", &out)
            .validate()
            .is_ok());
        assert!(!t("{txt}").expand(&vars(None)).is_empty());
    }
}
