//! DKIM key records (RFC 6376 §3.6.2) through our resolver: the same front cache, the
//! same session DNS budget, and hickory's errors mapped to the kinds viadkim tells apart.

use crate::dns::{Dns, DnsError};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use tokio::time::Instant;

/// viadkim's view of [`Dns`] for one message: every key lookup ends by `deadline`.
#[derive(Clone)]
pub struct KeyLookup {
    dns: Arc<Dns>,
    deadline: Instant,
}

impl KeyLookup {
    /// Lookups over `dns` that give up at `deadline`.
    pub fn new(dns: Arc<Dns>, deadline: Instant) -> Self {
        KeyLookup { dns, deadline }
    }
}

/// The answer's TXT records, each record's strings joined.
type Answer = Vec<io::Result<Vec<u8>>>;

impl viadkim::verifier::LookupTxt for KeyLookup {
    type Answer = Answer;
    type Query<'a> = Pin<Box<dyn Future<Output = io::Result<Answer>> + Send + 'a>>;

    fn lookup_txt(&self, domain: &str) -> Self::Query<'_> {
        let name = domain.to_owned();
        Box::pin(async move {
            match self.dns.txt(&name, self.deadline).await {
                Ok(txts) => Ok(txts.into_iter().map(|t| Ok(t.into_bytes())).collect()),
                // viadkim: NotFound is "no key" (permerror), TimedOut and the rest temperror.
                Err(DnsError::NotFound) => Err(io::ErrorKind::NotFound.into()),
                Err(DnsError::Temporary(why)) if why.contains("timeout") || why.contains("budget") => {
                    Err(io::Error::new(io::ErrorKind::TimedOut, why))
                }
                Err(DnsError::Temporary(why)) => Err(io::Error::other(why)),
            }
        })
    }
}
