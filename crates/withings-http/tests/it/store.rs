//! The file token store: atomic replacement, 0600, never an empty token, failures and crashes
//! leave the previous file intact.

use jiff::SignedDuration;
use wiremock::MockServer;
use withings_http::{ErrorKind, FileTokenStore, ManualClock, TokenSet, TokenStore};
use withings_model::measure::GetMeas;

use crate::common::*;

fn new_tokens() -> TokenSet {
    TokenSet::new(
        NEW_ACCESS.into(),
        NEW_REFRESH.into(),
        t0() + SignedDuration::from_hours(6),
    )
    .with_userid(USERID)
}

fn same(a: &TokenSet, b: &TokenSet) -> bool {
    a.access_token().expose_secret() == b.access_token().expose_secret()
        && a.refresh_token().expose_secret() == b.refresh_token().expose_secret()
        && a.expires_at() == b.expires_at()
        && a.userid() == b.userid()
        && a.scope() == b.scope()
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[tokio::test]
async fn save_then_load_round_trips_and_the_file_is_private() {
    let dir = TempDir::new("roundtrip");
    let store = FileTokenStore::new(dir.path().join("token.json"));
    assert!(store.load().await.unwrap().is_none(), "no file yet");
    store.save(&old_tokens()).await.unwrap();
    assert!(same(&store.load().await.unwrap().unwrap(), &old_tokens()));
    store.save(&new_tokens()).await.unwrap();
    assert!(same(&store.load().await.unwrap().unwrap(), &new_tokens()));
    assert!(leftovers(dir.path()).is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test]
async fn an_empty_token_is_never_written() {
    let dir = TempDir::new("empty");
    let store = FileTokenStore::new(dir.path().join("token.json"));
    store.save(&old_tokens()).await.unwrap();
    let before = std::fs::read(store.path()).unwrap();
    let empty = TokenSet::new("".into(), REFRESH.into(), t0());
    assert_eq!(
        store.save(&empty).await.unwrap_err().kind(),
        ErrorKind::TokenStore
    );
    let blank = TokenSet::new(ACCESS.into(), "  ".into(), t0());
    assert_eq!(
        store.save(&blank).await.unwrap_err().kind(),
        ErrorKind::TokenStore
    );
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
}

/// A token file whose temporary sibling cannot be created: the name is valid (250 bytes)
/// but `.<name>.<random>.tmp` exceeds the 255-byte file-name limit, so the OS refuses it —
/// a real I/O failure, even for root.
fn unsavable_store(dir: &std::path::Path) -> FileTokenStore {
    FileTokenStore::new(dir.join("t".repeat(250)))
}

#[tokio::test]
async fn a_failing_save_leaves_the_previous_file_byte_identical() {
    let dir = TempDir::new("failsave");
    // Write the previous file with a working store, then move it under the long name.
    let ok_store = FileTokenStore::new(dir.path().join("token.json"));
    ok_store.save(&old_tokens()).await.unwrap();
    let store = unsavable_store(dir.path());
    std::fs::rename(ok_store.path(), store.path()).unwrap();
    let before = std::fs::read(store.path()).unwrap();

    let e = store.save(&new_tokens()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    assert!(
        e.to_string().contains("the previous file is unchanged"),
        "{e}"
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the I/O error is chained"
    );
    assert_eq!(
        std::fs::read(store.path()).unwrap(),
        before,
        "byte-identical"
    );
    assert!(same(&store.load().await.unwrap().unwrap(), &old_tokens()));
    assert!(leftovers(dir.path()).is_empty());
}

#[tokio::test]
async fn a_refresh_whose_save_fails_keeps_the_file_and_sends_nothing_with_the_new_token() {
    let server = MockServer::start().await;
    requesttoken()
        .respond_with(ok(&token_body(NEW_ACCESS, NEW_REFRESH, None)))
        .expect(1)
        .mount(&server)
        .await;
    getmeas()
        .respond_with(ok(GETMEAS_BODY))
        .expect(0)
        .mount(&server)
        .await;
    let dir = TempDir::new("failrefresh");
    let ok_store = FileTokenStore::new(dir.path().join("token.json"));
    ok_store.save(&old_tokens()).await.unwrap();
    let store = unsavable_store(dir.path());
    std::fs::rename(ok_store.path(), store.path()).unwrap();
    let before = std::fs::read(store.path()).unwrap();

    let clock = ManualClock::new(t0() + SignedDuration::from_hours(4));
    let client = builder(&server, &clock)
        .token_store(store.clone())
        .build()
        .unwrap();
    let e = client.send(&GetMeas::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
}

#[tokio::test]
async fn a_crash_between_write_and_rename_leaves_a_readable_token() {
    let dir = TempDir::new("crash");
    let store = FileTokenStore::new(dir.path().join("token.json"));
    store.save(&old_tokens()).await.unwrap();
    let before = std::fs::read(store.path()).unwrap();
    // What a crash after writing (part of) the temp file and before the rename leaves.
    let partial = format!(r#"{{"version":1,"access_token":"{NEW_ACCESS}","refr"#);
    std::fs::write(dir.path().join(".token.json.0123456789abcdef.tmp"), partial).unwrap();
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
    assert!(
        same(&store.load().await.unwrap().unwrap(), &old_tokens()),
        "the old token still loads"
    );
    // And the next save works regardless of the leftover.
    store.save(&new_tokens()).await.unwrap();
    assert!(same(&store.load().await.unwrap().unwrap(), &new_tokens()));
}

#[tokio::test]
async fn a_corrupt_file_is_an_error_that_quotes_nothing_from_it() {
    let dir = TempDir::new("corrupt");
    let store = FileTokenStore::new(dir.path().join("token.json"));
    std::fs::write(
        store.path(),
        format!(r#"{{"version":1,"access_token":"{ACCESS}","refresh_token":5}}"#),
    )
    .unwrap();
    let e = store.load().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    let text = format!("{e} {e:?}");
    assert!(!text.contains(ACCESS), "{text}");
    assert!(text.contains("run the authorization again"), "{text}");
}

#[tokio::test]
async fn the_client_loads_tokens_from_the_file_on_first_use() {
    let server = MockServer::start().await;
    getmeas()
        .and(wiremock::matchers::bearer_token(ACCESS))
        .respond_with(ok(GETMEAS_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new("load");
    let store = FileTokenStore::new(dir.path().join("token.json"));
    store.save(&old_tokens()).await.unwrap();
    let client = builder(&server, &ManualClock::new(t0()))
        .token_store(store)
        .build()
        .unwrap();
    client.send(&GetMeas::new()).await.unwrap();
}
