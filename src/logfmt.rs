//! The fields of the text log format: `name=value`, a value quoted only when it must be
//! (empty, or holding white space, `"`, `=`, `\` or a control character), and then with
//! every such character escaped. So a value from the wire (a sender with CR LF in it, a
//! HELO name with a space) cannot start a forged line or split into forged fields, and a
//! value is written the same way whatever its Rust type (`stage=rcpt`, never
//! `stage="rcpt"` beside `stage=connect`), so one grep finds every line.
//!
//! The JSON format needs nothing of this: JSON strings escape control characters.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;

/// [`FormatFields`] for the text format; see the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut v = Visitor {
            out: String::new(),
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result?;
        writer.write_str(&v.out)
    }
}

struct Visitor {
    out: String,
    result: fmt::Result,
}

impl Visitor {
    fn push(&mut self, field: &Field, value: &str) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        // The message is the line's text, as the default format writes it; it is
        // ours, but it may embed a value, so it is escaped too (never quoted).
        if field.name() == "message" {
            escape_into(&mut self.out, value);
            return;
        }
        self.out.push_str(field.name());
        self.out.push('=');
        push_value(&mut self.out, value);
    }
}

impl Visit for Visitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%x` fields arrive here too, as a Debug that writes their Display.
        let mut s = String::new();
        if let Err(e) = write!(s, "{value:?}") {
            self.result = Err(e);
            return;
        }
        self.push(field, &s);
    }
}

/// `value`, quoted and escaped when it needs to be.
pub fn push_value(out: &mut String, value: &str) {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\'));
    if plain {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => escape_char(out, c),
        }
    }
    out.push('"');
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        escape_char(out, c);
    }
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        // Line and paragraph separators end a line for some log readers.
        c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
            // Infallible: writing to a String.
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> String {
        let mut out = String::new();
        push_value(&mut out, s);
        out
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(value("rcpt"), "rcpt");
        assert_eq!(value("a@b.example"), "a@b.example");
        assert_eq!(value("unknown[192.0.2.1]"), "unknown[192.0.2.1]");
        assert_eq!(value(""), "\"\"");
        assert_eq!(value("two words"), "\"two words\"");
        assert_eq!(value("a=b"), "\"a=b\"");
        assert_eq!(value("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(value("back\\slash"), "\"back\\\\slash\"");
    }

    #[test]
    fn control_characters_cannot_start_a_line() {
        let v = value("a@b\r\n2026-12-04T00:00:00Z INFO forged");
        assert!(!v.contains(['\r', '\n']), "{v}");
        assert_eq!(v, "\"a@b\\r\\n2026-12-04T00:00:00Z INFO forged\"");
        assert_eq!(value("x\u{1b}[31m"), "\"x\\u{1b}[31m\"");
        assert_eq!(value("x\u{2028}y"), "\"x\\u{2028}y\"");
        assert_eq!(value("\u{85}"), "\"\\u{85}\"");
    }

    /// The formatter in a real subscriber: one line per event whatever the fields hold,
    /// and the same spelling for a `&str`, a `%Display` and a `?Debug` field.
    #[test]
    fn events_stay_on_one_line() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| std::io::ErrorKind::Other)?
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .fmt_fields(EscapedFields)
            .with_writer(move || writer.clone())
            .finish();
        let sender = "a@b\r\nINFO decision verdict=accept";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(stage = "rcpt", check = %"helo", sender = %sender, n = 3, "decision");
        });
        let text = String::from_utf8(buf.0.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert!(
            text.contains(
                "decision stage=rcpt check=helo sender=\"a@b\\r\\nINFO decision verdict=accept\" n=3"
            ),
            "{text:?}"
        );
    }
}
