//! Macro values as Postfix would send them: `macro` lines from the session file
//! first, then what Postfix derives from the connection and the transaction.

use super::Replayer;
use crate::replay::format::{ClientAddr, Macro};

fn bare(name: &str) -> &str {
    let inner = name.strip_prefix('{').and_then(|n| n.strip_suffix('}'));
    inner.unwrap_or(name)
}

fn domain(addr: &str) -> Option<String> {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

impl Replayer<'_> {
    pub(super) fn set_macros(&mut self, macros: &[Macro]) {
        for m in macros {
            self.overrides
                .insert(bare(&m.name).to_string(), m.value.clone());
        }
    }

    /// The value Postfix would give a macro now; `None` means undefined
    /// (Postfix then leaves it out).
    pub(super) fn macro_value(&self, name: &str) -> Option<String> {
        let name = bare(name);
        if let Some(v) = self.overrides.get(name) {
            return Some(v.clone());
        }
        let c = &self.script.connect;
        let addr = match c.addr {
            ClientAddr::Ip(ip) => ip.to_string(),
            ClientAddr::Unknown => "unknown".to_string(),
        };
        let myhostname = || {
            self.overrides
                .get("j")
                .cloned()
                .unwrap_or_else(|| "mx.test".to_string())
        };
        Some(match name {
            "j" => myhostname(),
            // milter_macro_daemon_name defaults to $myhostname in Postfix.
            "daemon_name" | "if_name" => myhostname(),
            "daemon_addr" | "if_addr" => "127.0.0.1".to_string(),
            "daemon_port" => "25".to_string(),
            "v" => "Postfix 3.x (mxgate replay)".to_string(),
            "_" => format!("{} [{addr}]", c.name),
            "client_addr" => addr,
            "client_port" => c.port.to_string(),
            "client_name" => c.name.clone(),
            "client_ptr" => c.ptr.clone().unwrap_or_else(|| c.name.clone()),
            "client_resolve" => c
                .resolve
                .clone()
                .unwrap_or_else(|| if c.name == "unknown" { "FAIL" } else { "OK" }.to_string()),
            "mail_addr" => self.mail_addr.clone()?,
            "mail_mailer" => {
                self.mail_addr.as_ref()?;
                "smtp".to_string()
            }
            "mail_host" => domain(self.mail_addr.as_deref()?)?,
            "rcpt_addr" => self.rcpt_addr.clone()?,
            "rcpt_mailer" => {
                self.rcpt_addr.as_ref()?;
                "smtp".to_string()
            }
            "rcpt_host" => domain(self.rcpt_addr.as_deref()?)?,
            "i" => self.queue_id.clone()?,
            _ => return None,
        })
    }
}
