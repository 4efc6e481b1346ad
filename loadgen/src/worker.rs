//! A worker: plays fans `lo..hi` of the scenario in one tokio runtime. It creates its
//! fans' accounts, says `ready`, waits for `start` (the event and the opening time),
//! launches fans on their arrival schedule, streams progress, and finally hands back a
//! [`WorkerResult`]. In-process it talks over channels; as a process (the hidden
//! `worker` subcommand) over JSON lines: spec then controls on stdin, messages on stdout.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::{self, Http};
use crate::behaviour::{in_prequeue, plan};
use crate::config::{Arrival, Config};
use crate::ctx::Ctx;
use crate::net::{Sources, Target};
use crate::tally::{now_us, FanRecord, Outcome, Progress, Tally, WorkerResult};

/// What a worker is told at launch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spec {
    pub worker: u32,
    pub workers: u32,
    pub lo: u32,
    pub hi: u32,
    pub seed: u64,
    pub tag: String,
    pub admin_token: String,
    pub config: Config,
}

/// The sale, once the coordinator created it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Start {
    pub event: String,
    /// An event the fans' purchase tokens are not for.
    pub decoy: String,
    /// Unix µs: when pre-queue fans start arriving, and the opening.
    pub start_at_us: i64,
    pub opens_at_us: i64,
    pub session_ttl_secs: u32,
    pub max_seats: u32,
    /// Presale: the lines (groups with their codes, then the public one); empty
    /// without presale groups.
    #[serde(default)]
    pub lines: Vec<crate::presale::kinds::Line>,
}

impl Start {
    /// Unix µs of the opening of fan `index`'s line (the event's without presale).
    fn opening_of(&self, config: &Config, index: u32) -> i64 {
        let line = config.line_of(index);
        self.lines
            .iter()
            .find(|l| l.line == line)
            .map_or(self.opens_at_us, |l| l.opens_at_ms * 1000)
    }
}

/// Coordinator → worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    Start(Start),
    /// Waiting fans leave; fans at the checkout finish.
    Stop,
}

/// Worker → coordinator.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerMsg {
    Ready,
    Progress(Progress),
    Result(Box<WorkerResult>),
    Failed { error: String },
}

/// The local instant of unix time `us`.
pub fn instant_at(us: i64) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    let delta = us - now_us();
    if delta > 0 {
        now + Duration::from_micros(delta as u64)
    } else {
        now
    }
}

/// Runs a worker; every message goes to `out`.
pub async fn run(
    spec: Spec,
    ctrl: mpsc::UnboundedReceiver<Control>,
    out: mpsc::UnboundedSender<WorkerMsg>,
) {
    if let Err(e) = play(spec, ctrl, &out).await {
        let _ = out.send(WorkerMsg::Failed {
            error: format!("{e:#}"),
        });
    }
}

async fn play(
    spec: Spec,
    mut ctrl: mpsc::UnboundedReceiver<Control>,
    out: &mpsc::UnboundedSender<WorkerMsg>,
) -> anyhow::Result<()> {
    let config = &spec.config;
    let mut targets = Vec::new();
    for url in &config.urls {
        targets.push(Target::resolve(url).await?);
    }
    let sources = Sources::new(spec.worker, config.source_addrs, &targets);
    let http = Http::new(sources.http(), 256)?;
    let count = spec.hi - spec.lo;
    let tokens = if count == 0 {
        Vec::new()
    } else {
        let tag = format!("{}-w{}", spec.tag, spec.worker);
        api::create_fans(&http, &targets[0].base, &spec.admin_token, count, &tag).await?
    };
    let _ = out.send(WorkerMsg::Ready);
    let start = match ctrl.recv().await {
        Some(Control::Start(start)) => start,
        Some(Control::Stop) | None => {
            let _ = out.send(WorkerMsg::Result(Box::default()));
            return Ok(());
        }
    };
    let opens_at = instant_at(start.opens_at_us);
    let redeemers = if start.lines.is_empty() {
        Vec::new()
    } else {
        crate::presale::setup::redeemers(&sources)?
    };
    let ctx = Arc::new(Ctx {
        tally: Tally::default(),
        http,
        targets,
        sources,
        stop: CancellationToken::new(),
        event: start.event.clone(),
        decoy: start.decoy.clone(),
        seed: spec.seed,
        opens_at_us: start.opens_at_us,
        storm_at: config
            .storm_at_secs
            .map(|s| opens_at + Duration::from_secs_f64(s)),
        rate_change_at_us: config
            .rate_change_at_secs
            .map(|s| start.opens_at_us + (s * 1e6) as i64),
        session_ttl_ms: i64::from(start.session_ttl_secs) * 1000,
        quantity: config.quantity,
        max_seats: start.max_seats,
        tab_count: config.tab_count,
        flood_frames: config.flood_frames,
        pow_difficulty: config.pow_difficulty,
        pow_solve: !config.no_pow_solve,
        join_frame: config.join_frame,
        seats: tokio::sync::Mutex::new(None),
        codes: crate::presale::kinds::Codes::new(config, &start.lines, spec.lo, spec.hi),
        redeemers,
    });
    // Controls: `stop`, or the coordinator gone; and the scenario's time limit.
    let stop = ctx.stop.clone();
    let limit = opens_at + Duration::from_secs_f64(config.duration_secs.max(1.0));
    let controls = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep_until(limit) => {}
            _ = async { while let Some(Control::Start(_)) = ctrl.recv().await {} } => {}
        }
        stop.cancel();
    });
    let progress = {
        let ctx = ctx.clone();
        let out = out.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                if out.send(WorkerMsg::Progress(ctx.tally.progress())).is_err() {
                    return;
                }
            }
        })
    };
    let records = launch(&ctx, &spec, &start, tokens).await;
    progress.abort();
    controls.abort();
    let _ = out.send(WorkerMsg::Progress(ctx.tally.progress()));
    let _ = out.send(WorkerMsg::Result(Box::new(ctx.tally.finish(records))));
    Ok(())
}

/// Arrival offsets (seconds) of this worker's fans: pre-queue fans from the start,
/// others from the opening (of their own line, in a presale), each paced by the
/// worker's share of the connect rate.
fn schedule(spec: &Spec, start: &Start) -> Vec<(i64, u32)> {
    let config = &spec.config;
    let rate = f64::from(config.connect_rate) / f64::from(spec.workers.max(1));
    let (early, late): (Vec<u32>, Vec<u32>) =
        (spec.lo..spec.hi).partition(|i| in_prequeue(config, *i));
    let mut out = Vec::with_capacity((spec.hi - spec.lo) as usize);
    for (k, i) in early.iter().enumerate() {
        out.push((start.start_at_us + (k as f64 / rate * 1e6) as i64, *i));
    }
    let n = late.len().max(1) as f64;
    for (k, i) in late.iter().enumerate() {
        let paced = k as f64 / rate;
        let ramp = match config.arrival {
            Arrival::Burst => 0.0,
            Arrival::Ramp => config.ramp_secs * k as f64 / n,
        };
        let opens_at_us = start.opening_of(config, *i);
        out.push((opens_at_us + (paced.max(ramp) * 1e6) as i64, *i));
    }
    out.sort_unstable();
    out
}

/// Starts each fan at its arrival time and collects the records.
async fn launch(ctx: &Arc<Ctx>, spec: &Spec, start: &Start, tokens: Vec<String>) -> Vec<FanRecord> {
    let mut tokens: Vec<Option<String>> = tokens.into_iter().map(Some).collect();
    let mut fans = JoinSet::new();
    let mut records = Vec::with_capacity(tokens.len());
    for (at_us, index) in schedule(spec, start) {
        let plan = plan(&spec.config, spec.seed, index);
        // Tokio's timer has 1 ms granularity, so a sleep per fan would cap arrivals at
        // about 1,000/s: fans due within the next millisecond start without one.
        let early = at_us - now_us() > 1_000;
        let stopped = ctx.stop.is_cancelled()
            || (early
                && tokio::select! {
                    _ = ctx.stop.cancelled() => true,
                    _ = tokio::time::sleep_until(instant_at(at_us)) => false,
                });
        if stopped {
            records.push(FanRecord {
                behaviour: plan.behaviour,
                prequeue: false,
                arrived_us: 0,
                sent_us: 0,
                ack_us: 0,
                admitted_ms: None,
                rose: false,
                eta: Default::default(),
                outcome: Outcome::NotArrived,
                line: crate::presale::kinds::Saw {
                    line: plan.line,
                    ..Default::default()
                },
            });
            continue;
        }
        let token = tokens[(index - spec.lo) as usize]
            .take()
            .unwrap_or_default();
        fans.spawn(crate::fan::run(ctx.clone(), plan, token));
        // Reap finished fans as we go so their memory is freed early.
        while let Some(done) = fans.try_join_next() {
            records.extend(done.ok());
        }
    }
    while let Some(done) = fans.join_next().await {
        records.extend(done.ok());
    }
    records
}

/// The hidden `worker` subcommand: spec on the first stdin line, controls after it;
/// messages as JSON lines on stdout.
pub async fn main_stdio() -> anyhow::Result<()> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines
        .next_line()
        .await?
        .context("no worker spec on stdin")?;
    let spec: Spec = serde_json::from_str(&first).context("worker spec")?;
    let (ctrl_tx, ctrl_rx) = mpsc::unbounded_channel();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<Control>(&line) {
                Ok(c) => {
                    if ctrl_tx.send(c).is_err() {
                        return;
                    }
                }
                Err(e) => eprintln!("loadgen worker: bad control line: {e}"),
            }
        }
        // stdin closed: the coordinator is gone; stop.
        let _ = ctrl_tx.send(Control::Stop);
    });
    let worker = tokio::spawn(run(spec, ctrl_rx, out_tx));
    let mut stdout = tokio::io::stdout();
    while let Some(msg) = out_rx.recv().await {
        let mut line = serde_json::to_vec(&msg)?;
        line.push(b'\n');
        stdout.write_all(&line).await?;
        stdout.flush().await?;
        if matches!(msg, WorkerMsg::Result(_) | WorkerMsg::Failed { .. }) {
            break;
        }
    }
    worker.abort();
    Ok(())
}
