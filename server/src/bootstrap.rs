//! Start-up chores: the bootstrap admin account and the demo event.

use time::{Duration, OffsetDateTime};
use waiting_room::clock::now_ms;

use crate::event::{NewAdmission, NewEvent, Section};
use crate::routes::auth::parse_email;
use crate::state::AppState;

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let c = &state.config;
    match (&c.admin_email, &c.admin_password) {
        (Some(email), Some(password)) => {
            let email =
                parse_email(email).map_err(|e| anyhow::anyhow!("FLOODGATE_ADMIN_EMAIL: {e}"))?;
            anyhow::ensure!(
                password.len() >= 8,
                "FLOODGATE_ADMIN_PASSWORD must be at least 8 characters"
            );
            let hash = state.passwords.hash(password.clone()).await?;
            state.db.ensure_admin(&email, &hash, now_ms()).await?;
            tracing::info!(%email, "bootstrap admin ready");
        }
        (None, None) => {}
        _ => {
            anyhow::bail!("set both FLOODGATE_ADMIN_EMAIL and FLOODGATE_ADMIN_PASSWORD, or neither")
        }
    }
    if c.demo {
        demo_event(state).await?;
    }
    Ok(())
}

/// A demo sale opening a minute from now, unless a demo event is still upcoming.
async fn demo_event(state: &AppState) -> anyhow::Result<()> {
    const NAME: &str = "Floodgate demo concert";
    let now = now_ms();
    let events = state.db.events().await?;
    if let Some(e) = events
        .iter()
        .find(|e| e.name == NAME && e.starts_at_ms > now)
    {
        tracing::info!(event_id = %e.id, "demo event already scheduled");
        return Ok(());
    }
    let request = NewEvent {
        name: NAME.into(),
        starts_at: OffsetDateTime::now_utc() + Duration::seconds(60),
        sections: vec![
            Section {
                name: "A".into(),
                rows: 10,
                seats_per_row: 20,
                price_cents: 12_000,
            },
            Section {
                name: "B".into(),
                rows: 20,
                seats_per_row: 25,
                price_cents: 6_500,
            },
        ],
        max_seats_per_order: 4,
        hold_ttl_secs: 300,
        admission: NewAdmission {
            rate_per_minute: 120,
            max_active: 50,
            session_ttl_secs: 600,
            paused: false,
        },
    };
    let event = state
        .create_event(request, None)
        .await
        .map_err(|e| anyhow::anyhow!("demo event: {e}"))?;
    tracing::info!(event_id = %event.id, "demo event created; the sale opens in 60 s");
    Ok(())
}
