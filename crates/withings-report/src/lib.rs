//! Charts and a one-page report of a synced Withings history, offline.
//!
//! The data come from the sync store through [`withings_sync::series`] (what is a point, a
//! night, a day is decided there); this crate only draws them, with plotters' SVG backend:
//! text is written as SVG `<text>` elements, so no font file is read and the output looks
//! the same on any machine with a browser.
//!
//! | chart | what | drawn as |
//! |---|---|---|
//! | [`Chart::Weight`] | weight, kg, and its 7-day trailing average | two lines, one point per weigh-in each |
//! | [`Chart::BodyFat`] | fat ratio, % | a line, one point per measure |
//! | [`Chart::Sleep`] | hours of light, deep, REM sleep and awake per night | stacked bars, one rectangle per stage per night |
//! | [`Chart::Steps`] | steps per day | bars, one per day |
//! | [`Chart::HeartRate`] | resting heart rate (lowest of the night), bpm | a line, one point per night |
//!
//! Each series has its own colour ([`palette`]): a reader (or a test) finds a series in the
//! SVG by its `stroke` (lines) or `fill` (bars) — see [`svg_color`].
//!
//! ```
//! use withings_report::{Chart, Data, svg};
//!
//! let chart = svg(Chart::Steps, &Data::Days(Vec::new()), &jiff::tz::TimeZone::UTC)?;
//! assert!(chart.contains("<svg") && chart.contains("no data"));
//! # Ok::<(), withings_report::Error>(())
//! ```
#![doc(test(attr(deny(warnings))))]

use std::fmt::Write as _;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use withings_sync::Store;
use withings_sync::series::{self, DayValue, NightStages, Point};

/// What went wrong while loading or drawing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] withings_sync::Error),
    /// Drawing failed (plotters' message).
    #[error("cannot draw the {chart} chart: {message}")]
    Draw {
        /// The chart.
        chart: Chart,
        /// What plotters said.
        message: String,
    },
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Chart {
    /// Weight with a 7-day moving average.
    Weight,
    /// Fat ratio.
    BodyFat,
    /// Sleep stages per night, stacked.
    Sleep,
    /// Steps per day.
    Steps,
    /// Resting heart rate per night.
    HeartRate,
}

impl Chart {
    /// Every chart, in report order.
    pub const ALL: [Self; 5] = [
        Self::Weight,
        Self::BodyFat,
        Self::Sleep,
        Self::Steps,
        Self::HeartRate,
    ];

    /// The name on the command line: `weight`, `body-fat`, `sleep`, `steps`, `heart-rate`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Weight => "weight",
            Self::BodyFat => "body-fat",
            Self::Sleep => "sleep",
            Self::Steps => "steps",
            Self::HeartRate => "heart-rate",
        }
    }

    /// The chart named `name` ([`name`](Self::name)).
    ///
    /// ```
    /// use withings_report::Chart;
    /// assert_eq!(Chart::from_name("body-fat"), Some(Chart::BodyFat));
    /// assert_eq!(Chart::from_name("bmi"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name.trim())
    }

    /// A short label: `Weight`, `Body fat`, `Sleep`, `Steps`, `Resting heart rate`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Weight => "Weight",
            Self::BodyFat => "Body fat",
            Self::Sleep => "Sleep",
            Self::Steps => "Steps",
            Self::HeartRate => "Resting heart rate",
        }
    }

    /// The chart's title.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Weight => "Weight (kg) and 7-day average",
            Self::BodyFat => "Body fat (%)",
            Self::Sleep => "Sleep stages per night (hours)",
            Self::Steps => "Steps per day",
            Self::HeartRate => "Resting heart rate (bpm, lowest of the night)",
        }
    }
}

impl std::fmt::Display for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The colour of each series, as `(red, green, blue)`.
pub mod palette {
    /// Weight, each weigh-in.
    pub const WEIGHT: (u8, u8, u8) = (31, 119, 180);
    /// Weight, the 7-day average.
    pub const WEIGHT_AVERAGE: (u8, u8, u8) = (255, 127, 14);
    /// Body fat.
    pub const BODY_FAT: (u8, u8, u8) = (148, 103, 189);
    /// Steps.
    pub const STEPS: (u8, u8, u8) = (44, 160, 44);
    /// Resting heart rate.
    pub const HEART_RATE: (u8, u8, u8) = (214, 39, 40);
    /// Sleep: deep, light, REM, awake (bottom to top of a night's bar).
    pub const SLEEP_DEEP: (u8, u8, u8) = (23, 50, 120);
    /// Light sleep.
    pub const SLEEP_LIGHT: (u8, u8, u8) = (90, 150, 220);
    /// REM sleep.
    pub const SLEEP_REM: (u8, u8, u8) = (160, 110, 210);
    /// Awake in bed.
    pub const SLEEP_AWAKE: (u8, u8, u8) = (240, 170, 60);
}

/// A colour as the SVG writes it: `#RRGGBB`, upper-case hex.
///
/// ```
/// assert_eq!(withings_report::svg_color((31, 119, 180)), "#1F77B4");
/// ```
#[must_use]
pub fn svg_color((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// The data of one chart, read from the store ([`load`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Data {
    /// Measures (weight, body fat), and for weight their moving average.
    Measures {
        /// The measures, oldest first.
        points: Vec<Point>,
        /// The 7-day trailing average, one point per measure (weight only).
        average: Option<Vec<Point>>,
    },
    /// A value per day (steps, resting heart rate), oldest first.
    Days(Vec<DayValue>),
    /// Sleep stages per night, oldest first.
    Nights(Vec<NightStages>),
}

/// Reads the data of `chart` from `store`: `user`'s (`None`: every user's), from `since` on.
///
/// # Errors
/// [`Error::Store`].
pub async fn load<S: Store>(
    store: &S,
    chart: Chart,
    user: Option<&str>,
    since: Option<Timestamp>,
) -> Result<Data> {
    Ok(match chart {
        Chart::Weight => {
            let points = series::measure(store, user, series::kind::WEIGHT, since).await?;
            let average = series::moving_average(&points, SignedDuration::from_hours(7 * 24));
            Data::Measures {
                points,
                average: Some(average),
            }
        }
        Chart::BodyFat => Data::Measures {
            points: series::measure(store, user, series::kind::FAT_RATIO, since).await?,
            average: None,
        },
        Chart::Steps => Data::Days(series::daily_steps(store, user, since).await?),
        Chart::HeartRate => Data::Days(series::resting_heart_rate(store, user, since).await?),
        Chart::Sleep => Data::Nights(series::sleep_nights(store, user, since).await?),
    })
}

/// The chart's latest value as text, and its date: the last point of its data.
#[must_use]
pub fn latest(chart: Chart, data: &Data, tz: &TimeZone) -> Option<(String, Date)> {
    match data {
        Data::Measures { points, .. } => points.last().map(|p| {
            let unit = if chart == Chart::BodyFat { "%" } else { "kg" };
            (format!("{} {unit}", p.value), local_date(p.at, tz))
        }),
        Data::Days(days) => days.last().map(|d| {
            let text = if chart == Chart::HeartRate {
                format!("{} bpm", d.value)
            } else {
                format!("{} steps", d.value)
            };
            (text, d.date)
        }),
        Data::Nights(nights) => nights.last().map(|n| {
            let asleep = n.asleep_s();
            (
                format!("{}h{:02} asleep", asleep / 3600, (asleep % 3600) / 60),
                n.date,
            )
        }),
    }
}

const SIZE: (u32, u32) = (900, 380);
const FONT: &str = "sans-serif";

/// The chart as an SVG document (`<svg …>…</svg>`, no XML declaration: it can be written to
/// a `.svg` file or inlined in HTML). Instants are placed on the day they fall on in `tz`.
///
/// # Errors
/// [`Error::Draw`] when plotters fails.
pub fn svg(chart: Chart, data: &Data, tz: &TimeZone) -> Result<String> {
    let mut out = String::new();
    draw(chart, data, tz, &mut out).map_err(|message| Error::Draw { chart, message })?;
    Ok(out)
}

fn draw(chart: Chart, data: &Data, tz: &TimeZone, out: &mut String) -> Result<(), String> {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(text)?;
    match data {
        Data::Measures { points, average } => {
            let color = if chart == Chart::BodyFat {
                palette::BODY_FAT
            } else {
                palette::WEIGHT
            };
            let mut lines = vec![(
                chart.name().to_owned(),
                color,
                points.iter().map(|p| (day_of(p.at, tz), p.value)).collect(),
            )];
            if let Some(avg) = average {
                lines.push((
                    "7-day average".to_owned(),
                    palette::WEIGHT_AVERAGE,
                    avg.iter().map(|p| (day_of(p.at, tz), p.value)).collect(),
                ));
            }
            lines_chart(&root, chart, &lines)?;
        }
        Data::Days(days) if chart == Chart::Steps => {
            let bars: Vec<(f64, f64, f64)> = days
                .iter()
                .map(|d| (day_number(d.date), 0.0, d.value))
                .collect();
            bars_chart(&root, chart, &[("steps", palette::STEPS, bars)])?;
        }
        Data::Days(days) => {
            let line = days.iter().map(|d| (day_number(d.date), d.value)).collect();
            lines_chart(
                &root,
                chart,
                &[("resting heart rate".to_owned(), palette::HEART_RATE, line)],
            )?;
        }
        Data::Nights(nights) => {
            let h = |s: i64| {
                #[allow(clippy::cast_precision_loss)]
                let h = s as f64 / 3600.0;
                h
            };
            let mut stacks: [Bars<'_>; 4] = [
                ("deep", palette::SLEEP_DEEP, Vec::new()),
                ("light", palette::SLEEP_LIGHT, Vec::new()),
                ("REM", palette::SLEEP_REM, Vec::new()),
                ("awake", palette::SLEEP_AWAKE, Vec::new()),
            ];
            for n in nights {
                let x = day_number(n.date);
                let mut bottom = 0.0;
                for (stack, secs) in stacks
                    .iter_mut()
                    .zip([n.deep_s, n.light_s, n.rem_s, n.awake_s])
                {
                    let top = bottom + h(secs);
                    stack.2.push((x, bottom, top));
                    bottom = top;
                }
            }
            bars_chart(&root, chart, &stacks)?;
        }
    }
    root.present().map_err(text)
}

/// A line: label, colour, `(day, value)` points.
type Line = (String, (u8, u8, u8), Vec<(f64, f64)>);
/// Bars of one colour: label, colour, `(day, bottom, top)`.
type Bars<'a> = (&'a str, (u8, u8, u8), Vec<(f64, f64, f64)>);

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Line series: `(label, colour, points)`, each drawn as one polyline.
fn lines_chart(root: &Area<'_>, chart: Chart, lines: &[Line]) -> Result<(), String> {
    let all = lines.iter().flat_map(|l| l.2.iter().copied());
    let Some((x, y)) = ranges(all.clone().map(|p| p.0), all.map(|p| p.1), false) else {
        return no_data(root, chart);
    };
    let mut c = ChartBuilder::on(root)
        .caption(chart.title(), (FONT, 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(x, y)
        .map_err(text)?;
    c.configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|d| day_label(*d))
        .draw()
        .map_err(text)?;
    for (label, color, points) in lines {
        let rgb = RGBColor(color.0, color.1, color.2);
        c.draw_series(LineSeries::new(points.iter().copied(), rgb.stroke_width(2)))
            .map_err(text)?
            .label(label.as_str())
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, rgb.filled()));
    }
    legend(&mut c)
}

/// Bars, stacked when several: `(label, colour, [(day, bottom, top)])`.
fn bars_chart(root: &Area<'_>, chart: Chart, stacks: &[Bars<'_>]) -> Result<(), String> {
    let all = stacks.iter().flat_map(|s| s.2.iter().copied());
    let Some((x, y)) = ranges(
        all.clone().flat_map(|b| [b.0, b.0 + 1.0]),
        all.map(|b| b.2),
        true,
    ) else {
        return no_data(root, chart);
    };
    let mut c = ChartBuilder::on(root)
        .caption(chart.title(), (FONT, 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(x, y)
        .map_err(text)?;
    c.configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|d| day_label(*d))
        .draw()
        .map_err(text)?;
    for (label, color, bars) in stacks {
        let rgb = RGBColor(color.0, color.1, color.2);
        c.draw_series(bars.iter().map(|&(d, bottom, top)| {
            Rectangle::new([(d + 0.1, bottom), (d + 0.9, top)], rgb.filled())
        }))
        .map_err(text)?
        .label(*label)
        .legend(move |(x, y)| Circle::new((x + 8, y), 4, rgb.filled()));
    }
    legend(&mut c)
}

type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn legend<'b>(c: &mut Plot<'b, 'b>) -> Result<(), String> {
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 13))
        .draw()
        .map_err(text)
}

fn no_data(root: &Area<'_>, chart: Chart) -> Result<(), String> {
    root.titled(chart.title(), (FONT, 20)).map_err(text)?;
    root.draw(&Text::new(
        "no data in this window: run `withings sync`, or widen --since",
        (40, i32::try_from(SIZE.1 / 2).unwrap_or(190)),
        (FONT, 16),
    ))
    .map_err(text)
}

/// The x and y ranges of the points, with some room; `None` without points. Bars start at 0.
fn ranges(
    xs: impl Iterator<Item = f64>,
    ys: impl Iterator<Item = f64>,
    from_zero: bool,
) -> Option<(std::ops::Range<f64>, std::ops::Range<f64>)> {
    let (x0, x1) = min_max(xs)?;
    let (mut y0, y1) = min_max(ys)?;
    if from_zero {
        y0 = y0.min(0.0);
    }
    let pad_y = ((y1 - y0) * 0.08).max(0.5);
    let y_low = if from_zero { y0 } else { y0 - pad_y };
    Some((x0 - 0.5..x1 + 0.5, y_low..y1 + pad_y))
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// Days since 1970-01-01.
fn day_number(d: Date) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let days = d.duration_since(EPOCH).as_secs() as f64 / 86_400.0;
    days
}

/// An instant as a fractional day number in `tz` (a morning weigh-in sits early in its day).
fn day_of(t: Timestamp, tz: &TimeZone) -> f64 {
    let z = t.to_zoned_datetime(tz.clone());
    let since_midnight = z.time().duration_since(jiff::civil::Time::midnight());
    day_number(z.date()) + since_midnight.as_secs_f64() / 86_400.0
}

fn local_date(t: Timestamp, tz: &TimeZone) -> Date {
    t.to_zoned_datetime(tz.clone()).date()
}

fn day_label(d: f64) -> String {
    // Axis labels only: whole days, within jiff's range or not shown.
    #[allow(clippy::cast_possible_truncation)]
    let days = d.floor() as i64;
    EPOCH
        .checked_add(SignedDuration::from_hours(days.saturating_mul(24)))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// One self-contained HTML page: a table of the latest values, then every chart of
/// [`Chart::ALL`] as inline SVG, with the data of `user` (`None`: every user's) from `since`
/// on. No external reference: no scripts, stylesheets, fonts or images from elsewhere.
///
/// # Errors
/// [`Error::Store`] or [`Error::Draw`].
pub async fn report<S: Store>(
    store: &S,
    user: Option<&str>,
    since: Option<Timestamp>,
    generated_at: Timestamp,
    tz: &TimeZone,
) -> Result<String> {
    let mut charts = Vec::new();
    for chart in Chart::ALL {
        let data = load(store, chart, user, since).await?;
        charts.push((chart, latest(chart, &data, tz), svg(chart, &data, tz)?));
    }
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Withings report</title>\n<style>\n\
         body{font-family:sans-serif;margin:2em auto;max-width:960px;padding:0 1em;color:#222}\n\
         table{border-collapse:collapse;margin-bottom:2em}\n\
         th,td{border-bottom:1px solid #ddd;padding:.3em 1em;text-align:left}\n\
         svg{max-width:100%;height:auto}\n\
         </style>\n</head>\n<body>\n<h1>Withings report</h1>\n",
    );
    let window = since.map_or_else(
        || "the whole history".to_owned(),
        |s| format!("since {}", local_date(s, tz)),
    );
    let _ = writeln!(
        html,
        "<p>{} — generated {} from the local database, offline.</p>",
        escape(&window),
        escape(
            &generated_at
                .to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        )
    );
    html.push_str(
        "<h2>Latest values</h2>\n<table>\n<tr><th>what</th><th>value</th><th>date</th></tr>\n",
    );
    for (chart, latest, _) in &charts {
        let (value, date) = latest.as_ref().map_or_else(
            || ("—".to_owned(), String::new()),
            |(v, d)| (v.clone(), d.to_string()),
        );
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(chart.label()),
            escape(&value),
            escape(&date)
        );
    }
    html.push_str("</table>\n");
    for (chart, _, svg) in &charts {
        let _ = writeln!(
            html,
            "<section id=\"{}\">\n<h2>{}</h2>\n{svg}\n</section>",
            chart.name(),
            escape(chart.title())
        );
    }
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
///
/// ```
/// assert_eq!(withings_report::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
