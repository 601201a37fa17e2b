//! How a found name is compared: reduced to what a file system would store, and its
//! extension.

/// Characters that change how a name displays or compares but not what it is:
/// zero-width, bidi controls (the right-to-left override of `invoice<U+202E>fdp.exe`),
/// soft hyphen, variation selectors, tags and other format characters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
        || c.is_control()
}

/// The name as a file system would store it: invisible characters removed, the
/// last path component, trailing dots and white space dropped (as Windows does).
pub fn normalize(name: &str) -> String {
    let visible: String = name.chars().filter(|&c| !invisible(c)).collect();
    let base = visible.rsplit(['/', '\\']).next().unwrap_or("");
    base.trim_start()
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned()
}

/// The last extension of a normalised name, lower case, without the dot.
pub fn extension(normalized: &str) -> Option<String> {
    let (_, ext) = normalized.rsplit_once('.')?;
    let ext = ext.trim();
    (!ext.is_empty()).then(|| ext.to_lowercase())
}
