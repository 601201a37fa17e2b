//! Capture mode: every session the daemon sees is written as a replay session file,
//! so a session captured in production replays verbatim with `mxgate replay`.

use crate::replay::format;
use crate::session::Session;
use std::io::Write as _;
use std::path::PathBuf;

/// Headers kept per message (for checks and capture).
pub const MAX_HEADERS: usize = 1000;
/// Bytes of header names and values kept per message: a client may send a thousand
/// fields of 1 MiB each (the milter protocol's packet bound), which must not all stay in
/// memory. Past either bound `headers_truncated` says the header is incomplete.
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;
/// Body bytes kept per message when capturing; the rest is counted, not stored.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Writes captured sessions into a directory, one file per session.
pub struct Capture {
    dir: PathBuf,
}

impl Capture {
    /// Capture into `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Capture { dir }
    }

    /// Most headers kept per message.
    pub fn limit(&self) -> usize {
        MAX_HEADERS
    }

    /// Most body bytes kept per message.
    pub fn body_limit(&self) -> usize {
        MAX_BODY
    }

    /// Writes the session; failures are logged, never fatal to mail flow.
    pub fn write(&self, session: &Session) {
        let text = to_session_text(session);
        let path = self.dir.join(format!("{}.session", session.id));
        let result = std::fs::create_dir_all(&self.dir).and_then(|_| {
            // Write then rename, so a reader never sees half a file.
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            std::fs::rename(&tmp, &path)
        });
        if let Err(e) = result {
            tracing::warn!(session = %session.id, path = %path.display(), error = %e, "capture failed");
        }
    }
}

/// The session in the replay format (see tests/sessions/README.md).
pub fn to_session_text(s: &Session) -> String {
    let mut out = String::from("# captured by mxgate\n");
    out.push_str(&format::write(&[to_script(s)]));
    out
}

/// The session as a replay script, as the MTA sent it.
pub fn to_script(s: &Session) -> format::Script {
    let mut macros: Vec<_> = s
        .macros
        .iter()
        // Values the replay derives itself (queue id, client and envelope addresses)
        // would otherwise override it for every stage.
        .filter(|(k, _)| !format::is_derived_macro(k))
        .map(|(k, v)| format::Macro::new(k.clone(), v.clone()))
        .collect();
    macros.sort_by(|a, b| a.name.cmp(&b.name));
    let envelope = |addr: &str, args: &[String]| format::Envelope {
        addr: addr.to_owned(),
        args: args.to_vec(),
        ..format::Envelope::default()
    };
    let transactions = s
        .done
        .iter()
        .map(|tx| format::MailTransaction {
            mail: envelope(&tx.sender, &tx.mail_args),
            rcpts: tx
                .rcpts
                .iter()
                .map(|r| envelope(&r.addr, &r.args))
                .collect(),
            message: (!tx.headers.is_empty() || !tx.body.is_empty()).then(|| format::Message {
                // Postfix strips the space after the colon; the script keeps it verbatim.
                headers: tx
                    .headers
                    .iter()
                    .map(|(n, v)| format::Header::new(n.clone(), format!(" {v}")))
                    .collect(),
                body: tx.body.clone(),
                ..format::Message::default()
            }),
        })
        .collect();
    format::Script {
        name: s.id.clone(),
        macros,
        connect: format::Connect {
            addr: s
                .client_addr
                .map(format::ClientAddr::Ip)
                .unwrap_or(format::ClientAddr::Unknown),
            port: s.client_port,
            name: if s.client_name.is_empty() {
                "unknown".into()
            } else {
                s.client_name.clone()
            },
            ptr: s.macros.get("{client_ptr}").cloned(),
            ..format::Connect::default()
        },
        helo: s.helo.as_ref().map(|h| format::Helo {
            name: h.clone(),
            ..format::Helo::default()
        }),
        transactions,
        ..format::Script::default()
    }
}
