//! Transfer encodings undone leniently, as mail clients do: base64 and
//! quoted-printable bodies that a strict decoder would refuse still yield their bytes.

pub(super) fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lenient base64 as mail clients decode it: characters outside the alphabet are
/// skipped; the flag says whether there were any besides white space and padding.
/// `=` is skipped wherever it is (it does not end the data), bits that do not
/// make a whole byte are dropped, and so is a lone last symbol.
pub(super) fn base64_lenient(data: &[u8]) -> (Vec<u8>, bool) {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut symbols = Vec::with_capacity(data.len());
    let mut clean = true;
    for &c in data {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => symbols.push(c),
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => clean = false,
        }
    }
    // Six bits make no byte; the crate calls that an error, mail clients drop them.
    if symbols.len() % 4 == 1 {
        symbols.pop();
    }
    // Only alphabet symbols in a valid length remain, so decoding cannot fail.
    (LENIENT.decode(&symbols).unwrap_or_default(), clean)
}

/// Lenient quoted-printable: `=XX` and soft line breaks; anything else literal.
pub(super) fn qp_lenient(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            if let (Some(&a), Some(&b)) = (data.get(i + 1), data.get(i + 2)) {
                if let (Some(h), Some(l)) = (hex(a), hex(b)) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                if a == b'\r' && b == b'\n' {
                    i += 3;
                    continue;
                }
            }
            if data.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}
