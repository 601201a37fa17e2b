//! Tests of the test support itself (tests/support/): the in-process DNS server with its
//! fixture zones and fault injection, and the throwaway PostgreSQL cluster. Other tests rely on
//! these behaving exactly as asserted here.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::TokioResolver;

use support::dns::{DnsServer, Fault};
use support::pg::PgCluster;

// ---------------------------------------------------------------------------------------------
// DNS

/// A short timeout keeps the Timeout-fault tests fast; nothing else comes near it on loopback.
const TIMEOUT: Duration = Duration::from_millis(300);

/// The three outcomes mxgate's DNS layer must tell apart (DESIGN §3, §4).
#[derive(Debug, PartialEq)]
enum Class {
    /// NXDOMAIN or NODATA: a definite answer, may lead to 5xx.
    NoRecords,
    /// SERVFAIL, REFUSED, I/O…: 4xx or continue, never 5xx.
    Temporary,
    /// No answer in time: also temporary, reported separately.
    Timeout,
}

fn classify(err: &NetError) -> Class {
    match err {
        NetError::Dns(DnsError::NoRecordsFound(_)) => Class::NoRecords,
        NetError::Timeout => Class::Timeout,
        _ => Class::Temporary,
    }
}

fn rdata_strings(lookup: &hickory_resolver::lookup::Lookup) -> Vec<String> {
    lookup
        .answers()
        .iter()
        .map(|r| r.data.to_string())
        .collect()
}

async fn lookup(r: &TokioResolver, name: &str, rtype: RecordType) -> Result<Vec<String>, Class> {
    match r.lookup(name, rtype).await {
        Ok(l) => Ok(rdata_strings(&l)),
        Err(e) => Err(classify(&e)),
    }
}

/// Only the chosen transport, to prove the server answers on both at the same port.
fn resolver_over(dns: &DnsServer, mut ns: NameServerConfig) -> TokioResolver {
    for c in &mut ns.connections {
        c.port = dns.addr().port();
    }
    let mut opts = ResolverOpts::default();
    opts.timeout = TIMEOUT;
    opts.attempts = 1;
    opts.cache_size = 0;
    TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    )
    .with_options(opts)
    .build()
    .unwrap()
}

#[tokio::test]
async fn dns_answers_fixture_records() {
    let dns = DnsServer::start_fixtures().await;
    assert_eq!(dns.addr().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    let r = dns.resolver(TIMEOUT);

    let a = r.ipv4_lookup("mail.example.test.").await.unwrap();
    assert_eq!(rdata_strings(&a), ["192.0.2.10"]);
    let aaaa = r.ipv6_lookup("mail.example.test.").await.unwrap();
    assert_eq!(rdata_strings(&aaaa), ["2001:db8::10"]);
    let mx = r.mx_lookup("example.test.").await.unwrap();
    assert_eq!(rdata_strings(&mx), ["10 mail.example.test."]);
    let txt = r.txt_lookup("example.test.").await.unwrap();
    assert_eq!(rdata_strings(&txt), ["v=spf1 ip4:192.0.2.0/24 -all"]);

    // Reverse DNS, built the way a check would from the client address.
    let ptr = |ip: IpAddr| {
        let r = r.clone();
        async move { lookup(&r, &Name::from(ip).to_string(), RecordType::PTR).await }
    };
    let v4 = |s: &str| IpAddr::V4(s.parse::<Ipv4Addr>().unwrap());
    assert_eq!(
        ptr(v4("192.0.2.10")).await,
        Ok(vec!["mail.example.test.".into()])
    );
    assert_eq!(
        ptr(v4("192.0.2.20")).await,
        Ok(vec!["liar.example.test.".into()])
    );
    assert_eq!(ptr(v4("192.0.2.30")).await, Err(Class::NoRecords));
    // hickory answers 127.0.0.0/8 reverse lookups itself (RFC 6761), without a query:
    // mxgate sees every loopback client as "localhost.", whatever the test server holds.
    assert_eq!(ptr(v4("127.0.0.10")).await, Ok(vec!["localhost.".into()]));
    assert_eq!(dns.query_count("10.0.0.127.in-addr.arpa."), 0);
    let v6: Ipv6Addr = "2001:db8::10".parse().unwrap();
    assert_eq!(
        ptr(IpAddr::V6(v6)).await,
        Ok(vec!["mail.example.test.".into()])
    );

    // Forward confirmation: mail's name maps back to its address, liar's does not.
    assert_eq!(
        lookup(&r, "liar.example.test.", RecordType::A).await,
        Ok(vec!["192.0.2.99".into()])
    );

    // DNSBL, RFC 5782 test points: 127.0.0.2 listed with a reason, 127.0.0.1 never listed.
    assert_eq!(
        lookup(&r, "2.0.0.127.dnsbl.test.", RecordType::A).await,
        Ok(vec!["127.0.0.2".into()])
    );
    let reason = lookup(&r, "2.0.0.127.dnsbl.test.", RecordType::TXT)
        .await
        .unwrap();
    assert!(reason[0].contains("listed"), "{reason:?}");
    assert_eq!(
        lookup(&r, "10.2.0.192.dnsbl.test.", RecordType::A).await,
        Ok(vec!["127.0.0.2".into()])
    );
    assert_eq!(
        lookup(&r, "1.0.0.127.dnsbl.test.", RecordType::A).await,
        Err(Class::NoRecords)
    );
    let v6_test_point =
        "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.dnsbl.test.";
    assert_eq!(
        lookup(&r, v6_test_point, RecordType::A).await,
        Ok(vec!["127.0.0.2".into()])
    );
}

#[tokio::test]
async fn dns_serves_udp_and_tcp_on_one_port() {
    let dns = DnsServer::start_fixtures().await;
    let ip = dns.addr().ip();
    for ns in [NameServerConfig::udp(ip), NameServerConfig::tcp(ip)] {
        let proto = format!("{:?}", ns.connections[0].protocol);
        let r = resolver_over(&dns, ns);
        assert_eq!(
            lookup(&r, "mail.example.test.", RecordType::A).await,
            Ok(vec!["192.0.2.10".into()]),
            "over {proto}"
        );
    }
}

#[tokio::test]
async fn dns_missing_names_are_permanent() {
    let dns = DnsServer::start_fixtures().await;
    let r = dns.resolver(TIMEOUT);

    // NXDOMAIN
    let err = r
        .ipv4_lookup("nonexistent.example.test.")
        .await
        .unwrap_err();
    assert_eq!(classify(&err), Class::NoRecords, "{err}");
    assert!(err.is_nx_domain(), "{err}");
    // NODATA: the name exists (TXT) but has no A record
    let err = r.ipv4_lookup("txtonly.example.test.").await.unwrap_err();
    assert_eq!(classify(&err), Class::NoRecords, "{err}");
    assert!(!err.is_nx_domain(), "{err}");
}

#[tokio::test]
async fn dns_faults_are_temporary_and_can_be_cleared() {
    let dns = DnsServer::start_fixtures().await;
    let r = dns.resolver(TIMEOUT);
    let name = "mail.example.test.";

    // Case-insensitive, trailing dot optional.
    dns.set_fault("MAIL.Example.TEST", Fault::ServFail);
    let err = r.ipv4_lookup(name).await.unwrap_err();
    assert_eq!(classify(&err), Class::Temporary, "{err}");
    assert!(
        matches!(
            err,
            NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail))
        ),
        "{err:?}"
    );
    // Other names are unaffected.
    assert!(r.ipv4_lookup("example.test.").await.is_ok());

    dns.set_fault(name, Fault::Refused);
    let err = r.ipv4_lookup(name).await.unwrap_err();
    assert_eq!(classify(&err), Class::Temporary, "{err}");

    dns.set_fault(name, Fault::Timeout);
    let t = Instant::now();
    let err = r.ipv4_lookup(name).await.unwrap_err();
    assert_eq!(classify(&err), Class::Timeout, "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    dns.clear_fault(name);
    assert_eq!(
        lookup(&r, name, RecordType::A).await,
        Ok(vec!["192.0.2.10".into()])
    );
}

#[tokio::test]
async fn dns_wildcard_fault_covers_a_whole_zone() {
    let dns = DnsServer::start_fixtures().await;
    let r = dns.resolver(TIMEOUT);
    dns.set_fault("*.dnsbl.test.", Fault::ServFail);
    for name in ["2.0.0.127.dnsbl.test.", "1.0.0.127.dnsbl.test."] {
        assert_eq!(
            lookup(&r, name, RecordType::A).await,
            Err(Class::Temporary),
            "{name}"
        );
    }
    // The zone apex itself is not "below" it, and other zones are untouched.
    assert!(r.soa_lookup("dnsbl.test.").await.is_ok());
    assert!(r.ipv4_lookup("mail.example.test.").await.is_ok());
    dns.clear_faults();
    assert!(r.ipv4_lookup("2.0.0.127.dnsbl.test.").await.is_ok());
}

#[tokio::test]
async fn dns_query_log() {
    let dns = DnsServer::start_fixtures().await;
    let r = dns.resolver(TIMEOUT);
    r.ipv4_lookup("mail.example.test.").await.unwrap();
    r.ipv6_lookup("Mail.Example.Test.").await.unwrap();
    assert_eq!(dns.query_count("mail.example.test"), 2);
    assert!(dns
        .queries()
        .contains(&("mail.example.test.".to_string(), RecordType::AAAA)));
    dns.clear_queries();
    assert!(dns.queries().is_empty());
}

#[tokio::test]
async fn dns_custom_zone_text() {
    let zone = "$ORIGIN custom.test.\n\
                @ 60 IN SOA ns.custom.test. h.custom.test. 1 60 60 60 5\n\
                www 60 IN A 198.51.100.7\n";
    let dns = DnsServer::start(&[("custom.test.", zone)]).await;
    let r = dns.resolver(TIMEOUT);
    assert_eq!(
        lookup(&r, "www.custom.test.", RecordType::A).await,
        Ok(vec!["198.51.100.7".into()])
    );
    // A name outside every zone the server holds: REFUSED, i.e. temporary (not NXDOMAIN).
    assert_eq!(
        lookup(&r, "mail.example.test.", RecordType::A).await,
        Err(Class::Temporary)
    );
}

#[tokio::test]
async fn dns_stops_on_shutdown_and_drop() {
    let dns = DnsServer::start_fixtures().await;
    let r = dns.resolver(TIMEOUT);
    assert!(r.ipv4_lookup("mail.example.test.").await.is_ok());
    dns.shutdown().await;
    let err = r.ipv4_lookup("mail.example.test.").await.unwrap_err();
    assert_ne!(classify(&err), Class::NoRecords, "{err}");

    // Dropping aborts the tasks; once they have been dropped the ports are free again.
    let dns = DnsServer::start_fixtures().await;
    let addr = dns.addr();
    drop(dns);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let udp = std::net::UdpSocket::bind(addr);
        let tcp = std::net::TcpListener::bind(addr);
        if udp.is_ok() && tcp.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "{addr} still bound after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

#[tokio::test]
async fn pg_cluster_roundtrip() {
    let pg = PgCluster::start().await;
    eprintln!("PgCluster::start took {:?}", pg.startup_time());
    assert!(pg
        .socket_dir()
        .join(format!(".s.PGSQL.{}", pg.port()))
        .exists());
    assert!(pg.conn_string().contains("user=postgres"));

    let c = pg.client().await;
    c.batch_execute("CREATE TABLE t (k text PRIMARY KEY, v int NOT NULL)")
        .await
        .unwrap();
    c.execute("INSERT INTO t VALUES ($1, $2)", &[&"a", &1i32])
        .await
        .unwrap();
    let row = c
        .query_one("SELECT v FROM t WHERE k = $1", &[&"a"])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);

    pg.create_database("mx\"gate").await;
    let c2 = pg.client_for("mx\"gate").await;
    let row = c2
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "mx\"gate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_clusters_are_independent() {
    let (a, b) = tokio::join!(PgCluster::start(), PgCluster::start());
    assert_ne!(a.socket_dir(), b.socket_dir());
    let ca = a.client().await;
    let cb = b.client().await;
    ca.batch_execute("CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (7)")
        .await
        .unwrap();
    let n: i64 = cb
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // Stopping one leaves the other running.
    drop(a);
    assert!(ca.simple_query("SELECT 1").await.is_err());
    let x: i32 = cb.query_one("SELECT 41 + 1", &[]).await.unwrap().get(0);
    assert_eq!(x, 42);
}

#[tokio::test]
async fn pg_drop_stops_server_and_removes_files() {
    let pg = PgCluster::start().await;
    let dir = pg.temp_path().to_path_buf();
    let pid = pg.pid();
    // An open session must not delay shutdown (fast shutdown disconnects it).
    let client = pg.client().await;
    client.simple_query("SELECT 1").await.unwrap();
    let t = Instant::now();
    drop(pg);
    eprintln!("PgCluster drop took {:?}", t.elapsed());
    assert!(!dir.exists(), "{} still exists", dir.display());
    // The postmaster has been reaped by Drop, so its pid is gone.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "postgres pid {pid} still running"
    );
    assert!(client.simple_query("SELECT 1").await.is_err());
}

#[test]
fn pg_start_blocking_outside_a_runtime() {
    let pg = PgCluster::start_blocking();
    assert!(
        pg.log().contains("ready to accept connections"),
        "{}",
        pg.log()
    );
}
