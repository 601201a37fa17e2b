//! The one DNS resolver of the process: hickory-resolver with a cache, per-query
//! timeout, and errors classified into permanent answers and temporary failures.
//! Every DNS check decides on that distinction, never on "some error".

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// `[dns]`: where and how to resolve.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Name servers as `IP` or `IP:PORT`; empty means /etc/resolv.conf.
    pub nameservers: Vec<String>,
    /// Milliseconds to wait for one answer.
    pub timeout_ms: u64,
    /// Tries per query (per name server).
    pub attempts: usize,
    /// Cached answers; 0 turns the cache off.
    pub cache_size: u64,
    /// Total milliseconds of DNS one SMTP session may spend (all checks together).
    pub session_budget_ms: u64,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            nameservers: Vec::new(),
            timeout_ms: 2000,
            attempts: 2,
            cache_size: 10_000,
            session_budget_ms: 15_000,
        }
    }
}

impl DnsConfig {
    /// Parsed name server addresses (port 53 when none given).
    pub fn servers(&self) -> Result<Vec<SocketAddr>, String> {
        self.nameservers
            .iter()
            .map(|s| {
                s.parse::<SocketAddr>()
                    .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| format!("{s:?} is not IP or IP:PORT ([IPv6]:PORT)"))
            })
            .collect()
    }
}

/// A lookup that did not give records.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum DnsError {
    /// NXDOMAIN or NODATA: a definite answer that there is nothing.
    #[error("no such records")]
    NotFound,
    /// SERVFAIL, REFUSED, timeout, network error, budget spent: may go away.
    #[error("temporary DNS failure: {0}")]
    Temporary(String),
}

impl DnsError {
    /// True for failures that may go away on retry.
    pub fn is_temporary(&self) -> bool {
        matches!(self, DnsError::Temporary(_))
    }
}

/// Classifies a hickory error; the only permanent outcome is "no records".
pub fn classify(err: &NetError) -> DnsError {
    match err {
        NetError::Dns(HDnsError::NoRecordsFound(nr)) => {
            // An NXDOMAIN/NODATA we may trust; SERVFAIL cached as a negative is not one.
            if matches!(
                nr.response_code,
                ResponseCode::NoError | ResponseCode::NXDomain
            ) {
                DnsError::NotFound
            } else {
                DnsError::Temporary(format!("{}", nr.response_code))
            }
        }
        NetError::Timeout => DnsError::Temporary("timeout".into()),
        other => DnsError::Temporary(other.to_string()),
    }
}

/// A short label for a temporary failure, for the metrics.
fn error_kind(err: &NetError) -> &'static str {
    match err {
        NetError::Timeout => "timeout",
        NetError::Dns(HDnsError::ResponseCode(ResponseCode::ServFail)) => "SERVFAIL",
        NetError::Dns(HDnsError::ResponseCode(ResponseCode::Refused)) => "REFUSED",
        NetError::Dns(HDnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::ServFail => "SERVFAIL",
            ResponseCode::Refused => "REFUSED",
            _ => "other",
        },
        _ => "other",
    }
}

/// The shared resolver.
pub struct Dns {
    resolver: TokioResolver,
    budget: Duration,
}

impl Dns {
    /// Builds the resolver from `[dns]`; explicit name servers replace resolv.conf.
    pub fn new(cfg: &DnsConfig) -> Result<Dns, String> {
        let servers = cfg.servers()?;
        let (config, mut opts) = if servers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| format!("cannot read /etc/resolv.conf: {e}; set dns.nameservers"))?
        } else {
            let ns = servers
                .iter()
                .map(|a| {
                    let mut ns = NameServerConfig::udp_and_tcp(a.ip());
                    for c in &mut ns.connections {
                        c.port = a.port();
                    }
                    ns
                })
                .collect();
            (
                ResolverConfig::from_name_servers(ns),
                ResolverOpts::default(),
            )
        };
        opts.timeout = Duration::from_millis(cfg.timeout_ms.max(1));
        opts.attempts = cfg.attempts.max(1);
        opts.cache_size = cfg.cache_size;
        // Mail checks ask about names from the Internet, never about this host's
        // /etc/hosts entries.
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ndots = 0;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| format!("cannot build the resolver: {e}"))?;
        Ok(Dns {
            resolver,
            budget: Duration::from_millis(cfg.session_budget_ms.max(1)),
        })
    }

    /// The underlying resolver (for adapters such as SPF's).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// When a session that started at `started` runs out of DNS time.
    pub fn deadline(&self, started: std::time::Instant) -> Instant {
        Instant::from_std(started) + self.budget
    }

    async fn within<T>(
        &self,
        deadline: Instant,
        f: impl std::future::Future<Output = Result<T, NetError>>,
    ) -> Result<T, DnsError> {
        match tokio::time::timeout_at(deadline, f).await {
            Ok(r) => r.map_err(|e| {
                let class = classify(&e);
                if class.is_temporary() {
                    crate::metrics::global().count_dns_error(error_kind(&e));
                }
                class
            }),
            Err(_) => {
                crate::metrics::global().count_dns_error("budget");
                Err(DnsError::Temporary("session DNS budget spent".into()))
            }
        }
    }

    /// PTR names of an address (without the trailing dot).
    pub async fn ptr(&self, ip: IpAddr, deadline: Instant) -> Result<Vec<String>, DnsError> {
        let name = reverse_name(ip);
        let lookup = self
            .within(deadline, self.resolver.reverse_lookup(name.as_str()))
            .await?;
        let names: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::PTR(p) => Some(trim_dot(&p.0.to_ascii())),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return Err(DnsError::NotFound);
        }
        Ok(names)
    }

    /// IPv4 addresses of a name.
    pub async fn a(&self, name: &str, deadline: Instant) -> Result<Vec<Ipv4Addr>, DnsError> {
        let lookup = self
            .within(deadline, self.resolver.ipv4_lookup(fqdn(name).as_str()))
            .await?;
        let v: Vec<Ipv4Addr> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect();
        if v.is_empty() {
            return Err(DnsError::NotFound);
        }
        Ok(v)
    }

    /// IPv6 addresses of a name.
    pub async fn aaaa(&self, name: &str, deadline: Instant) -> Result<Vec<Ipv6Addr>, DnsError> {
        let lookup = self
            .within(deadline, self.resolver.ipv6_lookup(fqdn(name).as_str()))
            .await?;
        let v: Vec<Ipv6Addr> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::AAAA(a) => Some(a.0),
                _ => None,
            })
            .collect();
        if v.is_empty() {
            return Err(DnsError::NotFound);
        }
        Ok(v)
    }

    /// TXT records of a name, each record's strings joined.
    pub async fn txt(&self, name: &str, deadline: Instant) -> Result<Vec<String>, DnsError> {
        let lookup = self
            .within(deadline, self.resolver.txt_lookup(fqdn(name).as_str()))
            .await?;
        let v: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect();
        if v.is_empty() {
            return Err(DnsError::NotFound);
        }
        Ok(v)
    }

    /// MX exchanges of a name with their preference, lowest first.
    pub async fn mx(&self, name: &str, deadline: Instant) -> Result<Vec<(u16, String)>, DnsError> {
        let lookup = self
            .within(deadline, self.resolver.mx_lookup(fqdn(name).as_str()))
            .await?;
        let mut v: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(m) => Some((m.preference, trim_dot(&m.exchange.to_ascii()))),
                _ => None,
            })
            .collect();
        if v.is_empty() {
            return Err(DnsError::NotFound);
        }
        v.sort();
        Ok(v)
    }
}

/// `name.` — absolute, so no search domain is ever appended.
pub fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}

fn trim_dot(s: &str) -> String {
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

/// The in-addr.arpa / ip6.arpa name of an address (with trailing dot).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => format!("{}ip6.arpa.", nibbles(v6)),
    }
}

/// Reversed nibbles of an IPv6 address, dot-terminated: `1.0.0.0.…8.b.d.0.1.0.0.2.`
/// (the DNSBL and ip6.arpa format).
pub fn nibbles(v6: Ipv6Addr) -> String {
    let mut s = String::with_capacity(64);
    for b in v6.octets().iter().rev() {
        s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        s.push('.');
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.10".parse().unwrap()),
            "10.2.0.192.in-addr.arpa."
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
    }

    #[test]
    fn server_parsing() {
        let c = DnsConfig {
            nameservers: vec!["127.0.0.1:5353".into(), "::1".into(), "[::1]:53".into()],
            ..DnsConfig::default()
        };
        assert_eq!(c.servers().unwrap().len(), 3);
        let bad = DnsConfig {
            nameservers: vec!["dns.example".into()],
            ..DnsConfig::default()
        };
        assert!(bad.servers().is_err());
    }
}
