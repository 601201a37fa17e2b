//! Small network value types: CIDR ranges and listen addresses.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// An IPv4 or IPv6 network in CIDR notation; a bare address is a host route.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True if `ip` lies in this network. IPv4-mapped IPv6 clients match IPv4 ranges,
    /// because Postfix reports some IPv4 clients on dual-stack sockets that way.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_eq(
                u32::from(net) as u128,
                u32::from(ip) as u128,
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                mask_eq(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }

    /// Prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

fn mask_eq(a: u128, b: u128, prefix: u8, width: u32) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = width - u32::from(prefix);
    (a >> shift) == (b >> shift)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has an invalid prefix length (0..={max})"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Where the daemon listens, in Postfix's milter socket syntax.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum ListenSpec {
    /// `unix:/path` or a bare absolute path.
    Unix(PathBuf),
    /// `inet:HOST:PORT` with a literal IPv4 or bracketed IPv6 address.
    Inet(SocketAddr),
}

impl FromStr for ListenSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() {
                return Err("unix socket path is empty".into());
            }
            return Ok(ListenSpec::Unix(PathBuf::from(path)));
        }
        if s.starts_with('/') {
            return Ok(ListenSpec::Unix(PathBuf::from(s)));
        }
        let rest = s
            .strip_prefix("inet:")
            .or_else(|| s.strip_prefix("inet6:"))
            .ok_or_else(|| {
                format!("{s:?} is not a socket address: use unix:/path or inet:127.0.0.1:PORT")
            })?;
        rest.parse::<SocketAddr>()
            .map(ListenSpec::Inet)
            .map_err(|_| {
                format!("{s:?}: expected inet:ADDRESS:PORT with a literal address ([::1] for IPv6)")
            })
    }
}

impl fmt::Display for ListenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            ListenSpec::Inet(a) => write!(f, "inet:{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let n: Cidr = "192.0.2.0/24".parse().unwrap();
        assert!(n.contains("192.0.2.77".parse().unwrap()));
        assert!(!n.contains("192.0.3.1".parse().unwrap()));
        assert!(n.contains("::ffff:192.0.2.1".parse().unwrap()));
        let h: Cidr = "2001:db8::1".parse().unwrap();
        assert!(h.contains("2001:db8::1".parse().unwrap()));
        assert!(!h.contains("2001:db8::2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(!all.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
    }

    #[test]
    fn listen_specs() {
        assert_eq!(
            "unix:/run/m.sock".parse::<ListenSpec>().unwrap(),
            ListenSpec::Unix("/run/m.sock".into())
        );
        assert_eq!(
            "inet:[::1]:8891".parse::<ListenSpec>().unwrap(),
            ListenSpec::Inet("[::1]:8891".parse().unwrap())
        );
        assert!("inet:localhost:8891".parse::<ListenSpec>().is_err());
        assert!("tcp:1.2.3.4:1".parse::<ListenSpec>().is_err());
    }
}
