//! The command line: `floodgate [FLAGS]` runs the server (every flag and environment
//! variable of [`Config`]); `floodgate verify-shuffle --url … --event …` checks a
//! sale's published pre-queue draw instead ([`crate::verify_shuffle`]).

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::verify_shuffle::VerifyArgs;

#[derive(Parser)]
#[command(
    name = "floodgate",
    version,
    about = "A fair virtual waiting room and seat checkout for flash sales.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a sale's pre-queue draw: sha256(seed) against the commitment published
    /// before the opening, and the order recomputed from the seed (docs/FAIRNESS.md).
    /// Exit code 0: confirmed; 1: mismatch; 2: could not check.
    VerifyShuffle(VerifyArgs),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_flags_and_the_subcommand_both_parse() {
        let cli = Cli::try_parse_from(["floodgate", "--demo", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(cli.command.is_none() && cli.config.demo);
        let cli = Cli::try_parse_from([
            "floodgate",
            "verify-shuffle",
            "--url",
            "http://x",
            "--event",
            "e",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Some(Command::VerifyShuffle(a)) if a.url == "http://x" && a.event == "e")
        );
        assert!(Cli::try_parse_from(["floodgate", "verify-shuffle", "--url", "http://x"]).is_err());
    }
}
