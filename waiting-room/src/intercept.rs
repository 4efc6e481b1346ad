//! One decorator for both store ports: [`Intercepted`] forwards every method of
//! [`QueueStore`](crate::store::QueueStore) and [`SeatStore`](crate::seats::SeatStore)
//! to the store it wraps (`queue.rs`, `seats.rs`), through an
//! [`Interceptor`] that sees each call as its op ([`QueueOp`], [`SeatOp`], named
//! beside the traits) and its event: before the call (the tests' faults, delays and
//! gates) or around it (the server's timing). A new store method is forwarded here
//! once, for all of them.
//!
//! The shape is tower's `Layer` made small: the wrapper owns the forwarding, the
//! interceptor two generic hooks; no boxing beyond the ports' own `async_trait`
//! futures.

mod queue;
mod seats;

use std::future::Future;
use std::sync::Arc;

use crate::seats::store::SeatOp;
use crate::store::{QueueOp, StoreError};
use crate::EventId;

/// A store call: which port's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Queue(QueueOp),
    Seats(SeatOp),
}

impl Op {
    /// The method's name.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Queue(op) => op.name(),
            Op::Seats(op) => op.name(),
        }
    }
}

impl From<QueueOp> for Op {
    fn from(op: QueueOp) -> Self {
        Op::Queue(op)
    }
}

impl From<SeatOp> for Op {
    fn from(op: SeatOp) -> Self {
        Op::Seats(op)
    }
}

/// What runs around every call of an [`Intercepted`] store: [`Self::before`] for a
/// check, a delay or a fault; [`Self::around`] to see the answer too (a timing).
pub trait Interceptor: Send + Sync + 'static {
    /// Runs before the store's answer to `op` (on `event`, for the methods that name
    /// one) is awaited; an error is the answer instead, and the store is not asked.
    fn before(
        &self,
        op: Op,
        event: Option<EventId>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = (op, event);
        std::future::ready(Ok(()))
    }

    /// Runs `call`, the store's answer to `op`, and answers for it: by default
    /// [`Self::before`], then the call.
    fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a {
        async move {
            self.before(op, event).await?;
            call.await
        }
    }
}

impl<I: Interceptor> Interceptor for Arc<I> {
    fn before(
        &self,
        op: Op,
        event: Option<EventId>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).before(op, event)
    }

    fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a {
        (**self).around(op, event, call)
    }
}

/// A store (`S`: a [`QueueStore`](crate::store::QueueStore), a
/// [`SeatStore`](crate::seats::SeatStore), or their `dyn`) whose every call
/// goes through `interceptor`.
pub struct Intercepted<S: ?Sized, I> {
    inner: Arc<S>,
    interceptor: I,
}

impl<S: ?Sized, I> Intercepted<S, I> {
    pub fn new(inner: Arc<S>, interceptor: I) -> Self {
        Self { inner, interceptor }
    }

    pub fn interceptor(&self) -> &I {
        &self.interceptor
    }

    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: ?Sized, I: Interceptor> Intercepted<S, I> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        op: impl Into<Op>,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a {
        self.interceptor.around(op.into(), event, call)
    }
}

#[cfg(test)]
mod tests;
