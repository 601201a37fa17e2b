//! Amazon SES bounce and complaint notifications, as SNS delivers them (the SNS
//! envelope whose `Message` string holds the SES notification) or bare (as stored by
//! a queue consumer). Only permanent bounces and complaints become denylist entries;
//! transient and undetermined bounces say nothing about the address.
//!
//! A file may hold one notification, a JSON array of them, or several one after the other
//! (JSON lines). Anything that is not valid JSON or not a notification we understand is an
//! error naming the file and position, so nothing is imported from a damaged file.

use crate::address::Address;
use crate::checks::denylist::Source;
use serde_json::Value;

/// One address to list, with where it came from.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Found {
    /// The recipient address as SES reported it (angle brackets and display name removed).
    pub address: String,
    /// `ses-bounce` or `ses-complaint`.
    pub source: Source,
    /// For the log and `mxgate denylist list`.
    pub reason: String,
}

/// What a file held.
#[derive(Debug, Default, Eq, PartialEq)]
pub struct Parsed {
    /// Addresses to list.
    pub found: Vec<Found>,
    /// Notifications read.
    pub notifications: usize,
    /// Permanent bounces among them.
    pub permanent: usize,
    /// Complaints among them.
    pub complaints: usize,
    /// Transient or undetermined bounces (ignored).
    pub transient: usize,
    /// Deliveries, SNS subscription messages and other types (ignored).
    pub other: usize,
}

/// Parses a file's text; `name` is for messages.
pub fn parse(text: &str, name: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut index = 0usize;
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let value = value.map_err(|e| format!("{name}: malformed JSON: {e}"))?;
        let items = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            index += 1;
            notification(&item, &mut out)
                .map_err(|e| format!("{name}: notification {index}: {e}"))?;
        }
    }
    if index == 0 {
        return Err(format!("{name}: no JSON notification in the file"));
    }
    Ok(out)
}

fn notification(v: &Value, out: &mut Parsed) -> Result<(), String> {
    out.notifications += 1;
    let obj = v.as_object().ok_or("not a JSON object")?;
    // The SNS envelope: the SES notification is a JSON string in `Message`.
    if let Some(kind) = obj.get("Type").and_then(Value::as_str) {
        if kind != "Notification" {
            out.other += 1;
            return Ok(());
        }
        let message = obj
            .get("Message")
            .and_then(Value::as_str)
            .ok_or("SNS notification without a Message string")?;
        let inner: Value =
            serde_json::from_str(message).map_err(|e| format!("SNS Message is not JSON: {e}"))?;
        return ses(&inner, out);
    }
    ses(v, out)
}

fn ses(v: &Value, out: &mut Parsed) -> Result<(), String> {
    // Notifications say notificationType; SES event publishing says eventType.
    let kind = v
        .get("notificationType")
        .or_else(|| v.get("eventType"))
        .and_then(Value::as_str)
        .ok_or("neither an SNS envelope nor an SES notification (no notificationType)")?;
    match kind {
        "Bounce" => {
            let b = v.get("bounce").ok_or("Bounce without a bounce object")?;
            let btype = b
                .get("bounceType")
                .and_then(Value::as_str)
                .ok_or("bounce without bounceType")?;
            if btype != "Permanent" {
                out.transient += 1;
                return Ok(());
            }
            out.permanent += 1;
            let sub = b.get("bounceSubType").and_then(Value::as_str).unwrap_or("");
            for r in recipients(b, "bouncedRecipients")? {
                let mut reason = format!("SES permanent bounce ({sub})");
                for field in ["status", "diagnosticCode"] {
                    if let Some(s) = r.get(field).and_then(Value::as_str) {
                        reason.push(' ');
                        reason.push_str(s);
                    }
                }
                out.found.push(Found {
                    address: address(r)?,
                    source: Source::SesBounce,
                    reason: clean(&reason),
                });
            }
        }
        "Complaint" => {
            out.complaints += 1;
            let c = v
                .get("complaint")
                .ok_or("Complaint without a complaint object")?;
            let feedback = c
                .get("complaintFeedbackType")
                .and_then(Value::as_str)
                .unwrap_or("unspecified");
            for r in recipients(c, "complainedRecipients")? {
                out.found.push(Found {
                    address: address(r)?,
                    source: Source::SesComplaint,
                    reason: clean(&format!("SES complaint ({feedback})")),
                });
            }
        }
        _ => out.other += 1,
    }
    Ok(())
}

fn recipients<'v>(v: &'v Value, field: &str) -> Result<&'v Vec<Value>, String> {
    v.get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no {field} list"))
}

fn address(r: &Value) -> Result<String, String> {
    let raw = r
        .get("emailAddress")
        .and_then(Value::as_str)
        .ok_or("recipient without emailAddress")?;
    // SES passes what the sender wrote, display name included: `"Bob" <bob@example.com>`.
    let addr = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(a), Some(b)) if a < b => &raw[a + 1..b],
        _ => raw,
    }
    .trim();
    match Address::split(addr) {
        (l, Some(d)) if !l.is_empty() && !d.is_empty() => Ok(addr.to_owned()),
        _ => Err(format!("emailAddress {raw:?} is not an address")),
    }
}

/// One line, printable, bounded: diagnostic codes can be long and multi-line.
fn clean(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    one.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNCE: &str = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
      "bouncedRecipients":[{"emailAddress":"\"Bob\" <Bob@Example.com>","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown\r\n"}]},
      "mail":{"source":"sender@example.org"}}"#;

    #[test]
    fn bare_sns_array_and_lines() {
        let p = parse(BOUNCE, "f").unwrap();
        assert_eq!(p.permanent, 1);
        assert_eq!(p.found[0].address, "Bob@Example.com");
        assert_eq!(
            p.found[0].reason,
            "SES permanent bounce (General) 5.1.1 smtp; 550 5.1.1 user unknown"
        );
        let sns = serde_json::json!({"Type":"Notification","Message": BOUNCE}).to_string();
        let complaint = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"c@x.test"}],"complaintFeedbackType":"abuse"}}"#;
        let transient = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"t@x.test"}]}}"#;
        let text = format!(
            "{sns}\n[{complaint}, {transient}]\n{{\"Type\":\"SubscriptionConfirmation\"}}\n{{\"notificationType\":\"Delivery\"}}"
        );
        let p = parse(&text, "f").unwrap();
        assert_eq!(
            (
                p.notifications,
                p.permanent,
                p.complaints,
                p.transient,
                p.other
            ),
            (5, 1, 1, 1, 2)
        );
        let addrs: Vec<_> = p
            .found
            .iter()
            .map(|f| (f.address.as_str(), f.source))
            .collect();
        assert_eq!(
            addrs,
            vec![
                ("Bob@Example.com", Source::SesBounce),
                ("c@x.test", Source::SesComplaint)
            ]
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse("{\"notificationType\":\"Bounce\",", "f").unwrap_err();
        assert!(e.starts_with("f: malformed JSON: EOF while parsing"), "{e}");
        let e = parse(
            &format!("{BOUNCE}\n{{\"Type\":\"Notification\",\"Message\":\"{{oops\"}}"),
            "f",
        )
        .unwrap_err();
        assert!(
            e.starts_with("f: notification 2: SNS Message is not JSON"),
            "{e}"
        );
        let e = parse("{\"hello\":1}", "f").unwrap_err();
        assert!(e.contains("no notificationType"), "{e}");
        let e = parse(
            r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"nobody"}]}}"#,
            "f",
        )
        .unwrap_err();
        assert!(e.contains("is not an address"), "{e}");
        assert!(parse("  ", "f").is_err());
    }
}
