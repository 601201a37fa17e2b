//! Member names of a zip archive from its central directory (no decompression).
//!
//! Read backwards from the end-of-central-directory record, like unzip does, so data
//! prepended to the archive (self-extractors) does not hide it. Bounded: at most
//! `max_entries` entries, each within the buffer.

/// The names listed, and whether more entries were left unread.
#[derive(Debug, Default)]
pub struct Listing {
    /// Member names (file-system paths as stored, UTF-8 or CP437 read as Latin-1).
    pub names: Vec<String>,
    /// The archive has more entries than were read.
    pub more: bool,
}

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Info-ZIP Unicode Path extra field: a UTF-8 name that clients show instead.
const UNICODE_PATH: u16 = 0x7075;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        d.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        d.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Lists the member names of the archive in `data`.
pub fn members(data: &[u8], max_entries: usize) -> Result<Listing, String> {
    if data.len() < 22 {
        return Err("too short for a zip archive".into());
    }
    // The record is 22 bytes plus a comment of at most 65535.
    let lowest = data.len().saturating_sub(22 + 0xFFFF);
    let eocd = (lowest..=data.len() - 22)
        .rev()
        .find(|&i| u32_at(data, i) == Some(EOCD_SIG))
        .ok_or("no end of central directory record")?;
    let short = || "truncated end of central directory record".to_string();
    let mut entries = u64::from(u16_at(data, eocd + 10).ok_or_else(short)?);
    let mut size = u64::from(u32_at(data, eocd + 12).ok_or_else(short)?);
    let mut offset = u64::from(u32_at(data, eocd + 16).ok_or_else(short)?);
    let mut dir_end = eocd;
    if entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        // Zip64: the locator sits right before the classic record.
        let loc = eocd.checked_sub(20).ok_or("zip64 locator missing")?;
        if u32_at(data, loc) != Some(ZIP64_LOCATOR_SIG) {
            return Err("zip64 locator missing".into());
        }
        let rec = u64_at(data, loc + 8).ok_or("zip64 locator truncated")?;
        let rec = usize::try_from(rec).map_err(|_| "zip64 record offset out of range")?;
        // As with the classic record, trust positions relative to the end more than
        // stored offsets: the zip64 record sits right before the locator.
        let rec = if u32_at(data, rec) == Some(ZIP64_EOCD_SIG) {
            rec
        } else {
            loc.checked_sub(56).ok_or("zip64 record missing")?
        };
        if u32_at(data, rec) != Some(ZIP64_EOCD_SIG) {
            return Err("zip64 end of central directory record missing".into());
        }
        entries = u64_at(data, rec + 32).ok_or("zip64 record truncated")?;
        size = u64_at(data, rec + 40).ok_or("zip64 record truncated")?;
        offset = u64_at(data, rec + 48).ok_or("zip64 record truncated")?;
        dir_end = rec;
    }
    // The directory ends where the end record starts; data prepended to the archive
    // shifts the stored offset, so derive the start from the size when they differ.
    let size_us = usize::try_from(size).map_err(|_| "central directory size out of range")?;
    let start = match usize::try_from(offset) {
        Ok(o) if o.checked_add(size_us) == Some(dir_end) => o,
        _ => dir_end
            .checked_sub(size_us)
            .ok_or("central directory larger than the archive")?,
    };
    let mut listing = Listing::default();
    let mut pos = start;
    let mut read: u64 = 0;
    while read < entries {
        if listing.names.len() >= max_entries {
            listing.more = true;
            break;
        }
        if u32_at(data, pos) != Some(CENTRAL_SIG) {
            return Err(format!("central directory entry {read} is damaged"));
        }
        let trunc = || format!("central directory entry {read} is truncated");
        let flags = u16_at(data, pos + 8).ok_or_else(trunc)?;
        let name_len = usize::from(u16_at(data, pos + 28).ok_or_else(trunc)?);
        let extra_len = usize::from(u16_at(data, pos + 30).ok_or_else(trunc)?);
        let comment_len = usize::from(u16_at(data, pos + 32).ok_or_else(trunc)?);
        let name_at = pos + 46;
        let name = data.get(name_at..name_at + name_len).ok_or_else(trunc)?;
        let extra = data
            .get(name_at + name_len..name_at + name_len + extra_len)
            .ok_or_else(trunc)?;
        listing.names.push(if flags & 0x0800 != 0 {
            String::from_utf8_lossy(name).into_owned()
        } else {
            super::bytes_to_string(name)
        });
        if let Some(u) = unicode_path(extra) {
            if !listing.names.contains(&u) {
                listing.names.push(u);
            }
        }
        pos = name_at + name_len + extra_len + comment_len;
        read += 1;
    }
    Ok(listing)
}

fn unicode_path(extra: &[u8]) -> Option<String> {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16_at(extra, i)?;
        let len = usize::from(u16_at(extra, i + 2)?);
        let body = extra.get(i + 4..i + 4 + len)?;
        // Version (1), CRC of the standard name (4), then the UTF-8 name.
        if id == UNICODE_PATH && body.len() > 5 && body[0] == 1 {
            return Some(String::from_utf8_lossy(&body[5..]).into_owned());
        }
        i += 4 + len;
    }
    None
}

/// Builds a stored (uncompressed) zip archive: for tests and the test corpus.
#[doc(hidden)]
pub fn build_stored(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let offset = out.len() as u32;
        let n = name.as_bytes();
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked by listing)
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(&(n.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(n);
        out.extend_from_slice(content);
        central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&(content.len() as u32).to_le_bytes());
        central.extend_from_slice(&(content.len() as u32).to_le_bytes());
        central.extend_from_slice(&(n.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(n);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_names() {
        let z = build_stored(&[("a.txt", b"hi"), ("dir/b.exe", b"MZ")]);
        let l = members(&z, 100).unwrap();
        assert_eq!(l.names, vec!["a.txt", "dir/b.exe"]);
        assert!(!l.more);
        let l = members(&z, 1).unwrap();
        assert_eq!(l.names, vec!["a.txt"]);
        assert!(l.more);
    }

    #[test]
    fn prepended_data_and_damage() {
        let mut z = b"MZ-stub-".to_vec();
        z.extend(build_stored(&[("x.js", b"1")]));
        assert_eq!(members(&z, 10).unwrap().names, vec!["x.js"]);
        assert!(members(b"not a zip at all, long enough", 10).is_err());
        let z = build_stored(&[("x.js", b"1")]);
        // Cut the central directory: every read stays inside the buffer.
        for cut in 0..z.len() {
            let _ = members(&z[cut..], 10);
            let _ = members(&z[..cut], 10);
        }
    }
}
