//! Where the milter listens (Postfix's `smtpd_milters` syntax) and the client's
//! settings.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where the milter listens, in Postfix's `smtpd_milters` syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSpec {
    /// `unix:/path` (or `local:/path`, or a bare path).
    Unix(PathBuf),
    /// `inet:host:port` or `inet:[v6addr]:port`, kept as `host:port` for resolving.
    Inet(String),
}

/// A socket spec that cannot be understood.
#[derive(Debug, Clone, thiserror::Error)]
#[error("bad milter socket '{0}' (expected unix:/path, inet:host:port or inet:[addr]:port)")]
pub struct SocketSpecError(String);

impl FromStr for SocketSpec {
    type Err = SocketSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SocketSpecError(s.to_string());
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(SocketSpec::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("inet:") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(bad());
            }
            // `[::1]:8891` already has the form ToSocketAddrs wants; a bare
            // IPv6 address would be ambiguous, so demand brackets like Postfix.
            if host.contains(':') && !host.starts_with('[') {
                return Err(bad());
            }
            return Ok(SocketSpec::Inet(rest.to_string()));
        }
        if s.is_empty() || s.contains(':') {
            return Err(bad());
        }
        Ok(SocketSpec::Unix(PathBuf::from(s)))
    }
}

impl fmt::Display for SocketSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            SocketSpec::Inet(a) => write!(f, "inet:{a}"),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout for connecting and for every read and write.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
        }
    }
}
