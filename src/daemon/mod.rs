//! The daemon: binds the sockets, runs the milter, reloads on SIGHUP and shuts down
//! gracefully on SIGTERM/SIGINT (stop accepting, let sessions in flight finish).
//!
//! `serve` only orders the steps; the sockets are in `listener` and `socket`, reload
//! in `reload`, shutdown in `shutdown`, and the in-process daemon in `embedded`.

mod embedded;
mod listener;
mod reload;
mod shutdown;
mod socket;

pub use embedded::Embedded;
pub use shutdown::termination_signal;

use crate::checks::Services;
use crate::config::Config;
use crate::milter::{self, Shared};
use crate::policy::Policy;
use anyhow::Context as _;
use listener::MultiListener;
use shutdown::Control;
use socket::SocketFiles;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs the milter on the configured sockets until `shutdown` completes, then stops
/// accepting and gives sessions in flight `daemon.shutdown_timeout` to finish.
/// With `config_path`, SIGHUP reloads the checks from that file.
pub async fn serve(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    // Every check is built before a socket is bound: a config that cannot run must not
    // leave a socket (or its directory) behind.
    let services = Arc::new(Services::default());
    let policy = Policy::new(Arc::clone(&config), &services).map_err(anyhow::Error::msg)?;
    // The metrics endpoint listens before the milter socket does, so whoever waits for
    // the socket (an init system, a test) finds the endpoint up too.
    let control = Arc::new(Control::default());
    let metrics = start_metrics(&config, &control).await?;
    // Removes the socket files bound from here on, however this function returns.
    let mut files = SocketFiles::default();
    let bound = match listener::bind_all(&config, &mut files).await {
        Ok(b) => b,
        Err(e) => {
            if let Some(m) = &metrics {
                m.abort();
            }
            return Err(e);
        }
    };
    let listener = MultiListener::new(
        bound,
        Arc::clone(&control),
        config.daemon.max_connections,
        config.daemon.session_timeout.get(),
    );
    let shared = Arc::new(Shared::new(policy));
    let callbacks = milter::callbacks(Arc::clone(&shared));
    if let Some(path) = config_path {
        reload::spawn(path, Arc::clone(&shared), Arc::clone(&config), services);
    }
    let milter_config = indymilter::Config {
        // One over ours: indymilter waits for a free slot before it accepts, and a
        // connection waiting in the backlog makes Postfix wait its connect timeout.
        // The listener accepts it and closes it at once instead (listener.rs).
        max_connections: config.daemon.max_connections + 1,
        connection_timeout: config.daemon.connection_timeout.get(),
        ..Default::default()
    };
    let grace = config.daemon.shutdown_timeout.get();
    let stop = shutdown::graceful(shutdown, Arc::clone(&control), grace);
    let result = indymilter::run(listener, callbacks, milter_config, stop).await;
    drop(files);
    if let Some(m) = metrics {
        m.abort();
    }
    result.context("milter stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// The metrics endpoint, when enabled, with the active-sessions gauge.
async fn start_metrics(
    config: &Config,
    control: &Arc<Control>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    if !config.metrics.enabled {
        return Ok(None);
    }
    let registry = crate::metrics::global();
    let weak = Arc::downgrade(control);
    registry.register_gauge(
        "mxgate_sessions_active",
        "Milter connections open now.",
        move || weak.upgrade().map(|c| c.active() as f64),
    );
    let addr = config.metrics.listen.0;
    let handle = crate::metrics::spawn_endpoint(addr, registry)
        .await
        .with_context(|| format!("metrics.listen: cannot listen on {addr}"))?;
    Ok(Some(handle))
}
