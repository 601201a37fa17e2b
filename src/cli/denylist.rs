//! `mxgate denylist init|add|remove|list|import`: manages the PostgreSQL denylist that
//! every MX host's cache mirrors (changes reach them through NOTIFY within a second).
//!
//! `import` reads plain address lists and Amazon SES bounce/complaint notifications
//! (SNS JSON). It parses every input before touching the database and writes in one
//! transaction, so a damaged file imports nothing; it is idempotent (an address already
//! listed is left as it is, an expired entry is renewed) and prints what changed.

pub mod ses;

use crate::checks::denylist::{normalize_key, Backend, DenyAction, Source};
use crate::config::Config;
use crate::store::pg::migrate;
use anyhow::{bail, Context};
use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `mxgate denylist`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file (`[database]` and `[checks.denylist]`).
    #[arg(long, short, default_value = "/etc/mxgate/mxgate.toml", global = true)]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// The denylist subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Create or upgrade the tables of the recipient checks (denylist and relay).
    Init,
    /// List addresses, domains (`example.com`) or local parts (`user@`); an existing
    /// entry is updated.
    Add {
        /// Keys to add.
        #[arg(required = true)]
        keys: Vec<String>,
        /// drop, discard, reject or ok (default: the check's `action`).
        #[arg(long)]
        action: Option<String>,
        /// Why (shown by `list` and in the decision log).
        #[arg(long, default_value = "")]
        reason: String,
        /// The entry stops counting after this long (`90d`, `12h`, `30m`, `2w`).
        #[arg(long, value_parser = parse_duration)]
        expires_in: Option<Duration>,
    },
    /// Remove entries.
    Remove {
        /// Keys to remove.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Print the entries (tab-separated: key action source created expires reason).
    List {
        /// Include expired entries.
        #[arg(long)]
        all: bool,
    },
    /// Import address lists (`address [action [reason]]` per line) and SES/SNS JSON
    /// notifications; `-` reads standard input.
    Import {
        /// Files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Action of the new entries (default: the check's `action`).
        #[arg(long)]
        action: Option<String>,
        /// Parse and report, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = crate::config::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(d) = config.section::<crate::checks::denylist::DenylistConfig>() {
        if d.backend == Backend::File {
            let map = d
                .map
                .as_ref()
                .map(|m| m.display().to_string())
                .unwrap_or_else(|| "the map file".into());
            bail!(
                "[checks.denylist] uses backend = \"file\": edit {map} (`address action [reason]` per line); \
                 this command manages the PostgreSQL table (backend = \"postgres\")"
            );
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(dispatch(&config, args.command))
}

fn default_action(config: &Config, given: Option<&str>) -> anyhow::Result<DenyAction> {
    match given {
        Some(a) => DenyAction::parse(a)
            .with_context(|| format!("--action {a:?}: use drop, discard, reject or ok")),
        None => Ok(config
            .section::<crate::checks::denylist::DenylistConfig>()
            .and_then(|d| DenyAction::from_action(d.action))
            .unwrap_or(DenyAction::Drop)),
    }
}

async fn connect(config: &Config) -> anyhow::Result<tokio_postgres::Client> {
    let db = &config.database;
    let (client, conn) = db
        .pg_config()?
        .connect(tokio_postgres::NoTls)
        .await
        .with_context(|| {
            format!(
                "cannot connect to PostgreSQL at {}:{} as {} (database {})",
                db.host, db.port, db.user, db.dbname
            )
        })?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("mxgate denylist: database connection: {e}");
        }
    });
    Ok(client)
}

async fn dispatch(config: &Config, cmd: Cmd) -> anyhow::Result<ExitCode> {
    // Parse inputs before connecting: a damaged file fails without a database.
    let import = match &cmd {
        Cmd::Import { files, action, .. } => Some(read_inputs(
            files,
            default_action(config, action.as_deref())?,
        )?),
        _ => None,
    };
    if let (Cmd::Import { dry_run: true, .. }, Some(i)) = (&cmd, &import) {
        println!("{}", i.summary());
        println!("dry run: nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    let mut client = connect(config).await?;
    // The schema: always for init; for the other commands when the daemon would do it too.
    if matches!(cmd, Cmd::Init) || config.database.migrate_on_start {
        migrate(&mut client, "denylist", crate::checks::denylist::pg::SCHEMA).await?;
    }
    match cmd {
        Cmd::Init => {
            migrate(&mut client, "relay", crate::checks::relay::SCHEMA).await?;
            println!("schema up to date: tables mxgate_denylist and mxgate_relay");
        }
        Cmd::Add {
            keys,
            action,
            reason,
            expires_in,
        } => {
            let action = default_action(config, action.as_deref())?;
            let keys = normalize_all(&keys)?;
            let secs = expires_in.map(|d| d.as_secs() as f64);
            let (mut added, mut updated) = (0, 0);
            let tx = client.transaction().await?;
            for key in &keys {
                let row = tx
                    .query_opt(
                        "INSERT INTO mxgate_denylist (key, action, reason, source, expires)
                         VALUES ($1, $2, $3, 'manual', now() + make_interval(secs => $4))
                         ON CONFLICT (key) DO UPDATE SET action = EXCLUDED.action,
                             reason = EXCLUDED.reason, source = EXCLUDED.source,
                             expires = EXCLUDED.expires
                         WHERE (mxgate_denylist.action, mxgate_denylist.reason, mxgate_denylist.source,
                                mxgate_denylist.expires)
                             IS DISTINCT FROM (EXCLUDED.action, EXCLUDED.reason, EXCLUDED.source,
                                EXCLUDED.expires)
                         RETURNING (xmax = 0)",
                        &[key, &action.as_str(), &reason, &secs],
                    )
                    .await?;
                match row.map(|r| r.get::<_, bool>(0)) {
                    Some(true) => added += 1,
                    Some(false) => updated += 1,
                    None => {}
                }
            }
            tx.commit().await?;
            println!(
                "denylist: {added} added, {updated} updated, {} unchanged",
                keys.len() - added - updated
            );
        }
        Cmd::Remove { keys } => {
            let keys = normalize_all(&keys)?;
            let rows = client
                .query(
                    "DELETE FROM mxgate_denylist WHERE key = ANY($1) RETURNING key",
                    &[&keys],
                )
                .await?;
            let gone: HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
            for k in keys.iter().filter(|k| !gone.contains(*k)) {
                eprintln!("mxgate denylist: {k}: not listed");
            }
            println!("denylist: {} removed", gone.len());
            if gone.len() < keys.len() {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::List { all } => list(&mut client, all).await?,
        Cmd::Import { .. } => {
            let input = import.context("import input")?;
            let changes = write_import(&mut client, &input).await?;
            println!("{}", input.summary());
            println!("{changes}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn normalize_all(keys: &[String]) -> anyhow::Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for k in keys {
        let n = normalize_key(k).map_err(|e| anyhow::anyhow!("{k:?}: {e}"))?;
        if seen.insert(n.clone()) {
            out.push(n);
        }
    }
    Ok(out)
}

async fn list(client: &mut tokio_postgres::Client, all: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let tx = client.transaction().await?;
    let sql = format!(
        "SELECT key, action, source, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                coalesce(to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),
                expires IS NOT NULL AND expires <= now(), reason
         FROM mxgate_denylist {} ORDER BY key",
        if all { "" } else { "WHERE expires IS NULL OR expires > now()" }
    );
    let portal = tx.bind(sql.as_str(), &[]).await?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    writeln!(out, "# key\taction\tsource\tcreated\texpires\treason")?;
    loop {
        let rows = tx.query_portal(&portal, 10_000).await?;
        for r in &rows {
            let expired: bool = r.get(5);
            let expires: &str = r.get(4);
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}{}\t{}",
                r.get::<_, &str>(0),
                r.get::<_, &str>(1),
                r.get::<_, &str>(2),
                r.get::<_, &str>(3),
                expires,
                if expired { " (expired)" } else { "" },
                r.get::<_, &str>(6),
            )?;
        }
        if rows.len() < 10_000 {
            break;
        }
    }
    out.flush()?;
    tx.commit().await?;
    Ok(())
}

/// Everything the inputs asked for, deduplicated (the first mention of a key wins).
#[derive(Debug, Default)]
struct Import {
    keys: Vec<String>,
    actions: Vec<String>,
    reasons: Vec<String>,
    sources: Vec<String>,
    lines: usize,
    duplicates: usize,
    ses: ses::Parsed,
}

impl Import {
    fn push(&mut self, seen: &mut HashSet<String>, key: String, a: DenyAction, r: &str, s: Source) {
        if !seen.insert(key.clone()) {
            self.duplicates += 1;
            return;
        }
        self.keys.push(key);
        self.actions.push(a.as_str().to_owned());
        self.reasons.push(r.to_owned());
        self.sources.push(s.as_str().to_owned());
    }

    fn summary(&self) -> String {
        let s = &self.ses;
        format!(
            "read: {} address lines; {} SES notifications ({} permanent bounces, {} complaints, \
             {} transient bounces ignored, {} other ignored); {} distinct keys, {} duplicates",
            self.lines,
            s.notifications,
            s.permanent,
            s.complaints,
            s.transient,
            s.other,
            self.keys.len(),
            self.duplicates
        )
    }
}

fn read_inputs(files: &[PathBuf], action: DenyAction) -> anyhow::Result<Import> {
    let mut out = Import::default();
    let mut seen = HashSet::new();
    for path in files {
        let name = path.display().to_string();
        let text = if name == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read standard input")?;
            s
        } else {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?
        };
        let first = text.trim_start().chars().next();
        if matches!(first, Some('{') | Some('[')) {
            let parsed = ses::parse(&text, &name).map_err(anyhow::Error::msg)?;
            for f in &parsed.found {
                let key = normalize_key(&f.address)
                    .map_err(|e| anyhow::anyhow!("{name}: {}: {e}", f.address))?;
                out.push(&mut seen, key, action, &f.reason, f.source);
            }
            let s = &mut out.ses;
            s.notifications += parsed.notifications;
            s.permanent += parsed.permanent;
            s.complaints += parsed.complaints;
            s.transient += parsed.transient;
            s.other += parsed.other;
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |e: String| anyhow::anyhow!("{name}:{}: {e}", i + 1);
            let word = |s: &'_ str| -> (String, String) {
                match s.split_once(char::is_whitespace) {
                    Some((w, rest)) => (w.to_owned(), rest.trim_start().to_owned()),
                    None => (s.to_owned(), String::new()),
                }
            };
            let (key, rest) = word(line);
            let key = normalize_key(&key).map_err(at)?;
            let (act, reason) = word(&rest);
            let act = match act.as_str() {
                "" => action,
                a => DenyAction::parse(a).ok_or_else(|| {
                    at(format!(
                        "{a:?} is not an action (drop, discard, reject or ok)"
                    ))
                })?,
            };
            let reason = reason.trim();
            out.lines += 1;
            out.push(&mut seen, key, act, reason, Source::Import);
        }
    }
    Ok(out)
}

/// One statement for the whole import (one NOTIFY, one round trip), in one transaction.
async fn write_import(
    client: &mut tokio_postgres::Client,
    input: &Import,
) -> anyhow::Result<String> {
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "INSERT INTO mxgate_denylist AS d (key, action, reason, source)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
             ON CONFLICT (key) DO UPDATE SET action = EXCLUDED.action, reason = EXCLUDED.reason,
                 source = EXCLUDED.source, created = now(), expires = NULL
             WHERE d.expires IS NOT NULL AND d.expires <= now()
             RETURNING (xmax = 0)",
            &[&input.keys, &input.actions, &input.reasons, &input.sources],
        )
        .await
        .context("import failed; nothing was written")?;
    tx.commit().await?;
    let added = rows.iter().filter(|r| r.get::<_, bool>(0)).count();
    let renewed = rows.len() - added;
    Ok(format!(
        "denylist: {added} added, {renewed} renewed (had expired), {} already listed (unchanged)",
        input.keys.len() - rows.len()
    ))
}

/// `90d`, `12h`, `30m`, `45s`, `2w`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit, e.g. 90d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" | "" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{s:?}: unit must be s, m, h, d or w")),
    };
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3y").is_err());
    }

    #[test]
    fn inputs_mix_lines_and_json_and_report_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(
            &a,
            "# list\nOne@X.test\ntwo@x.test reject gone\none@x.test\n",
        )
        .unwrap();
        let i = read_inputs(std::slice::from_ref(&a), DenyAction::Drop).unwrap();
        assert_eq!(i.keys, vec!["one@x.test", "two@x.test"]);
        assert_eq!(i.actions, vec!["drop", "reject"]);
        assert_eq!((i.lines, i.duplicates), (3, 1));
        std::fs::write(&a, "ok@x.test\nbad address@x\n").unwrap();
        let e = read_inputs(std::slice::from_ref(&a), DenyAction::Drop).unwrap_err();
        assert!(e.to_string().contains("a.txt:2:"), "{e}");
    }
}
