//! viaspf's [`Lookup`] over mxgate's one resolver, so SPF shares the cache, the
//! timeouts and the error classes of every other DNS check.
//!
//! Error mapping (RFC 7208 §2.6.6, §4.4): NXDOMAIN and NODATA are a definite "no
//! records" ([`LookupError::NoRecords`], which viaspf counts as a void lookup);
//! a timeout is [`LookupError::Timeout`]; anything else (SERVFAIL, REFUSED, network
//! errors) is [`LookupError::Dns`]. The last two give `temperror`, never a fail.

use crate::dns::{classify, reverse_name, Dns, DnsError, RecordsError};
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{Name as HName, RData, Record, RecordType};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::sync::Arc;
use viaspf::lookup::{Lookup, LookupError, LookupResult, Name};

/// The SPF resolver: a newtype over the shared [`Dns`].
#[derive(Clone)]
pub struct SpfLookup {
    dns: Arc<Dns>,
}

impl SpfLookup {
    /// An adapter over the shared resolver.
    pub fn new(dns: Arc<Dns>) -> Self {
        SpfLookup { dns }
    }

    /// Records of `rtype` at `name`; an answer without any record of that type (only
    /// a CNAME, say) is "no records", as an empty NOERROR answer would be.
    async fn records(&self, name: &str, rtype: RecordType) -> LookupResult<Vec<Record>> {
        let hname = to_hickory(name)?;
        let answers = match self.dns.records(hname, name, rtype).await {
            Ok(a) => a,
            Err(RecordsError::NotFound) => return Err(LookupError::NoRecords),
            Err(RecordsError::Net(e)) => return Err(to_lookup_error(e)),
        };
        let records: Vec<Record> = answers
            .iter()
            .filter(|r| r.record_type() == rtype)
            .cloned()
            .collect();
        if records.is_empty() {
            return Err(LookupError::NoRecords);
        }
        Ok(records)
    }
}

/// A viaspf name (absolute, with its trailing dot) as a hickory name, label by label as
/// raw bytes: SPF macro expansion can produce labels that are not host names (`_spf`,
/// spaces, `%`), and they must be asked as they are, not IDNA-mapped or rejected.
fn to_hickory(name: &str) -> LookupResult<HName> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&[u8]> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('.').map(str::as_bytes).collect()
    };
    HName::from_labels(labels).map_err(|e| LookupError::Dns(Some(Box::new(e))))
}

fn to_lookup_error(err: NetError) -> LookupError {
    match classify(&err) {
        DnsError::NotFound => LookupError::NoRecords,
        DnsError::Temporary(_) if matches!(err, NetError::Timeout) => LookupError::Timeout,
        DnsError::Temporary(_) => LookupError::Dns(Some(Box::new(err))),
    }
}

/// A hickory name as viaspf's, label by label from the raw bytes, the converse of
/// [`to_hickory`]: `to_ascii` would write presentation escapes (`foo\:bar`), a
/// different name once it is asked for again. A label holding a dot (or bytes that are
/// not UTF-8) cannot be written as viaspf's dotted string, so that name is an error.
fn name_of(n: &HName) -> LookupResult<Name> {
    let mut s = String::new();
    for label in n.iter() {
        let label = std::str::from_utf8(label).map_err(|e| LookupError::Dns(Some(Box::new(e))))?;
        if label.contains('.') {
            return Err(LookupError::Dns(None));
        }
        s.push_str(label);
        s.push('.');
    }
    Name::new(&s).map_err(|e| LookupError::Dns(Some(Box::new(e))))
}

/// A boxed future as `#[async_trait]` declares it (the crate has no async-trait
/// dependency, so the expansion is written out).
type LookupFuture<'a, T> = Pin<Box<dyn Future<Output = LookupResult<T>> + Send + 'a>>;

impl Lookup for SpfLookup {
    fn lookup_a<'lookup, 'a, 'async_trait>(
        &'lookup self,
        name: &'a Name,
    ) -> LookupFuture<'async_trait, Vec<Ipv4Addr>>
    where
        'lookup: 'async_trait,
        'a: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let records = self.records(name.as_str(), RecordType::A).await?;
            Ok(records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.0),
                    _ => None,
                })
                .collect())
        })
    }

    fn lookup_aaaa<'lookup, 'a, 'async_trait>(
        &'lookup self,
        name: &'a Name,
    ) -> LookupFuture<'async_trait, Vec<Ipv6Addr>>
    where
        'lookup: 'async_trait,
        'a: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let records = self.records(name.as_str(), RecordType::AAAA).await?;
            Ok(records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::AAAA(a) => Some(a.0),
                    _ => None,
                })
                .collect())
        })
    }

    fn lookup_mx<'lookup, 'a, 'async_trait>(
        &'lookup self,
        name: &'a Name,
    ) -> LookupFuture<'async_trait, Vec<Name>>
    where
        'lookup: 'async_trait,
        'a: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let records = self.records(name.as_str(), RecordType::MX).await?;
            let mut mx: Vec<(u16, &HName)> = records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::MX(m) => Some((m.preference, &m.exchange)),
                    _ => None,
                })
                .collect();
            mx.sort_by_key(|(pref, _)| *pref);
            // A null MX (RFC 7505, exchange ".") names no host: skip it rather than
            // fail the whole lookup, so `mx` simply does not match.
            Ok(mx
                .into_iter()
                .filter(|(_, n)| !n.is_root())
                .filter_map(|(_, n)| name_of(n).ok())
                .collect())
        })
    }

    fn lookup_txt<'lookup, 'a, 'async_trait>(
        &'lookup self,
        name: &'a Name,
    ) -> LookupFuture<'async_trait, Vec<String>>
    where
        'lookup: 'async_trait,
        'a: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let records = self.records(name.as_str(), RecordType::TXT).await?;
            // RFC 7208 §3.3: the strings of one record are joined without a separator.
            Ok(records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(t) => Some(
                        t.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect())
        })
    }

    fn lookup_ptr<'lookup, 'async_trait>(
        &'lookup self,
        ip: IpAddr,
    ) -> LookupFuture<'async_trait, Vec<Name>>
    where
        'lookup: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let records = self.records(&reverse_name(ip), RecordType::PTR).await?;
            // A name viaspf cannot represent cannot validate the client either.
            Ok(records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::PTR(p) => name_of(&p.0).ok(),
                    _ => None,
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_odd_labels() {
        let n = to_hickory("_spf.Example.COM.").unwrap();
        assert_eq!(n.to_ascii(), "_spf.Example.COM.");
        assert!(n.is_fqdn());
        let odd = to_hickory("a b.%x.example.").unwrap();
        assert_eq!(odd.num_labels(), 3);
        assert!(to_hickory(&format!("{}.example.", "a".repeat(64))).is_err());
    }

    #[test]
    fn names_from_answers_keep_odd_labels() {
        // An MX exchange `foo:bar/baz.example.com` must be asked for as that name
        // again, not as its presentation form `foo\:bar\/baz.example.com`.
        let odd = to_hickory("foo:bar/baz.example.com.").unwrap();
        assert_eq!(name_of(&odd).unwrap().as_str(), "foo:bar/baz.example.com.");
        assert!(name_of(&HName::root()).is_err());
        let dotted = HName::from_labels([&b"a.b"[..], b"example"]).unwrap();
        assert!(name_of(&dotted).is_err());
    }

    #[test]
    fn errors_map_to_viaspf_classes() {
        assert!(matches!(
            to_lookup_error(NetError::Timeout),
            LookupError::Timeout
        ));
        assert!(matches!(
            to_lookup_error(NetError::Msg("boom".into())),
            LookupError::Dns(Some(_))
        ));
    }
}
