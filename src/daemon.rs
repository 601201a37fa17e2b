//! The daemon: binds the sockets, runs the milter, reloads on SIGHUP and shuts down
//! gracefully on SIGTERM/SIGINT (stop accepting, let sessions in flight finish).

use crate::checks::Services;
use crate::config::{self, Config};
use crate::milter::{self, Shared};
use crate::net::ListenSpec;
use crate::policy::Policy;
use anyhow::{bail, Context as _};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::Notify;

/// Shared between the listener (inside indymilter) and the shutdown logic.
#[derive(Default)]
struct Control {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
    active: AtomicUsize,
    idle: Notify,
}

impl Control {
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
struct Guard(Arc<Control>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

enum Inner {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// All configured sockets behind one indymilter `Listener`: sets TCP_NODELAY (indymilter
/// does not, and two replies back to back otherwise wait for delayed ACKs), survives
/// transient accept errors, and stops accepting on request.
struct MultiListener {
    inner: Vec<Inner>,
    control: Arc<Control>,
    backoff: Option<Pin<Box<tokio::time::Sleep>>>,
    next: usize,
}

/// A connection from Postfix on either kind of socket.
pub struct Stream {
    io: StreamIo,
    _guard: Guard,
}

enum StreamIo {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl indymilter::Listener for MultiListener {
    type Io = Stream;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        if self.control.stopped.load(Ordering::SeqCst) {
            // Closing the sockets makes new connections fail at once instead of
            // waiting in the backlog until Postfix's connect timeout.
            self.inner.clear();
            return Poll::Pending;
        }
        if let Ok(mut w) = self.control.waker.lock() {
            *w = Some(cx.waker().clone());
        }
        if let Some(sleep) = self.backoff.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.backoff = None;
        }
        let n = self.inner.len();
        for k in 0..n {
            // Rotate the start so one busy socket cannot starve the others.
            let i = (self.next + k) % n;
            let polled = match &self.inner[i] {
                Inner::Tcp(l) => l.poll_accept(cx).map_ok(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    StreamIo::Tcp(s)
                }),
                Inner::Unix(l) => l.poll_accept(cx).map_ok(|(s, _)| StreamIo::Unix(s)),
            };
            match polled {
                Poll::Ready(Ok(io)) => {
                    self.next = i + 1;
                    self.control.active.fetch_add(1, Ordering::SeqCst);
                    crate::metrics::global().session_started();
                    return Poll::Ready(Ok(Stream {
                        io,
                        _guard: Guard(Arc::clone(&self.control)),
                    }));
                }
                Poll::Ready(Err(e)) => {
                    // EMFILE and friends: indymilter would stop the milter on an error,
                    // so wait a little and try again instead.
                    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                    let mut sleep = Box::pin(tokio::time::sleep(Duration::from_millis(100)));
                    let _ = sleep.as_mut().poll(cx);
                    self.backoff = Some(sleep);
                    return Poll::Pending;
                }
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }
}

/// Postfix writes a macro packet and its command as two writes with Nagle on, and the macro
/// packet gets no reply: the command waits until we ACK the macro packet. Linux delays that
/// ACK (~40 ms) whenever the connection looks interactive, which it re-decides each time we
/// send a reply shortly after receiving; so quick ACKs are switched on again after every read
/// and every write (a setsockopt, ~1 µs; also sends an ACK that is due at once).
fn quickack(s: &TcpStream) {
    let _ = s.set_quickack(true);
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            StreamIo::Tcp(s) => {
                let polled = Pin::new(&mut *s).poll_read(cx, buf);
                if let Poll::Ready(Ok(())) = polled {
                    quickack(s);
                }
                polled
            }
            StreamIo::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            StreamIo::Tcp(s) => {
                let polled = Pin::new(&mut *s).poll_write(cx, buf);
                if let Poll::Ready(Ok(_)) = polled {
                    quickack(s);
                }
                polled
            }
            StreamIo::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            StreamIo::Tcp(s) => Pin::new(s).poll_flush(cx),
            StreamIo::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            StreamIo::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            StreamIo::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            StreamIo::Tcp(s) => {
                let polled = Pin::new(&mut *s).poll_write_vectored(cx, bufs);
                if let Poll::Ready(Ok(_)) = polled {
                    quickack(s);
                }
                polled
            }
            StreamIo::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }
}

/// Binds a unix socket, removing a stale one safely: only a socket nobody answers on
/// is removed, never a regular file or a live milter's socket.
fn bind_unix(path: &Path, config: &Config) -> anyhow::Result<UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create socket directory {}", dir.display()))?;
        }
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => bail!(
                    "{} is in use by a running process (another mxgate?); stop it or choose another socket",
                    path.display()
                ),
                Err(_) => {
                    tracing::info!(path = %path.display(), "removing stale socket");
                    std::fs::remove_file(path)
                        .with_context(|| format!("cannot remove stale socket {}", path.display()))?;
                }
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a socket; refusing to replace it",
            path.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot bind {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.socket_mode))
        .with_context(|| format!("cannot chmod {}", path.display()))?;
    let owner = match &config.daemon.socket_owner {
        Some(u) => Some(
            nix::unistd::User::from_name(u.get_ref())
                .ok()
                .flatten()
                .with_context(|| format!("daemon.socket_owner: no user {:?}", u.get_ref()))?
                .uid,
        ),
        None => None,
    };
    let group = match &config.daemon.socket_group {
        Some(g) => Some(
            nix::unistd::Group::from_name(g.get_ref())
                .ok()
                .flatten()
                .with_context(|| format!("daemon.socket_group: no group {:?}", g.get_ref()))?
                .gid,
        ),
        None => None,
    };
    if owner.is_some() || group.is_some() {
        nix::unistd::chown(path, owner, group)
            .with_context(|| format!("cannot chown {}", path.display()))?;
    }
    Ok(listener)
}

async fn bind_all(config: &Config) -> anyhow::Result<Vec<Inner>> {
    let mut inner = Vec::new();
    for spec in &config.listen {
        match spec {
            ListenSpec::Unix(path) => inner.push(Inner::Unix(bind_unix(path, config)?)),
            ListenSpec::Inet(addr) => inner.push(Inner::Tcp(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {spec}"))?,
            )),
        }
        tracing::info!(socket = %spec, "listening");
    }
    Ok(inner)
}

fn remove_sockets(config: &Config) {
    for spec in &config.listen {
        if let ListenSpec::Unix(path) = spec {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs the milter on the configured sockets until `shutdown` completes, then stops
/// accepting and gives sessions in flight `daemon.shutdown_timeout` seconds to finish.
/// With `config_path`, SIGHUP reloads the checks from that file.
pub async fn serve(
    config: Config,
    config_path: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let inner = bind_all(&config).await?;
    let control = Arc::new(Control::default());
    let listener = MultiListener {
        inner,
        control: Arc::clone(&control),
        backoff: None,
        next: 0,
    };
    let services = Arc::new(Services::default());
    let policy = Policy::new(Arc::clone(&config), &services).map_err(anyhow::Error::msg)?;
    let shared = Arc::new(Shared::new(policy));
    let callbacks = milter::callbacks(Arc::clone(&shared));
    let milter_config = indymilter::Config {
        max_connections: config.daemon.max_connections,
        connection_timeout: config.daemon.connection_timeout.get(),
        ..Default::default()
    };
    let grace = config.daemon.shutdown_timeout.get();
    let metrics = if config.metrics.enabled {
        let registry = crate::metrics::global();
        let weak = Arc::downgrade(&control);
        registry.register_gauge(
            "mxgate_sessions_active",
            "Milter connections open now.",
            move || {
                weak.upgrade()
                    .map(|c| c.active.load(Ordering::SeqCst) as f64)
            },
        );
        let addr = config.metrics.listen.0;
        match crate::metrics::spawn_endpoint(addr, registry).await {
            Ok(handle) => Some(handle),
            Err(e) => {
                // The milter sockets are bound already; do not leave them behind.
                remove_sockets(&config);
                return Err(e).with_context(|| format!("metrics.listen: cannot listen on {addr}"));
            }
        }
    } else {
        None
    };

    if let Some(path) = config_path {
        spawn_reloader(path, Arc::clone(&shared), Arc::clone(&config), services);
    }

    let ctl = Arc::clone(&control);
    let stop = async move {
        shutdown.await;
        ctl.stop();
        let active = ctl.active.load(Ordering::SeqCst);
        tracing::info!(
            active,
            "shutting down: no new connections, waiting for sessions in flight"
        );
        if tokio::time::timeout(grace, ctl.wait_idle()).await.is_err() {
            tracing::warn!(
                active = ctl.active.load(Ordering::SeqCst),
                "shutdown_timeout reached; closing remaining sessions"
            );
        }
    };
    let result = indymilter::run(listener, callbacks, milter_config, stop).await;
    remove_sockets(&config);
    if let Some(m) = metrics {
        m.abort();
    }
    result.context("milter stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP: validate the file again and swap the policy for new connections; a bad
/// file leaves the running policy in force. Socket changes need a restart.
fn spawn_reloader(
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
            match config::load(&path) {
                Ok(new) => {
                    if new.listen != running.listen {
                        tracing::warn!("daemon.listen changed; restart mxgate to apply it");
                    }
                    if new.metrics != running.metrics {
                        tracing::warn!("[metrics] changed; restart mxgate to apply it");
                    }
                    // A changed [dns] or [database] section needs a new resolver or pool; otherwise the warm
                    // cache carries over.
                    let fresh = if new.dns != shared.current().config().dns
                        || new.database != shared.current().config().database
                    {
                        Arc::new(Services::default())
                    } else {
                        Arc::clone(&services)
                    };
                    match Policy::new(Arc::new(new), &fresh) {
                        Ok(p) => {
                            // The milter negotiated its stages with the first policy;
                            // a check needing a stage that is off cannot run until restart.
                            let stages = |p: &Policy| {
                                (
                                    crate::session::Stage::ALL.map(|s| p.uses_stage(s)),
                                    p.body_limit() > 0,
                                )
                            };
                            if stages(&p) != stages(&shared.current()) {
                                tracing::warn!("the new checks need other SMTP stages; restart mxgate for them to take full effect");
                            }
                            shared.replace(p);
                            services = fresh;
                            tracing::info!(config = %path.display(), "configuration reloaded");
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "reload failed; keeping the running configuration")
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; keeping the running configuration")
                }
            }
        }
    });
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
            .min(crate::checks::types::TimeSpan::from_secs(5));
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
