//! Staff bypass's cache (docs/ARCHITECTURE.md, "Staff bypass"): each replica keeps
//! every event's staff accounts in memory, so deciding whether a join is a staff
//! account's costs no database or store call. Refreshed with the events (every few
//! seconds, [`Events::refresh`]) and at once on this replica when an admin edits a list.

use waiting_room::{EventId, UserId};

use super::{EventError, Events, StaffCache};
use crate::db::{Actor, StaffChange, StaffMember};

impl Events {
    /// Whether `user` is on `event`'s staff list (admins are staff too: the caller
    /// knows that from the session). Memory only.
    pub fn is_staff(&self, event: EventId, user: UserId) -> bool {
        let staff = self.staff.read().unwrap_or_else(|e| e.into_inner());
        staff.get(&event).is_some_and(|s| s.contains(&user))
    }

    /// The event's staff list, from the database.
    pub async fn staff(&self, event: EventId) -> Result<Vec<StaffMember>, EventError> {
        self.get(event).await?;
        Ok(self.db.event_staff(event).await?)
    }

    /// Replaces the event's staff list (see [`crate::db::Db::set_event_staff`]) and
    /// this replica's cache; the others read it within a refresh.
    pub async fn set_staff(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        emails: &[String],
    ) -> Result<StaffChange, EventError> {
        let change = self.db.set_event_staff(event, actor, at_ms, emails).await?;
        if let StaffChange::Set(list) = &change {
            let mut staff = self.staff.write().unwrap_or_else(|e| e.into_inner());
            staff.insert(event, list.iter().map(|m| m.user).collect());
        }
        Ok(change)
    }

    /// Reads every event's staff again (the refresh's).
    pub(super) async fn refresh_staff(&self) -> Result<(), sqlx::Error> {
        let mut fresh = StaffCache::new();
        for (event, user) in self.db.all_event_staff().await? {
            fresh.entry(event).or_default().insert(user);
        }
        *self.staff.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

impl Events {
    /// Writes the `staff_bypass` entry of a bypass (the staff account, its ticket's
    /// `seq`, the `door` it came through: `http` or `socket`). The admission stands
    /// whatever happens here: a failed write is logged, not answered.
    pub async fn record_bypass(
        &self,
        event: EventId,
        user: UserId,
        seq: u64,
        door: &str,
        at_ms: i64,
    ) {
        let written = async {
            let actor = self.db.actor(user).await?;
            let detail = serde_json::json!({ "seq": seq, "door": door, "email": actor.email });
            self.db
                .record_staff_bypass(event, &actor, at_ms, detail)
                .await
        };
        match written.await {
            Ok(()) => tracing::info!(event_id = %event, %user, seq, door, "staff bypass"),
            Err(error) => {
                tracing::error!(event_id = %event, %user, seq, %error, "staff bypass not audited")
            }
        }
    }
}
