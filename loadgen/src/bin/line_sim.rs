//! `line_sim`: a line of millions of fans on a real Redis, through the queue store's
//! own scripts (see `loadgen::line_sim`). Prints Markdown tables and a JSON summary.

use std::process::ExitCode;

use clap::Parser;
use loadgen::line_sim::{run, Args};

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("line_sim: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match runtime.block_on(run(&args)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("line_sim: {e:#}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.markdown());
    let json = match serde_json::to_string_pretty(&report) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("line_sim: {e}");
            return ExitCode::from(2);
        }
    };
    match &args.json {
        Some(path) => {
            if let Err(e) = std::fs::write(path, json) {
                eprintln!("line_sim: writing {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        None => println!("\n{json}"),
    }
    ExitCode::SUCCESS
}
