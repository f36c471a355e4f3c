//! `withings oauth2 revoke` and `withings oauth2 demo-access`: the two signed `oauth2`
//! actions, sent through the library's declarations (`oauth2 revoke`, `getdemoaccess`), each
//! signed anew with a fresh nonce by the client.

use std::io::Write;
use std::path::Path;

use withings::http::TokenSet;

use crate::app::{ClientSpec, from_facade, require_token};
use crate::auth::{prepare_dir, scopes};
use crate::cli::{DemoAccessArgs, Global};
use crate::config::Settings;
use crate::error::{Exit, Failure};
use crate::output::{Cell, Table, col};
use crate::window::local;

fn http_failure(e: withings::http::Error) -> Failure {
    from_facade(&withings::Error::Http(e))
}

/// `withings oauth2 revoke`: Withings invalidates the stored grant (its tokens and the user's
/// notification subscriptions), then the token file is removed. A refused revoke leaves the
/// file as it was.
pub(crate) async fn revoke(g: &Global, out: &mut dyn Write) -> Result<(), Failure> {
    let settings = Settings::load(g)?;
    // Signed: the app's credentials are needed, not only the token.
    let credentials = settings
        .credentials()
        .map_err(|f| Failure::new(f.exit, format!("revoking is a signed call: {}", f.message)))?;
    let spec = ClientSpec::from_settings(&settings, Some(credentials))?;
    require_token(&spec.token_file)?;
    let client = spec.build()?;
    let tokens = client.tokens().await.map_err(|e| from_facade(&e))?;
    let userid = tokens
        .as_ref()
        .and_then(TokenSet::userid)
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::new(
                Exit::Auth,
                format!(
                    "the token in {} names no user id, which revoking needs: run `withings auth` again",
                    spec.token_file.display()
                ),
            )
        })?;
    client.http().revoke(&userid).await.map_err(http_failure)?;
    remove_token(&spec.token_file)?;
    let mut t = Table::new(&[col("action"), col("userid"), col("token_file")]);
    t.push(vec![
        Cell::text("revoked"),
        Cell::text(&userid),
        Cell::text(format!("{} (removed)", spec.token_file.display())),
    ]);
    t.write(g.format, out)?;
    Ok(())
}

/// The grant is gone at Withings: its tokens are of no use, and a file left behind would make
/// every command fail with "token refused" instead of "run `withings auth`".
fn remove_token(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::config(format!(
            "Withings revoked the grant, but {} could not be removed: {e}; delete it",
            path.display()
        ))),
    }
}

/// `withings oauth2 demo-access`: tokens for Withings' demo account, saved to the token file
/// as `withings auth` saves them.
pub(crate) async fn demo_access(
    g: &Global,
    args: &DemoAccessArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let settings = Settings::load(g)?;
    let credentials = settings.credentials().map_err(|f| {
        Failure::new(
            f.exit,
            format!("demo access is a signed call: {}", f.message),
        )
    })?;
    let spec = ClientSpec::from_settings(&settings, Some(credentials))?;
    prepare_dir(&spec.token_file)?;
    let client = spec.build()?;
    let tokens = client
        .http()
        .demo_access(&scopes(&args.scopes))
        .await
        .map_err(http_failure)?;
    let mut t = Table::new(&[
        col("action"),
        col("userid"),
        col("scope"),
        col("expires"),
        col("token_file"),
    ]);
    t.push(vec![
        Cell::text("demo_access"),
        Cell::opt_text(tokens.userid()),
        Cell::opt_text(tokens.scope()),
        Cell::Time(local(tokens.expires_at(), g.tz.as_ref(), None)),
        Cell::text(spec.token_file.display().to_string()),
    ]);
    t.write(g.format, out)?;
    Ok(())
}
