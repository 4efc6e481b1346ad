//! Why a hold, confirm or release was refused: one variant per rule, no HTTP.
//! The routes map these to the API's errors (`crate::routes::domain_errors`).

use waiting_room::store::StoreError;

pub use super::body::BadHoldRequest;

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    /// The body asks for something the seat map or the token does not allow.
    #[error(transparent)]
    BadRequest(#[from] BadHoldRequest),
    #[error("this purchase token is for another event")]
    WrongEvent,
    /// The sale is closed: no holds and no confirms.
    #[error("this sale is closed")]
    EventClosed,
    /// The purchase token's session is over (by the service's clock).
    #[error("the purchase token expired")]
    TokenExpired,
    /// The token's seat budget (`max_seats` over its whole life) would be exceeded.
    #[error("this purchase token already held {used} of its {max} seats")]
    TokenExhausted { used: u32, max: u32 },
    /// The token's shopping session ended with a confirmed order.
    #[error("this purchase token's shopping session ended with a confirmed order")]
    SessionEnded,
    /// The account's seats over all its orders in the event (refunds given back)
    /// would pass the event's `max_seats_per_account`.
    #[error("this account already bought {bought} of the {max} seats one account may buy in this sale; {} left", max.saturating_sub(*bought))]
    AccountLimitReached { bought: u32, max: u32 },
    /// Some requested seats are held by others or sold (their names); nothing held.
    #[error("these seats are not available")]
    SeatsUnavailable { seats: Vec<String> },
    /// No seat of the event is free.
    #[error("every seat is sold or held")]
    SoldOut,
    #[error("this hold belongs to another purchase token")]
    NotYourHold,
    /// Confirm: the hold is gone (expired or released) and no order was made from it.
    #[error("this hold expired or was released")]
    HoldExpired,
    /// Release: this token holds no such hold.
    #[error("hold not found")]
    UnknownHold,
    /// The seat store failed (or lost the event, and is being rebuilt).
    #[error("seat store: {0}")]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}
