//! Documentation generated from the code: every config table's keys, defaults and doc
//! comments ([`schema`]), rendered as mxgate.toml(5) ([`man_page`]) and as the README's
//! check table ([`readme_check_table`]). Tests compare the shipped files with these, so
//! the documentation cannot drift from the code.

use crate::checks::common::{Documented, TableDoc};
use crate::checks::{registry, Registration};
use crate::session::Stage;

/// Every table of the config, in the order the man page shows them.
pub fn schema() -> Vec<TableDoc> {
    let mut out = vec![
        plain::<crate::config::DaemonConfig>(
            "daemon",
            "How the daemon runs: sockets, limits, runtime, logging.\n\nSockets use Postfix's milter syntax: `unix:/var/spool/postfix/mxgate/mxgate.sock` is `smtpd_milters = unix:mxgate/mxgate.sock` for Debian's chrooted smtpd (the fastest transport); `inet:127.0.0.1:8891` is `smtpd_milters = inet:127.0.0.1:8891`.",
        ),
        plain::<crate::config::PolicyConfig>(
            "policy",
            "What applies around all checks: holding early verdicts until RCPT, exempt recipients, trusted clients.",
        ),
        plain::<crate::dns::DnsConfig>(
            "dns",
            "One resolver with a cache for all checks. Use a local validating resolver (unbound) on an MX host: most DNS blocklists refuse queries from public resolvers.",
        ),
        plain::<crate::store::pg::DbConfig>(
            "database",
            "PostgreSQL, for the checks with a database backend (denylist backend = \"postgres\", relay and sender_access tables, greylist store = \"postgres\"). Unused otherwise; connections are opened on first use, so a database that is down never stops mxgate from starting. The password comes from `password_file` (first line) or $MXGATE_DB_PASSWORD and is never logged.",
        ),
        plain::<crate::metrics::MetricsConfig>(
            "metrics",
            "The Prometheus endpoint, GET http://ADDR/metrics: sessions, decisions by stage/check/verdict/mode, check latency histograms, check and DNS errors, table sizes. Loopback only: it has no authentication. A change needs a restart.",
        ),
    ];
    for r in registry() {
        out.push(check_table(r));
        out.extend((r.tables)());
    }
    out
}

fn plain<T: Documented>(name: &str, summary: &str) -> TableDoc {
    TableDoc {
        name: name.into(),
        array: false,
        summary: summary.into(),
        keys: T::keys(),
        defaults: T::defaults(),
    }
}

fn check_table(r: &Registration) -> TableDoc {
    let mut summary = format!("{}.", capitalised(r.summary));
    summary.push_str(&format!(" Stage: {}.", stage_names(r.stages)));
    if !r.after.is_empty() {
        summary.push_str(&format!(
            " Runs after {} when they are enabled, wherever the file lists it.",
            r.after.join(", ")
        ));
    }
    if !r.description.is_empty() {
        summary.push_str("\n\n");
        summary.push_str(r.description);
    }
    TableDoc {
        name: format!("checks.{}", r.name),
        array: false,
        summary,
        keys: (r.keys)(),
        defaults: (r.defaults)(),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn stage_names(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| stage_title(*s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stage_title(s: Stage) -> &'static str {
    match s {
        Stage::Connect => "connect",
        Stage::Helo => "HELO",
        Stage::Mail => "MAIL",
        Stage::Rcpt => "RCPT",
        Stage::Eoh => "end of headers",
        Stage::Eom => "end of message",
    }
}

/// The README's check table (between its `checks:begin` and `checks:end` markers): one
/// row per check, by stage, then in registry order.
pub fn readme_check_table() -> String {
    let mut rows: Vec<&Registration> = registry().iter().collect();
    rows.sort_by_key(|r| r.stages.first().copied().unwrap_or(Stage::Eom));
    let mut out = String::from("| stage | check | section |\n|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | `{}` |\n",
            stage_names(r.stages),
            r.summary,
            r.name
        ));
    }
    out
}

/// Escapes text for roff: backslashes, and a leading `.` or `'` (a request otherwise).
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Prose with `code` spans in bold, paragraphs apart.
fn paragraphs(out: &mut String, text: &str) {
    for (i, p) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str(".PP\n");
        }
        let mut bold = false;
        let mut line = String::new();
        for c in p.chars() {
            if c == '`' {
                line.push_str(if bold { "\\fR" } else { "\\fB" });
                bold = !bold;
            } else if c == '\n' {
                line.push(' ');
            } else if c == '\\' {
                line.push_str("\\e");
            } else {
                line.push(c);
            }
        }
        if bold {
            line.push_str("\\fR");
        }
        let line = line.trim();
        // A leading `.` or `'` would be read as a request.
        if line.starts_with('.') || line.starts_with('\'') {
            out.push_str("\\&");
        }
        out.push_str(line);
        out.push('\n');
    }
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) if t.is_empty() => "{}".into(),
        toml::Value::Table(t) => {
            let inner: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        toml::Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// mxgate.toml(5), from [`schema`].
pub fn man_page() -> String {
    let mut out = String::new();
    out.push_str(
        ".\\\" Generated from the code (src/docs.rs and the config types' doc comments): do not\n\
         .\\\" edit. After changing them run: MXGATE_REGEN_MAN=1 cargo test --test man\n\
         .TH MXGATE.TOML 5 \"\" \"mxgate\" \"File Formats\"\n\
         .SH NAME\nmxgate.toml \\- configuration of the mxgate milter\n\
         .SH SYNOPSIS\n.I /etc/mxgate/mxgate.toml\n\
         .SH DESCRIPTION\n\
         The configuration of\n.BR mxgate (8)\n\
         is a TOML file. Every key is optional; a section or key that is left out has the\n\
         default shown here. An unknown key or a bad value is an error that names the file,\n\
         the line and the key; such a file is never used (at start the daemon refuses to run,\n\
         on SIGHUP the running configuration stays in force). Everything a check can tell\n\
         without I/O is validated when the file is read, before any socket is bound.\n\
         .B mxgate check-config\n.I FILE\n\
         validates a file, builds every enabled check (opening its maps and stores) and prints\n\
         the effective configuration, defaults filled in, checks in the order they run.\n\
         .PP\n\
         The shipped\n.I /etc/mxgate/mxgate.toml\n\
         runs as it is on a fresh machine: no database, no DNS server of its own; only the\n\
         HELO and attachment checks are enabled in it.\n",
    );
    let schema = schema();
    out.push_str(".SH SETTINGS\n");
    let mut in_checks = false;
    for t in &schema {
        if t.name.starts_with("checks.") && !in_checks {
            in_checks = true;
            out.push_str(".SH CHECKS\n");
            paragraphs(
                &mut out,
                "Each check is a `[checks.NAME]` section; a check runs only when its section is present and `enabled` is true. Within a stage checks run in the order the file lists their sections, except that a check always runs after the checks it reads (named under each check). The first enforced verdict of a stage ends it.\n\nEvery check has these keys:",
            );
            for k in crate::checks::common::common_keys() {
                out.push_str(&format!(".TP\n.B {}\n", k.name));
                paragraphs(&mut out, &k.doc);
            }
            out.push_str(
                ".PP\nA DNS or database failure never gives a permanent reject: 4xx or continue, per the check's\n.BR on_error .\n",
            );
        }
        let header = if t.array {
            format!("[[{}]]", t.name)
        } else {
            format!("[{}]", t.name)
        };
        out.push_str(&format!(".SS {header}\n"));
        paragraphs(&mut out, &t.summary);
        let common: Vec<&str> = crate::checks::common::common_keys()
            .iter()
            .map(|k| k.name)
            .collect();
        let is_check = t.name.starts_with("checks.") && !t.array;
        for k in &t.keys {
            if is_check && common.contains(&k.name) {
                continue;
            }
            out.push_str(".TP\n");
            match t.defaults.get(k.name) {
                Some(v) => out.push_str(&format!(
                    "\\fB{}\\fR = {}\n",
                    roff(k.name),
                    roff(&value_text(v))
                )),
                None => out.push_str(&format!("\\fB{}\\fR (not set by default)\n", roff(k.name))),
            }
            paragraphs(
                &mut out,
                if k.doc.is_empty() {
                    "Undocumented."
                } else {
                    &k.doc
                },
            );
        }
        if is_check {
            let d = &t.defaults;
            let show = |k: &str| d.get(k).map(value_text).unwrap_or_default();
            out.push_str(&format!(
                ".PP\nDefaults of the common keys: \\fBaction\\fR = {}, \\fBon_error\\fR = {}.\n",
                roff(&show("action")),
                roff(&show("on_error"))
            ));
        }
    }
    out.push_str(
        ".SH FILES\n.TP\n.I /etc/mxgate/mxgate.toml\nThe configuration the daemon and the Debian package use.\n\
         .SH SEE ALSO\n.BR mxgate (8),\n.BR postconf (5)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_documented() {
        for t in schema() {
            for k in &t.keys {
                assert!(
                    !k.doc.is_empty(),
                    "{}.{} has no doc comment",
                    t.name,
                    k.name
                );
            }
        }
    }

    #[test]
    fn after_names_registered_checks_without_cycles() {
        for r in registry() {
            for dep in r.after {
                assert!(
                    crate::checks::registration(dep).is_some(),
                    "checks.{}: after names unknown check {dep}",
                    r.name
                );
            }
        }
        // Depth-first: no check reaches itself through `after`.
        fn reaches(from: &str, target: &str, depth: usize) -> bool {
            depth < 32
                && crate::checks::registration(from).is_some_and(|r| {
                    r.after
                        .iter()
                        .any(|d| *d == target || reaches(d, target, depth + 1))
                })
        }
        for r in registry() {
            assert!(
                !reaches(r.name, r.name, 0),
                "checks.{} depends on itself",
                r.name
            );
        }
    }
}
