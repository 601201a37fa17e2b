//! Signs a message with DKIM, for test fixtures: `dkim_sign KEY.pem DOMAIN SELECTOR [simple]
//! < in.eml > out.eml` writes the message with a DKIM-Signature on top (relaxed/relaxed, or
//! simple/simple, which any change of a header byte breaks; no expiry; the default signed
//! headers). The key is PKCS#8 PEM (RSA or Ed25519).

use std::io::{Read, Write};
use viadkim::crypto::HashAlgorithm;
use viadkim::signature::{Canonicalization, CanonicalizationAlgorithm};
use viadkim::signer::Expiration;
use viadkim::{DomainName, Selector, SignRequest, SigningAlgorithm, SigningKey};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let (key, domain, selector, simple) = match args.as_slice() {
        [_, k, d, s] => (k, d, s, false),
        [_, k, d, s, c] if c == "simple" => (k, d, s, true),
        _ => {
            return Err(
                "usage: dkim_sign KEY.pem DOMAIN SELECTOR [simple] < message > signed".into(),
            )
        }
    };
    let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(key)?)?;
    let algorithm = SigningAlgorithm::from_parts(key.key_type(), HashAlgorithm::Sha256)
        .ok_or("no SHA-256 algorithm for this key")?;
    let mut request = SignRequest::new(
        DomainName::new(domain.as_str())?,
        Selector::new(selector.as_str())?,
        algorithm,
        key,
    );
    request.expiration = Expiration::Never;
    let algorithm = match simple {
        true => CanonicalizationAlgorithm::Simple,
        false => CanonicalizationAlgorithm::Relaxed,
    };
    request.canonicalization = Canonicalization {
        header: algorithm,
        body: algorithm,
    };

    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    // Fixture files have LF line ends; mail on the wire (and what was signed) has CRLF.
    let text = String::from_utf8(input)?;
    let message: String = text.lines().flat_map(|l| [l, "\r\n"]).collect();
    let (header, body) = message
        .split_once("\r\n\r\n")
        .ok_or("no blank line after the header")?;
    let header: viadkim::header::HeaderFields = format!("{header}\r\n")
        .parse()
        .map_err(|_| "the header does not parse")?;
    let mut out = std::io::stdout().lock();
    for signature in viadkim::sign(header, body.as_bytes(), [request]).await? {
        let signature = signature?;
        writeln!(
            out,
            "{}:{}",
            signature.header_name,
            signature.header_value.replace("\r\n", "\n")
        )?;
    }
    out.write_all(text.as_bytes())?;
    Ok(())
}
