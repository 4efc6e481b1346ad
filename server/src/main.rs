//! `floodgate`: configuration → telemetry → build → serve until SIGTERM/SIGINT; or
//! `floodgate verify-shuffle …` (see `server::cli`).

use std::future::Future;

use clap::Parser;
use server::cli::{Cli, Command};
use server::Application;
use tokio::sync::oneshot;

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    if let Some(Command::VerifyShuffle(args)) = cli.command {
        return Ok(server::verify_shuffle::main(args).await);
    }
    let config = cli.config;
    server::telemetry::init(config.log_format);
    tracing::info!(?config, "starting");
    let app = Application::build(config).await?;
    if let Some(banner) = app.demo_banner() {
        // Blank lines around it so it stands out among the log lines.
        print!("\n{banner}\n");
    }
    let (shutdown, hurry) = signals();
    app.run_until_signalled(shutdown, hurry).await?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Two futures: the first resolves at the first SIGTERM or SIGINT (the shutdown),
/// the second at a SIGINT or at a second signal, which skip the pre-drain delay
/// (`FLOODGATE_SHUTDOWN_DELAY_SECS`): Ctrl-C comes from someone at a terminal, with
/// no load balancer to wait for.
fn signals() -> (
    impl Future<Output = ()> + Send + 'static,
    impl Future<Output = ()> + Send + 'static,
) {
    let (first_tx, first_rx) = oneshot::channel::<()>();
    let (hurry_tx, hurry_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let (mut first, mut hurry) = (Some(first_tx), Some(hurry_tx));
        loop {
            #[cfg(unix)]
            let terminate = async {
                let received = match term.as_mut() {
                    Some(s) => s.recv().await.is_some(),
                    None => false,
                };
                if !received {
                    std::future::pending::<()>().await;
                }
            };
            #[cfg(not(unix))]
            let terminate = std::future::pending::<()>();
            let interrupt = tokio::select! {
                _ = tokio::signal::ctrl_c() => true,
                _ = terminate => false,
            };
            let again = first.is_none();
            if let Some(tx) = first.take() {
                tracing::info!(interrupt, "shutdown signal received");
                let _ = tx.send(());
            }
            if interrupt || again {
                if let Some(tx) = hurry.take() {
                    tracing::info!("skipping the pre-drain delay");
                    let _ = tx.send(());
                }
            }
        }
    });
    (
        async move {
            let _ = first_rx.await;
        },
        async move {
            let _ = hurry_rx.await;
        },
    )
}
