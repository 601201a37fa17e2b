//! Helpers for spawned tasks.

/// Aborts a spawned task when dropped, so a background task (a self-test, an expiry
/// loop, a connection driver) ends with whatever owns it, e.g. a check replaced on
/// SIGHUP.
#[derive(Debug)]
pub struct AbortOnDrop(tokio::task::AbortHandle);

impl AbortOnDrop {
    /// Ties the task behind `handle` to the returned guard.
    pub fn new(handle: tokio::task::AbortHandle) -> Self {
        AbortOnDrop(handle)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_guard_aborts_the_task() {
        let task = tokio::spawn(std::future::pending::<()>());
        let handle = task.abort_handle();
        drop(AbortOnDrop::new(handle.clone()));
        let e = task.await.unwrap_err();
        assert!(e.is_cancelled());
        assert!(handle.is_finished());
    }
}
