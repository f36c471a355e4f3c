//! Two processes sharing one token file through many rotations, against the sandbox (whose
//! refresh tokens die once the pair they made is used): no refresh with a dead or already
//! spent token, no re-authorization asked. The test binary runs itself twice as the worker.

use std::path::PathBuf;
use std::process::Command;

use withings::model::user::GetGoals;
use withings::{AppCredentials, CallbackUrl, Client, FileTokenStore, Scope};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};

const WORKER_ENV: &str = "WITHINGS_SHARED_TOKENS_WORKER";
const ROUNDS: usize = 6;

fn client(base_url: &str, token_file: PathBuf) -> Client {
    let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb").unwrap());
    Client::builder()
        .base_url(base_url)
        .account_url(base_url)
        .credentials(credentials)
        .token_store(FileTokenStore::new(token_file))
        .no_rate_limit()
        .build()
        .unwrap()
}

/// The worker: forced refreshes, each followed by a call that uses the new access token
/// (which is what kills the refresh token that made it). Does nothing unless the parent set
/// the environment.
#[tokio::test]
async fn worker() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let (base_url, token_file) = spec.split_once('|').unwrap();
    let c = client(base_url, PathBuf::from(token_file));
    for _ in 0..ROUNDS {
        c.refresh().await.unwrap();
        c.send(&GetGoals::new()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_token_file_through_many_rotations() {
    if std::env::var(WORKER_ENV).is_ok() {
        return;
    }
    let sandbox = Sandbox::builder()
        .rate_limit(false)
        .no_app_limit()
        .build()
        .start()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "withings-shared-tokens-{}-{}",
        std::process::id(),
        sandbox.addr().port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("tokens.json");
    let first = client(sandbox.base_url(), token_file.clone());
    let pending = first.authorize(&[Scope::UserInfo]).unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    first
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();

    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                "--exact",
                "shared_tokens::worker",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                WORKER_ENV,
                format!("{}|{}", sandbox.base_url(), token_file.display()),
            )
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    let (sa, sb) = tokio::task::spawn_blocking(move || (a.wait().unwrap(), b.wait().unwrap()))
        .await
        .unwrap();
    assert!(
        sa.success() && sb.success(),
        "a worker failed: {sa:?} {sb:?}"
    );

    let counts = sandbox.refresh_counts();
    assert_eq!(counts.refused, 0, "a refresh used a dead token: {counts:?}");
    assert_eq!(
        counts.reused, 0,
        "a refresh token was spent twice: {counts:?}"
    );
    assert!(counts.ok >= 1, "{counts:?}");
    // The file still holds a live pair: the parent can go on without a new authorization.
    let after = client(sandbox.base_url(), token_file.clone());
    after.send(&GetGoals::new()).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
