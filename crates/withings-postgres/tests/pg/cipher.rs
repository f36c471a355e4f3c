//! Tokens at rest: sealed with the configured key, bound to their user and column.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure fails the test")]

use jiff::Timestamp;
use withings::http::{TokenSet, TokenStore};
use withings_postgres::testing::TestCluster;
use withings_postgres::{Cipher, Database, Error, Fleet};

/// An invented key (32 bytes of 0x01..0x20), base64.
const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn tokens(userid: &str, access: &str, refresh: &str) -> TokenSet {
    TokenSet::new(
        access.into(),
        refresh.into(),
        Timestamp::from_second(1_717_440_800).unwrap(),
    )
    .with_userid(userid)
    .with_scope("user.metrics")
}

#[test]
fn a_sealed_value_opens_only_with_its_key_and_context() {
    let c = Cipher::from_base64(KEY).unwrap();
    let sealed = c.seal(b"ctx-a", b"ACCESS-invented-1").unwrap();
    assert!(
        !sealed.windows(17).any(|w| w == b"ACCESS-invented-1"),
        "the plaintext shows in the sealed value"
    );
    assert_eq!(c.open(b"ctx-a", &sealed).unwrap(), b"ACCESS-invented-1");
    // Another context (another user's row) does not open it.
    assert!(matches!(c.open(b"ctx-b", &sealed), Err(Error::Corrupt(_))));
    // Another key does not open it.
    let other = Cipher::from_base64(&Cipher::generate_base64().unwrap()).unwrap();
    assert_ne!(other.key_id(), c.key_id());
    assert!(matches!(
        other.open(b"ctx-a", &sealed),
        Err(Error::Corrupt(_))
    ));
    // One changed bit, or a truncated value, does not open.
    let mut flipped = sealed.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(c.open(b"ctx-a", &flipped).is_err());
    assert!(c.open(b"ctx-a", &sealed[..10]).is_err());
    // Two seals of the same text differ (random nonce).
    assert_ne!(
        c.seal(b"ctx-a", b"x").unwrap(),
        c.seal(b"ctx-a", b"x").unwrap()
    );
}

#[test]
fn a_bad_key_is_refused_without_quoting_it() {
    for bad in ["", "   ", "not base64 at all!", "AQIDBA==", &"A".repeat(60)] {
        let err = Cipher::from_base64(bad).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{bad:?}: {err}");
        if bad.trim().len() > 3 {
            assert!(!err.to_string().contains(bad.trim()), "{err}");
        }
    }
    assert!(matches!(Cipher::from_key(&[7; 16]), Err(Error::Key(_))));
    // The configuration form round-trips, padded or not, URL-safe or not.
    let generated = Cipher::generate_base64().unwrap();
    assert_eq!(generated.len(), 44);
    assert_ne!(generated, Cipher::generate_base64().unwrap());
    let a = Cipher::from_base64(&generated).unwrap();
    let b = Cipher::from_base64(&format!("  {}\n", generated.trim_end_matches('='))).unwrap();
    assert_eq!(a.key_id(), b.key_id());
    assert_eq!(
        Cipher::from_base64(KEY).unwrap().key_id(),
        Cipher::from_key(&(1..=32).collect::<Vec<u8>>())
            .unwrap()
            .key_id()
    );
    let debug = format!("{a:?}");
    assert!(
        debug.contains(a.key_id()) && !debug.contains(&generated),
        "{debug}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_sealed_in_the_table_and_do_not_open_in_another_row() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = pg.database("cipher").unwrap();
    let db = Database::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let fleet = Fleet::new(db.clone(), Cipher::from_base64(KEY).unwrap());
    fleet
        .add_user(&tokens("1001", "ACCESS-of-1001", "REFRESH-of-1001"))
        .await
        .unwrap();
    fleet
        .add_user(&tokens("1002", "ACCESS-of-1002", "REFRESH-of-1002"))
        .await
        .unwrap();

    let client = db.client().await.unwrap();
    let rows = client
        .query("SELECT access_token, refresh_token FROM fleet_tokens", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for i in 0..2 {
            let bytes: Vec<u8> = r.get(i);
            assert!(
                !String::from_utf8_lossy(&bytes).contains("-of-100"),
                "a token is stored in clear"
            );
        }
    }

    // Moving 1001's sealed refresh token into 1002's row: it does not open there.
    client
        .execute(
            "UPDATE fleet_tokens SET refresh_token = (SELECT refresh_token FROM fleet_tokens WHERE userid = '1001') WHERE userid = '1002'",
            &[],
        )
        .await
        .unwrap();
    let err = fleet.token_store("1002").load().await.unwrap_err();
    assert!(err.to_string().contains("1002"), "{err}");
    // Swapping a user's two columns does not open either.
    client
        .execute(
            "UPDATE fleet_tokens SET access_token = refresh_token, refresh_token = access_token WHERE userid = '1001'",
            &[],
        )
        .await
        .unwrap();
    assert!(fleet.token_store("1001").load().await.is_err());

    // Under another key, the stored tokens are reported as sealed with another key.
    fleet
        .add_user(&tokens("1003", "ACCESS-of-1003", "REFRESH-of-1003"))
        .await
        .unwrap();
    let rekeyed = Fleet::new(
        db,
        Cipher::from_base64(&Cipher::generate_base64().unwrap()).unwrap(),
    );
    let err = rekeyed.token_store("1003").load().await.unwrap_err();
    let chain = format!(
        "{err} / {:?}",
        std::error::Error::source(&err).map(ToString::to_string)
    );
    assert!(chain.contains("sealed with key"), "{chain}");
    // The right key still opens them.
    let t = fleet.token_store("1003").load().await.unwrap().unwrap();
    assert_eq!(t.access_token().expose_secret(), "ACCESS-of-1003");
}
