//! Temporary folders, a sandbox with an authorized client, table dumps.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use withings::jiff::Timestamp;
use withings::{AppCredentials, CallbackUrl, Client, ManualClock, MemoryTokenStore, Scope};
use withings_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, Sandbox};
use withings_sync::{SqliteStore, TableDef, Value};

/// 2024-06-03T15:53:20Z: the sandbox's data is generated around it.
pub(crate) const NOW: i64 = 1_717_430_000;

pub(crate) fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("withings-sync-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A sandbox stopped at [`NOW`] with 60 days of history and small pages (every list spans
/// several), no 601 rule.
pub(crate) async fn sandbox() -> RunningSandbox {
    Sandbox::builder()
        .now(now())
        .meas_page_size(7)
        .page_size(4)
        .rate_limit(false)
        .no_app_limit()
        .history_days(60)
        .build()
        .start()
        .await
        .unwrap()
}

/// A client authorized against `sandbox`, and the user id its token names.
pub(crate) async fn client(sandbox: &RunningSandbox) -> (Client, String) {
    let credentials = AppCredentials::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .with_redirect_uri(CallbackUrl::parse("https://example.org/withings/cb").unwrap());
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .account_url(sandbox.base_url())
        .credentials(credentials)
        .token_store(MemoryTokenStore::new())
        .clock(ManualClock::new(now()))
        .no_rate_limit()
        .build()
        .unwrap();
    let pending = client
        .authorize(&[Scope::UserMetrics, Scope::UserActivity])
        .unwrap();
    let redirected = sandbox.approve(pending.url()).unwrap();
    let tokens = client
        .complete_authorization(&pending, &redirected)
        .await
        .unwrap();
    let user = tokens.userid().unwrap().to_owned();
    (client, user)
}

/// Every row of a table, bookkeeping (`synced_at`) left out, in key order.
pub(crate) fn dump(store: &SqliteStore, table: &TableDef) -> Vec<Vec<Value>> {
    let cols: Vec<&str> = table.export_columns().collect();
    let mut key = vec!["user_id"];
    key.extend(table.key);
    withings_sync::query(
        store,
        &format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            table.name,
            key.join(", ")
        ),
    )
    .unwrap()
}

/// The number of rows of a table.
pub(crate) fn count(store: &SqliteStore, table: &str) -> i64 {
    withings_sync::query(store, &format!("SELECT COUNT(*) FROM {table}")).unwrap()[0][0]
        .as_int()
        .unwrap()
}
