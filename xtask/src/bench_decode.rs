//! `cargo xtask bench-decode`: whole processes decoding the same getmeas response, timed side
//! by side in one run.
//!
//! The input is the 50,000-group file of `cargo xtask gen-bench-data` (written again, it is
//! deterministic). The processes: the minimal typed parse and the full decode of the
//! `bench-decode` package (built here, in release), and the anchors of `xtask/bench-anchors/`
//! when their tools are installed: a Go decoder in withings-go's style (`go` on the `PATH`)
//! and the Python withings-api client (an interpreter that can `import withings_api`). Each is
//! run once to warm the page cache, then N times, interleaved (A B C D A B C D …) so that the
//! machine's noise falls on all of them alike. Wall time is measured here around the process;
//! peak memory is the kernel's `ru_maxrss` of the child, as `/usr/bin/time -v` reports it
//! ("Maximum resident set size"), or as `bench-peak-rss` does where GNU time is absent, and so
//! is its CPU time (user + system), a second figure that the other processes of a shared
//! machine disturb less than the wall time (GNU time gives it to the hundredth of a second).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../crates/withings-decode/benches/support/getmeas_data.rs"]
#[allow(dead_code, unreachable_pub)]
mod getmeas_data;

/// Usage of `bench-decode`.
pub const USAGE: &str = "  bench-decode [--runs N] [--groups N] [--python PATH] [--skip-anchors] [--no-gnu-time] [--instructions]
                                time whole processes on target/bench-data/getmeas-<N>.json (default
                                50000 groups), interleaved, N runs each (default 11): the minimal typed
                                serde_json parse, the full decode, and the anchors of xtask/bench-anchors
                                (Go, if installed; Python, if --python PATH, target/bench-anchors/pyvenv
                                or python3 can import withings_api); prints a markdown table of median
                                wall time, CPU time, ratios and peak RSS. --no-gnu-time: read peak RSS with
                                bench-peak-rss even where /usr/bin/time exists. --instructions: also count
                                the instructions of the two Rust processes under valgrind (callgrind), the
                                figure a shared machine's noise does not move";

/// Writes the benchmark input `getmeas-<groups>.json` into `dir`; its path and size.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write_bench_data(dir: &Path, groups: usize) -> Result<(PathBuf, usize), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("getmeas-{groups}.json"));
    let data = getmeas_data::generate(groups);
    std::fs::write(&path, &data).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((path, data.len()))
}

#[derive(Debug)]
struct Args {
    runs: usize,
    groups: usize,
    python: Option<PathBuf>,
    skip_anchors: bool,
    no_gnu_time: bool,
    /// Count instructions under callgrind too.
    instructions: bool,
    /// The cargo profile the Rust processes are built in (`dev` in this module's tests).
    profile: String,
    /// Where the input is written (`target/bench-data` unless a test says otherwise).
    data_dir: Option<PathBuf>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            runs: 11,
            groups: 50_000,
            python: None,
            skip_anchors: false,
            no_gnu_time: false,
            instructions: false,
            profile: "release".into(),
            data_dir: None,
        }
    }
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut flags = crate::flags::Flags::new(args);
    let number = |flag: &str, v: String| -> Result<usize, String> {
        match v.parse() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{flag} takes a positive whole number, not `{v}`")),
        }
    };
    while let Some(flag) = flags.next_flag() {
        match flag {
            "--runs" => out.runs = number(flag, flags.value(flag)?)?,
            "--groups" => out.groups = number(flag, flags.value(flag)?)?,
            "--python" => out.python = Some(PathBuf::from(flags.value(flag)?)),
            "--skip-anchors" => out.skip_anchors = true,
            "--no-gnu-time" => out.no_gnu_time = true,
            "--instructions" => out.instructions = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(out)
}

/// Runs `bench-decode` on the workspace at `workspace` and prints the report.
///
/// # Errors
/// A message for the user: bad arguments, a failed build, a process that failed or printed
/// another checksum than the others.
pub fn bench_decode(workspace: &Path, args: &[String]) -> Result<(), String> {
    let args = parse_args(args).map_err(|e| format!("{e}\n\nusage: cargo xtask\n{USAGE}"))?;
    let report = run(workspace, &args)?;
    println!("{}", report.markdown());
    Ok(())
}

/// One process to time.
#[derive(Debug)]
struct Process {
    /// Its row in the table.
    label: String,
    command: Vec<OsString>,
}

/// How peak memory is read.
#[derive(Debug)]
enum RssTool {
    /// `/usr/bin/time -v -o FILE`.
    GnuTime,
    /// `bench-peak-rss FILE`, the same figure without GNU time.
    Own(PathBuf),
}

impl RssTool {
    fn describe(&self) -> &'static str {
        match self {
            Self::GnuTime => "`/usr/bin/time -v` (Maximum resident set size)",
            Self::Own(_) => "`bench-peak-rss` (ru_maxrss of the child, as `/usr/bin/time -v`)",
        }
    }
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    rss_kib: u64,
    /// User and system CPU time of the child: less sensitive than wall time to the other
    /// processes of a shared machine (`None` where the report has no such lines).
    cpu: Option<f64>,
}

#[derive(Debug)]
struct Row {
    label: String,
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct Report {
    input: PathBuf,
    input_bytes: usize,
    groups: usize,
    runs: usize,
    profile: String,
    rss_tool: &'static str,
    load_start: String,
    load_end: String,
    rows: Vec<Row>,
    /// Instructions of the minimal parse and of the full decode (`--instructions`).
    instructions: Option<(u64, u64)>,
    skipped: Vec<String>,
}

fn run(workspace: &Path, args: &Args) -> Result<Report, String> {
    let load_start = load_average();
    let target = target_dir(workspace);
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| target.join("bench-data"));
    let (input, input_bytes) = write_bench_data(&data_dir, args.groups)?;
    eprintln!("input: {} ({input_bytes} bytes)", input.display());

    let bins = build_processes(workspace, &target, &args.profile)?;
    let mut processes = vec![
        Process {
            label:
                "minimal typed parse (`serde_json::from_slice`: envelope; date, value, type, unit)"
                    .into(),
            command: vec![
                bins.join("bench-minimal-parse").into(),
                input.clone().into(),
            ],
        },
        Process {
            label: "**full decode** (`decode_reply::<GetMeasBody>`)".into(),
            command: vec![bins.join("bench-full-decode").into(), input.clone().into()],
        },
    ];
    let mut skipped = Vec::new();
    if args.skip_anchors {
        skipped.push("the Go and Python anchors: --skip-anchors".to_owned());
    } else {
        let anchors = workspace.join("xtask/bench-anchors");
        match go_anchor(&anchors, &target, &input) {
            Ok(p) => processes.push(p),
            Err(why) => skipped.push(format!("the Go anchor: {why}")),
        }
        match python_anchor(&anchors, &target, args.python.as_deref(), &input) {
            Ok(p) => processes.push(p),
            Err(why) => skipped.push(format!("the Python anchor: {why}")),
        }
    }
    for s in &skipped {
        eprintln!("skipped {s}");
    }

    let gnu_time = Path::new("/usr/bin/time");
    let rss = if gnu_time.exists() && !args.no_gnu_time {
        RssTool::GnuTime
    } else {
        RssTool::Own(bins.join("bench-peak-rss"))
    };
    let scratch = data_dir.join(format!("bench-decode-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let result = time_all(&processes, &rss, &scratch, args.runs);
    let _ = std::fs::remove_dir_all(&scratch);
    let rows = result?;
    let instructions = if args.instructions {
        match (processes.first(), processes.get(1)) {
            (Some(minimal), Some(full)) => match (instructions(minimal), instructions(full)) {
                (Ok(a), Ok(b)) => Some((a, b)),
                (Err(why), _) | (_, Err(why)) => {
                    skipped.push(format!("the instruction counts: {why}"));
                    None
                }
            },
            _ => None,
        }
    } else {
        None
    };

    Ok(Report {
        input,
        input_bytes,
        groups: args.groups,
        runs: args.runs,
        profile: args.profile.clone(),
        rss_tool: rss.describe(),
        load_start,
        load_end: load_average(),
        rows,
        instructions,
        skipped,
    })
}

/// The instructions `p` runs, counted by callgrind (whole process, its output discarded).
fn instructions(p: &Process) -> Result<u64, String> {
    eprintln!("instructions: {}", p.label);
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .args(&p.command)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("valgrind cannot be run ({e}): install the valgrind package"))?;
    let report = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("valgrind failed: {}", tail(&report, 400)));
    }
    collected(&report)
        .ok_or_else(|| format!("no `Collected` line from callgrind: {}", tail(&report, 400)))
}

/// The count of callgrind's `==PID== Collected : N` line.
fn collected(report: &str) -> Option<u64> {
    report.lines().find_map(|l| {
        let (_, n) = l.split_once("Collected :")?;
        n.trim().parse().ok()
    })
}

/// A warm-up run of each process (whose outputs must agree), then `runs` interleaved rounds:
/// a row's `k`-th sample is from the same round as every other row's.
fn time_all(
    processes: &[Process],
    rss: &RssTool,
    scratch: &Path,
    runs: usize,
) -> Result<Vec<Row>, String> {
    let mut outputs = Vec::new();
    for p in processes {
        eprintln!("warm-up: {}", p.label);
        let (_, stdout) = sample(p, rss, scratch)?;
        outputs.push(stdout);
    }
    check_outputs(processes, &outputs)?;
    let mut rows: Vec<Row> = processes
        .iter()
        .map(|p| Row {
            label: p.label.clone(),
            samples: Vec::with_capacity(runs),
        })
        .collect();
    for round in 1..=runs {
        eprintln!("round {round}/{runs}");
        // Each round starts with the next process, so that none always runs after another.
        let n = processes.len();
        for k in 0..n {
            let i = (round + k) % n;
            if let (Some(p), Some(row)) = (processes.get(i), rows.get_mut(i)) {
                row.samples.push(sample(p, rss, scratch)?.0);
            }
        }
    }
    Ok(rows)
}

/// The two Rust processes print the same checksum line; the anchors print `measures=N`, the
/// same count.
fn check_outputs(processes: &[Process], outputs: &[String]) -> Result<(), String> {
    let count = |out: &str| {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix("measures="))
            .map(str::to_owned)
    };
    let (Some(first), Some(full)) = (outputs.first(), outputs.get(1)) else {
        return Ok(());
    };
    if first.trim() != full.trim() {
        return Err(format!(
            "the minimal parse and the full decode read different values:\n  {}\n  {}",
            first.trim(),
            full.trim()
        ));
    }
    let expected = count(first);
    for (p, out) in processes.iter().zip(outputs).skip(2) {
        if count(out) != expected {
            return Err(format!(
                "{} printed `{}`, not measures={}",
                p.label,
                out.trim(),
                expected.as_deref().unwrap_or("?")
            ));
        }
    }
    Ok(())
}

/// Runs `p` once under the RSS tool: its wall time, peak memory and standard output.
fn sample(p: &Process, rss: &RssTool, scratch: &Path) -> Result<(Sample, String), String> {
    let report = scratch.join("rss.txt");
    let _ = std::fs::remove_file(&report);
    let mut command = match rss {
        RssTool::GnuTime => {
            let mut c = Command::new("/usr/bin/time");
            c.arg("-v").arg("-o").arg(&report);
            c
        }
        RssTool::Own(tool) => {
            let mut c = Command::new(tool);
            c.arg(&report);
            c
        }
    };
    command
        .args(&p.command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", p.label))?;
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            p.label,
            out.status,
            tail(&stderr, 2_000)
        ));
    }
    let text = std::fs::read_to_string(&report)
        .map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let rss_kib = max_rss_kib(&text).ok_or_else(|| {
        format!(
            "no \"Maximum resident set size\" in the report on {}:\n{text}",
            p.label
        )
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok((
        Sample {
            wall,
            rss_kib,
            cpu: cpu_seconds(&text),
        },
        stdout,
    ))
}

fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// "User time (seconds)" plus "System time (seconds)" of a `time -v` report.
fn cpu_seconds(report: &str) -> Option<f64> {
    let field = |name: &str| {
        report.lines().find_map(|l| {
            l.trim()
                .strip_prefix(name)
                .and_then(|n| n.trim().parse::<f64>().ok())
        })
    };
    Some(field("User time (seconds):")? + field("System time (seconds):")?)
}

/// "Maximum resident set size (kbytes): N" of a `time -v` report.
fn max_rss_kib(report: &str) -> Option<u64> {
    report.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|n| n.trim().parse().ok())
    })
}

fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| {
            if d.is_absolute() {
                d
            } else {
                workspace.join(d)
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
}

/// Builds the `bench-decode` package; the directory of its binaries.
fn build_processes(workspace: &Path, target: &Path, profile: &str) -> Result<PathBuf, String> {
    eprintln!("building the bench-decode package ({profile})");
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args(["build", "--quiet", "--package", "bench-decode", "--bins"])
        .args(["--profile", profile])
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build of bench-decode failed ({status})"));
    }
    // Cargo names the dev profile's directory `debug`.
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target.join(dir))
}

/// Builds the Go anchor into `target/bench-anchors/`, if `go` is installed.
fn go_anchor(anchors: &Path, target: &Path, input: &Path) -> Result<Process, String> {
    let version = Command::new("go")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .ok_or("`go` is not installed (e.g. `apt-get install golang-go`)")?;
    let out_dir = target.join("bench-anchors");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let binary = out_dir.join("go_decode");
    eprintln!("building the Go anchor with {version}");
    let out = Command::new("go")
        .current_dir(anchors.join("go_decode"))
        .arg("build")
        .arg("-o")
        .arg(&binary)
        .arg(".")
        // Build with the Go that is installed; never fetch a toolchain or a module.
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .output()
        .map_err(|e| format!("cannot run go build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "go build failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let version = version.strip_prefix("go version ").unwrap_or(&version);
    Ok(Process {
        label: format!("Go decoder in withings-go's style ({version})"),
        command: vec![binary.into(), input.into()],
    })
}

/// The Python anchor, with the first interpreter that can import `withings_api`: `--python`,
/// else `target/bench-anchors/pyvenv/bin/python`, else `python3`.
fn python_anchor(
    anchors: &Path,
    target: &Path,
    chosen: Option<&Path>,
    input: &Path,
) -> Result<Process, String> {
    let venv = target.join("bench-anchors/pyvenv/bin/python");
    let candidates: Vec<PathBuf> = match chosen {
        Some(p) => vec![p.to_owned()],
        None => [venv.clone(), PathBuf::from("python3")]
            .into_iter()
            .filter(|p| p.components().count() == 1 || p.exists())
            .collect(),
    };
    for python in &candidates {
        let probe = Command::new(python)
            .args([
                "-c",
                "import importlib.metadata as m, withings_api; print(m.version('withings-api'))",
            ])
            .stderr(Stdio::null())
            .output();
        if let Ok(out) = probe
            && out.status.success()
        {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            return Ok(Process {
                label: format!("Python withings-api {version} client (pydantic models)"),
                command: vec![
                    python.into(),
                    anchors.join("py_decode.py").into(),
                    input.into(),
                ],
            });
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "no Python that can `import withings_api` (tried: {}); to install it: \
         python3 -m venv target/bench-anchors/pyvenv && \
         target/bench-anchors/pyvenv/bin/pip install withings-api==2.4.0",
        tried.join(", ")
    ))
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` gives them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

impl Row {
    fn median_wall(&self) -> f64 {
        median(self.samples.iter().map(|s| s.wall.as_secs_f64()).collect())
    }

    fn median_rss_mib(&self) -> f64 {
        // KiB to MiB; exact in f64 for any real figure.
        #[allow(clippy::cast_precision_loss)]
        let mib = |s: &Sample| s.rss_kib as f64 / 1024.0;
        median(self.samples.iter().map(mib).collect())
    }

    /// The median CPU time, `NaN` when a run did not report it.
    fn median_cpu(&self) -> f64 {
        median(
            self.samples
                .iter()
                .map(|s| s.cpu.unwrap_or(f64::NAN))
                .collect(),
        )
    }

    /// The median, over the rounds, of this row's wall time over `base`'s in the same round:
    /// the processes of a round run back to back, so a slow spell of a shared machine falls
    /// on both sides of each ratio.
    fn round_ratio(&self, base: &Self) -> f64 {
        median(
            self.samples
                .iter()
                .zip(&base.samples)
                .map(|(a, b)| a.wall.as_secs_f64() / b.wall.as_secs_f64())
                .collect(),
        )
    }

    fn wall_range(&self) -> (f64, f64) {
        let walls = self.samples.iter().map(|s| s.wall.as_secs_f64());
        (
            walls.clone().fold(f64::INFINITY, f64::min),
            walls.fold(0.0, f64::max),
        )
    }
}

impl Report {
    fn markdown(&self) -> String {
        #[allow(clippy::cast_precision_loss)]
        let input_mib = self.input_bytes as f64 / (1024.0 * 1024.0);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Input: `{}`, {} bytes ({input_mib:.1} MiB), {} groups. {} run{} of each process, \
             interleaved, after one warm-up run each; {} build; peak RSS from {}.",
            self.input.file_name().map_or_else(
                || self.input.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            thousands(self.input_bytes),
            thousands(self.groups),
            self.runs,
            if self.runs == 1 { "" } else { "s" },
            self.profile,
            self.rss_tool,
        );
        let _ = writeln!(
            out,
            "Load average (1, 5, 15 min): {} at the start, {} at the end.\n",
            self.load_start, self.load_end
        );
        out.push_str(
            "| process | median wall | fastest–slowest | ratio to minimal parse (median) | \
             same-round ratio (median) | CPU, user+sys (median) | CPU ratio | peak RSS (median) \
             | peak RSS / input |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        let base = self.rows.first().map_or(f64::NAN, Row::median_wall);
        let base_cpu = self.rows.first().map_or(f64::NAN, Row::median_cpu);
        for row in &self.rows {
            let wall = row.median_wall();
            let (fast, slow) = row.wall_range();
            let rss = row.median_rss_mib();
            let cpu = row.median_cpu();
            let same_round = self.rows.first().map_or(f64::NAN, |b| row.round_ratio(b));
            let _ = writeln!(
                out,
                "| {} | {} | {}–{} | {:.2}× | {same_round:.2}× | {} | {:.2}× | {rss:.1} MiB | {:.2}× |",
                row.label,
                seconds(wall),
                seconds(fast),
                seconds(slow),
                wall / base,
                seconds(cpu),
                cpu / base_cpu,
                rss / input_mib,
            );
        }
        if let Some(full) = self.rows.get(1) {
            let full_wall = full.median_wall();
            for anchor in self.rows.iter().skip(2) {
                let _ = writeln!(
                    out,
                    "\nThe full decode is {:.1}× faster than the {} (median wall).",
                    anchor.median_wall() / full_wall,
                    anchor.label
                );
            }
        }
        if let Some((minimal, full)) = self.instructions {
            #[allow(clippy::cast_precision_loss)]
            let ratio = full as f64 / minimal as f64;
            let _ = writeln!(
                out,
                "\nInstructions (callgrind, whole process): minimal parse {}, full decode {} \
                 ({ratio:.3}×).",
                thousands_u64(minimal),
                thousands_u64(full),
            );
        }
        for s in &self.skipped {
            let _ = write!(out, "\nSkipped {s}.\n");
        }
        out
    }
}

/// `0.213 s`, or `18.4 s` from 10 s on.
fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.3} s")
    }
}

fn thousands(n: usize) -> String {
    thousands_u64(n as u64)
}

fn thousands_u64(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse_args(&s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        let a = args("").unwrap();
        assert_eq!(
            (a.runs, a.groups, a.profile.as_str()),
            (11, 50_000, "release")
        );
        assert!(!a.skip_anchors && !a.no_gnu_time && a.python.is_none());
        let a = args("--runs 3 --groups=20 --python /opt/py --skip-anchors --no-gnu-time").unwrap();
        assert_eq!((a.runs, a.groups), (3, 20));
        assert_eq!(a.python.as_deref(), Some(Path::new("/opt/py")));
        assert!(a.skip_anchors && a.no_gnu_time);
        assert!(args("--runs 0").unwrap_err().contains("positive"));
        assert!(args("--runs x").is_err());
        assert!(args("--groups").unwrap_err().contains("takes a value"));
        assert!(args("--frobnicate").is_err());
    }

    #[test]
    fn medians_and_the_time_report() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        let report = "\tCommand being timed: \"x\"\n\tMaximum resident set size (kbytes): 39104\n\
                      \tAverage resident set size (kbytes): 0\n";
        assert_eq!(max_rss_kib(report), Some(39_104));
        let times = "\tUser time (seconds): 0.15\n\tSystem time (seconds): 0.03\n";
        assert!((cpu_seconds(times).unwrap() - 0.18).abs() < 1e-9);
        assert_eq!(cpu_seconds(report), None);
        assert_eq!(
            max_rss_kib("\tAverage resident set size (kbytes): 0\n"),
            None
        );
        assert_eq!(thousands(30_559_220), "30,559,220");
        assert_eq!(thousands(999), "999");
        assert_eq!(seconds(0.2134), "0.213 s");
        assert_eq!(seconds(18.44), "18.4 s");
    }

    fn row(label: &str, walls_ms: &[u64], rss_kib: u64) -> Row {
        Row {
            label: label.into(),
            samples: walls_ms
                .iter()
                .map(|&ms| Sample {
                    wall: Duration::from_millis(ms),
                    rss_kib,
                    // Half the wall time: the figures below are exact to the third decimal.
                    #[allow(clippy::cast_precision_loss)]
                    cpu: Some(ms as f64 / 2000.0),
                })
                .collect(),
        }
    }

    #[test]
    fn the_table_gives_medians_and_ratios_to_the_first_row() {
        let report = Report {
            input: PathBuf::from("/x/getmeas-50000.json"),
            input_bytes: 2 * 1024 * 1024,
            groups: 50_000,
            runs: 3,
            profile: "release".into(),
            rss_tool: RssTool::GnuTime.describe(),
            load_start: "0.50 0.40 0.30".into(),
            load_end: "1.00 0.60 0.40".into(),
            rows: vec![
                row("minimal", &[210, 200, 900], 3 * 1024),
                row("full", &[300, 330, 320], 6 * 1024),
                row("go", &[1280, 1300, 1290], 12 * 1024),
            ],
            instructions: Some((1_000_000, 1_062_000)),
            skipped: vec!["the Python anchor: not installed".into()],
        };
        let md = report.markdown();
        assert!(
            md.contains("`getmeas-50000.json`, 2,097,152 bytes (2.0 MiB), 50,000 groups"),
            "{md}"
        );
        assert!(
            md.contains("0.50 0.40 0.30 at the start, 1.00 0.60 0.40 at the end"),
            "{md}"
        );
        assert!(
            md.contains(
                "| minimal | 0.210 s | 0.200 s–0.900 s | 1.00× | 1.00× | 0.105 s | 1.00× | 3.0 MiB | 1.50× |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| full | 0.320 s | 0.300 s–0.330 s | 1.52× | 1.43× | 0.160 s | 1.52× | 6.0 MiB | 3.00× |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| go | 1.290 s | 1.280 s–1.300 s | 6.14× | 6.10× | 0.645 s | 6.14× | 12.0 MiB | 6.00× |"
            ),
            "{md}"
        );
        assert!(
            md.contains("The full decode is 4.0× faster than the go"),
            "{md}"
        );
        assert!(
            md.contains("minimal parse 1,000,000, full decode 1,062,000 (1.062×)"),
            "{md}"
        );
        assert!(
            md.contains("Skipped the Python anchor: not installed."),
            "{md}"
        );
    }

    #[test]
    fn the_instruction_count_is_read_from_callgrinds_report() {
        let report = "==12== Events    : Ir\n==12== Collected : 1008102934\n==12==\n==12== I   refs: 1,008,102,934\n";
        assert_eq!(collected(report), Some(1_008_102_934));
        assert_eq!(collected("==12== error\n"), None);
    }

    #[test]
    fn outputs_that_disagree_are_an_error() {
        let p = |label: &str| Process {
            label: label.into(),
            command: Vec::new(),
        };
        let ps = [p("minimal"), p("full"), p("go")];
        let same = "groups=2 measures=7 checksum=00ff\n".to_owned();
        let ok = [same.clone(), same.clone(), "measures=7 sum=1.5\n".into()];
        assert!(check_outputs(&ps, &ok).is_ok());
        let e = check_outputs(
            &ps,
            &[same.clone(), "groups=2 measures=7 checksum=00fe".into()],
        )
        .unwrap_err();
        assert!(e.contains("read different values"), "{e}");
        let e = check_outputs(&ps, &[same.clone(), same, "measures=6 sum=1.5".into()]).unwrap_err();
        assert!(
            e.starts_with("go printed `measures=6 sum=1.5`, not measures=7"),
            "{e}"
        );
    }

    /// The whole program on a small input, with the processes built in the dev profile: both
    /// Rust processes run, agree, and report a peak RSS, with GNU time (where installed) and
    /// with `bench-peak-rss`.
    #[test]
    fn a_small_run_times_both_processes() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!("xtask-bench-decode-{}", std::process::id()));
        let mut tools = vec![true];
        if Path::new("/usr/bin/time").exists() {
            tools.push(false);
        }
        for no_gnu_time in tools {
            let args = Args {
                runs: 3,
                groups: 40,
                skip_anchors: true,
                no_gnu_time,
                profile: "dev".into(),
                data_dir: Some(dir.clone()),
                ..Args::default()
            };
            let report = run(&root, &args).unwrap();
            assert_eq!(report.rows.len(), 2);
            for row in &report.rows {
                assert_eq!(row.samples.len(), 3, "{}", row.label);
                // Any process that ran has some memory resident; a parse failure would be an error.
                assert!(row.samples.iter().all(|s| s.rss_kib > 256), "{row:?}");
            }
            assert!(report.rss_tool.contains(if no_gnu_time {
                "bench-peak-rss"
            } else {
                "/usr/bin/time"
            }));
            assert!(report.markdown().contains("| 1.00× |"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
