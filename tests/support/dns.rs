//! An in-process authoritative DNS server for tests, with fault injection.
//!
//! Checks that do DNS (reverse DNS, DNSBL, SPF, HELO) must be tested against answers we control,
//! including the failures that decide between a permanent and a temporary verdict. This module
//! serves zones parsed from master-file text with hickory-server 0.26 on `127.0.0.1:<port>`
//! (UDP and TCP on the same port, as a real server would), and lets a test make chosen names
//! answer SERVFAIL, REFUSED or nothing at all while the test runs.
//!
//! ```ignore
//! mod support;
//! use support::dns::{DnsServer, Fault};
//!
//! #[tokio::test]
//! async fn rdns_tempfail() {
//!     let dns = DnsServer::start_fixtures().await;          // or DnsServer::start(&[(origin, text)])
//!     dns.set_fault("20.2.0.192.in-addr.arpa.", Fault::ServFail);
//!     // point mxgate's resolver at dns.addr() (UDP and TCP), run the check, assert 4xx
//!     dns.clear_fault("20.2.0.192.in-addr.arpa.");
//! }
//! ```
//!
//! The server runs as tasks on the current tokio runtime; it stops when the `DnsServer` is
//! dropped (its tasks are aborted) or after `shutdown().await`.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, MessageType, Metadata, ResponseCode};
use hickory_proto::rr::{LowerName, Name, RecordType};
use hickory_proto::serialize::txt::Parser;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::TokioResolver;
use hickory_server::net::runtime::Time;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

/// What a faulted name gets instead of its real answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// RCODE SERVFAIL: the classic temporary DNS failure.
    ServFail,
    /// RCODE REFUSED: a lame or misconfigured server; also temporary for mxgate.
    Refused,
    /// No answer at all (the query is read and dropped), so the client times out.
    Timeout,
}

/// The standard fixture zones in `tests/fixtures/zones/`: (origin, file name).
/// See the comments in each file for what the records are for.
///
/// There is deliberately no 127.in-addr.arpa zone: hickory-resolver answers every PTR query
/// under 127.in-addr.arpa (and A/AAAA for `localhost.`) itself with `localhost.` (RFC 6761)
/// and never asks a server, so reverse-DNS tests must use the documentation ranges.
pub const FIXTURE_ZONES: &[(&str, &str)] = &[
    ("example.test.", "example.test.zone"),
    ("2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa.zone"),
    ("8.b.d.0.1.0.0.2.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.zone"),
    ("dnsbl.test.", "dnsbl.test.zone"),
];

/// The text of a fixture zone file in `tests/fixtures/zones/`, e.g. `fixture_zone("example.test.zone")`.
/// Panics (with the path) if the file cannot be read.
pub fn fixture_zone(file: &str) -> String {
    let path = fixture_dir().join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture zone {}: {e}", path.display()))
}

/// `tests/fixtures/zones/` of the crate under test (CARGO_MANIFEST_DIR is set by cargo for
/// integration tests, so this works whatever the current directory is).
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zones")
}

/// Faults by lower-case FQDN (trailing dot). A key `*.suffix.` matches every name strictly below
/// `suffix.` (e.g. a whole DNSBL zone going down).
type FaultMap = HashMap<String, Fault>;

/// One query the server received: (lower-case FQDN, type).
pub type QueryLogEntry = (String, RecordType);

/// A running in-process DNS server. See the module documentation.
pub struct DnsServer {
    addr: SocketAddr,
    faults: Arc<Mutex<FaultMap>>,
    queries: Arc<Mutex<Vec<QueryLogEntry>>>,
    // Owns the server's JoinSet: dropping it aborts the UDP and TCP tasks.
    server: Option<Server<FaultInjector>>,
}

impl DnsServer {
    /// Serve `zones`, each given as (origin, zone text in master-file format), on 127.0.0.1 with
    /// UDP and TCP on one ephemeral port. Must be called inside a tokio runtime (the server runs
    /// as tasks on it). Panics with the parse error if a zone is invalid (no SOA, bad record…).
    pub async fn start(zones: &[(&str, &str)]) -> DnsServer {
        Self::start_on(zones, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Like [`start`](Self::start), on `listen` (UDP and TCP); port 0 picks a free port. For
    /// the standalone `examples/fixture_dns.rs`. Panics if the address cannot be bound.
    pub async fn start_on(zones: &[(&str, &str)], listen: SocketAddr) -> DnsServer {
        let mut catalog = Catalog::new();
        for (origin, text) in zones {
            let origin_name = Name::from_str(origin)
                .unwrap_or_else(|e| panic!("bad zone origin {origin:?}: {e}"));
            let (name, records) = Parser::new(*text, None, Some(origin_name))
                .parse()
                .unwrap_or_else(|e| panic!("zone {origin}: parse error: {e}"));
            let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
                name.clone(),
                records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
            )
            .unwrap_or_else(|e| panic!("zone {origin}: {e}"));
            catalog.upsert(LowerName::new(&name), vec![Arc::new(handler)]);
        }

        let faults = Arc::new(Mutex::new(FaultMap::new()));
        let queries = Arc::new(Mutex::new(Vec::new()));
        let handler = FaultInjector {
            catalog,
            faults: faults.clone(),
            queries: queries.clone(),
        };

        let (udp, tcp) = if listen.port() == 0 {
            bind_same_port(listen.ip()).await
        } else {
            let udp = UdpSocket::bind(listen)
                .await
                .unwrap_or_else(|e| panic!("bind UDP {listen}: {e}"));
            let tcp = TcpListener::bind(listen)
                .await
                .unwrap_or_else(|e| panic!("bind TCP {listen}: {e}"));
            (udp, tcp)
        };
        let addr = udp.local_addr().expect("udp local_addr");
        let mut server = Server::new(handler);
        server.register_socket(udp);
        // The TCP idle timeout only matters for connections a client leaves open.
        server.register_listener(tcp, Duration::from_secs(10), 64);

        DnsServer {
            addr,
            faults,
            queries,
            server: Some(server),
        }
    }

    /// Serve all the standard fixture zones ([`FIXTURE_ZONES`]).
    pub async fn start_fixtures() -> DnsServer {
        let texts: Vec<(&str, String)> = FIXTURE_ZONES
            .iter()
            .map(|(origin, file)| (*origin, fixture_zone(file)))
            .collect();
        let zones: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
        Self::start(&zones).await
    }

    /// The address (127.0.0.1:port) answering on both UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, answer queries for `name` (any type) with `fault`. Case-insensitive; the
    /// trailing dot is optional. `*.zone.` faults every name below `zone.`. Replaces an
    /// earlier fault for the same key.
    pub fn set_fault(&self, name: &str, fault: Fault) {
        self.faults.lock().unwrap().insert(normalize(name), fault);
    }

    /// Answer `name` normally again.
    pub fn clear_fault(&self, name: &str) {
        self.faults.lock().unwrap().remove(&normalize(name));
    }

    /// Remove every fault.
    pub fn clear_faults(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// Every query received so far, in order, as (lower-case FQDN, type). Lets a test check
    /// what a check looked up, or that a cache spared a lookup.
    pub fn queries(&self) -> Vec<QueryLogEntry> {
        self.queries.lock().unwrap().clone()
    }

    /// How many queries for `name` (any type) were received so far.
    pub fn query_count(&self, name: &str) -> usize {
        let name = normalize(name);
        self.queries
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| *n == name)
            .count()
    }

    /// Forget the query log.
    pub fn clear_queries(&self) {
        self.queries.lock().unwrap().clear();
    }

    /// A resolver config that uses only this server, over UDP and TCP.
    pub fn resolver_config(&self) -> ResolverConfig {
        let mut ns = NameServerConfig::udp_and_tcp(self.addr.ip());
        for conn in &mut ns.connections {
            conn.port = self.addr.port();
        }
        ResolverConfig::from_name_servers(vec![ns])
    }

    /// A hickory resolver that asks only this server: no cache (so fault changes show at
    /// once), no hosts file, one attempt with the given timeout. For tests of the helper
    /// itself or of code that takes a resolver; mxgate's own resolver is configured with
    /// `addr()` instead.
    pub fn resolver(&self, timeout: Duration) -> TokioResolver {
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.cache_size = 0;
        opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        TokioResolver::builder_with_config(self.resolver_config(), TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .expect("build test resolver")
    }

    /// Stop the server and wait until its sockets are closed.
    pub async fn shutdown(mut self) {
        if let Some(mut server) = self.server.take() {
            // Errors here only mean a task had already failed; nothing to clean up.
            let _ = server.shutdown_gracefully().await;
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // Cancel first so tasks polled before the abort lands exit cleanly; dropping the
            // server then aborts its JoinSet.
            server.shutdown_token().cancel();
        }
    }
}

/// Lower-case FQDN with a trailing dot, the form `LowerName` displays.
fn normalize(name: &str) -> String {
    let mut n = name.to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    n
}

/// UDP and TCP on the same ephemeral port: bind UDP to port 0, then try TCP on that port.
/// Another process may hold the TCP port, so retry with a fresh UDP port a few times.
async fn bind_same_port(ip: IpAddr) -> (UdpSocket, TcpListener) {
    let mut last_err = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("bind UDP {ip}:0: {e}"));
        let port = udp.local_addr().expect("udp local_addr").port();
        match TcpListener::bind((ip, port)).await {
            Ok(tcp) => return (udp, tcp),
            Err(e) => last_err = Some(e),
        }
    }
    panic!("could not bind UDP and TCP on one port of {ip}: {last_err:?}");
}

/// The RequestHandler the server runs: logs each query, then either answers from the catalog
/// or applies the fault configured for the query name.
struct FaultInjector {
    catalog: Catalog,
    faults: Arc<Mutex<FaultMap>>,
    queries: Arc<Mutex<Vec<QueryLogEntry>>>,
}

impl FaultInjector {
    /// Log the query and return the fault that applies to it, if any.
    fn inspect(&self, request: &Request) -> Option<Fault> {
        let info = request.request_info().ok()?;
        // LowerName is already lower-case; normalize() only guarantees the trailing dot.
        let name = normalize(&info.query.name().to_string());
        self.queries
            .lock()
            .unwrap()
            .push((name.clone(), info.query.query_type()));
        let faults = self.faults.lock().unwrap();
        if let Some(f) = faults.get(&name) {
            return Some(*f);
        }
        // Wildcards: "*.zone." matches any name ending in ".zone.", at any depth.
        faults.iter().find_map(|(key, f)| {
            let suffix = key.strip_prefix('*')?;
            (name.ends_with(suffix) && name.len() > suffix.len()).then_some(*f)
        })
    }
}

// RequestHandler is declared with #[async_trait]; the main crate has no async-trait dependency,
// so this is the signature that macro generates, written out by hand.
impl RequestHandler for FaultInjector {
    fn handle_request<'life0, 'life1, 'async_trait, R, T>(
        &'life0 self,
        request: &'life1 Request,
        response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: 'async_trait + ResponseHandler,
        T: 'async_trait + Time,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match self.inspect(request) {
                None => {
                    self.catalog
                        .handle_request::<R, T>(request, response_handle)
                        .await
                }
                Some(Fault::ServFail) => {
                    send_error(request, ResponseCode::ServFail, response_handle).await
                }
                Some(Fault::Refused) => {
                    send_error(request, ResponseCode::Refused, response_handle).await
                }
                // Send nothing. Returning at once (rather than sleeping) keeps a TCP connection
                // usable for later queries: only this query's id goes unanswered.
                Some(Fault::Timeout) => response_info(request, ResponseCode::ServFail),
            }
        })
    }
}

async fn send_error<R: ResponseHandler>(
    request: &Request,
    code: ResponseCode,
    mut response_handle: R,
) -> ResponseInfo {
    let response =
        MessageResponseBuilder::new(&request.queries, None).error_msg(&request.metadata, code);
    match response_handle.send_response(response).await {
        Ok(info) => info,
        Err(_) => response_info(request, ResponseCode::ServFail),
    }
}

/// What the server's bookkeeping gets for a response we did not (successfully) send.
fn response_info(request: &Request, code: ResponseCode) -> ResponseInfo {
    let mut metadata = Metadata::new(
        request.metadata.id,
        MessageType::Response,
        request.metadata.op_code,
    );
    metadata.response_code = code;
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}
