//! The documentation stays in step with the code.
//!
//! - packaging/man/mxgate.toml.5 and the README's check table are generated from the
//!   config types (keys, defaults, doc comments) and the check registry. After changing
//!   them, regenerate with
//!
//!       MXGATE_REGEN_MAN=1 cargo test --test man
//!
//! - conf/mxgate.toml (hand-written, shipped as /etc/mxgate/mxgate.toml) is checked against
//!   the same schema: every key of every section it has is there, set or as a commented
//!   `# key = value` line; every key it shows exists; and every value it shows is the code's
//!   default, unless the line says `# example` (set `enabled` lines are the shipped choice);
//! - every subcommand and long option of `mxgate --help` (recursively) must be named in the
//!   hand-written packaging/man/mxgate.8.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGEN: &str = "MXGATE_REGEN_MAN=1 cargo test --test man";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// Compares a shipped file with what the code generates, or rewrites it when asked to.
fn generated(rel: &str, want: &str) {
    if std::env::var_os("MXGATE_REGEN_MAN").is_some() {
        std::fs::write(repo(rel), want).unwrap_or_else(|e| panic!("cannot write {rel}: {e}"));
        return;
    }
    let have = read(rel);
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or(have.lines().count().min(want.lines().count()) + 1, |n| {
                n + 1
            });
        panic!("{rel} is not what the code generates (first difference at line {line}); run:\n\n    {REGEN}\n");
    }
}

#[test]
fn mxgate_toml_5_is_generated_from_the_code() {
    let page = mxgate::docs::man_page();
    // Every key of every table is an entry of its own (the page is read as a reference).
    for t in mxgate::docs::schema() {
        for k in &t.keys {
            assert!(
                page.contains(&format!(".TP\n\\fB{}\\fR", k.name))
                    || page.contains(&format!(".TP\n.B {}\n", k.name)),
                "{}.{} has no entry of its own",
                t.name,
                k.name
            );
        }
    }
    generated("packaging/man/mxgate.toml.5", &page);
}

#[test]
fn readme_check_table_is_generated_from_the_registry() {
    let readme = read("README.md");
    let (begin, end) = ("<!-- checks:begin -->\n", "<!-- checks:end -->");
    let (Some(a), Some(b)) = (readme.find(begin), readme.find(end)) else {
        panic!("README.md has no {begin:?} … {end:?} markers around the check table");
    };
    let want = format!(
        "{}{begin}{}{}",
        &readme[..a],
        mxgate::docs::readme_check_table(),
        &readme[b..]
    );
    generated("README.md", &want);
}

/// A `key = value` line (set, or after `# `) of conf/mxgate.toml.
struct Shown {
    line: usize,
    key: String,
    value: String,
    set: bool,
    example: bool,
}

/// The tables of conf/mxgate.toml with the keys each shows (set or commented), so that
/// what the file claims can be compared with the code.
fn shown_keys(conf: &str) -> BTreeMap<String, Vec<Shown>> {
    let mut out: BTreeMap<String, Vec<Shown>> = BTreeMap::new();
    let mut table = String::new();
    let lines: Vec<&str> = conf.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        i += 1;
        let (set, body) = match raw.trim_start().strip_prefix('#') {
            Some(rest) => (false, rest.trim()),
            None => (true, raw.trim()),
        };
        let header = body
            .strip_prefix("[[")
            .and_then(|r| r.split("]]").next())
            .or_else(|| body.strip_prefix('[').and_then(|r| r.split(']').next()));
        if let Some(h) = header {
            if set {
                table = h.trim().to_string();
                out.entry(table.clone()).or_default();
            }
            continue;
        }
        let Some((lhs, rhs)) = body.split_once('=') else {
            continue;
        };
        let key = lhs.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        // The value: up to a trailing comment, over several lines for an open array.
        let mut value = rhs.trim().to_string();
        let depth = |s: &str| s.matches('[').count() as i64 - s.matches(']').count() as i64;
        let mut open = depth(&value);
        while open > 0 && i < lines.len() {
            let next = lines[i].trim().trim_start_matches('#').trim();
            value.push(' ');
            value.push_str(next);
            open += depth(next);
            i += 1;
        }
        let (value, comment) = split_comment(&value);
        // Prose that happens to contain "x = y" is not a key line: it must parse as TOML.
        if toml::from_str::<toml::Table>(&format!("k = {value}")).is_err() {
            continue;
        }
        out.entry(table.clone()).or_default().push(Shown {
            line: i,
            key: key.to_string(),
            value,
            set,
            example: comment.contains("example"),
        });
    }
    out
}

/// `value   # comment` → (value, comment), ignoring `#` inside strings.
fn split_comment(s: &str) -> (String, String) {
    let mut in_str = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return (s[..i].trim().to_string(), s[i..].to_string()),
            _ => {}
        }
    }
    (s.trim().to_string(), String::new())
}

/// A value as the code reads it back (`"5m"` and `300` are the same duration): the key
/// alone in its table, loaded and printed as `check-config` prints it.
fn normalized(table: &str, key: &str, value: &str) -> Option<toml::Value> {
    let text = match table {
        "checks.dnsbl.lists" if key == "zone" => {
            format!("[checks.dnsbl]\nenabled = false\n[[checks.dnsbl.lists]]\nzone = {value}\n")
        }
        "checks.dnsbl.lists" => format!(
            "[checks.dnsbl]\nenabled = false\n[[checks.dnsbl.lists]]\nzone = \"x.example\"\n{key} = {value}\n"
        ),
        t if t.starts_with("checks.") => format!("[{t}]\nenabled = false\n{key} = {value}\n"),
        t => format!("[{t}]\n{key} = {value}\n"),
    };
    let cfg = mxgate::config::parse(&text, Path::new("one-key.toml")).ok()?;
    let mut v: toml::Value = toml::from_str::<toml::Table>(&cfg.to_toml()).ok()?.into();
    for part in table.split('.') {
        v = v.get(part)?.clone();
        if let toml::Value::Array(a) = v {
            v = a.first()?.clone();
        }
    }
    v.get(key).cloned()
}

#[test]
fn shipped_config_matches_the_code() {
    let conf = read("conf/mxgate.toml");
    let loaded = mxgate::config::parse(&conf, Path::new("conf/mxgate.toml"))
        .unwrap_or_else(|e| panic!("the shipped config does not load: {e}"));
    assert!(
        loaded.warnings.is_empty(),
        "the shipped config has warnings: {:?}",
        loaded.warnings
    );
    let shown = shown_keys(&conf);
    let schema = mxgate::docs::schema();
    let mut problems = Vec::new();
    for (table, keys) in &shown {
        let Some(t) = schema.iter().find(|t| &t.name == table) else {
            problems.push(format!("[{table}] is not a table mxgate knows"));
            continue;
        };
        let common: Vec<&str> = mxgate::checks::common::common_keys()
            .iter()
            .map(|k| k.name)
            .collect();
        for k in &t.keys {
            // The common keys are described once, at the top of the checks.
            let is_common = table.starts_with("checks.") && common.contains(&k.name);
            let as_table = shown.contains_key(&format!("{table}.{}", k.name));
            if !is_common && !as_table && !keys.iter().any(|s| s.key == k.name) {
                problems.push(format!(
                    "[{table}] {}: not shown (add `# {} = {}` with a comment)",
                    k.name,
                    k.name,
                    t.defaults
                        .get(k.name)
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "VALUE   # example".into())
                ));
            }
        }
        for s in keys {
            if !t.keys.iter().any(|k| k.name == s.key) {
                problems.push(format!(
                    "conf/mxgate.toml:{}: [{table}] {}: no such key",
                    s.line, s.key
                ));
                continue;
            }
            if s.example || (s.set && s.key == "enabled") {
                continue;
            }
            let Some(parsed) = normalized(table, &s.key, &s.value) else {
                problems.push(format!(
                    "conf/mxgate.toml:{}: [{table}] {} = {}: not a valid value",
                    s.line, s.key, s.value
                ));
                continue;
            };
            match t.defaults.get(&s.key) {
                Some(d) if *d == parsed => {}
                Some(d) => problems.push(format!(
                    "conf/mxgate.toml:{}: [{table}] {} = {} but the code's default is {d} (fix the file, or mark the line `# example`)",
                    s.line, s.key, s.value
                )),
                None => problems.push(format!(
                    "conf/mxgate.toml:{}: [{table}] {} = {} has no default in the code; mark it `# example`",
                    s.line, s.key, s.value
                )),
            }
        }
    }
    for t in schema.iter().filter(|t| !t.name.starts_with("checks.")) {
        if !shown.contains_key(&t.name) {
            problems.push(format!("[{}] is not in conf/mxgate.toml", t.name));
        }
    }
    for r in mxgate::checks::registry() {
        if !shown.contains_key(&format!("checks.{}", r.name)) {
            problems.push(format!("[checks.{}] is not in conf/mxgate.toml", r.name));
        }
    }
    assert!(
        problems.is_empty(),
        "conf/mxgate.toml disagrees with the code:\n  {}",
        problems.join("\n  ")
    );
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
