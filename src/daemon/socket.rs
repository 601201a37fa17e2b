//! Unix sockets: creation with the configured owner, group and mode, safe removal of a
//! stale socket, and removal of the files this process created.

use crate::config::Config;
use anyhow::{bail, Context as _};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::UnixListener;

/// The unix socket files this process created, removed when dropped: at shutdown and
/// on a start that fails after some were bound. A file is identified by device and
/// inode, so a socket that another process put at the same path since is left alone.
#[derive(Default)]
pub(super) struct SocketFiles {
    created: Vec<(PathBuf, Option<(u64, u64)>)>,
}

impl SocketFiles {
    /// Infallible on purpose: a socket whose identity cannot be read is still ours.
    fn record(&mut self, path: &Path) {
        let id = std::fs::symlink_metadata(path)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        self.created.push((path.to_owned(), id));
    }
}

impl Drop for SocketFiles {
    fn drop(&mut self) {
        for (path, id) in self.created.drain(..) {
            let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| {
                m.file_type().is_socket() && id.is_none_or(|id| id == (m.dev(), m.ino()))
            });
            if ours {
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove socket");
                }
            }
        }
    }
}

/// Binds a unix socket, removing a stale one safely: only a socket nobody answers on
/// is removed, never a regular file or a live milter's socket. The new socket is
/// recorded in `files` as soon as it exists, before its mode and owner are set.
pub(super) fn bind_unix(
    path: &Path,
    config: &Config,
    files: &mut SocketFiles,
) -> anyhow::Result<UnixListener> {
    // Resolved first: an unknown user or group must not leave a socket behind.
    let (owner, group) = owner_group(config)?;
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create socket directory {}", dir.display()))?;
        }
    }
    remove_stale(path)?;
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot bind {}", path.display()))?;
    files.record(path);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.socket_mode))
        .with_context(|| format!("cannot chmod {}", path.display()))?;
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
