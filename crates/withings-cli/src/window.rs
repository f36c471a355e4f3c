//! Time windows (`--since 48h`, `--from/--to`) and time zones (`--tz`).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};

/// A `--from`/`--to` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum When {
    /// An instant with an offset or `Z` (`2024-06-03T07:00:00+02:00`).
    Instant(Timestamp),
    /// A local date and time (`2024-06-03T07:00`, `2024-06-03 07:00`), in `--tz`.
    Local(DateTime),
    /// A whole day (`2024-06-03`): from its start for `--from`, to its end for `--to`.
    Day(Date),
}

/// `48h`, `7d`, `30m`, `2w`, `90s` (one number, one unit).
pub(crate) fn parse_since(s: &str) -> Result<SignedDuration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{s}` has no unit: write it like 48h, 7d, 30m or 2w"))?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("`{s}` must start with a whole number, like 48h or 7d"))?;
    let secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{s}`: use s, m, h, d or w"
            ));
        }
    };
    let total = n
        .checked_mul(secs)
        .filter(|t| *t > 0 && *t <= 20 * 366 * 86_400)
        .ok_or_else(|| format!("`{s}` must be more than 0 and at most 20 years"))?;
    Ok(SignedDuration::from_secs(total))
}

/// `2024-06-03`, `2024-06-03T07:00[:00]`, or RFC 3339 with an offset.
pub(crate) fn parse_when(s: &str) -> Result<When, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(When::Instant(t));
    }
    if s.len() == 10
        && let Ok(d) = s.parse::<Date>()
    {
        return Ok(When::Day(d));
    }
    if let Ok(dt) = s.replacen(' ', "T", 1).parse::<DateTime>() {
        return Ok(When::Local(dt));
    }
    Err(format!(
        "`{s}` is not a date or time: write 2024-06-03, 2024-06-03T07:00 or 2024-06-03T07:00:00Z"
    ))
}

/// An `--updated-since` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Updated {
    /// A date or time, read as `--from` reads it (a bare date is its start).
    At(When),
    /// An age: that long before now.
    Ago(SignedDuration),
}

/// A date or time as [`parse_when`] reads it, or an age as [`parse_since`] reads it.
pub(crate) fn parse_updated(s: &str) -> Result<Updated, String> {
    if let Ok(w) = parse_when(s) {
        return Ok(Updated::At(w));
    }
    parse_since(s).map(Updated::Ago).map_err(|_| {
        format!(
            "`{}` is neither a date or time (2024-06-03, 2024-06-03T07:00, 2024-06-03T07:00:00Z) nor an age (7d, 48h)",
            s.trim()
        )
    })
}

/// The instant an `--updated-since` value stands for, at `now`, dates and local times read in
/// `tz`.
pub(crate) fn updated_at(u: Updated, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, String> {
    match u {
        Updated::At(w) => at(w, tz, false),
        Updated::Ago(d) => now.checked_sub(d).map_err(|e| e.to_string()),
    }
}

/// An IANA zone name (`Asia/Tokyo`, `UTC`).
pub(crate) fn parse_tz(s: &str) -> Result<TimeZone, String> {
    TimeZone::get(s.trim()).map_err(|_| {
        format!("unknown time zone `{s}`: use an IANA name such as Europe/Paris or Asia/Tokyo")
    })
}

/// The zone a window's dates are read in when `--tz` is not given: the system's.
pub(crate) fn window_zone(tz: Option<&TimeZone>) -> TimeZone {
    tz.cloned().unwrap_or_else(TimeZone::system)
}

/// A resolved window of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
}

fn at(when: When, tz: &TimeZone, end_of_day: bool) -> Result<Timestamp, String> {
    match when {
        When::Instant(t) => Ok(t),
        When::Local(dt) => tz
            .to_ambiguous_zoned_datetime(dt)
            .compatible()
            .map(|z| z.timestamp())
            .map_err(|e| format!("{dt} does not exist in the zone: {e}")),
        When::Day(d) => {
            let day = if end_of_day {
                d.tomorrow().map_err(|e| e.to_string())?
            } else {
                d
            };
            let z = tz
                .to_ambiguous_zoned_datetime(day.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .map_err(|e| e.to_string())?;
            let t = z.timestamp();
            Ok(if end_of_day {
                t.checked_sub(SignedDuration::from_secs(1))
                    .map_err(|e| e.to_string())?
            } else {
                t
            })
        }
    }
}

/// `--since`, `--from`, `--to` and the command's default look-back, resolved at `now`.
pub(crate) fn resolve(
    since: Option<SignedDuration>,
    from: Option<When>,
    to: Option<When>,
    default: SignedDuration,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Span, String> {
    let end = match to {
        Some(w) => at(w, tz, true)?,
        None => now,
    };
    let start = match (from, since) {
        (Some(w), _) => at(w, tz, false)?,
        (None, Some(d)) => end.checked_sub(d).map_err(|e| e.to_string())?,
        (None, None) => end.checked_sub(default).map_err(|e| e.to_string())?,
    };
    if start > end {
        return Err(format!(
            "the window starts ({start}) after it ends ({end}): check --from and --to"
        ));
    }
    Ok(Span { start, end })
}

impl Span {
    /// The local dates the window covers, both inclusive (for `YYYY-MM-DD` actions).
    pub(crate) fn dates(&self, tz: &TimeZone) -> (Date, Date) {
        (
            self.start.to_zoned_datetime(tz.clone()).date(),
            self.end.to_zoned_datetime(tz.clone()).date(),
        )
    }
}

/// An instant shown in `--tz` if given, else in the zone the API reported for the record
/// (`api`), else in the system zone.
pub(crate) fn local(t: Timestamp, tz: Option<&TimeZone>, api: Option<&TimeZone>) -> ZonedDateTime {
    let zone = tz.or(api).cloned().unwrap_or_else(TimeZone::system);
    t.to_zoned_datetime(zone)
}

/// A zone by the name the API sent (`Europe/Paris`); `None` when the name is unknown here.
pub(crate) fn api_zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name).ok()
}

/// The IANA name of a zone, for the `timezone` column.
pub(crate) fn zone_name(z: &ZonedDateTime) -> String {
    z.time_zone()
        .iana_name()
        .map_or_else(|| z.strftime("%:z").to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn since_takes_one_number_and_one_unit() {
        assert_eq!(parse_since("48h").unwrap(), SignedDuration::from_hours(48));
        assert_eq!(parse_since("7d").unwrap(), SignedDuration::from_hours(168));
        assert_eq!(parse_since("2w").unwrap(), SignedDuration::from_hours(336));
        assert_eq!(parse_since("30m").unwrap(), SignedDuration::from_mins(30));
        assert!(parse_since("7").unwrap_err().contains("no unit"));
        assert!(parse_since("7y").unwrap_err().contains("unknown unit"));
        assert!(parse_since("0d").is_err());
    }

    #[test]
    fn from_and_to_read_days_local_times_and_instants() {
        let tz = TimeZone::get("Asia/Tokyo").unwrap();
        let span = resolve(
            None,
            Some(parse_when("2024-06-01").unwrap()),
            Some(parse_when("2024-06-02").unwrap()),
            SignedDuration::from_hours(24),
            ts(0),
            &tz,
        )
        .unwrap();
        assert_eq!(span.start.to_string(), "2024-05-31T15:00:00Z");
        assert_eq!(span.end.to_string(), "2024-06-02T14:59:59Z");
        assert_eq!(
            span.dates(&tz),
            (Date::constant(2024, 6, 1), Date::constant(2024, 6, 2))
        );
        assert_eq!(
            parse_when("2024-06-01T10:00:00Z").unwrap(),
            When::Instant("2024-06-01T10:00:00Z".parse().unwrap())
        );
        assert!(matches!(
            parse_when("2024-06-01 10:00").unwrap(),
            When::Local(_)
        ));
        assert!(parse_when("June 1").is_err());
    }

    #[test]
    fn updated_since_takes_a_date_a_time_or_an_age() {
        let tz = TimeZone::get("Asia/Tokyo").unwrap();
        let now = ts(1_717_430_000);
        let day = parse_updated("2024-06-01").unwrap();
        assert_eq!(
            updated_at(day, now, &tz).unwrap().to_string(),
            "2024-05-31T15:00:00Z"
        );
        let age = parse_updated("48h").unwrap();
        assert_eq!(age, Updated::Ago(SignedDuration::from_hours(48)));
        assert_eq!(
            updated_at(age, now, &tz).unwrap(),
            ts(1_717_430_000 - 172_800)
        );
        let instant = parse_updated("2024-06-01T10:00:00Z").unwrap();
        assert_eq!(
            updated_at(instant, now, &tz).unwrap().to_string(),
            "2024-06-01T10:00:00Z"
        );
        let e = parse_updated("yesterday").unwrap_err();
        assert!(e.contains("neither a date or time"), "{e}");
    }

    #[test]
    fn since_counts_back_from_now_and_windows_split_into_days() {
        let span = resolve(
            Some(SignedDuration::from_hours(48)),
            None,
            None,
            SignedDuration::from_hours(1),
            ts(1_717_430_000),
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(span.start, ts(1_717_430_000 - 172_800));
        assert!(
            resolve(
                None,
                Some(When::Instant(ts(10))),
                Some(When::Instant(ts(5))),
                SignedDuration::from_hours(1),
                ts(0),
                &TimeZone::UTC
            )
            .is_err()
        );
    }
}
