//! `withings auth`: the authorization-code flow by copy and paste.
//!
//! Withings accepts only registered https callback URLs (no localhost), so the tool cannot
//! listen for the redirect: the user opens the printed URL, allows access, and pastes the URL
//! the browser lands on (even if that page fails to load). The `state` in it must match the
//! one sent; the code in it lives 30 seconds.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use withings::http::{Scope, TokenSet};

use crate::app::{ClientSpec, from_facade};
use crate::cli::{AuthArgs, Global};
use crate::config::Settings;
use crate::error::{Exit, Failure};

/// How long an authorization code lives (API notes §3.1).
const CODE_LIFETIME: Duration = Duration::from_secs(30);

pub(crate) fn scopes(names: &[String]) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    // clap already limited the names to Withings' four spellings.
    for s in names.iter().filter_map(|n| n.parse::<Scope>().ok()) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Creates the token's directory, private to the user (the token file itself is written
/// 0600 by the token store).
pub(crate) fn prepare_dir(token: &Path) -> Result<(), Failure> {
    let Some(dir) = token.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| {
        Failure::config(format!(
            "cannot create {} for the token: {e}; pass --token-file",
            dir.display()
        ))
    })
}

/// One line saying the tokens are saved, without the tokens.
pub(crate) fn saved_line(tokens: &TokenSet, path: &Path) -> String {
    let who = tokens
        .userid()
        .map_or_else(String::new, |u| format!(" as user {u}"));
    let scope = tokens
        .scope()
        .map_or_else(String::new, |s| format!(" with scopes {s}"));
    format!(
        "Authorized{who}{scope}. Token saved to {} (readable by you only).",
        path.display()
    )
}

pub(crate) async fn run(
    g: &Global,
    args: &AuthArgs,
    input: &mut dyn BufRead,
    interactive: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let settings = Settings::load(g)?;
    let credentials = settings.credentials()?;
    let redirect = settings.redirect_uri(args.restricted)?;
    let spec = ClientSpec::from_settings(&settings, Some(credentials))?.with_redirect(redirect);
    prepare_dir(&spec.token_file)?;
    let client = spec.build()?;
    let scopes = scopes(&args.scopes);
    let pending = if args.demo_user {
        client.http().authorize_demo(&scopes)
    } else {
        client.http().authorize(&scopes)
    }
    .map_err(|e| from_facade(&withings::Error::Http(e)))?;

    writeln!(
        err,
        "Open this URL in a browser, log in to Withings and allow access:"
    )?;
    err.flush()?;
    writeln!(out, "{}", pending.url())?;
    out.flush()?;
    writeln!(
        err,
        "Then paste here the whole URL the browser is sent to (or just its code). \
         Be quick: the code in it lives 30 seconds."
    )?;
    write!(err, "Redirected URL: ")?;
    err.flush()?;
    let asked = Instant::now();
    let mut pasted = String::new();
    input
        .read_line(&mut pasted)
        .map_err(|e| Failure::other(format!("cannot read standard input: {e}")))?;
    if !interactive {
        // No terminal echoed the line and its Enter: end the prompt's line ourselves.
        writeln!(err)?;
    }
    if pasted.trim().is_empty() {
        return Err(Failure::new(
            Exit::Auth,
            "nothing was pasted: run `withings auth` again and paste the URL the browser lands on",
        ));
    }
    if asked.elapsed() > CODE_LIFETIME {
        writeln!(
            err,
            "warning: more than 30 s have passed since the URL was printed; the code has probably expired"
        )?;
    }
    let tokens = client
        .complete_authorization(&pending, &pasted)
        .await
        .map_err(|e| from_facade(&e))?;
    writeln!(err, "{}", saved_line(&tokens, &spec.token_file))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_kept_in_order_without_duplicates() {
        let s = scopes(&[
            "user.metrics".into(),
            "user.activity".into(),
            "user.metrics".into(),
        ]);
        assert_eq!(s, vec![Scope::UserMetrics, Scope::UserActivity]);
    }
}
