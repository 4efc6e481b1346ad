//! Events: the stored event, its public view and its sale state (`model`), and the
//! request to create one, parsed and validated once (`new`).

mod model;
mod new;

pub use model::{
    AuditSummary, Event, InvalidEvent, Presale, PublicEvent, PublicPresale, SaleState, Section,
    MAX_CAPACITY,
};
pub use new::{
    validate_box_office, validate_pow_difficulty, AdmissionPatch, NewAdmission, NewEvent,
    MAX_REFUND_WINDOW_SECS, MAX_SEATS_PER_ACCOUNT,
};
