//! Recording: call each manifest entry, scrub every response, write the fixtures.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use withings_http::{Client, Form};

use crate::check;
use crate::manifest::{self, Entry, Manifest};
use crate::scrub::Scrubber;

/// How to record.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// The instant `{now}` and `{today}` stand for, in unix seconds.
    pub now: i64,
    /// Days to move every timestamp and date by (0: keep them).
    pub shift_days: i64,
    /// Only the entries of these folders (all when empty).
    pub only: Vec<String>,
}

/// What a recording run did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The files written, relative to the fixtures root (`v2-user-getdevice/recorded.json`).
    pub written: Vec<String>,
    /// The folders written to, for the snapshot update.
    pub dirs: BTreeSet<String>,
    /// Entries not written, one line each: the call failed, a template could not be resolved,
    /// or the scrubbed response still failed the check (nothing of it is written then).
    pub failures: Vec<String>,
}

/// Records every selected manifest entry into `root/<dir>/<case>.json`.
///
/// The response is written as Withings sends a success, `{"status":0,"body":…}`, with the
/// body's bytes exactly as received ([`withings_http::RawBody`] keeps them), after scrubbing.
/// All responses of the run go through one [`Scrubber`], so pseudonyms join across files;
/// new pseudonyms are numbered above every one already under `root`.
/// A call that fails (a non-zero status, a transport error) is listed in
/// [`Recorded::failures`] and the others still run.
///
/// # Errors
/// An `only` folder that no entry names, or a file that cannot be written.
pub async fn record(
    root: &Path,
    manifest: &Manifest,
    client: &Client,
    options: &RecordOptions,
) -> Result<Recorded, String> {
    for dir in &options.only {
        if !manifest.entries.iter().any(|e| e.dir == *dir) {
            return Err(format!(
                "--only {dir}: no manifest entry records into that folder"
            ));
        }
    }
    let selected: Vec<&Entry> = manifest
        .entries
        .iter()
        .filter(|e| options.only.is_empty() || options.only.contains(&e.dir))
        .collect();

    let mut done = Recorded::default();
    let mut raw: Vec<(&Entry, String)> = Vec::new();
    let mut parsed: HashMap<String, serde_json::Value> = HashMap::new();
    for entry in selected {
        let lookup = |id: &str, path: &str| -> Result<String, String> {
            let v = parsed.get(id).ok_or_else(|| {
                format!("{id} was not recorded earlier in this run (list it before, and in --only)")
            })?;
            manifest::json_at(v, path)
        };
        let mut form = Form::new();
        let mut bad = None;
        for (k, v) in &entry.params {
            match manifest::resolve(v, options.now, &lookup) {
                Ok(v) => {
                    form.push(k.clone(), v);
                }
                Err(e) => bad = Some(e),
            }
        }
        if let Some(e) = bad {
            done.failures.push(format!(
                "{} (manifest line {}): {e}",
                entry.id(),
                entry.line
            ));
            continue;
        }
        match client.send_raw(entry.service, &entry.action, &form).await {
            Ok(body) => {
                // Withings' success envelope; the body's bytes are the server's own.
                let text = format!("{{\"status\":0,\"body\":{}}}", body.as_str());
                if let Ok(v) = serde_json::from_str(&text) {
                    parsed.insert(entry.id(), v);
                }
                raw.push((entry, text));
            }
            Err(e) => done.failures.push(format!("{}: {e}", entry.id())),
        }
    }

    let mut scrubber = Scrubber::new(options.shift_days);
    // New pseudonyms take numbers no fixture uses yet, so an id recorded now never seems to
    // join one of an earlier run or a hand-written case.
    reserve_tree(root, &mut scrubber);
    for (_, text) in &raw {
        scrubber.reserve_json(text);
    }
    for (entry, text) in &raw {
        let clean = scrubber.scrub_json(text);
        let file = format!("{}/{}.json", entry.dir, entry.case);
        let findings = check::check_json(&file, &clean);
        if !findings.is_empty() {
            let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
            done.failures.push(format!(
                "{file}: not written, still looks live after scrubbing (add the key to scrub::class_of):\n  {}",
                list.join("\n  ")
            ));
            continue;
        }
        let dir = root.join(&entry.dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = root.join(&file);
        std::fs::write(&path, clean)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        done.written.push(file);
        done.dirs.insert(entry.dir.clone());
    }
    Ok(done)
}

/// Reserves the pseudonyms of every fixture under `dir` (a missing tree has none).
fn reserve_tree(dir: &Path, scrubber: &mut Scrubber) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.is_dir() {
            reserve_tree(&path, scrubber);
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str());
        if let (Some("json" | "form"), Ok(text)) = (ext, std::fs::read_to_string(&path)) {
            if ext == Some("json") {
                scrubber.reserve_json(&text);
            } else {
                scrubber.reserve_form(&text);
            }
        }
    }
}
