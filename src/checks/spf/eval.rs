//! Evaluating the HELO and MAIL FROM identities (RFC 7208 §2.3, §2.4) with viaspf,
//! under a deadline.

use crate::address::Address;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::Instant;
use viaspf::lookup::Lookup;
use viaspf::{Config, DomainName, ErrorCause, Sender, SpfResult, SpfResultCause};

/// Which identity a result is about.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Identity {
    /// The MAIL FROM address.
    MailFrom,
    /// The HELO name (also the MAIL FROM identity of the null sender, RFC 7208 §2.4).
    Helo,
}

impl Identity {
    /// `mailfrom` / `helo`, as Received-SPF's `identity=` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::MailFrom => "mailfrom",
            Identity::Helo => "helo",
        }
    }
}

/// The outcome of check_host() for one identity.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Evaluation {
    /// Which identity was checked.
    pub identity: Identity,
    /// The identity as the client gave it: the MAIL FROM address or the HELO name.
    pub subject: String,
    /// The domain checked, lower case (empty when the identity had none to check).
    pub domain: String,
    /// viaspf's result (a fail carries its explanation).
    pub result: SpfResult,
    /// The mechanism that matched or the error cause, when known.
    pub cause: Option<SpfResultCause>,
}

impl Evaluation {
    /// `none` without any lookup: the identity was absent or not a domain.
    fn none(identity: Identity, subject: &str, domain: String) -> Self {
        Evaluation {
            identity,
            subject: subject.to_owned(),
            domain,
            result: SpfResult::None,
            cause: None,
        }
    }

    /// The result keyword: `pass`, `fail`, `softfail`, `neutral`, `none`,
    /// `temperror`, `permerror`.
    pub fn result_name(&self) -> &'static str {
        result_name(&self.result)
    }

    /// The explanation from the domain's `exp=` (raw, not yet sanitised), for a fail.
    pub fn explanation(&self) -> Option<&str> {
        match &self.result {
            SpfResult::Fail(viaspf::ExplanationString::External(s)) => Some(s),
            _ => None,
        }
    }

    /// Why an error result came about, in viaspf's short ASCII words.
    pub fn problem(&self) -> Option<String> {
        match &self.cause {
            Some(SpfResultCause::Error(e)) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The mechanism that decided an authorisation result (`ip4:192.0.2.0/24`).
    pub fn mechanism(&self) -> Option<String> {
        match &self.cause {
            Some(SpfResultCause::Match(m)) => Some(m.to_string()),
            _ => None,
        }
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={} ({})",
            self.identity.as_str(),
            self.result_name(),
            self.domain
        )?;
        if let Some(p) = self.problem() {
            write!(f, ": {p}")?;
        }
        Ok(())
    }
}

/// The keyword of a viaspf result.
pub fn result_name(r: &SpfResult) -> &'static str {
    fact_result(r).as_str()
}

/// A viaspf result as the session fact records it.
pub fn fact_result(r: &SpfResult) -> crate::session::SpfResult {
    use crate::session::SpfResult as R;
    match r {
        SpfResult::None => R::None,
        SpfResult::Neutral => R::Neutral,
        SpfResult::Pass => R::Pass,
        SpfResult::Fail(_) => R::Fail,
        SpfResult::Softfail => R::Softfail,
        SpfResult::Temperror => R::Temperror,
        SpfResult::Permerror => R::Permerror,
    }
}

/// Checks the HELO identity: `postmaster@HELO` (RFC 7208 §2.3). A HELO that is not a
/// domain name (address literal, single label) gives `none` without any lookup.
pub async fn evaluate_helo(
    lookup: &impl Lookup,
    config: &Config,
    ip: IpAddr,
    helo: Option<&str>,
    deadline: Instant,
) -> Evaluation {
    let helo = helo.map(str::trim).unwrap_or("");
    let Some((domain, sender)) = DomainName::new(helo)
        .ok()
        .and_then(|d| Sender::from_domain(helo).ok().map(|s| (d, s)))
    else {
        return Evaluation::none(Identity::Helo, helo, String::new());
    };
    run(
        lookup,
        config,
        ip,
        &sender,
        Some(&domain),
        Identity::Helo,
        helo,
        deadline,
    )
    .await
}

/// Checks the MAIL FROM identity. The null sender is `postmaster@HELO`, so its result
/// is the HELO identity's (reported as such); a sender whose domain is not a domain
/// name (`user@[192.0.2.1]`, no `@`) gives `none`.
pub async fn evaluate_mail_from(
    lookup: &impl Lookup,
    config: &Config,
    ip: IpAddr,
    helo: Option<&str>,
    sender: &str,
    deadline: Instant,
) -> Evaluation {
    if sender.is_empty() {
        return evaluate_helo(lookup, config, ip, helo, deadline).await;
    }
    let domain_part = Address::domain_of(sender);
    let Some(parsed) = parse_sender(sender) else {
        return Evaluation::none(Identity::MailFrom, sender, domain_part.to_ascii_lowercase());
    };
    let helo_domain = helo.and_then(|h| DomainName::new(h.trim()).ok());
    run(
        lookup,
        config,
        ip,
        &parsed,
        helo_domain.as_ref(),
        Identity::MailFrom,
        sender,
        deadline,
    )
    .await
}

/// viaspf's sender, more lenient than its parser where RFC 7208 asks for it: an
/// empty local part becomes `postmaster` (§4.3), and a local part that is neither a
/// dot-string nor quoted (Postfix passes `john doe@example.com` unquoted) is quoted.
fn parse_sender(sender: &str) -> Option<Sender> {
    let (local, Some(domain)) = Address::split(sender) else {
        return None;
    };
    if local.is_empty() {
        return Sender::from_domain(domain).ok();
    }
    Sender::from_address(sender).ok().or_else(|| {
        let quoted = local.replace('\\', "\\\\").replace('"', "\\\"");
        Sender::from_address(&format!("\"{quoted}\"@{domain}")).ok()
    })
}

#[allow(clippy::too_many_arguments)]
async fn run(
    lookup: &impl Lookup,
    config: &Config,
    ip: IpAddr,
    sender: &Sender,
    helo: Option<&DomainName>,
    identity: Identity,
    subject: &str,
    deadline: Instant,
) -> Evaluation {
    let domain = sender.domain().to_string().to_ascii_lowercase();
    let query = CatchUnwind(Box::pin(viaspf::evaluate_sender(
        lookup, config, ip, sender, helo,
    )));
    // viaspf bounds one check_host() by its own timeout; the session's DNS budget
    // bounds all checks together, whichever ends first.
    let (result, cause) = match tokio::time::timeout_at(deadline, query).await {
        Ok(Some(r)) => (r.spf_result, r.cause),
        Ok(None) => {
            // A record that makes viaspf panic (as 0.7.0-alpha.2 did on a /0
            // prefix before the vendored fix) is one we cannot evaluate: a
            // permerror, and it must not take the milter connection down with it.
            tracing::error!(domain = %domain, "spf: viaspf panicked evaluating the record");
            (SpfResult::Permerror, None)
        }
        Err(_) => (
            SpfResult::Temperror,
            Some(SpfResultCause::Error(ErrorCause::Timeout)),
        ),
    };
    Evaluation {
        identity,
        subject: subject.to_owned(),
        domain,
        result,
        cause,
    }
}

/// A future whose panic becomes `None` instead of unwinding into the caller.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        // The future is dropped after a panic and never polled again, so no broken
        // state it may hold is observed.
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use viaspf::lookup::{LookupError, LookupResult, Name};

    #[test]
    fn senders() {
        let s = parse_sender("@example.net").unwrap();
        assert_eq!(s.local_part(), "postmaster");
        assert_eq!(
            parse_sender("john doe@example.com").unwrap().local_part(),
            "\"john doe\""
        );
        assert!(parse_sender("localuser").is_none());
        assert!(parse_sender("foo@[192.0.2.1]").is_none());
        assert_eq!(
            parse_sender("a.b@Example.COM")
                .unwrap()
                .domain()
                .to_string(),
            "example.com"
        );
    }

    /// A zone of TXT, A, AAAA and MX answers, enough to evaluate records in-process.
    #[derive(Default)]
    struct Zone {
        txt: Vec<(&'static str, &'static str)>,
        a: Vec<(&'static str, std::net::Ipv4Addr)>,
        aaaa: Vec<(&'static str, std::net::Ipv6Addr)>,
        mx: Vec<(&'static str, &'static str)>,
    }

    fn at<T: Clone>(rrs: &[(&str, T)], name: &Name) -> LookupResult<Vec<T>> {
        let found: Vec<T> = rrs
            .iter()
            .filter(|(n, _)| format!("{n}.").eq_ignore_ascii_case(name.as_str()))
            .map(|(_, v)| v.clone())
            .collect();
        if found.is_empty() {
            Err(LookupError::NoRecords)
        } else {
            Ok(found)
        }
    }

    type Answer<'a, T> = Pin<Box<dyn Future<Output = LookupResult<T>> + Send + 'a>>;

    // The trait is declared with #[async_trait]; these are the signatures it expands to.
    impl Lookup for Zone {
        fn lookup_a<'l, 'a, 't>(&'l self, name: &'a Name) -> Answer<'t, Vec<std::net::Ipv4Addr>>
        where
            'l: 't,
            'a: 't,
            Self: 't,
        {
            Box::pin(async move { at(&self.a, name) })
        }

        fn lookup_aaaa<'l, 'a, 't>(&'l self, name: &'a Name) -> Answer<'t, Vec<std::net::Ipv6Addr>>
        where
            'l: 't,
            'a: 't,
            Self: 't,
        {
            Box::pin(async move { at(&self.aaaa, name) })
        }

        fn lookup_mx<'l, 'a, 't>(&'l self, name: &'a Name) -> Answer<'t, Vec<Name>>
        where
            'l: 't,
            'a: 't,
            Self: 't,
        {
            Box::pin(async move {
                at(&self.mx, name)?
                    .into_iter()
                    .map(|n| Name::new(n).map_err(|e| LookupError::Dns(Some(Box::new(e)))))
                    .collect()
            })
        }

        fn lookup_txt<'l, 'a, 't>(&'l self, name: &'a Name) -> Answer<'t, Vec<String>>
        where
            'l: 't,
            'a: 't,
            Self: 't,
        {
            Box::pin(async move { Ok(at(&self.txt, name)?.into_iter().map(String::from).collect()) })
        }

        fn lookup_ptr<'l, 't>(&'l self, _: IpAddr) -> Answer<'t, Vec<Name>>
        where
            'l: 't,
            Self: 't,
        {
            Box::pin(async { Err(LookupError::NoRecords) })
        }
    }

    fn check(zone: &Zone, ip: &str, sender: &str) -> Evaluation {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        rt.block_on(evaluate_mail_from(
            zone,
            &Config::default(),
            ip.parse().unwrap(),
            Some("mail.example.org"),
            sender,
            deadline,
        ))
    }

    /// A /0 prefix matches every address of its family (RFC 7208 §5: only the
    /// given number of high-order bits are compared). viaspf 0.7.0-alpha.2 shifted by
    /// the full width there: a panic (permerror here) in debug builds, an exact match
    /// in release builds; vendor/viaspf carries the fix.
    #[test]
    fn zero_prefix_matches_every_address() {
        let zone = Zone {
            txt: vec![
                ("ip4.example.org", "v=spf1 ip4:192.0.2.1/0 -all"),
                ("ip6.example.org", "v=spf1 ip6:2001:db8::1/0 -all"),
                ("a.example.org", "v=spf1 a/0//0 -all"),
                ("mx.example.org", "v=spf1 mx/0//0 -all"),
            ],
            a: vec![
                ("a.example.org", "192.0.2.1".parse().unwrap()),
                ("mail.mx.example.org", "192.0.2.1".parse().unwrap()),
            ],
            aaaa: vec![
                ("a.example.org", "2001:db8::1".parse().unwrap()),
                ("mail.mx.example.org", "2001:db8::1".parse().unwrap()),
            ],
            mx: vec![("mx.example.org", "mail.mx.example.org")],
        };
        for (domain, ips) in [
            ("ip4.example.org", &["203.0.113.9", "255.255.255.255"][..]),
            ("ip6.example.org", &["cafe:babe::1", "::"][..]),
            ("a.example.org", &["203.0.113.9", "cafe:babe::1"][..]),
            ("mx.example.org", &["203.0.113.9", "cafe:babe::1"][..]),
        ] {
            for ip in ips {
                let e = check(&zone, ip, &format!("user@{domain}"));
                assert_eq!(e.result, SpfResult::Pass, "{domain} from {ip}: {e:?}");
            }
        }
        // Still only its own family: an IPv6 client does not match ip4:…/0.
        let e = check(&zone, "2001:db8::1", "user@ip4.example.org");
        assert_eq!(e.result_name(), "fail");
    }

    #[test]
    fn a_panicking_future_becomes_none() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ok = rt.block_on(CatchUnwind(Box::pin(async { 7 })));
        assert_eq!(ok, Some(7));
        let boom = rt.block_on(CatchUnwind(Box::pin(async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            7
        })));
        assert_eq!(boom, None);
    }
}
