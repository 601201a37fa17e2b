//! Graceful shutdown: stop accepting, let sessions in flight finish within a bound.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;
use tokio::sync::Notify;

/// Shared between the listener (inside indymilter) and the shutdown logic.
#[derive(Default)]
pub(super) struct Control {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
    active: AtomicUsize,
    idle: Notify,
}

impl Control {
    /// Whether the listener must stop accepting.
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Remembers the listener's waker, so that [`Control::stop`] can wake it.
    pub fn set_waker(&self, waker: &Waker) {
        if let Ok(mut w) = self.waker.lock() {
            *w = Some(waker.clone());
        }
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Counts a new connection as active until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> Guard {
        self.active.fetch_add(1, Ordering::SeqCst);
        Guard(Arc::clone(self))
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Ok(mut w) = self.waker.lock() {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
    }

    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Counts a connection as active until dropped.
pub(super) struct Guard(Arc<Control>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// The future indymilter stops on: completes `grace` after `shutdown` at the latest,
/// or as soon as the last session in flight ends.
pub(super) async fn graceful(
    shutdown: impl Future<Output = ()> + Send,
    control: Arc<Control>,
    grace: Duration,
) {
    shutdown.await;
    control.stop();
    let active = control.active();
    tracing::info!(
        active,
        "shutting down: no new connections, waiting for sessions in flight"
    );
    if tokio::time::timeout(grace, control.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!(
            active = control.active(),
            "shutdown_timeout reached; closing remaining sessions"
        );
    }
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received"),
                _ = int.recv() => tracing::info!("SIGINT received"),
            }
        }
        _ => {
            tracing::error!("cannot install signal handlers; stop with SIGKILL");
            std::future::pending::<()>().await
        }
    }
}
