//! `withings sandbox`: the offline stand-in of the Withings API, in the foreground.

use std::io::Write;

use withings_sandbox::{AUTHORIZE_PATH, Error as SandboxError, Sandbox};

use crate::cli::SandboxArgs;
use crate::error::{Exit, Failure};

/// A callback URL that passes Withings' rules; the sandbox redirects there, and the browser's
/// address bar then shows the code even though the page itself does not load offline.
pub(crate) const EXAMPLE_REDIRECT: &str = "https://example.org/withings/callback";

pub(crate) async fn run(args: &SandboxArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let mut builder = Sandbox::builder()
        .addr(args.addr)
        .rate_limit(!args.no_rate_limit);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    let sandbox = builder.build();
    // The sandbox refuses a non-loopback address itself (it hands tokens to anyone who
    // knows the public demo credentials); that is a bad --addr, a usage error.
    let listener = sandbox.listen().await.map_err(|e| listen_failure(&e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::other(format!("cannot read the listening address: {e}")))?;
    let base = format!("http://{addr}");
    // The demo credentials are public constants, not secrets: printing them is the point.
    writeln!(
        out,
        "Withings sandbox listening on {base} (Ctrl-C stops it)"
    )?;
    writeln!(out, "client id:     {}", sandbox.client_id())?;
    writeln!(out, "client secret: {}", sandbox.client_secret())?;
    writeln!(out, "authorize:     {base}{AUTHORIZE_PATH}")?;
    writeln!(out, "Try, in another terminal:")?;
    writeln!(
        out,
        "  export WITHINGS_BASE_URL={base} WITHINGS_CLIENT_ID={} WITHINGS_CLIENT_SECRET={} WITHINGS_REDIRECT_URL={EXAMPLE_REDIRECT}",
        sandbox.client_id(),
        sandbox.client_secret()
    )?;
    writeln!(out, "  withings auth && withings meas --types weight")?;
    out.flush()?;
    sandbox
        .serve_until(listener, async {
            // If the signal handler cannot be installed, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await;
    writeln!(out, "sandbox stopped")?;
    Ok(())
}

/// What `withings sandbox` says when the sandbox cannot listen on `--addr`.
fn listen_failure(e: &SandboxError) -> Failure {
    match e {
        SandboxError::NotLoopback { .. } => Failure::new(
            Exit::Usage,
            format!("--addr: {e}; give e.g. 127.0.0.1:8088"),
        ),
        SandboxError::Bind { addr, source } => Failure::config(format!(
            "cannot listen on {addr}: {source}; pick another --addr"
        )),
        other => Failure::other(other.to_string()),
    }
}
