//! Message files for the MIME and attachments tests: listing a fixture directory, and
//! splitting a raw message into what the milter gets.

use std::path::{Path, PathBuf};

/// The headers of a message as the milter gets them: (name, value) pairs.
pub type Headers = Vec<(String, String)>;

/// The files in `dir` (relative to the crate root) whose name ends in `.ext`, sorted.
pub fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", dir.display()))
        .map(|e| e.expect("readdir").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Headers and body as the milter gets them: values without the space after the
/// colon, folded lines joined with LF, the body with CRLF line ends.
pub fn split_message(raw: &[u8]) -> (Headers, Vec<u8>) {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut headers: Headers = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push('\n');
                last.1.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_owned(), v.trim_start().to_owned()));
        }
    }
    (headers, body.replace('\n', "\r\n").into_bytes())
}
