//! DKIM verification (RFC 6376; ed25519-sha256, RFC 8463) at end of message: every
//! DKIM-Signature up to a bound, over the header fields as they arrived
//! ([`crate::session::Transaction::raw_headers`]) and the buffered body, keys through our
//! resolver within the session's DNS budget. The results are facts for DMARC and parts of
//! our Authentication-Results header; by themselves they refuse nothing (RFC 6376 §6.3: a
//! failed signature makes a message no worse than an unsigned one) unless `fail` says so.
//!
//! viadkim does the RFC work (tags, canonicalisation, `l=`, `x=`, key records with `t=`,
//! `h=`, revoked `p=`); this file feeds it, bounds it and turns what it found into facts.

pub mod lookup;

use super::{BuildEnv, Check, CheckError, CheckFuture, CheckSpec, Finding, Hit, Outcome, SetupError};
use crate::auth_results::{push_ar_value, push_comment_safe, system_host_name, AuthservId};
use crate::dns::Dns;
use crate::session::{DkimFact, DkimResult, Fact, Session, Stage};
use crate::values::{check_count, TimeSpanMs};
use crate::verdict::{Action, HeaderEdit, Reply};
use base64::Engine as _;
use lookup::KeyLookup;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::time::Instant;
use viadkim::verifier::{Config as VerifierConfig, VerificationResult, VerificationStatus};

/// The reason of a signature left unverified because the body was larger than
/// `max_body_bytes`: no evidence either way (DMARC takes it for a temporary error).
pub const OVER_BODY_BOUND: &str = "not verified: message over max_body_bytes";

/// The reason of a signature left unverified because the header fields were larger than
/// the milter keeps exactly.
pub const OVER_HEADER_BOUND: &str = "not verified: header over the 1 MiB kept for DKIM";

/// Body bytes hashed between two yields to the runtime, so that a large body does not
/// hold up the other sessions on this thread.
const HASH_CHUNK: usize = 64 * 1024;

/// What a message does whose signatures all failed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum FailAction {
    /// Deliver it (as unsigned mail: RFC 6376 §6.3); DMARC judges it, if enabled.
    Continue,
    /// Refuse it with the check's `action` and `reply` (default 550 5.7.20).
    Reject,
}

crate::check_config! {
    /// `[checks.dkim]`. `action` and `reply` refuse a message only when `fail = "reject"`.
    pub struct DkimConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// What a signed message none of whose signatures verified (fail or permerror,
        /// none passing, none left unverified) does: "continue" (default: treated as
        /// unsigned, RFC 6376 §6.3) or "reject" with `action` and `reply`.
        pub fail: FailAction = FailAction::Continue,
        /// Most DKIM-Signature fields verified per message, from the top, 1 to 20; the
        /// others are reported as "neutral" (not verified).
        pub max_signatures: u32 = 5,
        /// Most body bytes buffered and hashed, 64 KiB to 256 MiB. A signature over a
        /// longer body (without an `l=` that ends within the bound) is "neutral", not a
        /// fail: DMARC takes it for a temporary error.
        pub max_body_bytes: u64 = 10 * 1024 * 1024,
        /// Smallest RSA key accepted, 1024 to 4096 bits (RFC 8301: 1024); a smaller
        /// one gives "policy".
        pub min_key_bits: u32 = 1024,
        /// Time the key lookups of one message may take together, 10ms to 5m; the
        /// session's `[dns] session_budget` bounds them too.
        pub timeout: TimeSpanMs = TimeSpanMs::from_secs(10),
        /// Accept a signature whose `l=` leaves part of the body unsigned (content can
        /// be appended under a valid signature); false gives such a signature "policy".
        pub allow_partial_body: bool = true,
        /// Add one `dkim=` result per signature to our Authentication-Results header
        /// (RFC 8601), merged with SPF's and DMARC's: `dkim=pass header.d=example.com
        /// header.s=sel header.b=AbCdEfGh`; `dkim=none` for an unsigned message.
        /// Incoming Authentication-Results with our authserv-id are then removed.
        pub add_authentication_results: bool = true,
        /// Our authserv-id; default: Postfix's `$myhostname` (macro `j`), else this
        /// host's name, else "mxgate". Set it as in `[checks.spf]` so that the results
        /// share one header.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub authserv_id: Option<AuthservId> = None,
    }
}

/// The DKIM check as a plugin.
pub struct Dkim;

impl CheckSpec for Dkim {
    const NAME: &'static str = "dkim";
    const STAGES: &'static [Stage] = &[Stage::Eom];
    const AFTER: &'static [&'static str] = &[];
    const SUMMARY: &'static str = "DKIM (RFC 6376, RFC 8463): verifies every DKIM-Signature (rsa-sha256, ed25519-sha256, relaxed/simple, `l=`, `x=`, key `t=`/`h=`/revoked), bounded; results for DMARC and `Authentication-Results` (off by default)";
    const DESCRIPTION: &'static str = "A signature that does not verify refuses nothing by default (fail = \"continue\"): forwarders and lists break signatures, and the domain's DMARC policy is what says whether that matters. The header fields are verified as they arrived (the milter asks Postfix for the exact values); the body up to max_body_bytes. Key lookups share the session's DNS budget; a key lookup that fails temporarily is dkim=temperror and, when no signature passed, goes to on_error (default: continue).";
    type Config = DkimConfig;

    fn validate(cfg: &DkimConfig) -> Result<(), SetupError> {
        check_count("max_signatures", cfg.max_signatures, 1..=20)?;
        check_count(
            "max_body_bytes",
            cfg.max_body_bytes,
            64 * 1024..=256 * 1024 * 1024,
        )?;
        check_count("min_key_bits", cfg.min_key_bits, 1024..=4096)?;
        cfg.timeout.check(
            "timeout",
            TimeSpanMs::from_millis(10),
            TimeSpanMs::from_secs(300),
        )?;
        crate::checks::common::check_eom_action(cfg.action)
    }

    fn build(cfg: &DkimConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(DkimCheck::new(cfg.clone(), env.resolver()?)))
    }
}

/// The built check.
pub struct DkimCheck {
    cfg: DkimConfig,
    dns: Arc<Dns>,
    verifier: VerifierConfig,
    host_name: Option<String>,
}

impl DkimCheck {
    /// The check over the shared resolver.
    pub fn new(cfg: DkimConfig, dns: Arc<Dns>) -> Self {
        let verifier = VerifierConfig {
            lookup_timeout: cfg.timeout.get(),
            max_signatures: cfg.max_signatures as usize,
            min_key_bits: cfg.min_key_bits as usize,
            forbid_unsigned_content: !cfg.allow_partial_body,
            ..VerifierConfig::default()
        };
        DkimCheck {
            cfg,
            dns,
            verifier,
            host_name: system_host_name(),
        }
    }

    /// The result of every DKIM-Signature of the message of `session`, top first.
    pub async fn verify(&self, session: &Session) -> Vec<DkimFact> {
        let tx = &session.tx;
        let signed = tx
            .headers
            .iter()
            .filter(|(n, _)| is_signature(n))
            .count();
        if signed == 0 {
            return Vec::new();
        }
        let raw_signatures = || {
            tx.raw_headers
                .iter()
                .filter(|(n, _)| is_signature(n))
                .map(|(_, v)| v.as_slice())
        };
        // Fields we could not keep exactly cannot be verified, which is not a fail.
        if tx.raw_headers_truncated || tx.raw_headers.is_empty() {
            let mut out: Vec<DkimFact> = raw_signatures()
                .map(|v| unverified(v, OVER_HEADER_BOUND))
                .collect();
            out.resize_with(signed.max(out.len()), || unverified(b"", OVER_HEADER_BOUND));
            return out;
        }
        let headers = match field_list(&tx.raw_headers) {
            Ok(h) => h,
            Err(n) => {
                // A field viadkim cannot represent (a control character, a bare CR):
                // dropping it could change which instance a signature covers.
                let why = format!("header field {n} is not a valid field for DKIM");
                return raw_signatures()
                    .map(|v| DkimFact {
                        result: DkimResult::Permerror,
                        ..unverified(v, &why)
                    })
                    .collect();
            }
        };
        let deadline = self
            .dns
            .deadline(session.started)
            .min(Instant::now() + self.cfg.timeout.get());
        let resolver = KeyLookup::new(Arc::clone(&self.dns), deadline);
        let verify = viadkim::verifier::Verifier::verify_header(&resolver, &headers, &self.verifier);
        let verifier = match tokio::time::timeout_at(deadline, verify).await {
            Ok(Some(v)) => v,
            Ok(None) => return Vec::new(),
            Err(_) => {
                return raw_signatures()
                    .take(self.verifier.max_signatures)
                    .map(|v| DkimFact {
                        result: DkimResult::Temperror,
                        ..unverified(v, "key lookup timed out")
                    })
                    .collect()
            }
        };
        let kept = tx.body.len();
        let results = hash_body(verifier, &tx.body).await;
        let mut out: Vec<DkimFact> = results
            .iter()
            .map(|r| fact_of(r, &tx.raw_headers, tx.body_truncated, kept as u64))
            .collect();
        // Signatures past max_signatures: viadkim ignores them; report them as such.
        let extra = raw_signatures()
            .skip(out.len())
            .map(|v| unverified(v, "not verified: over max_signatures"));
        out.extend(extra);
        out
    }

    fn authserv_id(&self, session: &Session) -> String {
        crate::auth_results::authserv_id(
            self.cfg.authserv_id.as_ref(),
            session,
            self.host_name.as_deref(),
        )
    }

    async fn at_eom(&self, session: &Session) -> Result<Outcome, CheckError> {
        let facts = self.verify(session).await;
        for f in &facts {
            tracing::debug!(
                session = %session.id, queue_id = session.queue_id(), check = Dkim::NAME,
                d = %f.domain, s = %f.selector, result = %f.result,
                reason = f.reason.as_deref().unwrap_or(""), "dkim: signature"
            );
        }
        crate::metrics::global().count_dkim(&facts);
        let mut edits = Vec::new();
        if self.cfg.add_authentication_results {
            // What we write under our name must be the only thing there under it, also
            // when the SPF check (which removes them at end of headers) is off.
            let ours = self.authserv_id(session);
            edits.extend(crate::auth_results::remove_forged(session, &ours, Dkim::NAME));
            edits.push(HeaderEdit::AuthResult {
                authserv_id: ours,
                resinfo: resinfo(&facts),
            });
        }
        let passed = facts.iter().any(|f| f.result == DkimResult::Pass);
        let temporary = facts.iter().find(|f| f.result == DkimResult::Temperror);
        let summary = summary(&facts);
        if let (false, Some(t)) = (passed, temporary) {
            return Err(CheckError::Temporary {
                reason: format!(
                    "DKIM temperror: d={} s={}: {}",
                    t.domain,
                    t.selector,
                    t.reason.as_deref().unwrap_or("")
                ),
                reply: Some(Reply::new(
                    451,
                    "4.7.5",
                    "DKIM: temporary error verifying the signature, try again later",
                )),
                facts: vec![Fact::Dkim(facts)],
                edits,
            });
        }
        let all_failed = !facts.is_empty()
            && facts
                .iter()
                .all(|f| matches!(f.result, DkimResult::Fail | DkimResult::Permerror));
        let finding = if all_failed && self.cfg.fail == FailAction::Reject {
            let reply = if self.cfg.reply.is_some() {
                None
            } else {
                let text = "DKIM: no signature of this message verifies";
                match self.cfg.action {
                    Action::Reject => Some(Reply::new(550, "5.7.20", text)),
                    Action::Tempfail => Some(Reply::new(451, "4.7.20", text)),
                    _ => None,
                }
            };
            Finding::Hit(Hit {
                reason: summary,
                action: None,
                reply,
            })
        } else {
            Finding::Pass
        };
        Ok(Outcome {
            finding,
            facts: vec![Fact::Dkim(facts)],
            edits,
        })
    }
}

impl Check for DkimCheck {
    fn name(&self) -> &'static str {
        Dkim::NAME
    }

    fn stages(&self) -> &'static [Stage] {
        Dkim::STAGES
    }

    fn body_limit(&self) -> usize {
        usize::try_from(self.cfg.max_body_bytes).unwrap_or(usize::MAX)
    }

    fn raw_headers(&self) -> bool {
        true
    }

    fn check<'a>(&'a self, stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            match stage {
                Stage::Eom => self.at_eom(session).await,
                _ => Ok(Finding::Pass.into()),
            }
        })
    }
}

fn is_signature(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case("DKIM-Signature")
}

/// The header fields for viadkim; Err: the 1-based number of the first it cannot take.
fn field_list(raw: &[(String, Vec<u8>)]) -> Result<viadkim::header::HeaderFields, usize> {
    use viadkim::header::{FieldBody, FieldName, HeaderFields};
    let mut fields = Vec::with_capacity(raw.len());
    for (i, (name, value)) in raw.iter().enumerate() {
        // The milter keeps the CRLF that ended a folded value's last line away already;
        // a stray one at the end would not be a field body.
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let name = FieldName::new(name.trim().to_owned()).map_err(|_| i + 1)?;
        let body = FieldBody::new(value.to_vec()).map_err(|_| i + 1)?;
        fields.push((name, body));
    }
    HeaderFields::new(fields).map_err(|_| 1)
}

/// Feeds the body to the verifier in chunks, yielding between them, and finishes it.
async fn hash_body(
    mut verifier: viadkim::verifier::Verifier,
    body: &[u8],
) -> Vec<VerificationResult> {
    for chunk in body.chunks(HASH_CHUNK) {
        if verifier.process_body_chunk(chunk) == viadkim::message_hash::BodyHasherStance::Done {
            break;
        }
        if body.len() > HASH_CHUNK {
            tokio::task::yield_now().await;
        }
    }
    verifier.finish()
}

/// The fact of one verified (or refused) signature. A body hash that did not match a
/// body we did not keep whole is no fail: we hashed less than the signer did.
fn fact_of(
    r: &VerificationResult,
    raw: &[(String, Vec<u8>)],
    truncated: bool,
    kept: u64,
) -> DkimFact {
    use viadkim::verifier::VerificationError as E;
    let raw_value = raw.get(r.index).map(|(_, v)| v.as_slice()).unwrap_or(b"");
    let mut fact = unverified(raw_value, "");
    if let Some(sig) = &r.signature {
        fact.domain = sig.domain.to_ascii().to_ascii_lowercase();
        fact.selector = sig.selector.to_ascii();
        fact.b_prefix = b_prefix(&sig.signature_data);
    }
    let status = &r.status;
    fact.result = status.to_dkim_result().into_fact();
    // viadkim calls an unusable key record neutral; RFC 6376 §6.1.2 makes it PERMFAIL
    // (key syntax error), which RFC 8601 writes permerror: the key will not get better.
    if let VerificationStatus::Failure(E::KeyRecordFormat(_)) = status {
        fact.result = DkimResult::Permerror;
    }
    fact.reason = match status {
        VerificationStatus::Success => None,
        VerificationStatus::Failure(e) => {
            let over_bound = truncated
                && matches!(e, E::BodyHashMismatch | E::InsufficientContent)
                && r
                    .signature
                    .as_ref()
                    .is_none_or(|s| s.body_length.is_none_or(|l| l > kept));
            if over_bound {
                fact.result = DkimResult::Neutral;
                Some(OVER_BODY_BOUND.to_owned())
            } else {
                Some(reason_of(e))
            }
        }
    };
    fact
}

/// A reason for the log and the header comment, with the detail viadkim keeps apart.
fn reason_of(e: &viadkim::verifier::VerificationError) -> String {
    use viadkim::verifier::VerificationError as E;
    match e {
        E::DkimSignatureFormat(f) => format!("{e}: {}", f.kind),
        E::KeyRecordFormat(k) => format!("{e}: {k}"),
        E::VerificationFailure(c) => format!("{e}: {c}"),
        E::Policy(p) => format!("{e}: {p}"),
        other => other.to_string(),
    }
}

trait IntoFact {
    fn into_fact(self) -> DkimResult;
}

impl IntoFact for viadkim::verifier::DkimResult {
    fn into_fact(self) -> DkimResult {
        use viadkim::verifier::DkimResult as V;
        match self {
            V::Pass => DkimResult::Pass,
            V::Fail => DkimResult::Fail,
            V::Neutral => DkimResult::Neutral,
            V::Policy => DkimResult::Policy,
            V::Temperror => DkimResult::Temperror,
            V::Permerror => DkimResult::Permerror,
            // None is what viadkim gives a message without signatures, never one of them.
            _ => DkimResult::Neutral,
        }
    }
}

/// A signature not verified, named from its raw tags as far as they go.
fn unverified(raw_value: &[u8], reason: &str) -> DkimFact {
    let tags = String::from_utf8_lossy(raw_value);
    let tag = |name: &str| -> String {
        tags.split(';')
            .filter_map(|t| t.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default()
    };
    let printable = |s: String| -> String {
        s.chars()
            .filter(|c| c.is_ascii_graphic())
            .take(255)
            .collect()
    };
    DkimFact {
        result: DkimResult::Neutral,
        domain: printable(tag("d")).to_ascii_lowercase(),
        selector: printable(tag("s")),
        b_prefix: printable(tag("b")).chars().take(8).collect(),
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
    }
}

/// The first 8 characters of `b=` (RFC 6008 `header.b`), enough to tell signatures apart.
fn b_prefix(data: &[u8]) -> String {
    let head = &data[..data.len().min(6)];
    base64::engine::general_purpose::STANDARD.encode(head)
}

/// `dkim=RESULT (reason) header.d=… header.s=… header.b=…`, one per signature, or
/// `dkim=none` for an unsigned message (RFC 8601 §2.7.1).
fn resinfo(facts: &[DkimFact]) -> String {
    if facts.is_empty() {
        return "dkim=none".into();
    }
    let mut out = String::new();
    for (i, f) in facts.iter().enumerate() {
        if i > 0 {
            out.push_str(";\r\n\t");
        }
        out.push_str("dkim=");
        out.push_str(f.result.as_str());
        if let Some(r) = &f.reason {
            out.push_str(" (");
            push_comment_safe(&mut out, r.chars());
            out.push(')');
        }
        for (k, v) in [
            ("header.d", &f.domain),
            ("header.s", &f.selector),
            ("header.b", &f.b_prefix),
        ] {
            if !v.is_empty() {
                out.push(' ');
                out.push_str(k);
                out.push('=');
                push_ar_value(&mut out, v);
            }
        }
    }
    out
}

/// One line for the decision log: every signature's d=, s= and result.
fn summary(facts: &[DkimFact]) -> String {
    let parts: Vec<String> = facts
        .iter()
        .map(|f| {
            format!(
                "d={} s={} {}{}",
                f.domain,
                f.selector,
                f.result,
                f.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!("DKIM: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unverified_signatures_are_named_from_their_tags() {
        let f = unverified(
            b" v=1; a=rsa-sha256; d=Example.COM;\r\n\ts=sel1; b=AbCd\r\n\tEfGhIjKl; bh=x",
            "why",
        );
        assert_eq!(f.domain, "example.com");
        assert_eq!(f.selector, "sel1");
        assert_eq!(f.b_prefix, "AbCdEfGh");
        assert_eq!(f.reason.as_deref(), Some("why"));
        let junk = unverified(b"\xff\x00;;==;d", "");
        assert_eq!((junk.domain.as_str(), junk.reason), ("", None));
    }

    #[test]
    fn results_for_the_header() {
        assert_eq!(resinfo(&[]), "dkim=none");
        let f = DkimFact {
            result: DkimResult::Fail,
            domain: "example.com".into(),
            selector: "s".into(),
            b_prefix: "AbCd+/Ef".into(),
            reason: Some("body hash did not verify".into()),
        };
        let r = resinfo(&[f.clone(), f]);
        assert!(
            r.starts_with("dkim=fail (body hash did not verify) header.d=example.com header.s=s header.b="),
            "{r}"
        );
        assert_eq!(r.matches("dkim=").count(), 2, "{r}");
    }

    #[test]
    fn fields_viadkim_cannot_take_are_named() {
        let ok = vec![("From".to_string(), b" a@b.test".to_vec())];
        assert!(field_list(&ok).is_ok());
        let bad = vec![
            ("From".to_string(), b" a@b.test".to_vec()),
            ("Subject".to_string(), b" a\rb".to_vec()),
        ];
        assert_eq!(field_list(&bad).err(), Some(2));
    }

    #[test]
    fn bounds_are_checked_at_load() {
        for (text, key) in [
            ("max_signatures = 0", "max_signatures"),
            ("max_body_bytes = 10", "max_body_bytes"),
            ("min_key_bits = 512", "min_key_bits"),
            ("action = \"accept\"", "action"),
            ("fail = \"maybe\"", "fail"),
        ] {
            let e = crate::config::parse(
                &format!("[checks.dkim]\n{text}\n"),
                std::path::Path::new("t.toml"),
            )
            .unwrap_err();
            assert!(e.to_string().contains(key), "{text}: {e}");
        }
    }
}
