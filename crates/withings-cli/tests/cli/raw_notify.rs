//! `withings raw` and `withings notify list|subscribe|revoke`.

use serde_json::Value;

use crate::harness::{Env, parse_csv, same_values};

fn leaves(path: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                leaves(&format!("{path}.{k}"), c, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, c) in a.iter().enumerate() {
                leaves(&format!("{path}[{i}]"), c, out);
            }
        }
        leaf => out.push((path.to_owned(), leaf.clone())),
    }
}

#[test]
fn raw_prints_the_body_and_its_leaves() {
    let env = Env::new();
    let tokens = env.login();
    let json = env.run(&["raw", "v2/user", "getdevice", "--format", "json"]);
    let body: Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(body["devices"].as_array().unwrap().len(), 5);
    // Byte for byte as Withings sends it (PHP escapes slashes).
    assert!(json.stdout.contains(r#"Europe\/Paris"#), "{}", json.stdout);
    let csv = env.run(&["raw", "user", "getdevice", "--format", "csv"]);
    let (header, rows) = parse_csv(csv.ok());
    assert_eq!(header, ["path", "value"]);
    let mut expected = Vec::new();
    leaves("body", &body, &mut expected);
    assert_eq!(rows.len(), expected.len());
    // The same values as the JSON, as rows.
    let as_rows: Vec<Value> = expected
        .iter()
        .map(|(p, v)| serde_json::json!({ "path": p, "value": v }))
        .collect();
    same_values(&serde_json::to_string(&as_rows).unwrap(), &csv.stdout);
    let table = env.run(&["raw", "v2/user", "getdevice"]);
    assert!(
        table.ok().contains("body.devices[0].battery"),
        "{}",
        table.stdout
    );

    // Parameters as key=value, on any paged action: one page, as sent.
    let meas = env.run(&[
        "raw",
        "measure",
        "getmeas",
        "meastypes=1",
        "startdate=1717000000",
        "enddate=1717430000",
        "--format",
        "json",
    ]);
    let body: Value = serde_json::from_str(meas.ok()).unwrap();
    assert!(
        !body["measuregrps"].as_array().unwrap().is_empty(),
        "{body}"
    );
    meas.no_secret(&tokens.all());

    // An unknown action is Withings' status 2554: an API error, exit 6.
    env.run(&["raw", "v2/user", "nosuchaction"])
        .fails(6, "status 2554");
    env.run(&["raw", "v2/oauth2", "requesttoken"])
        .fails(2, "withings auth");
    env.run(&["raw", "v2/user", "getdevice", "novalue"])
        .fails(2, "key=value");

    // Any service path reaches the server, declared or not (the sandbox knows no rawdata:
    // 2554, as Withings answers an action it does not have).
    env.run(&["raw", "v2/rawdata", "get", "hash_deviceid=5c0b"])
        .fails(6, "status 2554");
    let last = env.sandbox.calls().pop().unwrap();
    assert_eq!(last.path, "/v2/rawdata");
    assert_eq!(last.get("action"), Some("get"));
    assert_eq!(last.get("hash_deviceid"), Some("5c0b"));
    env.run(&["raw", "v2/../oauth2", "get"])
        .fails(2, "is not a service path");
}

#[test]
fn notify_subscribe_list_revoke() {
    let env = Env::new();
    env.login();
    let url = "https://example.org/withings/notify?a=1,2";
    let sub = env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--comment",
        "scale",
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(sub.ok()).unwrap();
    assert_eq!(rows[0]["action"], "subscribed");
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        url,
        "--appli",
        "44",
    ])
    .ok();

    let json = env.run(&["notify", "list", "--format", "json"]);
    let csv = env.run(&["notify", "list", "--format", "csv"]);
    let rows = same_values(json.ok(), csv.ok());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["appli"], "weight");
    assert_eq!(rows[0]["appli_code"], 1);
    assert_eq!(rows[0]["callback_url"], url);
    assert_eq!(rows[0]["comment"], "scale");
    assert_eq!(rows[0]["expires"], "never");
    assert_eq!(rows[1]["appli"], "sleep");
    assert!(env.run(&["notify", "list"]).ok().contains(url));
    let only = env.run(&["notify", "list", "--appli", "sleep", "--format", "csv"]);
    assert_eq!(parse_csv(only.ok()).1.len(), 1);

    let revoked = env.run(&[
        "notify",
        "revoke",
        "--callback-url",
        url,
        "--appli",
        "weight",
        "--format",
        "csv",
    ]);
    assert_eq!(
        revoked.ok(),
        format!("action,appli,callback_url\nrevoked,weight,\"{url}\"\n")
    );
    env.run(&["notify", "revoke", "--callback-url", url]).ok();
    let empty = env.run(&["notify", "list", "--format", "json"]);
    assert_eq!(empty.ok(), "[]\n");
    // Nothing left to revoke: Withings' status 294.
    env.run(&["notify", "revoke", "--callback-url", url])
        .fails(6, "status 294");
    env.run(&[
        "notify",
        "subscribe",
        "--callback-url",
        url,
        "--appli",
        "nosuch",
    ])
    .fails(2, "unknown notification category");
}
