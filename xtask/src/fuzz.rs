//! `cargo xtask fuzz`: structure-aware fuzzing of every decode entry point over the fixtures.
//!
//! Each entry point is a decode function over bytes: `decode_reply::<E::Body>` for every
//! endpoint `E` (its corpus is `fixtures/<E::fixture_dir()>/*.json`), and
//! `notify::decode_notification` for callback forms (`fixtures/notify-callback/*.form`). The
//! [`mutate`] module turns corpus files into near-valid inputs; each is decoded (and a success
//! serialized, as the CLI and the snapshots do) inside `catch_unwind`. A panic is a crash: the
//! input goes to `target/fuzz-crashes/<entry>-<n>.<ext>`, where `n` is the input's number, so
//! `--seed S --entry E` regenerates it. An input slower than `--timeout-ms` (default 100 ms
//! of the thread's CPU time, the best of three runs, so that a busy machine does not count)
//! is a timeout, saved as
//! `<entry>-<n>-timeout.<ext>`. No external engine: the inputs are a pure function of
//! `(seed, entry, n)`.
//!
//! At volume, build it in release (the `cargo xtask` alias uses the dev profile):
//! `nice -n 10 cargo run --release -p xtask -- fuzz --iterations 1000000`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod mutate;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use withings_decode::{Decode, Reply, decode_reply};
use withings_model::Endpoint;

pub use mutate::{Corpus, Format, Rng};

/// Usage of `fuzz`.
pub const USAGE: &str =
    "  fuzz [--iterations N] [--seed S] [--entry NAME]... [--timeout-ms T] [--replay FILE]
                                decode N mutated fixtures (default 10000) per entry point (every
                                endpoint's body, and the notification form) and fail on a panic or
                                an input slower than T ms (default 100); crashes are saved under
                                target/fuzz-crashes/. At volume, in release:
                                nice -n 10 cargo run --release -p xtask -- fuzz --iterations 1000000
  fuzz --list                   the entry points and their corpus folders
  fuzz --entry NAME --replay FILE
                                decode one saved input with one entry point";

/// A decode entry point: its name (the fixture folder), input format and decode function.
#[derive(Debug, Clone)]
pub struct Target {
    /// The fixture folder, `E::fixture_dir()` (`measure-getmeas`), or `notify-callback`.
    pub name: String,
    /// JSON responses or notification forms.
    pub format: Format,
    /// The wire body type (several endpoints share one).
    pub body: &'static str,
    /// Decodes one input: whether it became a domain value (not a status, not an error).
    pub decode: fn(&[u8]) -> bool,
}

fn endpoint<E>() -> Target
where
    E: Endpoint,
    E::Body: Decode + DeserializeOwned,
{
    Target {
        name: E::fixture_dir(),
        format: Format::Json,
        body: std::any::type_name::<E::Body>(),
        decode: decode_body::<E::Body>,
    }
}

/// `decode_reply`, then what a caller does with the result: serialize the domain value (the
/// CLI's JSON output, the snapshots), format the error and its path.
fn decode_body<B: Decode + DeserializeOwned>(bytes: &[u8]) -> bool {
    match decode_reply::<B>(bytes) {
        Ok(Reply::Ok(out)) => {
            let _ = std::hint::black_box(serde_json::to_writer(std::io::sink(), &out));
            true
        }
        Ok(Reply::Status(status)) => {
            let _ = std::hint::black_box(serde_json::to_writer(std::io::sink(), &status));
            false
        }
        Err(e) => {
            std::hint::black_box((e.to_string(), e.path().len()));
            false
        }
    }
}

fn decode_form(bytes: &[u8]) -> bool {
    match withings_decode::notify::decode_notification(bytes) {
        Ok(event) => {
            let _ = std::hint::black_box(serde_json::to_writer(std::io::sink(), &event));
            true
        }
        Err(e) => {
            std::hint::black_box((e.to_string(), e.path().len()));
            false
        }
    }
}

/// Every decode entry point: every endpoint's body, then the notification form.
#[must_use]
pub fn targets() -> Vec<Target> {
    use withings_model::{
        activity, heart, measure, notify, oauth2, signature, sleep, stetho, user, workout,
    };
    vec![
        endpoint::<measure::GetMeas>(),
        endpoint::<measure::ConfirmUser>(),
        endpoint::<activity::GetActivity>(),
        endpoint::<activity::GetIntradayActivity>(),
        endpoint::<workout::GetWorkouts>(),
        endpoint::<sleep::GetSleep>(),
        endpoint::<sleep::GetSleepSummary>(),
        endpoint::<heart::HeartList>(),
        endpoint::<heart::HeartGet>(),
        endpoint::<stetho::StethoList>(),
        endpoint::<stetho::StethoGet>(),
        endpoint::<user::GetDevice>(),
        endpoint::<user::GetGoals>(),
        endpoint::<notify::Subscribe>(),
        endpoint::<notify::NotifyGet>(),
        endpoint::<notify::NotifyList>(),
        endpoint::<notify::Update>(),
        endpoint::<notify::Revoke>(),
        endpoint::<oauth2::RequestToken>(),
        endpoint::<oauth2::Revoke>(),
        endpoint::<oauth2::GetDemoAccess>(),
        endpoint::<signature::GetNonce>(),
        Target {
            name: "notify-callback".to_owned(),
            format: Format::Form,
            body: "withings_model::notify::Notification",
            decode: decode_form,
        },
    ]
}

/// Reads the corpus of `target` from `fixtures/<name>/*.<ext>`, in name order; `None` when
/// the folder does not exist.
///
/// # Errors
/// The folder or a file in it cannot be read.
pub fn load_corpus(fixtures: &Path, target: &Target) -> Result<Option<Corpus>, String> {
    let dir = fixtures.join(&target.name);
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(target.format.ext()))
        .collect();
    paths.sort();
    let files = paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Corpus::new(target.format, files)))
}

/// How one entry point is fuzzed.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Inputs to generate.
    pub iterations: u64,
    /// The seed every input derives from.
    pub seed: u64,
    /// Slower than this (best of three) is a timeout.
    pub timeout: Duration,
    /// Where crashing and slow inputs are written; `None` keeps them in memory only.
    pub save_dir: Option<PathBuf>,
}

/// The most inputs written to disk per entry point and kind (every one is counted).
pub const MAX_SAVED: usize = 20;

/// A crashing or slow input.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The input's number: `--seed` and `--entry` make it again.
    pub index: u64,
    /// The panic (`panicked at file:line:col: message`), or the time taken.
    pub message: String,
    /// The input.
    pub input: Vec<u8>,
    /// Where it was saved.
    pub saved: Option<PathBuf>,
}

/// What fuzzing one entry point found.
#[derive(Debug, Clone)]
pub struct EntryReport {
    /// The entry point.
    pub entry: String,
    /// Inputs decoded.
    pub inputs: u64,
    /// Inputs that became domain values: the share that got through every conversion.
    pub decoded: u64,
    /// Wall time, generation included.
    pub elapsed: Duration,
    /// Panicking inputs (all counted in `crash_count`, the first [`MAX_SAVED`] kept).
    pub crashes: Vec<Finding>,
    /// How many inputs panicked.
    pub crash_count: u64,
    /// Distinct panic sites (`file:line:col`) with how often each was hit.
    pub crash_sites: BTreeMap<String, u64>,
    /// Inputs slower than the timeout.
    pub timeouts: Vec<Finding>,
    /// How many inputs timed out.
    pub timeout_count: u64,
    /// The slowest input: time, number and size.
    pub slowest: (Duration, u64, usize),
    /// The largest input generated, in bytes.
    pub largest: usize,
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that records panics of threads that are fuzzing (instead of
/// printing a million of them) and hands every other panic to the hook it replaced.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

/// The CPU time this thread has used: what a decode costs, whatever else the machine runs
/// (wall time on a shared 2-core machine doubled under load and made noise look like slow
/// inputs). Falls back to zero if the clock cannot be read, which no Linux does.
fn thread_cpu_time() -> Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, |t| {
        Duration::new(
            u64::try_from(t.tv_sec()).unwrap_or(0),
            u32::try_from(t.tv_nsec()).unwrap_or(0),
        )
    })
}

/// Runs `decode` once: the CPU time it took, and its panic or its result.
fn run_one(decode: &dyn Fn(&[u8]) -> bool, input: &[u8]) -> (Duration, Result<bool, String>) {
    CAPTURING.with(|c| c.set(true));
    let start = thread_cpu_time();
    let result = panic::catch_unwind(AssertUnwindSafe(|| decode(input)));
    let took = thread_cpu_time().saturating_sub(start);
    CAPTURING.with(|c| c.set(false));
    let result = result.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned())
            })
    });
    (took, result)
}

/// The `file:line:col` of a panic message from the hook.
fn panic_site(message: &str) -> String {
    message
        .strip_prefix("panicked at ")
        .and_then(|m| m.split(":\n").next())
        .unwrap_or(message)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Fuzzes one entry point: `opts.iterations` inputs from `corpus`, each given to `decode`.
///
/// # Errors
/// A crashing or slow input could not be saved.
pub fn run_entry(
    entry: &str,
    format: Format,
    corpus: &Corpus,
    decode: &dyn Fn(&[u8]) -> bool,
    opts: &RunOptions,
) -> Result<EntryReport, String> {
    install_hook();
    let mut report = EntryReport {
        entry: entry.to_owned(),
        inputs: 0,
        decoded: 0,
        elapsed: Duration::ZERO,
        crashes: Vec::new(),
        crash_count: 0,
        crash_sites: BTreeMap::new(),
        timeouts: Vec::new(),
        timeout_count: 0,
        slowest: (Duration::ZERO, 0, 0),
        largest: 0,
    };
    let start = Instant::now();
    for index in 0..opts.iterations {
        let input = corpus.input(opts.seed, entry, index);
        report.largest = report.largest.max(input.len());
        let (mut took, result) = run_one(decode, &input);
        report.inputs += 1;
        report.decoded += u64::from(result == Ok(true));
        if let Err(message) = result {
            report.crash_count += 1;
            *report.crash_sites.entry(panic_site(&message)).or_default() += 1;
            if report.crashes.len() < MAX_SAVED {
                let saved = save(opts, &format!("{entry}-{index}"), format, &input)?;
                report.crashes.push(Finding {
                    index,
                    message,
                    input,
                    saved,
                });
            }
            continue;
        }
        if took > opts.timeout {
            // The best of three: a machine busy with other builds is not a slow decoder.
            for _ in 0..2 {
                took = took.min(run_one(decode, &input).0);
            }
            if took > opts.timeout {
                report.timeout_count += 1;
                if report.timeouts.len() < MAX_SAVED {
                    let saved = save(opts, &format!("{entry}-{index}-timeout"), format, &input)?;
                    report.timeouts.push(Finding {
                        index,
                        message: format!("{} ms", took.as_millis()),
                        input: input.clone(),
                        saved,
                    });
                }
            }
        }
        if took > report.slowest.0 {
            report.slowest = (took, index, input.len());
        }
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

fn save(
    opts: &RunOptions,
    stem: &str,
    format: Format,
    input: &[u8],
) -> Result<Option<PathBuf>, String> {
    let Some(dir) = &opts.save_dir else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{stem}.{}", format.ext()));
    std::fs::write(&path, input).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(path))
}

#[derive(Debug)]
struct Args {
    iterations: u64,
    seed: u64,
    entries: Vec<String>,
    timeout_ms: u64,
    list: bool,
    replay: Option<PathBuf>,
}

/// The seed when none is given.
pub const DEFAULT_SEED: u64 = 0x5EED_2026;

fn parse_number(flag: &str, v: &str) -> Result<u64, String> {
    let v = v.replace('_', "");
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    parsed.map_err(|_| format!("{flag} takes a whole number, not `{v}`"))
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        iterations: 10_000,
        seed: DEFAULT_SEED,
        entries: Vec::new(),
        timeout_ms: 100,
        list: false,
        replay: None,
    };
    let mut flags = crate::flags::Flags::new(args);
    while let Some(flag) = flags.next_flag() {
        let mut value = |name: &str| flags.value(name);
        match flag {
            "--iterations" => out.iterations = parse_number(flag, &value(flag)?)?,
            "--seed" => out.seed = parse_number(flag, &value(flag)?)?,
            "--timeout-ms" => out.timeout_ms = parse_number(flag, &value(flag)?)?,
            "--entry" => out.entries.push(value(flag)?),
            "--replay" => out.replay = Some(PathBuf::from(value(flag)?)),
            "--list" => out.list = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if out.replay.is_some() && out.entries.len() != 1 {
        return Err("--replay takes exactly one --entry".into());
    }
    Ok(out)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `cargo xtask fuzz` on the workspace at `workspace`.
///
/// # Errors
/// Bad arguments, an unreadable corpus, or any crash or timeout (after the full report).
pub fn fuzz(workspace: &Path, args: &[String]) -> Result<(), String> {
    let args = parse_args(args).map_err(|e| format!("{e}\n\nusage: cargo xtask\n{USAGE}"))?;
    let fixtures = workspace.join("fixtures");
    let all = targets();
    for name in &args.entries {
        if !all.iter().any(|t| &t.name == name) {
            let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
            return Err(format!(
                "no entry point `{name}`; there are: {}",
                names.join(", ")
            ));
        }
    }
    let chosen: Vec<&Target> = all
        .iter()
        .filter(|t| args.entries.is_empty() || args.entries.contains(&t.name))
        .collect();
    if args.list {
        for t in &chosen {
            let corpus = load_corpus(&fixtures, t)?;
            let files =
                corpus.map_or_else(|| "no corpus".to_owned(), |c| format!("{} files", c.len()));
            println!("{:<34} {:<9} {}", t.name, files, t.body);
        }
        return Ok(());
    }
    if let Some(file) = &args.replay {
        let input =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        install_hook();
        let (took, result) = run_one(&chosen[0].decode, &input);
        return match result {
            Err(message) => Err(format!("{}: {message}", chosen[0].name)),
            Ok(decoded) => {
                let what = if decoded { "decoded" } else { "refused" };
                println!("{}: no panic, {what} in {}", chosen[0].name, ms(took));
                Ok(())
            }
        };
    }
    let opts = RunOptions {
        iterations: args.iterations,
        seed: args.seed,
        timeout: Duration::from_millis(args.timeout_ms),
        save_dir: Some(workspace.join("target/fuzz-crashes")),
    };
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!(
        "fuzzing {} entry point(s), {} inputs each, seed {:#x}, {profile} profile, timeout {} ms",
        chosen.len(),
        opts.iterations,
        opts.seed,
        args.timeout_ms
    );
    println!(
        "{:<34} {:>5} {:>10} {:>8} {:>9} {:>7} {:>8}  slowest input (number, size)",
        "entry point", "files", "inputs", "decoded", "time", "crashes", "timeouts"
    );
    let mut reports = Vec::new();
    let mut skipped = Vec::new();
    for target in chosen {
        let Some(corpus) = load_corpus(&fixtures, target)? else {
            skipped.push(target);
            continue;
        };
        let report = run_entry(&target.name, target.format, &corpus, &target.decode, &opts)?;
        println!(
            "{:<34} {:>5} {:>10} {:>7.1}% {:>9} {:>7} {:>8}  {} (#{}, {} B)",
            report.entry,
            corpus.len(),
            report.inputs,
            percent(report.decoded, report.inputs),
            secs(report.elapsed),
            report.crash_count,
            report.timeout_count,
            ms(report.slowest.0),
            report.slowest.1,
            report.slowest.2
        );
        let _ = std::io::stdout().flush();
        reports.push(report);
    }
    for target in &skipped {
        // Covered when another entry point with a corpus decodes the same body type.
        let same = reports.iter().find_map(|r| {
            all.iter()
                .find(|t| t.name == r.entry && t.body == target.body)
                .map(|t| t.name.clone())
        });
        println!(
            "{:<34} skipped: no fixtures/{}/{}",
            target.name,
            target.name,
            same.map(|s| format!(" (same body type as {s}, fuzzed there)"))
                .unwrap_or_default()
        );
    }
    let inputs: u64 = reports.iter().map(|r| r.inputs).sum();
    let elapsed: Duration = reports.iter().map(|r| r.elapsed).sum();
    let crashes: u64 = reports.iter().map(|r| r.crash_count).sum();
    let timeouts: u64 = reports.iter().map(|r| r.timeout_count).sum();
    println!(
        "total: {inputs} inputs in {}, {crashes} crashes, {timeouts} timeouts",
        secs(elapsed)
    );
    for report in &reports {
        for (site, count) in &report.crash_sites {
            eprintln!(
                "crash: {}: {count} input(s) panicked at {site}",
                report.entry
            );
        }
        for f in report.crashes.iter().chain(&report.timeouts) {
            let at = f
                .saved
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            eprintln!(
                "  {} #{}: {at}\n    {}",
                report.entry,
                f.index,
                f.message.replace('\n', "\n    ")
            );
        }
    }
    if crashes + timeouts > 0 {
        return Err(format!(
            "{crashes} crash(es) and {timeouts} timeout(s); inputs saved under target/fuzz-crashes/ \
             (replay one with `cargo xtask fuzz --entry NAME --replay FILE`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn getmeas_corpus() -> Corpus {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/measure-getmeas");
        let files = [
            "normal.json",
            "malformed-truncated.json",
            "manual-entry-nulls.json",
        ]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
        Corpus::new(Format::Json, files)
    }

    #[test]
    fn the_mutator_is_deterministic_for_a_seed() {
        let corpus = getmeas_corpus();
        let a: Vec<Vec<u8>> = (0..300)
            .map(|i| corpus.input(7, "measure-getmeas", i))
            .collect();
        let b: Vec<Vec<u8>> = (0..300)
            .map(|i| corpus.input(7, "measure-getmeas", i))
            .collect();
        assert_eq!(a, b);
        // Another seed or another entry point: other inputs.
        let c: Vec<Vec<u8>> = (0..300)
            .map(|i| corpus.input(8, "measure-getmeas", i))
            .collect();
        let d: Vec<Vec<u8>> = (0..300)
            .map(|i| corpus.input(7, "v2-sleep-get", i))
            .collect();
        assert!(a.iter().zip(&c).filter(|(x, y)| x != y).count() > 250);
        assert!(a.iter().zip(&d).filter(|(x, y)| x != y).count() > 250);
        // Mostly distinct, mostly still near the fixture.
        let distinct: std::collections::BTreeSet<&Vec<u8>> = a.iter().collect();
        assert!(distinct.len() > 250, "{}", distinct.len());
        let json = a
            .iter()
            .filter(|x| serde_json::from_slice::<serde_json::Value>(x).is_ok())
            .count();
        assert!(json > 100, "only {json} of 300 inputs are JSON");
        // The same input whether or not the ones before it were generated.
        assert_eq!(corpus.input(7, "measure-getmeas", 299), a[299]);
    }

    #[test]
    fn inputs_reach_the_domain_conversions() {
        // Without a panic, and a fair share decodes fully: the mutations are near-valid.
        let corpus = getmeas_corpus();
        let ok = (0..500)
            .filter(|&i| {
                let input = corpus.input(1, "measure-getmeas", i);
                matches!(
                    decode_reply::<withings_model::measure::GetMeasBody>(&input),
                    Ok(Reply::Ok(_))
                )
            })
            .count();
        assert!(ok > 50, "only {ok} of 500 inputs decoded");
    }

    #[test]
    fn a_planted_panic_is_reported_as_a_crash() {
        fn planted(bytes: &[u8]) -> bool {
            // Panics on any input that still has a `measuregrps` array with a group.
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains(r#""measuregrps":[{"#), "planted bug");
            true
        }
        let dir = std::env::temp_dir().join(format!("xtask-fuzz-{}", std::process::id()));
        let opts = RunOptions {
            iterations: 400,
            seed: 3,
            timeout: Duration::from_secs(10),
            save_dir: Some(dir.clone()),
        };
        let corpus = getmeas_corpus();
        let report = run_entry("measure-getmeas", Format::Json, &corpus, &planted, &opts).unwrap();
        assert_eq!(report.inputs, 400);
        assert!(report.crash_count > 10, "{}", report.crash_count);
        assert!(report.crash_count < 400);
        assert_eq!(report.decoded, 400 - report.crash_count);
        assert_eq!(report.crashes.len(), MAX_SAVED);
        assert_eq!(report.timeout_count, 0);
        let first = &report.crashes[0];
        assert!(first.message.contains("planted bug"), "{}", first.message);
        let site = report.crash_sites.keys().next().unwrap();
        assert!(site.starts_with("xtask/src/fuzz.rs:"), "{site}");
        // Saved under its number, and that number makes the same input again.
        let saved = first.saved.as_ref().unwrap();
        assert_eq!(
            saved.file_name().unwrap().to_string_lossy(),
            format!("measure-getmeas-{}.json", first.index)
        );
        assert_eq!(std::fs::read(saved).unwrap(), first.input);
        assert_eq!(corpus.input(3, "measure-getmeas", first.index), first.input);
        std::fs::remove_dir_all(&dir).unwrap();

        // The real decoder on the same inputs: nothing.
        let opts = RunOptions {
            save_dir: None,
            ..opts
        };
        let real = targets()[0].decode;
        assert_eq!(targets()[0].name, "measure-getmeas");
        let report = run_entry("measure-getmeas", Format::Json, &corpus, &real, &opts).unwrap();
        assert_eq!(report.crash_count, 0, "{:?}", report.crashes.first());
        assert!(report.decoded > 20, "{}", report.decoded);
    }

    #[test]
    fn slow_inputs_are_timeouts() {
        fn slow(bytes: &[u8]) -> bool {
            // Busy for 30 ms of CPU: a sleeping decoder costs nothing, and timeouts are CPU time.
            if bytes.len().is_multiple_of(7) {
                let start = thread_cpu_time();
                let mut spins = 0_u64;
                while thread_cpu_time().saturating_sub(start) < Duration::from_millis(30) {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
            }
            false
        }
        let opts = RunOptions {
            iterations: 60,
            seed: 1,
            timeout: Duration::from_millis(20),
            save_dir: None,
        };
        let report = run_entry(
            "measure-getmeas",
            Format::Json,
            &getmeas_corpus(),
            &slow,
            &opts,
        )
        .unwrap();
        assert!(report.timeout_count > 0);
        assert_eq!(report.crash_count, 0);
        assert!(report.slowest.0 >= Duration::from_millis(30));
        assert!(report.slowest.2.is_multiple_of(7));
    }

    #[test]
    fn every_endpoint_is_an_entry_point_with_its_fixture_folder() {
        let all = targets();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                let name = dir.file_name().unwrap().to_string_lossy().into_owned();
                assert!(all.iter().any(|t| t.name == name), "{name} is not fuzzed");
            }
        }
        let mut names: Vec<_> = all.iter().map(|t| &t.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn arguments() {
        let a = parse_args(&["--iterations=1_000".into(), "--seed".into(), "0x10".into()]).unwrap();
        assert_eq!((a.iterations, a.seed, a.timeout_ms), (1000, 16, 100));
        assert!(parse_args(&["--replay".into(), "f".into()]).is_err());
        assert!(parse_args(&["--iterations".into(), "x".into()]).is_err());
        assert!(parse_args(&["--frobnicate".into()]).is_err());
    }
}
