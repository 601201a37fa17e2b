//! `mxgate greylist list|stats|allow|purge`: inspects and manages the greylist of
//! `[checks.greylist]`, over whichever store it uses. The SQLite store is in WAL mode, so
//! this reads (and writes) while the daemon runs; a write waits at most the store's busy
//! timeout for the daemon's lock.

use crate::checks::greylist::logic::{GreylistStore, ListFilter, Params};
use crate::checks::greylist::{key, open_store, Clock, GreylistConfig, SystemClock};
use crate::checks::Services;
use crate::org_domain::OrgDomains;
use anyhow::{bail, Context};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `mxgate greylist`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file (`[checks.greylist]`, and `[database]` for the PostgreSQL store).
    #[arg(long, short, default_value = "/etc/mxgate/mxgate.toml", global = true)]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// The greylist subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Print triplets, newest first (tab-separated: state first_seen last_seen attempts
    /// client sender recipient), or with --clients the client keys.
    List {
        /// Only rows whose client, sender or recipient contains this text.
        #[arg(long = "match", short = 'm')]
        contains: Option<String>,
        /// Only triplets still greylisted.
        #[arg(long, conflicts_with = "passed")]
        greylisted: bool,
        /// Only triplets that passed.
        #[arg(long)]
        passed: bool,
        /// Client keys (auto- and manually allowlisted) instead of triplets.
        #[arg(long)]
        clients: bool,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Counts, and the store's size.
    Stats,
    /// Allowlist a client key for good (an IP address, masked like the check masks it,
    /// or `spf:DOMAIN` / `name:DOMAIN` as `list` shows them); --remove takes it back.
    Allow {
        /// Client keys.
        #[arg(required = true)]
        clients: Vec<String>,
        /// Remove the manual entries instead.
        #[arg(long)]
        remove: bool,
    },
    /// Delete expired entries now (what the daemon's expiry task does every
    /// expire_interval); with --all, delete every triplet and client key.
    Purge {
        /// Everything, not only expired entries.
        #[arg(long)]
        all: bool,
    },
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = crate::config::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The operator's command creates or upgrades the PostgreSQL tables even when the
    // daemon is told not to (its database user may lack the rights).
    config.database.migrate_on_start = true;
    let Some(cfg) = config.section::<GreylistConfig>().cloned() else {
        bail!(
            "{} has no [checks.greylist] section: nothing says where the greylist is",
            args.config.display()
        );
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let services = Services::default();
        let env = config.build_env(&services);
        let store = open_store(&cfg, &env)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot open the greylist ({:?} store)", cfg.store))?;
        // `name:` keys are organisational domains under the list the daemon uses.
        let orgs = env.org_domains().map_err(|e| anyhow::anyhow!("{e}"))?;
        execute(args.command, &cfg, &orgs, store).await
    })
}

async fn execute(
    cmd: Cmd,
    cfg: &GreylistConfig,
    orgs: &OrgDomains,
    store: Arc<dyn GreylistStore>,
) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    let params: Params = cfg.params();
    match cmd {
        Cmd::List {
            contains,
            greylisted,
            passed,
            clients,
            limit,
        } => {
            if clients {
                for c in store.list_clients(limit).await? {
                    let state = if c.entry.manual {
                        "manual"
                    } else if c.entry.allowlisted(now, &params) {
                        "auto"
                    } else {
                        "counting"
                    };
                    println!(
                        "{state}\t{}\t{}\t{}",
                        c.entry.passes,
                        utc(c.entry.last_seen),
                        c.client
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let filter = ListFilter {
                contains,
                passed: match (greylisted, passed) {
                    (true, _) => Some(false),
                    (_, true) => Some(true),
                    _ => None,
                },
                limit,
            };
            for r in store.list(filter).await? {
                let t = &r.triplet;
                let state = if t.passed { "passed" } else { "greylisted" };
                println!(
                    "{state}\t{}\t{}\t{}\t{}\t{}\t{}",
                    utc(t.first_seen),
                    utc(t.last_seen),
                    t.attempts,
                    r.key.client,
                    r.key.sender,
                    r.key.rcpt
                );
            }
        }
        Cmd::Stats => {
            let s = store.stats(now, &params).await?;
            println!("store\t{}", store.backend());
            println!("greylisted\t{}", s.greylisted);
            println!("passed\t{}", s.passed);
            println!("clients\t{}", s.clients);
            println!("auto_allowlisted\t{}", s.auto_allowlisted);
            println!("manual\t{}", s.manual);
            if let Some(o) = s.oldest {
                println!("oldest\t{}", utc(o));
            }
            if let Some(b) = s.size_bytes {
                println!("size_bytes\t{b}");
            }
        }
        Cmd::Allow { clients, remove } => {
            for c in &clients {
                let key = client_key(c, cfg, orgs)?;
                let changed = store.set_manual(&key, !remove, now).await?;
                let what = match (remove, changed) {
                    (false, true) => "allowlisted",
                    (false, false) => "already allowlisted",
                    (true, true) => "removed",
                    (true, false) => "was not allowlisted",
                };
                println!("{key}\t{what}");
            }
        }
        Cmd::Purge { all } => {
            if all {
                let n = store.clear().await?;
                println!("deleted\t{n} triplets and every client key");
            } else {
                let e = store.expire(now, &params).await?;
                println!(
                    "expired\t{} triplets, {} client keys",
                    e.triplets, e.clients
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The stored client key for what an operator typed.
fn client_key(text: &str, cfg: &GreylistConfig, orgs: &OrgDomains) -> anyhow::Result<String> {
    let t = text.trim();
    if let Ok(ip) = t.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(key::masked(ip, cfg.ipv4_prefix.0, cfg.ipv6_prefix.0));
    }
    if let Some((addr, len)) = t.split_once('/') {
        if let (Ok(ip), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u8>()) {
            let want = if ip.is_ipv4() {
                cfg.ipv4_prefix.0
            } else {
                cfg.ipv6_prefix.0
            };
            if len != want {
                bail!(
                    "{t}: the check keys clients by /{want} networks; give an address or a /{want}"
                );
            }
            return Ok(key::masked(ip, want, want));
        }
    }
    let lower = t.to_ascii_lowercase();
    for prefix in ["spf:", "name:"] {
        if let Some(d) = lower.strip_prefix(prefix) {
            if d.is_empty() || !d.contains('.') {
                bail!("{t}: expected a domain after {prefix}");
            }
            let d = d.trim_end_matches('.');
            return Ok(if prefix == "name:" {
                format!("name:{}", key::org_domain(orgs, d))
            } else {
                format!("spf:{d}")
            });
        }
    }
    bail!("{t}: expected an IP address, spf:DOMAIN or name:DOMAIN")
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (no date crate needed for UTC).
fn utc(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn client_keys() {
        let cfg = GreylistConfig::default();
        let orgs = OrgDomains::builtin();
        assert_eq!(
            client_key("192.0.2.77", &cfg, &orgs).unwrap(),
            "192.0.2.0/24"
        );
        assert_eq!(
            client_key("192.0.2.0/24", &cfg, &orgs).unwrap(),
            "192.0.2.0/24"
        );
        assert!(client_key("192.0.2.0/16", &cfg, &orgs).is_err());
        assert_eq!(
            client_key("2001:db8::1", &cfg, &orgs).unwrap(),
            "2001:db8::/64"
        );
        assert_eq!(
            client_key("SPF:Example.COM", &cfg, &orgs).unwrap(),
            "spf:example.com"
        );
        assert_eq!(
            client_key("name:mail.example.co.uk", &cfg, &orgs).unwrap(),
            "name:example.co.uk"
        );
        assert!(client_key("example.com", &cfg, &orgs).is_err());
    }
}
