//! Authorizes this application for a Withings account and keeps the token, like the Go
//! client's `cmd/auth`: prints the URL to open, reads back the URL the browser was
//! redirected to (its `state` is checked) or the bare code, saves the token to a file, then
//! refreshes it once (Withings rotates the refresh token: the new one is saved before use).
//!
//! ```text
//! cargo run -p withings --example auth -- [--settings .test_settings.yaml] [--token access_token.json]
//! ```
//!
//! Against the offline sandbox: `--base-url http://127.0.0.1:PORT` with the sandbox's demo
//! credentials in `WITHINGS_CLIENT_ID` / `WITHINGS_CLIENT_SECRET`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::io::{BufRead, Write};
use std::process::ExitCode;

use common::{Options, Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: &Options) -> Result<(), String> {
    let settings = Settings::load(o)?;
    let client = common::client(o, &settings)?;
    let err = |e: withings::Error| common::report(&e);

    match client.tokens().await.map_err(err)? {
        Some(tokens) => {
            println!(
                "A token is already in {} (user {}, expires {}).",
                o.token.display(),
                tokens.userid().unwrap_or("?"),
                tokens.expires_at()
            );
        }
        None => {
            let pending = client.authorize(&o.scopes).map_err(err)?;
            println!("URL to authorize: {}", pending.url());
            println!("Open it in your browser, allow access, then paste the URL you were");
            println!("redirected to (or just its code). The code is valid for 30 seconds.");
            print!(" Redirected URL or code: ");
            std::io::stdout().flush().map_err(|e| e.to_string())?;
            let mut pasted = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut pasted)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            let tokens = client
                .complete_authorization(&pending, &pasted)
                .await
                .map_err(err)?;
            println!(
                "~~ authorized user {}; token saved to {}.",
                tokens.userid().unwrap_or("?"),
                o.token.display()
            );
        }
    }

    // As the Go client's tokenFuncs: refresh now, and the new pair is saved.
    let tokens = client.refresh().await.map_err(err)?;
    println!(
        "You got a new token (expires {}), saved to {}.",
        tokens.expires_at(),
        o.token.display()
    );
    Ok(())
}
