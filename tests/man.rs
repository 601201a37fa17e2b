//! The man pages stay in step with the code.
//!
//! - packaging/man/mxgate.toml.5 is generated from conf/mxgate.toml (its comments are the
//!   documentation). After changing conf/mxgate.toml, regenerate it with
//!
//!       MXGATE_REGEN_MAN=1 cargo test --test man
//!
//! - every key of the effective configuration (the defaults `mxgate check-config` prints for a
//!   config that has every `[checks.*]` section, plus the keys conf/mxgate.toml sets) must be
//!   in conf/mxgate.toml, set or as a commented `# key = value   # example` line;
//! - every subcommand and long option of `mxgate --help` (recursively) must be named in the
//!   hand-written packaging/man/mxgate.8.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGEN: &str = "MXGATE_REGEN_MAN=1 cargo test --test man";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

// ---- the generator ----------------------------------------------------------------------

/// Escapes text for roff: backslashes, and a leading `.` or `'` (a request otherwise).
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Comment lines as roff: prose joins into filled text; lines indented by 3+ spaces after
/// the `#` (tables, examples) are kept as they are.
fn prose(out: &mut String, lines: &[String]) {
    let mut literal = false;
    for l in lines {
        let is_literal = l.starts_with("  ") || l.starts_with('[');
        if is_literal && !literal {
            out.push_str(".nf\n");
        } else if !is_literal && literal {
            out.push_str(".fi\n");
        }
        literal = is_literal;
        if l.is_empty() {
            out.push_str(".PP\n");
        } else {
            out.push_str(&roff(l));
            out.push('\n');
        }
    }
    if literal {
        out.push_str(".fi\n");
    }
}

fn comment_text(line: &str) -> Option<String> {
    let rest = line.strip_prefix('#')?;
    Some(
        rest.strip_prefix(' ')
            .unwrap_or(rest)
            .trim_end()
            .to_string(),
    )
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// `key = value` (a settable line) → (key, value).
fn key_line(line: &str) -> Option<(String, String)> {
    let (k, v) = line.split_once('=')?;
    let k = k.trim();
    (is_ident(k) && !line.starts_with(' ')).then(|| (k.to_string(), v.trim().to_string()))
}

/// `# key = value   # example` → (key, value).
fn example_line(line: &str) -> Option<(String, String)> {
    let body = line.strip_prefix("# ")?;
    let (kv, tag) = body.rsplit_once('#')?;
    if tag.trim() != "example" {
        return None;
    }
    key_line(kv.trim_end())
}

fn section_line(line: &str) -> Option<String> {
    let l = line.trim_end();
    let inner = l
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    Some(inner.trim().to_string())
}

/// The man page, and the dotted keys it documents.
fn generate(conf: &str) -> (String, BTreeSet<String>) {
    let mut documented = BTreeSet::new();
    let mut out = String::new();
    out.push_str(
        ".\\\" Generated from conf/mxgate.toml by tests/man.rs: do not edit; edit the comments in\n\
         .\\\" conf/mxgate.toml, then run: MXGATE_REGEN_MAN=1 cargo test --test man\n\
         .TH MXGATE.TOML 5 \"\" \"mxgate\" \"File Formats\"\n\
         .SH NAME\nmxgate.toml \\- configuration of the mxgate milter\n\
         .SH SYNOPSIS\n.I /etc/mxgate/mxgate.toml\n\
         .SH DESCRIPTION\n\
         The configuration of\n.BR mxgate (8)\n\
         is a TOML file. Every key is optional; a section or key that is left out has the\n\
         default shown here. An unknown key or a bad value is an error that names the file,\n\
         the line and the key; such a file is never used (at start the daemon refuses to run,\n\
         on SIGHUP the running configuration stays in force).\n\
         .B mxgate check-config\n.I FILE\n\
         validates a file and prints the effective configuration, defaults filled in.\n\
         .PP\nThe commented default that follows is shipped as\n\
         .IR /etc/mxgate/mxgate.toml .\n.PP\n",
    );
    let lines: Vec<&str> = conf.lines().collect();
    let mut pending: Vec<String> = Vec::new();
    // Blocks separated from what follows by a blank line, not yet placed.
    let mut floating: Vec<Vec<String>> = Vec::new();
    let mut section: Option<String> = None;
    let mut group = ""; // "" (description), "settings", "checks"
    let mut last_key: Option<String> = None;
    let mut i = 0;
    let flush_floating = |out: &mut String, floating: &mut Vec<Vec<String>>| {
        for block in floating.drain(..) {
            out.push_str(".PP\n");
            prose(out, &block);
        }
    };
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() {
            if !pending.is_empty() {
                floating.push(std::mem::take(&mut pending));
            }
            continue;
        }
        if let Some((key, value)) = example_line(line) {
            let path = format!(
                "{}{key}",
                section
                    .as_deref()
                    .map(|s| format!("{s}."))
                    .unwrap_or_default()
            );
            if last_key.as_deref() == Some(key.as_str()) || documented.contains(&path) {
                flush_floating(&mut out, &mut floating);
                prose(&mut out, &std::mem::take(&mut pending));
                out.push_str(&format!(
                    ".br\nExample: \\fB{} = {}\\fR\n",
                    roff(&key),
                    roff(&value)
                ));
            } else {
                flush_floating(&mut out, &mut floating);
                out.push_str(&format!(".TP\n\\fB{}\\fR (unset by default)\n", roff(&key)));
                prose(&mut out, &std::mem::take(&mut pending));
                out.push_str(&format!(
                    ".br\nExample: \\fB{} = {}\\fR\n",
                    roff(&key),
                    roff(&value)
                ));
                last_key = Some(key);
            }
            documented.insert(path);
            continue;
        }
        if let Some(text) = comment_text(line) {
            pending.push(text);
            continue;
        }
        if let Some(name) = section_line(line) {
            let g = if name.starts_with("checks.") {
                "checks"
            } else {
                "settings"
            };
            // A floating block that shows a commented section is an example of the last
            // section; the others introduce what follows.
            let (before, after): (Vec<_>, Vec<_>) = floating
                .drain(..)
                .partition(|b| b.iter().any(|l| l.starts_with('[')));
            for block in before {
                out.push_str(".PP\n");
                prose(&mut out, &block);
            }
            if g != group {
                out.push_str(if g == "checks" {
                    ".SH CHECKS\n"
                } else {
                    ".SH SETTINGS\n"
                });
                group = g;
            }
            for block in after {
                prose(&mut out, &block);
                out.push_str(".PP\n");
            }
            out.push_str(&format!(".SS {}\n", roff(line.trim())));
            prose(&mut out, &std::mem::take(&mut pending));
            documented.insert(name.clone());
            section = Some(name);
            last_key = None;
            continue;
        }
        if let Some((key, mut value)) = key_line(line) {
            // A value over several lines (an array): up to the line that closes it.
            let depth = |s: &str| s.matches('[').count() as i64 - s.matches(']').count() as i64;
            let mut open = depth(&value);
            while open > 0 && i < lines.len() {
                value.push(' ');
                value.push_str(lines[i].trim());
                open += depth(lines[i]);
                i += 1;
            }
            flush_floating(&mut out, &mut floating);
            let path = format!(
                "{}{key}",
                section
                    .as_deref()
                    .map(|s| format!("{s}."))
                    .unwrap_or_default()
            );
            out.push_str(&format!(".TP\n\\fB{}\\fR = {}\n", roff(&key), roff(&value)));
            prose(&mut out, &std::mem::take(&mut pending));
            documented.insert(path);
            last_key = Some(key);
            continue;
        }
        panic!("conf/mxgate.toml: line {i} is neither a comment, a section nor a key: {line:?}");
    }
    if group.is_empty() {
        // Only comments: they are the description.
    }
    floating.push(std::mem::take(&mut pending));
    for block in floating.into_iter().filter(|b| !b.is_empty()) {
        out.push_str(".PP\n");
        prose(&mut out, &block);
    }
    out.push_str(
        ".SH FILES\n.TP\n.I /etc/mxgate/mxgate.toml\nThe configuration the daemon and the Debian package use.\n\
         .SH SEE ALSO\n.BR mxgate (8),\n.BR postconf (5)\n",
    );
    // The preamble (comments before the first section) became floating text of the
    // description: nothing else to do.
    (out, documented)
}

// ---- the tests ---------------------------------------------------------------------------

#[test]
fn mxgate_toml_5_is_generated_from_the_current_conf() {
    let (page, _) = generate(&read("conf/mxgate.toml"));
    let path = repo("packaging/man/mxgate.toml.5");
    if std::env::var_os("MXGATE_REGEN_MAN").is_some() {
        std::fs::write(&path, &page).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        eprintln!("wrote {}", path.display());
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == page,
        "packaging/man/mxgate.toml.5 is not what conf/mxgate.toml generates; run:\n\n    {REGEN}\n\nand commit packaging/man/mxgate.toml.5"
    );
}

/// Dotted paths of every value in a TOML table (arrays of tables: their keys, under the
/// array's path).
fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&path, t, out),
            toml::Value::Array(a) if !a.is_empty() && a.iter().all(|x| x.is_table()) => {
                for x in a {
                    if let toml::Value::Table(t) = x {
                        flatten(&path, t, out);
                    }
                }
            }
            _ => {
                out.insert(path);
            }
        }
    }
}

#[test]
fn every_config_key_is_in_the_man_page() {
    let conf = read("conf/mxgate.toml");
    let (_, documented) = generate(&conf);

    // The effective config with every check's section present: all their defaults.
    let all_checks: String = mxgate::checks::registry()
        .iter()
        .map(|r| format!("[checks.{}]\n", r.name))
        .collect();
    let cfg = mxgate::config::parse(&all_checks, Path::new("all-checks.toml"))
        .unwrap_or_else(|e| panic!("a config with every [checks.*] section does not parse: {e}"));
    let effective: toml::Table =
        toml::from_str(&cfg.to_toml()).unwrap_or_else(|e| panic!("effective config: {e}"));
    let mut required = BTreeSet::new();
    flatten("", &effective, &mut required);
    // And what the shipped file sets (list entries, optional tables).
    let shipped: toml::Table =
        toml::from_str(&conf).unwrap_or_else(|e| panic!("conf/mxgate.toml: {e}"));
    flatten("", &shipped, &mut required);

    // `checks.helo.reply` documents `checks.helo.reply.code`, too.
    let covered = |k: &str| {
        let mut p = k;
        loop {
            if documented.contains(p) {
                return true;
            }
            match p.rsplit_once('.') {
                Some((head, _)) => p = head,
                None => return false,
            }
        }
    };
    let missing: Vec<&String> = required.iter().filter(|k| !covered(k)).collect();
    assert!(
        missing.is_empty(),
        "these config keys are not documented in conf/mxgate.toml (so not in mxgate.toml(5)):\n  {}\n\
         add each to conf/mxgate.toml with a comment (as `key = default`, or `# key = value   # example` \
         when it has no default), then run:\n\n    {REGEN}\n",
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
    );
    // The generator really found the keys (guards against a parser that finds nothing).
    for k in [
        "daemon.listen",
        "policy.delay_reject",
        "checks.helo.action",
        "daemon.socket_group",
    ] {
        assert!(documented.contains(k), "generator missed {k}");
    }
}

/// Subcommand paths and their long options, from clap's help.
fn cli_items(bin: &str, path: &[String], out: &mut Vec<(String, String)>) {
    let output = Command::new(bin)
        .args(path)
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let help = String::from_utf8_lossy(&output.stdout).to_string();
    let mut in_commands = false;
    let mut subs = Vec::new();
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_commands = line == "Commands:";
            continue;
        }
        let t = line.trim_start();
        if in_commands {
            if let Some(name) = t.split_whitespace().next() {
                if name != "help" {
                    subs.push(name.to_string());
                }
            }
        } else if let Some(pos) = t.find("--") {
            let opt: String = t[pos..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '=')
                .collect();
            if opt != "--help" && opt != "--version" && opt.len() > 2 {
                out.push((path.join(" "), opt));
            }
        }
    }
    for s in subs {
        let mut p = path.to_vec();
        p.push(s.clone());
        out.push((p.join(" "), String::new()));
        cli_items(bin, &p, out);
    }
}

#[test]
fn every_command_and_option_is_in_mxgate_8() {
    let page = read("packaging/man/mxgate.8");
    // roff writes "-" as "\-" in option names.
    let text = page.replace("\\-", "-");
    let mut items = Vec::new();
    cli_items(env!("CARGO_BIN_EXE_mxgate"), &[], &mut items);
    assert!(
        items.iter().any(|(c, _)| c == "run"),
        "no `run` found in --help: {items:?}"
    );
    let mut missing = Vec::new();
    for (cmd, opt) in &items {
        let last = cmd.rsplit(' ').next().unwrap_or(cmd);
        let found = if opt.is_empty() {
            text.contains(&format!(".B {last}")) || text.contains(&format!("\\fB{last}\\fR"))
        } else {
            text.contains(opt.as_str())
        };
        if !found {
            missing.push(if opt.is_empty() {
                format!("mxgate {cmd}")
            } else {
                format!("mxgate {cmd} {opt}")
            });
        }
    }
    assert!(
        missing.is_empty(),
        "packaging/man/mxgate.8 (hand-written) does not mention:\n  {}\nadd them there (a command as `.B name` or `\\fBname\\fR`, an option as `.BI \\-\\-option \" ARG\"`)",
        missing.join("\n  ")
    );
}
