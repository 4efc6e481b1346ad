//! Start-up chores: the bootstrap admin account, the demo event, and with `--demo`
//! a demo admin account and the banner that tells how to use it all.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rand::distributions::{Alphanumeric, DistString};
use waiting_room::EventId;

use crate::email::Email;
use crate::event::{NewAdmission, NewEvent, Section};
use crate::state::AppState;

/// The demo admin's account when no bootstrap admin is configured.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.floodgate.dev";

/// What `--demo` set up, for the banner. (No `Debug`: it may hold a password.)
pub struct Demo {
    pub event: EventId,
    pub admin: DemoAdmin,
}

/// How to sign in to the admin console of a demo.
pub enum DemoAdmin {
    /// `FLOODGATE_ADMIN_EMAIL`/`FLOODGATE_ADMIN_PASSWORD` are set: the operator's
    /// password, which is never printed.
    Configured { email: String },
    /// A password generated at this start, valid until the next one.
    Generated { email: String, password: String },
}

/// The lines `--demo` prints once the server is bound: where the fan page, the demo
/// sale and the admin console are, and how to sign in. A listener on every address
/// (0.0.0.0 or [::]) is shown as loopback, which a browser on this machine can open.
pub fn banner(addr: SocketAddr, demo: &Demo) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let base = format!("http://{}", SocketAddr::new(ip, addr.port()));
    let login = match &demo.admin {
        DemoAdmin::Configured { email } => {
            format!("{email} / the password in FLOODGATE_ADMIN_PASSWORD")
        }
        DemoAdmin::Generated { email, password } => {
            format!("{email} / {password}   (one-time: a new one at each start)")
        }
    };
    format!(
        "Floodgate is running (demo).\n\
         \x20 Fan page:      {base}/   (demo sale: {base}/events/{event})\n\
         \x20 Admin console: {base}/admin\n\
         \x20 Admin login:   {login}\n",
        event = demo.event,
    )
}

/// Runs the chores; with `--demo`, answers what the banner shows.
pub async fn run(state: &AppState) -> anyhow::Result<Option<Demo>> {
    let c = &state.config;
    match (&c.admin_email, &c.admin_password) {
        (Some(email), Some(password)) => {
            let email =
                Email::parse(email).map_err(|e| anyhow::anyhow!("FLOODGATE_ADMIN_EMAIL: {e}"))?;
            anyhow::ensure!(
                password.len() >= 8,
                "FLOODGATE_ADMIN_PASSWORD must be at least 8 characters"
            );
            set_admin_password(state, email.as_str(), password).await?;
            tracing::info!(%email, "bootstrap admin ready");
        }
        (None, None) => {}
        _ => {
            anyhow::bail!("set both FLOODGATE_ADMIN_EMAIL and FLOODGATE_ADMIN_PASSWORD, or neither")
        }
    }
    if !c.demo {
        return Ok(None);
    }
    let event = demo_event(state).await?;
    let admin = match &c.admin_email {
        Some(email) => DemoAdmin::Configured {
            email: Email::parse(email)
                .map_err(|e| anyhow::anyhow!("FLOODGATE_ADMIN_EMAIL: {e}"))?
                .to_string(),
        },
        None => demo_admin(state).await?,
    };
    Ok(Some(Demo { event, admin }))
}

/// Creates the demo admin, or resets its password, to a fresh random one.
async fn demo_admin(state: &AppState) -> anyhow::Result<DemoAdmin> {
    let email = Email::parse(DEMO_ADMIN_EMAIL)
        .map_err(|e| anyhow::anyhow!("demo admin: {e}"))?
        .to_string();
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 16);
    set_admin_password(state, &email, &password).await?;
    tracing::info!(%email, "demo admin ready with a one-time password");
    Ok(DemoAdmin::Generated { email, password })
}

/// Makes `email` an admin whose password is `password`. When that changes the
/// password of an existing account, every session of the account ends (on every
/// replica): whoever knew the old one is out. The same password as stored (another
/// replica's start, a restart) changes nothing, so a rolling restart signs no one out.
async fn set_admin_password(state: &AppState, email: &str, password: &str) -> anyhow::Result<()> {
    let existing = state.db.user_by_email(email).await?;
    if let Some(user) = &existing {
        let same = user.password_hash != crate::db::NO_PASSWORD
            && state
                .passwords
                .verify(password.to_owned(), user.password_hash.clone())
                .await?;
        if same {
            if !user.is_admin {
                state
                    .db
                    .ensure_admin(email, &user.password_hash, state.clock().now_ms())
                    .await?;
            }
            return Ok(());
        }
    }
    let hash = state.passwords.hash(password.to_owned()).await?;
    state
        .db
        .ensure_admin(email, &hash, state.clock().now_ms())
        .await?;
    if let Some(user) = existing {
        state
            .revocations
            .end_all(
                &state.db,
                user.id,
                None,
                state.sessions_signed_now_expire_ms(),
            )
            .await?;
        tracing::info!(%email, "admin password changed: the account's sessions are ended");
    }
    Ok(())
}

/// A demo sale opening a minute from now, unless a demo event is still upcoming.
async fn demo_event(state: &AppState) -> anyhow::Result<EventId> {
    const NAME: &str = "Floodgate demo concert";
    let now = state.clock().now_ms();
    let events = state.db.events().await?;
    if let Some(e) = events
        .iter()
        .find(|e| e.name == NAME && e.starts_at_ms > now)
    {
        tracing::info!(event_id = %e.id, "demo event already scheduled");
        return Ok(e.id);
    }
    let request = NewEvent {
        name: NAME.into(),
        starts_at: waiting_room::wire::datetime_ms(now + 60_000),
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
        // The show a week after the opening; fans may cancel until 48 hours before it.
        show_at: Some(waiting_room::wire::datetime_ms(
            now + 60_000 + 7 * 86_400_000,
        )),
        refund_window_secs: Some(48 * 3600),
        max_seats_per_account: Some(8),
        // The server's default proof of work (FLOODGATE_POW_DEFAULT_DIFFICULTY).
        pow_difficulty: None,
    };
    let event = state
        .events
        .create(request, None)
        .await
        .map_err(|e| anyhow::anyhow!("demo event: {e}"))?;
    tracing::info!(event_id = %event.id, "demo event created; the sale opens in 60 s");
    Ok(event.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(admin: DemoAdmin) -> Demo {
        Demo {
            event: "0190a4c2-5a5e-7000-8000-000000000001".parse().unwrap(),
            admin,
        }
    }

    #[test]
    fn the_banner_shows_where_to_go_and_how_to_sign_in() {
        let text = banner(
            "127.0.0.1:8080".parse().unwrap(),
            &demo(DemoAdmin::Generated {
                email: DEMO_ADMIN_EMAIL.into(),
                password: "Xy12Xy12Xy12Xy12".into(),
            }),
        );
        assert_eq!(
            text,
            "Floodgate is running (demo).\n  \
             Fan page:      http://127.0.0.1:8080/   \
             (demo sale: http://127.0.0.1:8080/events/0190a4c2-5a5e-7000-8000-000000000001)\n  \
             Admin console: http://127.0.0.1:8080/admin\n  \
             Admin login:   admin@demo.floodgate.dev / Xy12Xy12Xy12Xy12   \
             (one-time: a new one at each start)\n"
        );
    }

    #[test]
    fn the_banner_shows_a_wildcard_listener_as_loopback_and_never_a_configured_secret() {
        let configured = || {
            demo(DemoAdmin::Configured {
                email: "ops@example.com".into(),
            })
        };
        let v4 = banner("0.0.0.0:9000".parse().unwrap(), &configured());
        assert!(v4.contains("http://127.0.0.1:9000/admin"), "{v4}");
        assert!(
            v4.contains("ops@example.com / the password in FLOODGATE_ADMIN_PASSWORD"),
            "{v4}"
        );
        let v6 = banner("[::]:9000".parse().unwrap(), &configured());
        assert!(v6.contains("http://[::1]:9000/"), "{v6}");
        let lan = banner("192.0.2.7:80".parse().unwrap(), &configured());
        assert!(lan.contains("http://192.0.2.7:80/"), "{lan}");
    }

    #[test]
    fn the_demo_admin_email_passes_the_email_parser() {
        assert_eq!(
            Email::parse(DEMO_ADMIN_EMAIL).unwrap().as_str(),
            DEMO_ADMIN_EMAIL
        );
    }
}
