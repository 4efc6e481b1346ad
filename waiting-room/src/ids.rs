//! Identifiers, parsed once at the edge so the domain never handles raw strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        /// A UUID on the wire.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

uuid_id!(
    /// An event (one sale) — the unit that owns a queue.
    EventId
);
uuid_id!(
    /// A fan's account.
    UserId
);

/// A fan's place in one event's queue. Opaque to clients; one per account per event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = "5f0c9d3e2b7a4c1e8d6f0a9b8c7d6e5f")
)]
#[serde(transparent)]
pub struct TicketId(pub String);

impl TicketId {
    /// A fresh random ticket id.
    pub fn new() -> Self {
        Self(Uuid::new_v4().simple().to_string())
    }

    /// A fresh ticket for a fan joining at `now_ms`: a UUID v7 (random but for its
    /// time), so the ticket itself tells when it was issued ([`Self::issued_at_ms`]),
    /// which the purchase token carries to the order (the report's time in queue)
    /// without a store write.
    pub fn issued_at(now_ms: i64) -> Self {
        let ms = u64::try_from(now_ms).unwrap_or(0);
        let ts =
            uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, (ms % 1000) as u32 * 1_000_000);
        Self(Uuid::new_v7(ts).simple().to_string())
    }

    /// When the ticket was issued (Unix ms), if it is a [`Self::issued_at`] one
    /// (tickets from before it are random, v4).
    pub fn issued_at_ms(&self) -> Option<i64> {
        let id = Uuid::try_parse(&self.0).ok()?;
        if id.get_version_num() != 7 {
            return None;
        }
        let (secs, nanos) = id.get_timestamp()?.to_unix();
        i64::try_from(secs * 1000 + u64::from(nanos / 1_000_000)).ok()
    }
}

impl Default for TicketId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::TicketId;

    #[test]
    fn a_ticket_tells_when_it_was_issued_and_an_old_one_does_not() {
        let at = 1_767_225_600_123;
        let a = TicketId::issued_at(at);
        assert_eq!(a.issued_at_ms(), Some(at));
        assert_ne!(a, TicketId::issued_at(at), "random beyond its time");
        assert_eq!(TicketId::new().issued_at_ms(), None);
        assert_eq!(TicketId("not-a-uuid".into()).issued_at_ms(), None);
    }
}
