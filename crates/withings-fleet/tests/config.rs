//! `FleetConfig`: the file, the environment over it, and what is refused.

use std::collections::HashMap;
use std::time::Duration;

use withings::{Appli, Scope};
use withings_fleet::{Error, FleetConfig};

/// A notification secret of 43 URL-safe characters (invented).
const SECRET: &str = "Zt3kQ9vX2mB7nR4wY8cL1pF6hJ0sD5gA-_uE9iO3rTq";
/// 32 bytes of base64 (invented).
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn minimal() -> String {
    format!(
        r#"
token_key = "{KEY}"
[database]
url = "postgres://fleet:hunter2-db@127.0.0.1:5432/fleet"
[withings]
client_id = "app-id"
client_secret = "app-s3cret-value"
[server]
public_url = "https://fleet.example.com/"
notify_secret = "{SECRET}"
"#
    )
}

fn load(toml: &str, env: &[(&str, &str)]) -> Result<FleetConfig, Error> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    FleetConfig::from_parts(Some(toml), "fleet.toml", &|k| env.get(k).cloned())
}

fn config_error(toml: &str, env: &[(&str, &str)]) -> String {
    match load(toml, env) {
        Err(Error::Config(m)) => m,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn a_minimal_file_gets_the_documented_defaults() {
    let c = load(&minimal(), &[]).unwrap();
    assert_eq!(c.server.public_url, "https://fleet.example.com");
    assert_eq!(c.redirect_url(), "https://fleet.example.com/oauth/callback");
    assert_eq!(
        c.callback_url().expose(),
        format!("https://fleet.example.com/notify/{SECRET}")
    );
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert!(c.server.allow_from.is_empty());
    assert_eq!(c.server.oauth_state_ttl, Duration::from_secs(600));
    assert_eq!(c.server.max_body, 16 * 1024);
    assert_eq!(c.database.max_connections, 16);
    assert_eq!(
        c.withings.scopes,
        vec![Scope::UserInfo, Scope::UserMetrics, Scope::UserActivity]
    );
    let codes: Vec<i64> = c.withings.applis.iter().map(|a| a.code()).collect();
    assert_eq!(codes, vec![1, 4, 16, 44, 46]);
    assert_eq!(c.rate_limit.requests, 120);
    assert_eq!(c.rate_limit.period, Duration::from_secs(60));
    assert_eq!(c.rate_limit.margin, Duration::from_secs(1));
    assert_eq!(c.queue_cap, 100);
    assert_eq!(c.shutdown_grace, Duration::from_secs(30));
    assert_eq!(c.worker.lease, Duration::from_secs(120));
    assert_eq!(c.worker.heartbeat, Duration::from_secs(30));
    assert_eq!(c.worker.max_attempts, 8);
    assert_eq!(c.worker.catchup_every, Duration::from_secs(86_400));
    assert!(!c.worker.purge_on_unlink);
    assert_eq!(c.worker.jobs_in_flight, 4);
    assert!(c.withings.base_url.is_none() && c.withings.account_url.is_none());
}

#[test]
fn every_section_reads_from_the_file() {
    let text = format!(
        r#"queue_cap = 7
shutdown_grace = "5s"
{}
[rate_limit]
requests = 60
period = "1050ms"
margin = "20ms"
[worker]
lease = "30s"
heartbeat = "10s"
poll = "250ms"
max_attempts = 3
catchup_every = "6h"
refresh_margin = "2m"
purge_on_unlink = true
jobs_in_flight = 9
"#,
        minimal()
            .replace("[server]", "[server]\nlisten = \"0.0.0.0:9000\"\nallow_from = [\"203.0.113.0/24\", \"2001:db8::1\"]\nmax_body = 4096")
            .replace(
                "client_secret = \"app-s3cret-value\"",
                "client_secret = \"app-s3cret-value\"\nscopes = [\"user.metrics\"]\napplis = [1, 44]\nbase_url = \"http://127.0.0.1:8088\"\naccount_url = \"http://127.0.0.1:8088\""
            )
    );
    let c = load(&text, &[]).unwrap();
    assert_eq!(c.queue_cap, 7);
    assert_eq!(c.shutdown_grace, Duration::from_secs(5));
    assert_eq!(c.rate_limit.requests, 60);
    assert_eq!(c.rate_limit.period, Duration::from_millis(1050));
    assert_eq!(c.rate_limit.margin, Duration::from_millis(20));
    assert_eq!(c.worker.lease, Duration::from_secs(30));
    assert_eq!(c.worker.heartbeat, Duration::from_secs(10));
    assert_eq!(c.worker.poll, Duration::from_millis(250));
    assert_eq!(c.worker.max_attempts, 3);
    assert_eq!(c.worker.catchup_every, Duration::from_secs(6 * 3600));
    assert_eq!(c.worker.refresh_margin, Duration::from_secs(120));
    assert!(c.worker.purge_on_unlink);
    assert_eq!(c.worker.jobs_in_flight, 9);
    assert_eq!(c.server.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.server.allow_from.len(), 2);
    assert!(
        c.server.allow_from[0].contains("203.0.113.9".parse().unwrap())
            && c.server.allow_from[1].contains("2001:db8::1".parse().unwrap())
    );
    assert_eq!(c.server.max_body, 4096);
    assert_eq!(c.withings.scopes, vec![Scope::UserMetrics]);
    assert_eq!(c.withings.applis, vec![Appli::Weight, Appli::Sleep]);
    assert_eq!(
        c.withings.base_url.as_deref(),
        Some("http://127.0.0.1:8088")
    );
}

#[test]
fn the_environment_wins_over_the_file() {
    let env = [
        ("WITHINGS_DATABASE_URL", "postgres://other@10.0.0.5/fleet"),
        ("WITHINGS_DATABASE_MAX_CONNECTIONS", "3"),
        ("WITHINGS_CLIENT_ID", "env-id"),
        ("WITHINGS_CLIENT_SECRET", "env-secret"),
        ("WITHINGS_BASE_URL", "http://127.0.0.1:9999"),
        ("WITHINGS_ACCOUNT_URL", "http://127.0.0.1:9998"),
        ("WITHINGS_SCOPES", "user.metrics, user.activity"),
        ("WITHINGS_APPLIS", "1,16"),
        ("WITHINGS_PUBLIC_URL", "https://other.example.com"),
        ("WITHINGS_LISTEN", "127.0.0.1:7000"),
        ("WITHINGS_NOTIFY_ALLOW_FROM", "198.51.100.0/24"),
        ("WITHINGS_QUEUE_CAP", "12"),
        ("WITHINGS_RATE_PERIOD", "2s"),
        ("WITHINGS_WORKER_PURGE_ON_UNLINK", "yes"),
        ("WITHINGS_WORKER_LEASE", "90s"),
        ("WITHINGS_SHUTDOWN_GRACE", "1s"),
        // Blank: as if unset, the file's value stays.
        ("WITHINGS_OAUTH_STATE_TTL", "  "),
    ];
    let c = load(&minimal(), &env).unwrap();
    assert_eq!(c.database.url.expose(), "postgres://other@10.0.0.5/fleet");
    assert_eq!(c.database.max_connections, 3);
    assert_eq!(c.withings.client_id, "env-id");
    assert_eq!(c.withings.client_secret.expose_secret(), "env-secret");
    assert_eq!(
        c.withings.account_url.as_deref(),
        Some("http://127.0.0.1:9998")
    );
    assert_eq!(
        c.withings.scopes,
        vec![Scope::UserMetrics, Scope::UserActivity]
    );
    assert_eq!(c.withings.applis, vec![Appli::Weight, Appli::Activity]);
    assert_eq!(c.server.public_url, "https://other.example.com");
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:7000");
    assert!(c.server.allow_from[0].contains("198.51.100.20".parse().unwrap()));
    assert_eq!(c.queue_cap, 12);
    assert_eq!(c.rate_limit.period, Duration::from_secs(2));
    assert!(c.worker.purge_on_unlink);
    assert_eq!(c.worker.lease, Duration::from_secs(90));
    assert_eq!(c.shutdown_grace, Duration::from_secs(1));
    assert_eq!(c.server.oauth_state_ttl, Duration::from_secs(600));

    // Everything from the environment alone, no file at all.
    let env_only: HashMap<&str, &str> = [
        ("WITHINGS_DATABASE_URL", "postgres://x@127.0.0.1/db"),
        ("WITHINGS_CLIENT_ID", "id"),
        ("WITHINGS_CLIENT_SECRET", "secret"),
        ("WITHINGS_PUBLIC_URL", "https://fleet.example.com"),
        ("WITHINGS_NOTIFY_SECRET", SECRET),
        ("WITHINGS_TOKEN_KEY", KEY),
    ]
    .into_iter()
    .collect();
    let c =
        FleetConfig::from_parts(None, "-", &|k| env_only.get(k).map(|v| (*v).to_owned())).unwrap();
    assert_eq!(c.withings.client_id, "id");
}

#[test]
fn debug_shows_no_secret() {
    let c = load(&minimal(), &[]).unwrap();
    for debug in [format!("{c:?}"), format!("{c:#?}")] {
        for secret in [SECRET, KEY, "app-s3cret-value", "hunter2-db"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(
            debug.contains("app-id") && debug.contains("[redacted]"),
            "{debug}"
        );
    }
}

#[test]
fn a_short_or_unsafe_notification_secret_is_refused() {
    for (bad, expect) in [
        ("abc123", "at least 128 random bits"),
        // 21 characters: 126 bits of base64url at best.
        ("Zt3kQ9vX2mB7nR4wY8cL1", "at least 128 random bits"),
        ("Zt3kQ9vX2mB7nR4wY8cL1pF6h/s", "only A-Z a-z 0-9 - _"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "must be random"),
    ] {
        let text = minimal().replace(SECRET, bad);
        let m = config_error(&text, &[]);
        assert!(m.contains(expect), "{bad}: {m}");
        assert!(!m.contains(bad), "the message echoes the secret: {m}");
    }
    // Exactly 22 URL-safe characters (132 bits) is enough.
    let text = minimal().replace(SECRET, "Zt3kQ9vX2mB7nR4wY8cL1p");
    load(&text, &[]).unwrap();
}

/// A file, variables, and what the message must say.
type Case = (String, Vec<(&'static str, &'static str)>, &'static str);

#[test]
fn wrong_settings_are_named() {
    let cases: Vec<Case> = vec![
        (
            minimal().replace(KEY, "bm90IDMyIGJ5dGVz"),
            vec![],
            "token_key is 12 bytes",
        ),
        (
            minimal().replace(KEY, "not base64!"),
            vec![],
            "token_key is not base64",
        ),
        (
            minimal().replace("https://fleet.example.com/", "http://fleet.example.com"),
            vec![],
            "must be https",
        ),
        (
            minimal().replace(
                "https://fleet.example.com/",
                "https://fleet.example.com/app",
            ),
            vec![],
            "without a path",
        ),
        (
            minimal(),
            vec![("WITHINGS_APPLIS", "1,999")],
            "$WITHINGS_APPLIS: 999",
        ),
        (
            minimal(),
            vec![("WITHINGS_SCOPES", "user.everything")],
            "$WITHINGS_SCOPES",
        ),
        (
            minimal(),
            vec![("WITHINGS_QUEUE_CAP", "many")],
            "$WITHINGS_QUEUE_CAP",
        ),
        (
            minimal(),
            vec![("WITHINGS_RATE_PERIOD", "5 weeks")],
            "unknown unit",
        ),
        (
            minimal(),
            vec![("WITHINGS_NOTIFY_ALLOW_FROM", "10.0.0.0/40")],
            "prefix length",
        ),
        (
            minimal(),
            vec![("WITHINGS_LISTEN", "nowhere")],
            "$WITHINGS_LISTEN",
        ),
        (format!("{}\nsurprise = 1\n", minimal()), vec![], "surprise"),
        (
            minimal().replace("[database]\nurl = ", "[database]\nuri = "),
            vec![],
            "uri",
        ),
        (
            minimal().replace("client_id = \"app-id\"\n", ""),
            vec![],
            "`withings.client_id` is not set: put it in the configuration file or set $WITHINGS_CLIENT_ID",
        ),
    ];
    for (text, env, expect) in cases {
        let m = config_error(&text, &env);
        assert!(m.contains(expect), "expected {expect:?} in {m:?}");
    }
}

#[test]
fn generated_secrets_pass_the_checks() {
    let key = withings_fleet::config::generate_token_key().unwrap();
    let secret = withings_fleet::config::generate_notify_secret().unwrap();
    assert_eq!(secret.expose().len(), 43);
    let text = minimal()
        .replace(KEY, key.expose())
        .replace(SECRET, secret.expose());
    let c = load(&text, &[]).unwrap();
    assert_eq!(c.token_key.expose(), key.expose());
    assert_ne!(
        secret.expose(),
        withings_fleet::config::generate_notify_secret()
            .unwrap()
            .expose()
    );
}

#[test]
fn a_loopback_public_url_may_be_plain_http_for_tests() {
    let text = minimal().replace("https://fleet.example.com/", "http://127.0.0.1:8123");
    let c = load(&text, &[]).unwrap();
    assert_eq!(
        c.redirect_callback().unwrap().as_str(),
        "http://127.0.0.1:8123/oauth/callback"
    );
    assert!(c.notify_callback().unwrap().as_str().ends_with(SECRET));
    let c = load(&minimal(), &[]).unwrap();
    assert_eq!(
        c.redirect_callback().unwrap().as_str(),
        "https://fleet.example.com/oauth/callback"
    );
}
