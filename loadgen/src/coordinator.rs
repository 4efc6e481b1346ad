//! The coordinator: signs in, splits the fans over workers (in this process, or child
//! processes re-running this binary's hidden `worker` subcommand), creates the sale
//! once every worker has its accounts, starts them, shows live progress, stops the
//! waiting fans when the sale is over, then audits and reports.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::api::{self, rfc3339, Http};
use crate::config::Config;
use crate::merge::{self, ServerEnd};
use crate::net::{self, Target};
use crate::presale;
use crate::report::Report;
use crate::tally::{now_us, Progress, WorkerResult};
use crate::worker::{self, Control, Spec, Start, WorkerMsg};

/// The workers, however they run.
struct Fleet {
    ctrls: Vec<mpsc::UnboundedSender<Control>>,
    rx: mpsc::UnboundedReceiver<(usize, WorkerMsg)>,
    tx: mpsc::UnboundedSender<(usize, WorkerMsg)>,
}

impl Fleet {
    fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            ctrls: Vec::new(),
            rx,
            tx,
        }
    }

    fn broadcast(&self, control: &Control) {
        for c in &self.ctrls {
            let _ = c.send(control.clone());
        }
    }

    fn in_process(&mut self, spec: Spec) {
        let w = self.ctrls.len();
        let (ctrl_tx, ctrl_rx) = mpsc::unbounded_channel();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let tx = self.tx.clone();
        tokio::spawn(worker::run(spec, ctrl_rx, out_tx));
        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                let _ = tx.send((w, m));
            }
        });
        self.ctrls.push(ctrl_tx);
    }

    fn process(&mut self, exe: &std::path::Path, spec: &Spec) -> anyhow::Result<()> {
        let w = self.ctrls.len();
        let mut child = tokio::process::Command::new(exe)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting worker {}", exe.display()))?;
        let mut stdin = child.stdin.take().context("worker stdin")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        let mut first = serde_json::to_vec(spec)?;
        first.push(b'\n');
        let (ctrl_tx, mut ctrl_rx) = mpsc::unbounded_channel::<Control>();
        tokio::spawn(async move {
            if stdin.write_all(&first).await.is_err() {
                return;
            }
            while let Some(c) = ctrl_rx.recv().await {
                let mut line = serde_json::to_vec(&c).expect("controls serialise");
                line.push(b'\n');
                if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
                    return;
                }
            }
        });
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut finished = false;
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<WorkerMsg>(&line) {
                    Ok(m) => {
                        finished |= matches!(m, WorkerMsg::Result(_) | WorkerMsg::Failed { .. });
                        let _ = tx.send((w, m));
                    }
                    Err(e) => eprintln!("loadgen: worker {w} sent a bad line: {e}"),
                }
            }
            let status = child.wait().await;
            if !finished {
                let error = format!("worker process ended without a result ({status:?})");
                let _ = tx.send((w, WorkerMsg::Failed { error }));
            }
        });
        self.ctrls.push(ctrl_tx);
        Ok(())
    }
}

/// The event body: `seats` seats in rows of 20, in sections of at most 1,000 rows.
fn event_body(config: &Config, opens_in_ms: i64) -> Value {
    let seats = config.seat_count();
    let per_row = seats.min(20);
    let mut rows = seats.div_ceil(per_row);
    let mut sections = Vec::new();
    while rows > 0 {
        let n = rows.min(1000);
        let name = match sections.len() {
            i @ 0..=25 => char::from(b'A' + i as u8).to_string(),
            i => format!("S{i}"),
        };
        sections
            .push(json!({"name": name, "rows": n, "seats_per_row": per_row, "price_cents": 5000}));
        rows -= n;
    }
    json!({
        "name": format!("loadgen sale ({} fans)", config.fans),
        "starts_at": rfc3339(now_us() / 1000 + opens_in_ms),
        "sections": sections,
        "max_seats_per_order": config.max_seats_per_order,
        "hold_ttl_secs": config.hold_ttl_secs,
        "admission": {
            "rate_per_minute": config.rate(),
            "max_active": config.active_cap(),
            "session_ttl_secs": config.session_ttl_secs,
        },
        "pow_difficulty": config.pow_difficulty,
    })
}

fn ms_of(v: &Value) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(v.as_str()?, &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Runs a scenario end to end and returns its report.
pub async fn run(mut config: Config) -> anyhow::Result<Report> {
    config.validate()?;
    net::raise_fd_limit();
    let seed = if config.seed == 0 {
        now_us() as u64 | 1
    } else {
        config.seed
    };
    let tag = config
        .tag
        .clone()
        .unwrap_or_else(|| format!("lg{:x}", seed & 0xffff_ffff));
    config.seed = seed;
    let target = Target::resolve(&config.urls[0]).await?;
    let base = target.base.clone();
    let http = Http::new(None, 16)?;
    let email = config
        .admin_email
        .clone()
        .context("set FLOODGATE_ADMIN_EMAIL or --admin-email")?;
    let password = config
        .admin_password
        .clone()
        .context("set FLOODGATE_ADMIN_PASSWORD or --admin-password")?;
    let admin = api::login(&http, &base, &email, &password).await?;

    let sockets = f64::from(config.fans) * config.sockets_per_fan();
    let workers = match config.workers {
        0 => (sockets / f64::from(config.sockets_per_worker))
            .ceil()
            .max(1.0) as u32,
        n => n,
    }
    .min(config.fans);
    let exe = match &config.worker_exe {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("locating this executable for workers")?,
    };
    let mut fleet = Fleet::new();
    for w in 0..workers {
        let spec = Spec {
            worker: w,
            workers,
            lo: (u64::from(config.fans) * u64::from(w) / u64::from(workers)) as u32,
            hi: (u64::from(config.fans) * u64::from(w + 1) / u64::from(workers)) as u32,
            seed,
            tag: tag.clone(),
            admin_token: admin.clone(),
            // Workers use the admin session, never the password.
            config: Config {
                admin_email: None,
                admin_password: None,
                ..config.clone()
            },
        };
        if workers == 1 {
            fleet.in_process(spec);
        } else {
            fleet.process(&exe, &spec)?;
        }
    }
    let bar = progress_bar(&config);
    bar.set_message("creating fan accounts");
    let mut ready = 0;
    while ready < workers {
        match tokio::time::timeout(Duration::from_secs(600), fleet.rx.recv()).await {
            Ok(Some((_, WorkerMsg::Ready))) => ready += 1,
            Ok(Some((w, WorkerMsg::Failed { error }))) => anyhow::bail!("worker {w}: {error}"),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => anyhow::bail!("workers did not get ready"),
        }
    }

    // In a presale the event's opening is the public line's, the last one.
    let opens_in_ms = (config.opens_in() * 1000.0) as i64;
    let public_in_ms = opens_in_ms + (config.line_offset_secs(0) * 1000.0) as i64;
    let event = api::create_event(&http, &base, &admin, &event_body(&config, public_in_ms)).await?;
    let mut decoy_body = event_body(
        &Config {
            seats: Some(1),
            ..config.clone()
        },
        -1000,
    );
    decoy_body["name"] = json!("loadgen decoy");
    let decoy = api::create_event(&http, &base, &admin, &decoy_body).await?;
    let event_id = event["id"].as_str().context("event without id")?.to_owned();
    let capacity = event["capacity"].as_u64().unwrap_or(0);
    let opens_at_ms = ms_of(&event["starts_at"]).context("event without starts_at")?;
    let lines = if config.presale_groups == 0 {
        Vec::new()
    } else {
        bar.set_message("creating presale groups and codes");
        let first_ms = opens_at_ms - (config.line_offset_secs(0) * 1000.0) as i64;
        let mut lines = presale::kinds::plan_lines(&config, first_ms);
        presale::setup::setup(&http, &base, &admin, &event_id, &config, &mut lines).await?;
        lines
    };
    let start = Start {
        event: event_id.clone(),
        decoy: decoy["id"].as_str().unwrap_or_default().to_owned(),
        start_at_us: now_us() + 200_000,
        opens_at_us: opens_at_ms * 1000,
        session_ttl_secs: config.session_ttl_secs,
        max_seats: config.max_seats_per_order,
        lines: lines.clone(),
    };
    let began = std::time::Instant::now();
    fleet.broadcast(&Control::Start(start.clone()));
    // `--rate-change-at-secs`: the admin changes the rate mid-sale, on time.
    let rate_change = match (config.rate_change_at_secs, config.rate_change_to) {
        (Some(secs), Some(rate)) => {
            let at = worker::instant_at(start.opens_at_us) + Duration::from_secs_f64(secs);
            let (http, base, admin, event) = (
                Http::new(None, 2)?,
                base.clone(),
                admin.clone(),
                event_id.clone(),
            );
            Some(tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let body = json!({ "rate_per_minute": rate });
                api::patch_admission(&http, &base, &admin, &event, &body).await
            }))
        }
        _ => None,
    };

    let mut latest = vec![Progress::default(); workers as usize];
    let mut results: Vec<Option<WorkerResult>> = (0..workers).map(|_| None).collect();
    let mut failures = Vec::new();
    let mut peak_sum = 0;
    let mut stopped = false;
    let stop_at = worker::instant_at(start.opens_at_us)
        + Duration::from_secs_f64(config.duration_secs.max(1.0));
    let give_up = stop_at + Duration::from_secs(180);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while results.iter().any(Option::is_none) {
        tokio::select! {
            m = fleet.rx.recv() => match m {
                Some((w, WorkerMsg::Progress(p))) => {
                    latest[w] = p;
                    peak_sum = peak_sum.max(latest.iter().map(|p| p.connected).sum::<u64>());
                    show(&bar, &latest);
                }
                Some((w, WorkerMsg::Result(r))) => results[w] = Some(*r),
                Some((w, WorkerMsg::Failed { error })) => {
                    failures.push(format!("worker {w} failed: {error}"));
                    results[w] = Some(WorkerResult::default());
                }
                Some((_, WorkerMsg::Ready)) => {}
                None => break,
            },
            _ = tick.tick() => {
                let now = tokio::time::Instant::now();
                if now > give_up {
                    failures.push("workers did not finish in time".into());
                    break;
                }
                if !stopped {
                    // Over for good: no hold can lapse, and too few seats are free
                    // for one more order.
                    let sold_out = match api::stats(&http, &base, &admin, &event_id).await {
                        Ok(s) => {
                            let (sold, held) = (s["sold"].as_u64().unwrap_or(0), s["held"].as_u64().unwrap_or(0));
                            held == 0 && capacity.saturating_sub(sold) < u64::from(config.quantity)
                        }
                        Err(_) => false,
                    };
                    if sold_out || now > stop_at {
                        bar.set_message(if sold_out { "sold out; waiting fans leave" } else { "time is up" });
                        fleet.broadcast(&Control::Stop);
                        stopped = true;
                    }
                }
            }
        }
    }
    fleet.broadcast(&Control::Stop);
    bar.finish_and_clear();
    if let Some(task) = rate_change {
        match task.await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => failures.push(format!("changing the rate: {e:#}")),
            Err(_) => failures.push("changing the rate: task failed".into()),
        }
    }
    let duration = began.elapsed().as_secs_f64();
    let results: Vec<WorkerResult> = results.into_iter().map(Option::unwrap_or_default).collect();
    let end = ServerEnd::fetch(&http, &base, &admin, &event_id, &results, config.quantity).await?;
    let mut report = merge::assemble(&config, &results, &end, peak_sum, duration);
    report.event_id = event_id.clone();
    report.workers = workers;
    report.capacity = capacity;
    report.failures.extend(failures);
    if !lines.is_empty() {
        let mut draws = std::collections::HashMap::new();
        for line in &lines {
            match presale::setup::draw_record(&http, &base, &event_id, line).await {
                Ok(draw) => {
                    draws.insert(line.line, draw);
                }
                Err(e) => report
                    .failures
                    .push(format!("reading {}'s draw record: {e:#}", line.name)),
            }
        }
        let records = results.iter().flat_map(|w| w.records.iter());
        let audit = presale::audit::audit(&lines, records, &draws);
        report.failures.extend(audit.failures());
        report.presale = Some(audit);
    }
    report.passed = report.failures.is_empty();
    Ok(report)
}

fn progress_bar(config: &Config) -> ProgressBar {
    let bar = ProgressBar::new(u64::from(config.fans));
    if config.quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    }
    bar.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:24}] {pos}/{len} fans done  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn show(bar: &ProgressBar, latest: &[Progress]) {
    let sum = |f: fn(&Progress) -> u64| latest.iter().map(f).sum::<u64>();
    bar.set_position(sum(|p| p.done));
    bar.set_message(format!(
        "connected {}  waiting {}  admitted {}  sold {}  errors {} ({} unexpected)",
        sum(|p| p.connected),
        sum(|p| p.waiting),
        sum(|p| p.admitted),
        sum(|p| p.sold),
        sum(|p| p.errors),
        sum(|p| p.unexpected),
    ));
}
