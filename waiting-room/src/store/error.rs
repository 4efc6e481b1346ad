//! What a store call fails with: [`StoreError`], keeping the backend's cause as its
//! source.

/// The cause of a [`StoreError::Backend`] or [`StoreError::Unavailable`]: the
/// backend's own error, or a message.
pub type BackendCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors from a store: the backend failed, or the event has no queue configured.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("event has no queue configured")]
    UnknownEvent,
    /// The backend failed; the cause is kept as the error's source (and shown in its
    /// message). Build it from the backend's error, or from a message with `.into()`.
    #[error("store backend error: {0}")]
    Backend(#[source] BackendCause),
    /// The backend cannot be reached or did not answer in time (Redis down or
    /// restarting): retry later. Callers answer 503, not 500.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] BackendCause),
    /// The join was refused: the client's address already holds `max` places in the
    /// event (see [`PlaceCap`](super::PlaceCap)). Nothing changed.
    #[error("this address already holds {max} places in this sale")]
    TooManyPlaces { max: u32 },
    /// The join would create a ticket but brought no proof of work
    /// ([`PowGate::Missing`](super::PowGate::Missing)), or one whose challenge was
    /// spent already (`used`). Nothing changed.
    #[error("proof of work required")]
    PowRequired { used: bool },
    /// The join would create a ticket while the event is in `reject` mode
    /// ([`AdmissionMode::Reject`](crate::AdmissionMode::Reject)): come back later.
    /// Nothing changed (a fan already in line keeps its place).
    #[error("this sale is not taking new places right now")]
    Rejecting,
}

impl StoreError {
    /// A backend failure caused by `cause`, described by `context`: the message shows
    /// both, and the cause stays reachable as the source.
    pub fn backend(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Backend(Box::new(Context {
            context: context.into(),
            cause: Box::new(cause),
        }))
    }
}

/// A backend cause with what was being done when it happened.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {cause}")]
struct Context {
    context: String,
    #[source]
    cause: BackendCause,
}

#[cfg(test)]
mod tests {
    use super::StoreError;
    use std::error::Error as _;

    #[test]
    fn a_backend_error_keeps_its_cause() {
        let cause = "x".parse::<u64>().unwrap_err();
        let e = StoreError::backend("bad cursor \"x\"", cause.clone());
        assert_eq!(
            e.to_string(),
            format!("store backend error: bad cursor \"x\": {cause}")
        );
        let context = e.source().expect("the context");
        let root = context.source().expect("the cause");
        assert_eq!(root.to_string(), cause.to_string());
        assert!(root.downcast_ref::<std::num::ParseIntError>().is_some());
        let plain = StoreError::Backend("join returned no ticket".into());
        assert_eq!(
            plain.to_string(),
            "store backend error: join returned no ticket"
        );
    }
}
