//! The one DNS resolver of the process: hickory-resolver with a cache, per-query
//! timeout, and errors classified into permanent answers and temporary failures.
//! Every DNS check decides on that distinction, never on "some error".

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::TokioResolver;

use crate::values::{check_count, SetupError, TimeSpanMs};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

crate::section_config! {
    /// `[dns]`: where and how to resolve.
    #[derive(PartialEq)]
    pub struct DnsConfig {
        /// Name servers as `IP` or `IP:PORT`; empty means /etc/resolv.conf.
        pub nameservers: Vec<String> = Vec::new(),
        /// Time to wait for one answer, 10ms to 1m (formerly `timeout_ms`, a number
        /// of milliseconds).
        #[serde(alias = "timeout_ms")]
        pub timeout: TimeSpanMs = TimeSpanMs::from_secs(2),
        /// Tries per query (per name server), 1 to 10.
        pub attempts: usize = 2,
        /// Cached answers, up to 10000000; 0 turns the cache off.
        pub cache_size: u64 = 10_000,
        /// Total time of DNS one SMTP session may spend (all checks together), 10ms
        /// to 10m (formerly `session_budget_ms`, a number of milliseconds).
        #[serde(alias = "session_budget_ms")]
        pub session_budget: TimeSpanMs = TimeSpanMs::from_secs(15),
    }
}

impl DnsConfig {
    /// The ranges of the numeric keys; the key in the error is inside `[dns]`.
    pub fn validate(&self) -> Result<(), SetupError> {
        self.timeout.check(
            "timeout",
            TimeSpanMs::from_millis(10),
            TimeSpanMs::from_secs(60),
        )?;
        check_count("attempts", self.attempts, 1..=10)?;
        check_count("cache_size", self.cache_size, 0..=10_000_000)?;
        self.session_budget.check(
            "session_budget",
            TimeSpanMs::from_millis(10),
            TimeSpanMs::from_secs(600),
        )?;
        self.servers()
            .map(|_| ())
            .map_err(|m| SetupError::key("nameservers", m))
    }

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
    front: Option<Front>,
}

/// A failed [`Dns::records`] lookup.
#[derive(Debug)]
pub enum RecordsError {
    /// NXDOMAIN or NODATA (as [`classify`] decides).
    NotFound,
    /// Anything else, as hickory reported it.
    Net(NetError),
}

/// Answers mxgate has already had, in front of hickory's cache, and valid exactly as
/// long as hickory says (the answer's `valid_until`, a negative answer's remaining
/// negative TTL). A hit in hickory's own cache still costs ~25,000 instructions (name
/// parsing with IDNA mapping, a moka lookup hashing the query, a clone of the whole DNS
/// message); a hit here is one hash of the name. Only definite answers are kept: records,
/// and NXDOMAIN/NODATA; temporary failures always go to hickory.
struct Front {
    cap: usize,
    map: Mutex<HashMap<Box<str>, Vec<Slot>>>,
}

struct Slot {
    rtype: RecordType,
    /// Looked up label by label as raw bytes (SPF), not as a host name: the two may
    /// differ for names a host name cannot be (hickory refuses those), so they are
    /// kept apart.
    raw: bool,
    /// None: NXDOMAIN/NODATA.
    answers: Option<Arc<[Record]>>,
    until: std::time::Instant,
}

type Cached = Option<Arc<[Record]>>;

impl Front {
    fn get(&self, name: &str, raw: bool, rtype: RecordType) -> Option<Cached> {
        let map = self.map.lock().ok()?;
        let slot = map
            .get(name)?
            .iter()
            .find(|s| s.rtype == rtype && s.raw == raw)?;
        (std::time::Instant::now() < slot.until).then(|| slot.answers.clone())
    }

    fn put(&self, name: &str, raw: bool, rtype: RecordType, r: &Result<Lookup, NetError>) {
        let now = std::time::Instant::now();
        let (answers, until) = match r {
            Ok(l) => (Some(Arc::from(l.answers())), l.valid_until()),
            Err(e @ NetError::Dns(HDnsError::NoRecordsFound(nr))) => {
                match (classify(e), nr.negative_ttl) {
                    (DnsError::NotFound, Some(ttl)) => {
                        (None, now + Duration::from_secs(u64::from(ttl)))
                    }
                    _ => return,
                }
            }
            Err(_) => return,
        };
        if until <= now {
            return;
        }
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        let slot = Slot {
            rtype,
            raw,
            answers,
            until,
        };
        if let Some(slots) = map.get_mut(name) {
            match slots.iter_mut().find(|s| s.rtype == rtype && s.raw == raw) {
                Some(s) => *s = slot,
                None => slots.push(slot),
            }
            return;
        }
        // Bounded like hickory's cache: a name with nothing unexpired goes first.
        crate::bounded::insert(&mut map, Box::from(name), vec![slot], self.cap, |slots| {
            slots.iter().any(|s| s.until > now)
        });
    }
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
        opts.timeout = cfg.timeout.get().max(Duration::from_millis(1));
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
        let front = (cfg.cache_size > 0).then(|| Front {
            cap: usize::try_from(cfg.cache_size).unwrap_or(usize::MAX),
            map: Mutex::new(HashMap::new()),
        });
        Ok(Dns {
            resolver,
            budget: cfg.session_budget.get().max(Duration::from_millis(1)),
            front,
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

    /// Answer records of `rtype` at the absolute host name `name` (trailing dot),
    /// from the front cache or hickory, within the session's DNS time.
    async fn answers(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
    ) -> Result<Arc<[Record]>, DnsError> {
        if let Some(hit) = self.front.as_ref().and_then(|f| f.get(name, false, rtype)) {
            return hit.ok_or(DnsError::NotFound);
        }
        let lookup = match host_name(name) {
            Some(n) => {
                self.within(deadline, self.lookup(n, rtype, name, false))
                    .await
            }
            None => {
                self.within(deadline, self.lookup(name, rtype, name, false))
                    .await
            }
        }?;
        Ok(Arc::from(lookup.answers()))
    }

    /// One hickory lookup, remembered in the front cache under (`key`, `raw`).
    async fn lookup(
        &self,
        name: impl hickory_resolver::proto::rr::IntoName,
        rtype: RecordType,
        key: &str,
        raw: bool,
    ) -> Result<Lookup, NetError> {
        let r = self.resolver.lookup(name, rtype).await;
        if let Some(f) = &self.front {
            f.put(key, raw, rtype, &r);
        }
        r
    }

    /// Answer records of `rtype` at a name given label by label (`key` is its text,
    /// for the cache), without a session budget: SPF's adapter, which maps errors itself.
    pub async fn records(
        &self,
        name: Name,
        key: &str,
        rtype: RecordType,
    ) -> Result<Arc<[Record]>, RecordsError> {
        if let Some(hit) = self.front.as_ref().and_then(|f| f.get(key, true, rtype)) {
            return hit.ok_or(RecordsError::NotFound);
        }
        match self.lookup(name, rtype, key, true).await {
            Ok(l) => Ok(Arc::from(l.answers())),
            Err(e) if classify(&e) == DnsError::NotFound => Err(RecordsError::NotFound),
            Err(e) => Err(RecordsError::Net(e)),
        }
    }

    /// PTR names of an address (without the trailing dot).
    pub async fn ptr(&self, ip: IpAddr, deadline: Instant) -> Result<Vec<String>, DnsError> {
        let name = reverse_name(ip);
        let lookup = self.answers(&name, RecordType::PTR, deadline).await?;
        let names: Vec<String> = lookup
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
        let lookup = self.answers(&fqdn(name), RecordType::A, deadline).await?;
        let v: Vec<Ipv4Addr> = lookup
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
            .answers(&fqdn(name), RecordType::AAAA, deadline)
            .await?;
        let v: Vec<Ipv6Addr> = lookup
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
        let lookup = self.answers(&fqdn(name), RecordType::TXT, deadline).await?;
        let v: Vec<String> = lookup
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
        let lookup = self.answers(&fqdn(name), RecordType::MX, deadline).await?;
        let mut v: Vec<(u16, String)> = lookup
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

/// The hickory name of an absolute host name, without the IDNA mapping hickory applies to
/// a `&str` (a third of the cost of a cached lookup) when that mapping cannot change it:
/// only letters, digits and inner hyphens, no `xn--` label. Anything else (None) goes
/// through hickory's own parsing as before. Upper case is folded as IDNA would fold it.
fn host_name(name: &str) -> Option<Name> {
    let body = name.strip_suffix('.')?;
    let plain = !body.is_empty()
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.as_bytes()[..l.len().min(4)].eq_ignore_ascii_case(b"xn--")
        });
    if !plain {
        return None;
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Name::from_ascii(name.to_ascii_lowercase()).ok()
    } else {
        Name::from_ascii(name).ok()
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
    fn host_names_parse_as_hickory_parses_strings() {
        for n in [
            "mail.example.test.",
            "MAIL.Example.Test.",
            "10.2.0.192.in-addr.arpa.",
            "a-b.c9.example.",
            "x.",
        ] {
            let fast = host_name(n).expect(n);
            let slow = Name::from_utf8(n).unwrap();
            assert_eq!(fast.to_ascii(), slow.to_ascii(), "{n}");
            assert!(fast.is_fqdn());
        }
        // Left to hickory: IDNA may map or refuse these.
        for n in [
            "a_b.example.",
            "xn--caf-dma.example.",
            "-a.example.",
            "caf\u{e9}.example.",
            "a..b.",
            "no-dot",
            "a b.example.",
        ] {
            assert!(host_name(n).is_none(), "{n}");
        }
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
