//! `withings chart` and `withings report` as processes, offline, over a database filled by
//! `withings sync` from the sandbox: each SVG parses as XML and holds each series of the
//! chart with one point (line) or one bar per record, counted from `withings export`; the
//! report holds every chart and nothing from elsewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use withings_report::{palette, svg_color};

use crate::harness::{Env, Run, clean_cmd};

/// Far enough back to hold the sandbox's whole history whatever today's date.
const ALL: &str = "3000d";

fn synced() -> (Env, PathBuf) {
    let env = Env::with(|b| b.rate_limit(false).no_app_limit().history_days(45));
    env.login();
    let db = env.dir.0.join("withings.db");
    let mut c = env.cmd();
    c.env("WITHINGS_RATE_LIMIT", "1000/1")
        .arg("--base-url")
        .arg(env.sandbox.base_url())
        .args([
            "sync",
            "--only",
            "measures,activity,sleep-summaries",
            "--db",
        ])
        .arg(&db);
    Run::from_output(c.output().unwrap()).ok();
    (env, db)
}

/// Offline: a clean environment, no --base-url, no token needed.
fn offline(env: &Env, db: &Path, args: &[&str]) -> Run {
    let mut c = clean_cmd(&env.dir.0);
    c.args(args).arg("--db").arg(db);
    Run::from_output(c.output().unwrap())
}

fn export(env: &Env, db: &Path, table: &str) -> Vec<serde_json::Map<String, Value>> {
    let run = offline(env, db, &["export", "--table", table, "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(run.ok()).unwrap();
    rows.into_iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

/// The measures of `kind` a chart shows: real (category 1), the user's own (a documented
/// attribution other than 1, "someone else's?"; absent counts as ambiguous).
fn own_measures(rows: &[serde_json::Map<String, Value>], kind: i64) -> usize {
    const OWN: [i64; 9] = [0, 2, 3, 4, 5, 7, 8, 15, 17];
    rows.iter()
        .filter(|r| r["type"] == kind && r["category"] == 1)
        .filter(|r| r["attrib"].as_i64().is_some_and(|a| OWN.contains(&a)))
        .count()
}

/// The number of distinct `date`s among rows where any of `columns` is not null.
fn dates_with(rows: &[serde_json::Map<String, Value>], columns: &[&str]) -> usize {
    rows.iter()
        .filter(|r| columns.iter().any(|c| !r[*c].is_null()))
        .map(|r| r["date"].as_str().unwrap().to_owned())
        .collect::<BTreeSet<_>>()
        .len()
}

fn chart(env: &Env, db: &Path, name: &str) -> String {
    let out = env.dir.0.join(format!("{name}.svg"));
    let run = offline(
        env,
        db,
        &[
            "chart",
            name,
            "--since",
            ALL,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(run.ok().contains(out.to_str().unwrap()), "{}", run.stdout);
    std::fs::read_to_string(&out).unwrap()
}

/// The points of every polyline drawn in `color`, one entry per line.
fn lines(doc: &roxmltree::Document<'_>, color: (u8, u8, u8)) -> Vec<usize> {
    let c = svg_color(color);
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(c.as_str()))
        .map(|n| n.attribute("points").unwrap().split_whitespace().count())
        .collect()
}

/// The rectangles filled with `color`.
fn bars(doc: &roxmltree::Document<'_>, color: (u8, u8, u8)) -> usize {
    let c = svg_color(color);
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(c.as_str()))
        .count()
}

#[test]
fn each_chart_is_svg_with_one_point_or_bar_per_record() {
    let (env, db) = synced();
    let measures = export(&env, &db, "measures");
    let activity = export(&env, &db, "activity");
    let nights = export(&env, &db, "sleep-summaries");

    let weights = own_measures(&measures, 1);
    let fat = own_measures(&measures, 6);
    let steps = activity.iter().filter(|r| !r["steps"].is_null()).count();
    let sleep = dates_with(&nights, &["light_s", "deep_s", "rem_s", "awake_s"]);
    let hr = dates_with(&nights, &["hr_min"]);
    for (what, n) in [
        ("weights", weights),
        ("fat", fat),
        ("steps", steps),
        ("nights", sleep),
        ("hr", hr),
    ] {
        assert!(n > 20, "{what}: only {n} records synced");
    }

    let svg = chart(&env, &db, "weight");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(lines(&doc, palette::WEIGHT), [weights]);
    assert_eq!(lines(&doc, palette::WEIGHT_AVERAGE), [weights]);
    assert!(
        svg.contains("7-day average"),
        "the legend names the average"
    );

    let svg = chart(&env, &db, "body-fat");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(lines(&doc, palette::BODY_FAT), [fat]);
    assert!(lines(&doc, palette::WEIGHT).is_empty());

    let svg = chart(&env, &db, "steps");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(bars(&doc, palette::STEPS), steps);

    let svg = chart(&env, &db, "sleep");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for stage in [
        palette::SLEEP_DEEP,
        palette::SLEEP_LIGHT,
        palette::SLEEP_REM,
        palette::SLEEP_AWAKE,
    ] {
        assert_eq!(bars(&doc, stage), sleep, "stage {}", svg_color(stage));
    }

    let svg = chart(&env, &db, "heart-rate");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(lines(&doc, palette::HEART_RATE), [hr]);
    // Text is SVG text: no font file, readable anywhere.
    assert!(
        doc.descendants().any(|n| n.has_tag_name("text")
            && n.text().is_some_and(|t| t.contains("Resting heart rate")))
    );
}

#[test]
fn since_leaves_older_records_out_and_an_empty_window_still_draws() {
    let (env, db) = synced();
    // The sandbox's history ends at the harness's fixed "now", long before today: a 1-day
    // window holds nothing.
    let out = env.dir.0.join("empty.svg");
    let run = offline(
        &env,
        &db,
        &[
            "chart",
            "weight",
            "--since",
            "1d",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    run.ok();
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(lines(&doc, palette::WEIGHT).is_empty());
    assert!(svg.contains("no data"), "{svg}");
}

#[test]
fn report_is_one_page_with_every_chart_and_no_external_reference() {
    let (env, db) = synced();
    let out = env.dir.0.join("report.html");
    let run = offline(
        &env,
        &db,
        &["report", "--since", ALL, "--out", out.to_str().unwrap()],
    );
    assert!(run.ok().contains("open it in a browser"), "{}", run.stdout);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));

    // One inline SVG per chart, each well-formed, in a section named after the chart.
    let mut svgs = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").unwrap() + start + "</svg>".len();
        svgs.push(&rest[start..end]);
        rest = &rest[end..];
    }
    assert_eq!(svgs.len(), 5, "one <svg> per chart");
    for (svg, name) in svgs
        .iter()
        .zip(["weight", "body-fat", "sleep", "steps", "heart-rate"])
    {
        roxmltree::Document::parse(svg).unwrap();
        assert!(html.contains(&format!("<section id=\"{name}\">")), "{name}");
    }
    let weight = roxmltree::Document::parse(svgs[0]).unwrap();
    assert_eq!(lines(&weight, palette::WEIGHT).len(), 1);

    // Self-contained: nothing to fetch. The only URL is the SVG namespace, a name.
    for needle in [
        "src=", "href=", "<link", "<script", "@import", "url(", "<img", "<iframe",
    ] {
        assert!(!html.contains(needle), "{needle} in the report");
    }
    let urls = html.matches("http").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(
        urls, namespaces,
        "an http reference other than the SVG namespace"
    );

    // The latest values table: a weight in kg with its date.
    let table = &html[html.find("<table>").unwrap()..html.find("</table>").unwrap()];
    assert!(table.contains(" kg</td>"), "{table}");
    assert_eq!(
        table.matches("<tr>").count(),
        6,
        "a header and one row per chart"
    );
}

#[test]
fn chart_without_database_or_with_an_unknown_name_fails_with_one_line() {
    let env = Env::new();
    let missing = env.dir.0.join("none.db");
    offline(&env, &missing, &["chart", "weight", "--out", "w.svg"])
        .fails(5, "run `withings sync` first");
    offline(&env, &missing, &["chart", "bmi", "--out", "w.svg"]).fails(2, "unknown chart `bmi`");
    offline(&env, &missing, &["report", "--out", "r.html"]).fails(5, "no database");
}

#[test]
fn demo_syncs_and_writes_a_report_it_names() {
    let dir = crate::harness::TempDir::new();
    let run = Run::from_output(clean_cmd(&dir.0).arg("demo").output().unwrap());
    let out = run.ok();
    let line = out
        .lines()
        .find(|l| l.contains("the report is "))
        .unwrap_or_else(|| panic!("no report line in:\n{out}"));
    let path = line
        .split("the report is ")
        .nth(1)
        .and_then(|r| r.strip_suffix(": open it in a browser."))
        .unwrap();
    let html = std::fs::read_to_string(path).unwrap();
    let folder = Path::new(path).parent().unwrap().to_owned();
    let _ = std::fs::remove_dir_all(&folder);
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(out.contains("90 days synced into"), "{out}");
    // A 90-day history has a weigh-in most mornings: the weight chart is not empty.
    assert!(
        !html.contains("no data in this window"),
        "an empty chart in the demo"
    );
}
