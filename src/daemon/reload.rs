//! SIGHUP: load the config file again, build a new policy and swap it in for new
//! connections. A file that does not load or whose checks cannot be built leaves the
//! running policy in force. Socket and metrics changes need a restart.

use crate::checks::Services;
use crate::config::{self, Config};
use crate::milter::Shared;
use crate::policy::Policy;
use crate::session::Stage;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reloads from `path` on every SIGHUP, for the life of the runtime.
pub(super) fn spawn(
    path: PathBuf,
    shared: Arc<Shared>,
    running: Arc<Config>,
    mut services: Arc<Services>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot install SIGHUP handler; reload disabled");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match reload(&path, &shared, &running, &services) {
                Ok(fresh) => {
                    services = fresh;
                    tracing::info!(config = %path.display(), "configuration reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; keeping the running configuration")
                }
            }
        }
    });
}

/// One reload: on success the new policy is in `shared` and the services it was built
/// with are returned (to be kept for the next reload); on error nothing changed.
fn reload(
    path: &Path,
    shared: &Shared,
    running: &Config,
    services: &Arc<Services>,
) -> Result<Arc<Services>, String> {
    let new = config::load(path).map_err(|e| e.to_string())?;
    for w in &new.warnings {
        tracing::warn!(config = %path.display(), "{w}");
    }
    if new.listen != running.listen {
        tracing::warn!("daemon.listen changed; restart mxgate to apply it");
    }
    if new.metrics != running.metrics {
        tracing::warn!("[metrics] changed; restart mxgate to apply it");
    }
    let current = shared.current();
    // A changed [dns] or [database] section needs a new resolver or pool; otherwise the
    // warm cache carries over.
    let fresh = if new.dns != current.config().dns || new.database != current.config().database {
        Arc::new(Services::default())
    } else {
        Arc::clone(services)
    };
    let policy = Policy::new(Arc::new(new), &fresh)?;
    // The milter negotiated its stages with the first policy; a check needing a stage
    // that is off cannot run until restart.
    let stages = |p: &Policy| (Stage::ALL.map(|s| p.uses_stage(s)), p.body_limit() > 0);
    if stages(&policy) != stages(&current) {
        tracing::warn!(
            "the new checks need other SMTP stages; restart mxgate for them to take full effect"
        );
    }
    shared.replace(policy);
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Config {
        config::parse(toml, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn a_failed_reload_keeps_the_running_policy_and_a_good_one_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mxgate.toml");
        let running = Arc::new(parse("[checks.helo]\n"));
        let services = Arc::new(Services::default());
        let shared = Shared::new(Policy::new(Arc::clone(&running), &services).unwrap());
        let before = shared.current();

        for (text, expect) in [
            ("[checks.helo]\naction = \"bounce\"\n", "unknown variant"),
            (
                "[checks.dnsbl]\nenabled = true\n",
                "checks.dnsbl.lists: no lists",
            ),
            // Valid at load, but the check cannot be built: its map does not exist.
            (
                "[checks.relay]\nmap = \"/nonexistent/relay\"\n",
                "checks.relay.map: ",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = reload(&path, &shared, &running, &services)
                .map(|_| ())
                .unwrap_err();
            assert!(e.contains(expect), "{e}");
            assert!(
                Arc::ptr_eq(&before, &shared.current()),
                "policy replaced by {text:?}"
            );
        }

        std::fs::write(&path, "").unwrap();
        let kept = reload(&path, &shared, &running, &services).unwrap();
        assert!(
            !Arc::ptr_eq(&before, &shared.current()),
            "policy not replaced"
        );
        // [dns] and [database] unchanged: the resolver and pool carry over.
        assert!(Arc::ptr_eq(&kept, &services));
    }
}
