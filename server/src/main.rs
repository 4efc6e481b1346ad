//! `floodgate`: configuration → telemetry → build → serve until SIGTERM/SIGINT.

use clap::Parser;
use server::config::Config;
use server::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    server::telemetry::init(config.log_format);
    tracing::info!(?config, "starting");
    let app = Application::build(config).await?;
    if let Some(banner) = app.demo_banner() {
        // Blank lines around it so it stands out among the log lines.
        print!("\n{banner}\n");
    }
    app.run_until_stopped(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown signal received; draining");
}
