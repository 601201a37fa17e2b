//! Unix sockets: creation with the configured owner, group and mode, safe removal of a
//! stale socket, and removal at shutdown.

use crate::config::Config;
use crate::net::ListenSpec;
use anyhow::{bail, Context as _};
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use tokio::net::UnixListener;

/// Removes the configured unix sockets.
pub(super) fn remove_all(config: &Config) {
    for spec in &config.listen {
        if let ListenSpec::Unix(path) = spec {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds a unix socket, removing a stale one safely: only a socket nobody answers on
/// is removed, never a regular file or a live milter's socket.
pub(super) fn bind_unix(path: &Path, config: &Config) -> anyhow::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create socket directory {}", dir.display()))?;
        }
    }
    remove_stale(path)?;
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot bind {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.socket_mode))
        .with_context(|| format!("cannot chmod {}", path.display()))?;
    let (owner, group) = owner_group(config)?;
    if owner.is_some() || group.is_some() {
        nix::unistd::chown(path, owner, group)
            .with_context(|| format!("cannot chown {}", path.display()))?;
    }
    Ok(listener)
}

/// Removes a socket nobody answers on; refuses a live socket or anything else.
fn remove_stale(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => bail!(
                    "{} is in use by a running process (another mxgate?); stop it or choose another socket",
                    path.display()
                ),
                Err(_) => {
                    tracing::info!(path = %path.display(), "removing stale socket");
                    std::fs::remove_file(path)
                        .with_context(|| format!("cannot remove stale socket {}", path.display()))
                }
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a socket; refusing to replace it",
            path.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    }
}

/// `daemon.socket_owner` and `daemon.socket_group` as ids.
fn owner_group(
    config: &Config,
) -> anyhow::Result<(Option<nix::unistd::Uid>, Option<nix::unistd::Gid>)> {
    let owner = match &config.daemon.socket_owner {
        Some(u) => Some(
            nix::unistd::User::from_name(u.get_ref())
                .ok()
                .flatten()
                .with_context(|| format!("daemon.socket_owner: no user {:?}", u.get_ref()))?
                .uid,
        ),
        None => None,
    };
    let group = match &config.daemon.socket_group {
        Some(g) => Some(
            nix::unistd::Group::from_name(g.get_ref())
                .ok()
                .flatten()
                .with_context(|| format!("daemon.socket_group: no group {:?}", g.get_ref()))?
                .gid,
        ),
        None => None,
    };
    Ok((owner, group))
}
