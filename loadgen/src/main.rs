//! The `loadgen` binary: flags in, report out. `loadgen worker` (hidden) is the worker
//! process the coordinator starts when one process cannot hold all the sockets.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loadgen::Config;

#[derive(Parser)]
#[command(
    name = "loadgen",
    version,
    about = "Plays a crowd of fans against a Floodgate server, audits the sale and reports.",
    long_about = "Plays a crowd of fans against a Floodgate server over the real API, audits \
        the sale and reports.\n\nEach fan is an account (created in bulk) with its own queue \
        WebSocket: it joins, waits, and when admitted holds seats and confirms. loadgen creates \
        a fresh event for the run (admin credentials from FLOODGATE_ADMIN_EMAIL and \
        FLOODGATE_ADMIN_PASSWORD), then checks: no seat sold twice and counts that agree with \
        the server, FIFO admission after the opening, the pre-queue admitted first, the \
        admission rate, positions that never rise, errors by code. It exits 1 on an oversell, \
        a FIFO inversion or a 5xx, 2 when the run itself fails.\n\nExample: \
        loadgen --url http://127.0.0.1:8080 --fans 2000 --json",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Option<Config>,
}

#[derive(Subcommand)]
enum Command {
    /// A worker process (spec and controls on stdin, JSON lines on stdout).
    #[command(hide = true)]
    Worker,
    /// Times solving the proof of work natively at each difficulty (medians over random
    /// challenges) and prints a Markdown table; no server needed.
    PowBench {
        #[arg(long, default_value_t = 8)]
        from: u8,
        #[arg(long, default_value_t = 22)]
        to: u8,
        #[arg(long, default_value_t = 7)]
        runs: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    loadgen::net::raise_fd_limit();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    match (cli.command, cli.config) {
        (Some(Command::PowBench { from, to, runs }), _) => {
            print!("{}", loadgen::pow::bench(from, to, runs));
            ExitCode::SUCCESS
        }
        (Some(Command::Worker), _) => match runtime.block_on(loadgen::worker::main_stdio()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("loadgen worker: {e:#}");
                ExitCode::from(2)
            }
        },
        (None, Some(config)) => {
            let json = config.json;
            match runtime.block_on(loadgen::run(config)) {
                Ok(report) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&report).expect("reports serialise")
                        );
                        if std::io::stderr().is_terminal() {
                            eprint!("{}", report.table());
                        }
                    } else {
                        print!("{}", report.table());
                    }
                    if report.passed {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    eprintln!("loadgen: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
        (None, None) => {
            eprintln!("loadgen: give --url (see --help)");
            ExitCode::from(2)
        }
    }
}
