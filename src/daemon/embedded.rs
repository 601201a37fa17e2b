//! The daemon in-process on a private unix socket, for `replay --config` and tests.

use super::serve;
use crate::config::Config;
use crate::net::ListenSpec;
use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// mxgate running inside this process on a private unix socket (for `replay --config`
/// and tests).
pub struct Embedded {
    dir: PathBuf,
    socket: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Embedded {
    /// Starts the milter in the current tokio runtime on a private unix socket in a
    /// temp dir; the config's own sockets are ignored.
    pub async fn start(mut config: Config) -> anyhow::Result<Embedded> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mxgate-embedded-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let socket = dir.join("mxgate.sock");
        config.listen = vec![ListenSpec::Unix(socket.clone())];
        config.socket_mode = 0o600;
        config.daemon.socket_owner = None;
        config.daemon.socket_group = None;
        config.daemon.shutdown_timeout = config
            .daemon
            .shutdown_timeout
            .min(crate::values::TimeSpan::from_secs(5));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, None, async move {
            let _ = rx.await;
        }));
        // Bound the wait: the socket appears as soon as the listener is bound.
        for _ in 0..500 {
            if socket.exists() {
                return Ok(Embedded {
                    dir,
                    socket,
                    stop: Some(tx),
                    task,
                });
            }
            if task.is_finished() {
                let err = match task.await {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => anyhow::anyhow!("embedded milter exited at once"),
                    Err(e) => anyhow::anyhow!("embedded milter task failed: {e}"),
                };
                return Err(err);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!(
            "embedded milter did not create {} within 5 s",
            socket.display()
        )
    }

    /// The socket in Postfix syntax (`unix:/…/mxgate.sock`).
    pub fn socket_spec(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// Path of the unix socket.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// Stops the milter and removes its temp dir.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
