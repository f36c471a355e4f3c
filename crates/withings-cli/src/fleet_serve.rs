//! `withings serve`: the fleet's web server (onboarding, notification callback, health).
//!
//! It reads the fleet's configuration (`--config FILE`, a TOML file, or
//! `$WITHINGS_FLEET_CONFIG`, then the `WITHINGS_*` variables: see `withings_fleet::config`);
//! the server itself is `withings_fleet::server`. `--gen-key` prints fresh secrets to paste
//! into that file.

use std::io::Write;
use std::path::Path;

use clap::Args;
use withings_fleet::FleetConfig;

use crate::error::Failure;

/// `withings serve`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Print a fresh `token_key` and `notify_secret` (TOML lines for the configuration file)
    /// and exit, without reading any configuration.
    #[arg(long)]
    pub(crate) gen_key: bool,
}

/// `withings serve`: serves until SIGTERM/SIGINT, then lets open requests finish.
pub(crate) async fn run(
    config: Option<&Path>,
    args: &ServeArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if args.gen_key {
        let key = withings_fleet::config::generate_token_key().map_err(|e| failure(&e))?;
        let secret = withings_fleet::config::generate_notify_secret().map_err(|e| failure(&e))?;
        // Printing them is the point: the operator pastes them into the configuration.
        writeln!(out, "token_key = \"{}\"", key.expose())?;
        writeln!(out, "[server]")?;
        writeln!(out, "notify_secret = \"{}\"", secret.expose())?;
        out.flush()?;
        return Ok(());
    }
    let config = FleetConfig::load(config).map_err(|e| failure(&e))?;
    withings_fleet::server::serve(config, stop_signal())
        .await
        .map_err(|e| failure(&e))?;
    writeln!(out, "server stopped")?;
    Ok(())
}

pub(crate) fn failure(e: &withings_fleet::Error) -> Failure {
    match e {
        withings_fleet::Error::Config(_) | withings_fleet::Error::Io { .. } => {
            Failure::config(withings_fleet::error_chain(e))
        }
        _ => Failure::other(withings_fleet::error_chain(e)),
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). If a handler cannot be installed, on the other.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_parses_and_gen_key_prints_secrets_the_config_accepts() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["withings", "serve", "--gen-key"]).unwrap();
        let crate::cli::Command::Serve(args) = cli.command else {
            panic!("`withings serve` parsed as another command");
        };
        assert!(args.gen_key);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out = Vec::new();
        runtime.block_on(run(None, &args, &mut out)).unwrap();
        let printed = String::from_utf8(out).unwrap();
        // The printed lines are the start of a configuration file that loads.
        let file = printed.replacen(
            "[server]\n",
            "[database]\nurl = \"postgres://x@127.0.0.1/db\"\n[withings]\nclient_id = \"id\"\n\
             client_secret = \"s\"\n[server]\npublic_url = \"https://fleet.example.com\"\n",
            1,
        );
        let config = FleetConfig::from_parts(Some(&file), "printed", &|_| None).unwrap();
        assert!(printed.contains(config.token_key.expose()));
        assert_eq!(config.server.notify_secret.expose().len(), 43);
    }
}
