//! The draws a Redis store computed for the openings it drives (`opening.rs`): the
//! frozen pre-queue in the seed's order and its record, kept between the draw's calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{EventId, UserId};

/// A frozen pre-queue's draw, as this store computed it.
pub(super) struct Plan {
    /// The line drawn (0: the public one; a presale group's).
    pub slot: u8,
    pub first: u64,
    /// Users in draw order.
    pub users: Vec<UserId>,
    /// Pseudonyms in join order and in draw order (the record).
    pub joined: Vec<String>,
    pub order: Vec<String>,
}

/// Draws this store computed, by event (dropped when the draw ends).
pub(super) type Plans = Mutex<HashMap<EventId, Arc<Plan>>>;
