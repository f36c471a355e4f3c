//! Splitting long ranges for the actions that answer at most 24 h (`sleep get`,
//! `getintradayactivity`; reference §4.1, §12.18).

use jiff::SignedDuration;
use withings_model::TimeSpan;

use crate::{Error, Result};

/// The longest span one call covers.
pub(crate) const MAX_SPAN: SignedDuration = SignedDuration::from_hours(24);

/// More calls than this for one range is almost certainly a mistake (a range of years built
/// from a default): refuse rather than send thousands of requests.
pub(crate) const MAX_CALLS: usize = 1000;

/// `span` cut into consecutive pieces of at most 24 h; each piece starts where the previous
/// one ended, so a sample on a seam may come back twice (merging removes it).
pub(crate) fn chunks(span: TimeSpan) -> Result<Vec<TimeSpan>> {
    if span.end < span.start {
        return Err(Error::InvalidRequest(format!(
            "the range ends ({}) before it starts ({})",
            span.end, span.start
        )));
    }
    let mut out = Vec::new();
    let mut start = span.start;
    loop {
        let end = match start.checked_add(MAX_SPAN) {
            Ok(end) if end < span.end => end,
            _ => span.end,
        };
        out.push(TimeSpan { start, end });
        if end >= span.end {
            return Ok(out);
        }
        if out.len() >= MAX_CALLS {
            return Err(Error::InvalidRequest(format!(
                "the range {} – {} needs more than {MAX_CALLS} calls of 24 h; ask for a shorter range",
                span.start, span.end
            )));
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn a_short_range_is_one_call() {
        let span = TimeSpan {
            start: t(1000),
            end: t(1000 + 86_400),
        };
        assert_eq!(chunks(span).unwrap(), vec![span]);
        let empty = TimeSpan {
            start: t(5),
            end: t(5),
        };
        assert_eq!(chunks(empty).unwrap(), vec![empty]);
    }

    #[test]
    fn a_long_range_is_cut_at_24_hours() {
        let span = TimeSpan {
            start: t(0),
            end: t(2 * 86_400 + 3600),
        };
        let c = chunks(span).unwrap();
        let bounds: Vec<_> = c
            .iter()
            .map(|s| (s.start.as_second(), s.end.as_second()))
            .collect();
        assert_eq!(
            bounds,
            vec![(0, 86_400), (86_400, 172_800), (172_800, 176_400)]
        );
    }

    #[test]
    fn reversed_and_huge_ranges_are_refused() {
        let e = chunks(TimeSpan {
            start: t(10),
            end: t(5),
        })
        .unwrap_err();
        assert!(e.to_string().contains("before it starts"), "{e}");
        let e = chunks(TimeSpan {
            start: t(0),
            end: t(86_400 * 2000),
        })
        .unwrap_err();
        assert!(e.to_string().contains("more than 1000 calls"), "{e}");
    }
}
