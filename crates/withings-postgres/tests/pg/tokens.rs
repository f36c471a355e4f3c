//! Tokens shared by the fleet: one refresh for many workers, users and their data.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure fails the test")]

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use withings::http::{Refreshed, TokenSet, TokenStore};
use withings::model::measure::GetMeas;
use withings::{AppCredentials, Client, ManualClock};
use withings_postgres::testing::TestCluster;
use withings_postgres::{Cipher, Database, Fleet, UserStatus};

const USERID: &str = "10203040";
const ACCESS: &str = "ACCESS-old-invented-0001";
const REFRESH: &str = "REFRESH-old-invented-0001";
const NEW_ACCESS: &str = "ACCESS-new-invented-0002";
const NEW_REFRESH: &str = "REFRESH-new-invented-0002";
const GETMEAS_BODY: &str = r#"{"updatetime":1717430000,"timezone":"Europe\/Paris","measuregrps":[{"grpid":1,"attrib":0,"date":1717429800,"created":1717429900,"category":1,"deviceid":null,"measures":[{"value":70005,"type":1,"unit":-3}]}],"more":0}"#;

/// The tests' "now": 2024-06-03T15:53:20Z (the clients run on a manual clock set to it).
fn t0() -> Timestamp {
    Timestamp::from_second(1_717_430_000).unwrap()
}

fn key() -> Cipher {
    Cipher::from_key(&[0x5a; 32]).unwrap()
}

async fn migrated(pg: &TestCluster, name: &str) -> String {
    let url = pg.database(name).unwrap();
    Database::connect(&url, 1)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    url
}

/// Tokens that expired an hour before [`t0`].
fn expired() -> TokenSet {
    TokenSet::new(
        ACCESS.into(),
        REFRESH.into(),
        t0() - SignedDuration::from_hours(1),
    )
    .with_userid(USERID)
    .with_scope("user.metrics,user.activity")
}

fn ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(format!(r#"{{"status":0,"body":{body}}}"#))
}

fn is_refresh(r: &Request) -> bool {
    r.url.path() == "/v2/oauth2"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_processes_finding_the_token_expired_refresh_it_exactly_once() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = migrated(&pg, "refresh_once").await;
    let server = MockServer::start().await;
    // Slow enough that every worker is waiting on the row while the one refresh runs.
    Mock::given(method("POST"))
        .and(path("/v2/oauth2"))
        .respond_with(
            ok(&format!(
                r#"{{"userid":{USERID},"access_token":"{NEW_ACCESS}","refresh_token":"{NEW_REFRESH}","expires_in":10800,"scope":"user.metrics,user.activity","token_type":"Bearer"}}"#
            ))
            .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/measure"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(ok(GETMEAS_BODY))
        .mount(&server)
        .await;

    let setup = Fleet::new(Database::connect(&url, 1).await.unwrap(), key());
    setup.add_user(&expired()).await.unwrap();

    // 4 pools, like 4 worker processes, each with 3 clients for the same user.
    let mut clients = Vec::new();
    for _ in 0..4 {
        let fleet = Fleet::new(Database::connect(&url, 3).await.unwrap(), key());
        for _ in 0..3 {
            let client = Client::builder()
                .base_url(server.uri())
                .credentials(AppCredentials::new("client-invented", "secret-invented"))
                .token_store(fleet.token_store(USERID))
                .clock(ManualClock::new(t0()))
                .no_rate_limit()
                .build()
                .unwrap();
            clients.push(client);
        }
    }
    // Every client has loaded the expired pair before any refresh happens.
    for c in &clients {
        let t = c.tokens().await.unwrap().unwrap();
        assert_eq!(t.access_token().expose_secret(), ACCESS);
    }
    let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                c.send(&GetMeas::new()).await.map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }

    let received = server.received_requests().await.unwrap();
    let refreshes = received.iter().filter(|r| is_refresh(r)).count();
    assert_eq!(refreshes, 1, "token endpoint calls");
    let measures = received
        .iter()
        .filter(|r| r.url.path() == "/measure")
        .count();
    assert_eq!(
        measures, 12,
        "every client's call went through with the new token"
    );
    assert_eq!(setup.refresh_count(USERID).await.unwrap(), 1);
    let stored = setup.token_store(USERID).load().await.unwrap().unwrap();
    assert_eq!(stored.access_token().expose_secret(), NEW_ACCESS);
    assert_eq!(stored.refresh_token().expose_secret(), NEW_REFRESH);
    assert_eq!(stored.userid(), Some(USERID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_locked_rereads_under_the_lock_and_a_failure_saves_nothing() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = migrated(&pg, "refresh_locked").await;
    let a = Fleet::new(Database::connect(&url, 2).await.unwrap(), key());
    let b = Fleet::new(Database::connect(&url, 2).await.unwrap(), key());
    a.add_user(&expired()).await.unwrap();

    // A refresh that fails: nothing saved, the lock released.
    let failed = a
        .token_store(USERID)
        .refresh_locked(Box::new(|_| {
            Box::pin(async {
                Err(withings::http::Error::token_store(
                    "refresh refused (simulated)",
                ))
            })
        }))
        .await;
    assert!(failed.is_err());
    assert_eq!(a.refresh_count(USERID).await.unwrap(), 0);

    // Process A holds the lock while its refresh runs; B's refresh starts meanwhile and
    // must see A's new pair (and keep it), not the pair it would have read before.
    let store_a = a.token_store(USERID);
    let task_a = tokio::spawn(async move {
        store_a
            .refresh_locked(Box::new(|stored| {
                Box::pin(async move {
                    assert_eq!(stored.unwrap().refresh_token().expose_secret(), REFRESH);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    let new = TokenSet::new(
                        NEW_ACCESS.into(),
                        NEW_REFRESH.into(),
                        t0() + SignedDuration::from_hours(3),
                    )
                    .with_userid(USERID);
                    Ok(Refreshed::New(new))
                })
            }))
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen2 = seen.clone();
    let kept = b
        .token_store(USERID)
        .refresh_locked(Box::new(move |stored| {
            Box::pin(async move {
                *seen2.lock().unwrap() =
                    stored.map(|s| s.refresh_token().expose_secret().to_owned());
                Ok(Refreshed::Keep)
            })
        }))
        .await
        .unwrap()
        .unwrap();
    task_a.await.unwrap().unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some(NEW_REFRESH));
    assert_eq!(kept.access_token().expose_secret(), NEW_ACCESS);
    assert_eq!(a.refresh_count(USERID).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_come_and_go_and_their_data_is_deleted_with_the_tokens() {
    let Some(pg) = TestCluster::start() else {
        return;
    };
    let url = migrated(&pg, "users").await;
    let db = Database::connect(&url, 2).await.unwrap();
    let fleet = Fleet::new(db.clone(), key());

    // Unknown: no status, no tokens, no refreshes; a save is refused.
    assert_eq!(fleet.user_status(USERID).await.unwrap(), None);
    assert!(fleet.token_store(USERID).load().await.unwrap().is_none());
    assert_eq!(fleet.refresh_count(USERID).await.unwrap(), 0);
    let err = fleet
        .token_store(USERID)
        .save(&expired())
        .await
        .unwrap_err();
    assert!(err.to_string().contains(USERID), "{err}");
    assert!(
        fleet
            .add_user(&TokenSet::new("a".into(), "r".into(), t0()))
            .await
            .is_err(),
        "tokens without a user id"
    );

    fleet.add_user(&expired()).await.unwrap();
    fleet
        .add_user(&expired().with_userid("20304050"))
        .await
        .unwrap();
    assert_eq!(
        fleet.user_status(USERID).await.unwrap(),
        Some(UserStatus::Active)
    );
    let loaded = fleet.token_store(USERID).load().await.unwrap().unwrap();
    assert_eq!(loaded.access_token().expose_secret(), ACCESS);
    assert_eq!(loaded.scope(), Some("user.metrics,user.activity"));
    assert_eq!(
        loaded.expires_at().as_second(),
        expired().expires_at().as_second()
    );

    fleet
        .set_user_status(USERID, UserStatus::Reauthorize, "refresh refused")
        .await
        .unwrap();
    assert_eq!(
        fleet.user_status(USERID).await.unwrap(),
        Some(UserStatus::Reauthorize)
    );
    assert_eq!(fleet.active_users().await.unwrap(), vec!["20304050"]);
    // Authorizing again revives the user.
    fleet.add_user(&expired()).await.unwrap();
    assert_eq!(
        fleet.active_users().await.unwrap(),
        vec![USERID, "20304050"]
    );

    // Some synced rows for both users.
    let client = db.client().await.unwrap();
    for user in [USERID, "20304050"] {
        client
            .batch_execute(&format!(
                "INSERT INTO goals (user_id, steps, synced_at) VALUES ('{user}', 10000, 1); \
                 INSERT INTO cursors (user_id, data_type, lastupdate, updated_at) VALUES ('{user}', 'measures', 5, 1); \
                 INSERT INTO pending (user_id, data_type, start_at, end_at, queued_at) VALUES ('{user}', 'sleep', 1, 2, 3); \
                 INSERT INTO full_seen (table_name, user_id, row_key) VALUES ('measures', '{user}', 'k');"
            ))
            .await
            .unwrap();
    }
    fleet
        .set_user_status(USERID, UserStatus::Unlinked, "unlinked by the user")
        .await
        .unwrap();
    // 4 sync rows and the tokens.
    assert_eq!(fleet.delete_user_data(USERID).await.unwrap(), 5);
    assert!(fleet.token_store(USERID).load().await.unwrap().is_none());
    assert_eq!(
        fleet.user_status(USERID).await.unwrap(),
        Some(UserStatus::Unlinked),
        "the user row stays, so later notifications are recognised"
    );
    let left: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM goals) + (SELECT count(*) FROM cursors) + \
             (SELECT count(*) FROM pending) + (SELECT count(*) FROM full_seen)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 4, "the other user's rows are untouched");
    assert_eq!(fleet.delete_user_data(USERID).await.unwrap(), 0);
}
