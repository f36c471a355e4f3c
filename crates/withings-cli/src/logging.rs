//! `-v` / `-vv` and `RUST_LOG`: the library's tracing spans and events as lines on stderr.
//!
//! Each API call is a `withings.call` span (service, action, attempt, status, latency_ms),
//! printed when it closes; retries, 601 waits and token refreshes are events inside it. The
//! library never records a token, a code or the client secret in them.
//!
//! The filter: `RUST_LOG`'s directives (as `tracing-subscriber`'s `EnvFilter` reads them),
//! then the level of the flag for every target: `-v` info, `-vv` debug, `-vvv` trace. The flag
//! wins over a bare level in `RUST_LOG` (`RUST_LOG=warn withings -v` shows info); per-target
//! directives (`RUST_LOG=hyper_util=trace`) still apply. With neither, warnings only.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The level `-v` repeated `verbose` times asks for; `None` without the flag.
fn flag_level(verbose: u8) -> Option<LevelFilter> {
    match verbose {
        0 => None,
        1 => Some(LevelFilter::INFO),
        2 => Some(LevelFilter::DEBUG),
        _ => Some(LevelFilter::TRACE),
    }
}

/// The filter for `-v` repeated `verbose` times and the value of `RUST_LOG`.
pub(crate) fn filter(verbose: u8, rust_log: Option<&str>) -> EnvFilter {
    let rust_log = rust_log.map(str::trim).filter(|s| !s.is_empty());
    let parsed = EnvFilter::builder().parse_lossy(rust_log.unwrap_or_default());
    // Added after the parsed directives, a bare level replaces a bare level among them.
    let level = flag_level(verbose).or(rust_log.is_none().then_some(LevelFilter::WARN));
    match level {
        Some(level) => parsed.add_directive(level.into()),
        None => parsed,
    }
}

/// Installs the stderr subscriber (once, before any call).
pub(crate) fn init(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    // Fails only when a subscriber is already installed: keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(verbose, rust_log.as_deref()))
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE)
        .try_init();
}

/// Whether info lines may reach stderr: then they tell the progress, and a spinner redrawn
/// under them would garble both.
pub(crate) fn writes_lines() -> bool {
    LevelFilter::current() >= LevelFilter::INFO
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(verbose: u8, rust_log: Option<&str>) -> String {
        filter(verbose, rust_log).to_string()
    }

    #[test]
    fn the_flag_sets_the_level_and_rust_log_adds_targets() {
        assert_eq!(shown(0, None), "warn");
        assert_eq!(shown(0, Some("  ")), "warn");
        assert_eq!(shown(1, None), "info");
        assert_eq!(shown(2, None), "debug");
        assert_eq!(shown(5, None), "trace");
        assert_eq!(shown(0, Some("withings_http=debug")), "withings_http=debug");
        // The flag replaces RUST_LOG's bare level and keeps its targets.
        let both = shown(1, Some("error,hyper_util=trace"));
        assert!(
            both.contains("hyper_util=trace") && both.contains("info"),
            "{both}"
        );
        assert!(!both.contains("error"), "{both}");
    }
}
