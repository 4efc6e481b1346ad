//! The scenario: every knob of a run, as command-line flags (clap) and as a plain value
//! a test can build. Derived defaults (seats, admission rate, opening time) are
//! resolved by [`Config::resolved`] so the coordinator and its workers agree on them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

/// How fans who come after the opening arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Everyone at the opening (as fast as `--connect-rate` allows).
    Burst,
    /// Spread evenly over `--ramp-secs` after the opening.
    Ramp,
}

/// How an admitted fan picks seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldMode {
    /// `{"quantity":K}`: adjacent best-available seats.
    Best,
    /// `{"seats":[…]}`: K adjacent free seats picked from the seat snapshot.
    Specific,
    /// Half the fans one way, half the other.
    Mixed,
}

/// A load-test scenario.
#[derive(Clone, Debug, Args, Serialize, Deserialize)]
pub struct Config {
    /// Server base URL; repeat to spread fans over several replicas (round robin).
    #[arg(long = "url", required = true, value_name = "URL")]
    pub urls: Vec<String>,

    /// Number of fans (accounts, each with its own queue socket).
    #[arg(long, default_value_t = 2000)]
    pub fans: u32,

    /// Admin account used to create fans and the event and to read stats.
    #[arg(long, env = "FLOODGATE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    #[arg(long, env = "FLOODGATE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Print only the JSON report on stdout (the table goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// No live progress on stderr.
    #[arg(long)]
    pub quiet: bool,

    /// Worker processes (0: automatic; 1: run in this process).
    #[arg(long, default_value_t = 0)]
    pub workers: u32,

    /// Most queue sockets one worker process opens (a process may hold ~20,000 files).
    #[arg(long, default_value_t = 15_000)]
    pub sockets_per_worker: u32,

    /// Loopback source addresses each worker spreads its sockets over (127.x.y.z).
    #[arg(long, default_value_t = 64)]
    pub source_addrs: u32,

    /// Seats in the sale (default: half the fans, rounded up to whole rows of 20).
    #[arg(long)]
    pub seats: Option<u32>,

    /// Seats each buyer holds (K).
    #[arg(long, default_value_t = 2)]
    pub quantity: u32,

    /// The event's max_seats_per_order (the purchase token's max_seats).
    #[arg(long, default_value_t = 4)]
    pub max_seats_per_order: u32,

    #[arg(long, value_enum, default_value = "mixed")]
    pub hold_mode: HoldMode,

    /// Admission rate, fans per minute (default: twice the fans, at least 600).
    #[arg(long)]
    pub rate_per_minute: Option<u32>,

    /// Most concurrently active shoppers (default: the number of fans).
    #[arg(long)]
    pub max_active: Option<u32>,

    /// Shopping session length of an admitted fan.
    #[arg(long, default_value_t = 600)]
    pub session_ttl_secs: u32,

    /// How long a hold lasts before it lapses.
    #[arg(long, default_value_t = 120)]
    pub hold_ttl_secs: u32,

    /// Arrival shape after the opening.
    #[arg(long, value_enum, default_value = "ramp")]
    pub arrival: Arrival,

    /// Ramp length for `--arrival ramp`.
    #[arg(long, default_value_t = 10.0)]
    pub ramp_secs: f64,

    /// Share of fans (0–1) who arrive before the opening and sit in the pre-queue.
    #[arg(long, default_value_t = 0.2)]
    pub prequeue: f64,

    /// Seconds from start to the opening (default: time to connect the pre-queue + 3 s).
    #[arg(long)]
    pub opens_in_secs: Option<f64>,

    /// Most new queue sockets per second, all workers together.
    #[arg(long, default_value_t = 5000)]
    pub connect_rate: u32,

    /// Weight of patient fans: wait, buy, leave.
    #[arg(long, default_value_t = 70.0)]
    pub patient: f64,

    /// Weight of fans who give up (send `leave`) after a random wait.
    #[arg(long, default_value_t = 10.0)]
    pub abandon: f64,

    /// Weight of fans whose connection drops and who reconnect.
    #[arg(long, default_value_t = 10.0)]
    pub reconnect: f64,

    /// Weight of fans with several tabs (sockets) on one account.
    #[arg(long, default_value_t = 5.0)]
    pub tabs: f64,

    /// Weight of misbehaving fans: replayed, forged/expired or other-event purchase
    /// tokens, and floods of frames from one account (their 4xx are expected).
    #[arg(long, default_value_t = 5.0)]
    pub misbehave: f64,

    /// An abandoning fan leaves after a random wait of up to this long.
    #[arg(long, default_value_t = 10.0)]
    pub abandon_after_secs: f64,

    /// How many times a reconnecting fan drops its socket while waiting.
    #[arg(long, default_value_t = 2)]
    pub reconnects: u32,

    /// A reconnecting fan drops after a random wait of up to this long.
    #[arg(long, default_value_t = 5.0)]
    pub reconnect_after_secs: f64,

    /// Reconnect storm: this many seconds after the opening every reconnecting fan
    /// drops at once and reconnects.
    #[arg(long)]
    pub storm_at_secs: Option<f64>,

    /// Sockets per multi-tab fan.
    #[arg(long, default_value_t = 3)]
    pub tab_count: u32,

    /// Frames a flooding fan sends in one burst (the server allows 20 a second).
    #[arg(long, default_value_t = 40)]
    pub flood_frames: u32,

    /// Hard time limit of the run after the opening; waiting fans then leave.
    #[arg(long, default_value_t = 300.0)]
    pub duration_secs: f64,

    /// Random seed for behaviours and timings (0: pick one and report it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Tag for the fan accounts' emails (default: random).
    #[arg(long)]
    pub tag: Option<String>,

    /// The created event's proof of work on join (leading zero bits; 0: none, so the
    /// scenarios measure what they measured before it existed).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=28))]
    pub pow_difficulty: u8,

    /// Fans do not solve the proof of work: their joins are refused (`pow_required`,
    /// counted as expected), to check the refusal.
    #[arg(long)]
    pub no_pow_solve: bool,

    /// Fans join with a `{"type":"join"}` frame once the socket is open, as servers
    /// before `?join=1` need (default: the handshake says `?join=1`, and the server
    /// joins as the socket opens).
    #[arg(long)]
    pub join_frame: bool,
    /// Change the admission rate (admin PATCH) this many seconds after the opening, to
    /// `--rate-change-to`: the estimates' "after a rate change" figures.
    #[arg(long, requires = "rate_change_to")]
    pub rate_change_at_secs: Option<f64>,

    /// The admission rate (fans per minute) set at `--rate-change-at-secs`.
    #[arg(long, requires = "rate_change_at_secs")]
    pub rate_change_to: Option<u32>,

    /// Presale: this many presale groups (0: none, at most 8), opening one after
    /// another before the public sale; fans of a group redeem an access code (generated
    /// through the admin API) before they join. The first group opens at the opening
    /// (`--opens-in-secs`), each next one `--presale-gap-secs` later, the public line
    /// last. Group fans who come after their line opened arrive within `--ramp-secs`
    /// of it (keep it below the gap: a code is refused once the public line opened).
    /// Codes are redeemed 8 at a time per source address (the server's guess limit
    /// counts attempts per client address), over 32 loopback addresses per worker.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=8))]
    pub presale_groups: u8,

    /// Presale: seconds between one line's opening and the next.
    #[arg(long, default_value_t = 3.0)]
    pub presale_gap_secs: f64,

    /// Presale: share of fans (0–1) holding a code, split evenly over the groups; the
    /// others join the public line.
    #[arg(long, default_value_t = 0.8)]
    pub presale_share: f64,

    /// Binary to run workers with (default: this executable).
    #[arg(long, hide = true)]
    pub worker_exe: Option<PathBuf>,
}

impl Config {
    /// A scenario with every default, against `url`.
    pub fn new(url: impl Into<String>) -> Self {
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            config: Config,
        }
        let wrap = <Wrap as clap::Parser>::try_parse_from(["loadgen", "--url", "x"])
            .expect("the defaults parse");
        let mut config = wrap.config;
        config.urls = vec![url.into()];
        config
    }

    /// Seats in the sale.
    pub fn seat_count(&self) -> u32 {
        self.seats.unwrap_or(self.fans.div_ceil(2)).max(1)
    }

    pub fn rate(&self) -> u32 {
        self.rate_per_minute
            .unwrap_or((self.fans.saturating_mul(2)).max(600))
    }

    pub fn active_cap(&self) -> u32 {
        self.max_active.unwrap_or(self.fans).max(1)
    }

    /// Fans who arrive before the opening.
    pub fn prequeue_count(&self) -> u32 {
        (f64::from(self.fans) * self.prequeue.clamp(0.0, 1.0)).round() as u32
    }

    /// Seconds from the start signal to the opening.
    pub fn opens_in(&self) -> f64 {
        self.opens_in_secs.unwrap_or_else(|| {
            let connect = f64::from(self.prequeue_count()) / f64::from(self.connect_rate.max(1));
            connect * 1.5 + 3.0
        })
    }

    /// The line of fan `index`: 0 the public one, 1..=`presale_groups` a presale
    /// group's (the same for every worker: it follows from the index alone).
    pub fn line_of(&self, index: u32) -> u8 {
        let groups = u64::from(self.presale_groups);
        if groups == 0 {
            return 0;
        }
        // A fixed scramble of the index (the high bits of a multiplicative hash), so
        // the lines interleave over every range and owe nothing to the index's parity
        // (which decides who is pre-queued: see `behaviour::in_prequeue`).
        let h = (u64::from(index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        if ((h % 1000) as f64) < self.presale_share.clamp(0.0, 1.0) * 1000.0 {
            ((h / 1000) % groups) as u8 + 1
        } else {
            0
        }
    }

    /// Seconds from the first opening to line `line`'s (the public line, 0, opens last).
    pub fn line_offset_secs(&self, line: u8) -> f64 {
        let step = if line == 0 {
            self.presale_groups
        } else {
            line - 1
        };
        f64::from(step) * self.presale_gap_secs
    }

    /// Sockets one fan opens on average (tabs open several).
    pub fn sockets_per_fan(&self) -> f64 {
        let total = self.patient + self.abandon + self.reconnect + self.tabs + self.misbehave;
        if total <= 0.0 {
            return 1.0;
        }
        1.0 + self.tabs / total * f64::from(self.tab_count.saturating_sub(1))
    }

    /// Checks the scenario makes sense.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.urls.is_empty(), "give at least one --url");
        anyhow::ensure!(self.fans > 0, "--fans must be at least 1");
        anyhow::ensure!(
            self.quantity >= 1 && self.quantity <= self.max_seats_per_order,
            "--quantity must be 1 to --max-seats-per-order"
        );
        let weights = [
            self.patient,
            self.abandon,
            self.reconnect,
            self.tabs,
            self.misbehave,
        ];
        anyhow::ensure!(
            weights.iter().all(|w| *w >= 0.0) && weights.iter().sum::<f64>() > 0.0,
            "behaviour weights must be non-negative and not all zero"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.prequeue),
            "--prequeue is a share from 0 to 1"
        );
        anyhow::ensure!(self.connect_rate > 0, "--connect-rate must be positive");
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.presale_share),
            "--presale-share is a share from 0 to 1"
        );
        anyhow::ensure!(
            self.presale_gap_secs > 0.0,
            "--presale-gap-secs must be positive"
        );
        anyhow::ensure!(
            self.sockets_per_worker >= 100,
            "--sockets-per-worker must be at least 100"
        );
        Ok(())
    }
}
