//! All configured sockets behind one indymilter `Listener`, and the connections it
//! accepts (with TCP_NODELAY and TCP_QUICKACK on TCP).

use super::shutdown::{Control, Guard};
use super::socket::{self, SocketFiles};
use crate::config::Config;
use crate::net::ListenSpec;
use anyhow::Context as _;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// One bound socket.
pub(super) enum Bound {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Binds every `daemon.listen` address, in order. The unix socket files created are
/// recorded in `files` as they appear, so that a later failure can remove them.
pub(super) async fn bind_all(
    config: &Config,
    files: &mut SocketFiles,
) -> anyhow::Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for spec in &config.listen {
        match spec {
            ListenSpec::Unix(path) => {
                bound.push(Bound::Unix(socket::bind_unix(path, config, files)?))
            }
            ListenSpec::Inet(addr) => bound.push(Bound::Tcp(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {spec}"))?,
            )),
        }
        tracing::info!(socket = %spec, "listening");
    }
    Ok(bound)
}

/// All configured sockets behind one indymilter `Listener`: sets TCP_NODELAY (indymilter
/// does not, and two replies back to back otherwise wait for delayed ACKs), survives
/// transient accept errors, and stops accepting on request.
pub(super) struct MultiListener {
    inner: Vec<Bound>,
    control: Arc<Control>,
    backoff: Option<Pin<Box<tokio::time::Sleep>>>,
    next: usize,
    max: usize,
    session_timeout: Duration,
    refused: Refused,
}

impl MultiListener {
    pub fn new(
        inner: Vec<Bound>,
        control: Arc<Control>,
        max: usize,
        session_timeout: Duration,
    ) -> Self {
        MultiListener {
            inner,
            control,
            backoff: None,
            next: 0,
            max,
            session_timeout,
            refused: Refused::default(),
        }
    }
}

/// Connections closed at `max_connections`, logged at most every 10 s.
#[derive(Default)]
struct Refused {
    since_log: u64,
    logged: Option<tokio::time::Instant>,
}

impl Refused {
    fn one(&mut self, max: usize) {
        self.since_log += 1;
        crate::metrics::global().count_refused_connection();
        let now = tokio::time::Instant::now();
        if self
            .logged
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10))
        {
            tracing::warn!(
                max_connections = max,
                refused = self.since_log,
                "at max_connections: new connections are closed at once (the MTA applies milter_default_action)"
            );
            self.logged = Some(now);
            self.since_log = 0;
        }
    }
}

/// A connection from Postfix on either kind of socket, until its session deadline.
pub(super) struct Stream {
    io: StreamIo,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
    _guard: Guard,
}

enum StreamIo {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl indymilter::Listener for MultiListener {
    type Io = Stream;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        if self.control.stopped() {
            // Closing the sockets makes new connections fail at once instead of
            // waiting in the backlog until Postfix's connect timeout.
            self.inner.clear();
            return Poll::Pending;
        }
        self.control.set_waker(cx.waker());
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
                Bound::Tcp(l) => l.poll_accept(cx).map_ok(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    StreamIo::Tcp(s)
                }),
                Bound::Unix(l) => l.poll_accept(cx).map_ok(|(s, _)| StreamIo::Unix(s)),
            };
            match polled {
                Poll::Ready(Ok(io)) => {
                    self.next = i + 1;
                    if self.control.active() >= self.max {
                        // Dropping it closes it: Postfix sees the milter refuse at once.
                        drop(io);
                        self.refused.one(self.max);
                        // Poll again: more may wait, and Pending must register the waker.
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    let guard = self.control.enter();
                    crate::metrics::global().session_started();
                    let deadline = Box::pin(tokio::time::sleep(self.session_timeout));
                    return Poll::Ready(Ok(Stream {
                        io,
                        deadline,
                        expired: false,
                        _guard: guard,
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
        let this = self.get_mut();
        // The session deadline: indymilter reads between every two commands, so a
        // failed read ends the session however busy the MTA keeps it.
        if this.expired || this.deadline.as_mut().poll(cx).is_ready() {
            if !this.expired {
                tracing::info!("session_timeout reached: closing the milter connection");
                this.expired = true;
            }
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "session_timeout reached",
            )));
        }
        match &mut this.io {
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
