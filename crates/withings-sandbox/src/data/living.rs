//! The account as seen at one instant: what exists, what `modified` says, what was deleted,
//! and the counts tests compare a sync with.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use super::{
    ActivityDay, BODY_SCAN, BODY_SCAN_SINCE, BPM, Day, DemoData, DeviceInfo, EcgRec, SCALE,
    SLEEP_MONITOR, Source, TIME_ZONE_NAME, WATCH, add_days, local,
};
use crate::Inventory;
use crate::json::{J, Obj};

impl DemoData {
    /// The day's activity at `now` and its `modified`: none before the day begins; while it
    /// is under way, the part of the day gone by (the watch syncs through the day, so
    /// `modified` trails `now` by a few minutes); after midnight the whole day, `modified` at
    /// its last sync (or at a late re-sync once that has happened).
    pub(crate) fn activity_at<'a>(
        &self,
        day: &'a Day,
        now: i64,
    ) -> Option<(Cow<'a, ActivityDay>, i64)> {
        let full = day.activity.as_ref()?;
        if now < day.midnight {
            return None;
        }
        if now < day.next_midnight {
            let length = (day.next_midnight - day.midnight).max(1);
            let fraction = ((now - day.midnight) as f64 / length as f64).clamp(0.0, 1.0);
            let partial = self.activity(day.back, day.date, fraction)?;
            let modified = (now - partial.lag).max(day.midnight);
            return Some((Cow::Owned(partial), modified));
        }
        let mut modified = full.final_at.min(now);
        if let Some(at) = full.resync.filter(|&at| at <= now) {
            modified = modified.max(at);
        }
        Some((Cow::Borrowed(full), modified))
    }

    /// Whether a measure group with this id exists at `now`.
    pub(crate) fn has_group(&self, grpid: i64, now: i64) -> bool {
        if self.added_groups(now).iter().any(|g| g.grpid == grpid) {
            return true;
        }
        let grpid = grpid - self.ids;
        // Ids encode the day: 5_000_000_000 + day × 8 + k, Body Scan 5_100_000_000 + day × 4 + k.
        let ord = if grpid >= 5_100_000_000 {
            (grpid - 5_100_000_000).div_euclid(4)
        } else {
            (grpid - 5_000_000_000).div_euclid(8)
        };
        self.day_by_ordinal(ord, now).is_some_and(|day| {
            day.groups
                .iter()
                .any(|g| g.grpid == grpid && g.visible(now))
        })
    }

    /// The ECG with this signal id, when it exists at `now`.
    pub(crate) fn ecg(&self, signalid: i64, now: i64) -> Option<EcgRec> {
        // Ids encode the day: 170_000_000 + day × 2 (+ 1 for the watch's).
        let ord = (signalid - self.ids - 170_000_000).div_euclid(2);
        let day = self.day_by_ordinal(ord, now)?;
        day.ecgs
            .iter()
            .find(|e| e.signalid == signalid && e.visible(now))
            .cloned()
    }

    /// The user's goals.
    pub(crate) fn goals() -> J {
        Obj::new()
            .put("steps", 10000)
            .put("sleep", 28800)
            .put("weight", Obj::new().put("value", 75000).put("unit", -3))
            .into()
    }

    /// `getdevice` at `now`: last sessions are the latest records each device made.
    pub(crate) fn devices_json(&self, now: i64) -> Vec<J> {
        let history = self.history(now);
        let newest = || history.iter().rev();
        let last_group = |device: &str| {
            newest().find_map(|day| {
                day.groups
                    .iter()
                    .filter(|g| g.visible(now) && g.device.is_some_and(|d| d.id == device))
                    .map(|g| g.date)
                    .max()
            })
        };
        let last_watch = newest().find_map(|day| {
            let (activity, modified) = self.activity_at(day, now)?;
            (activity.source == Source::Watch).then_some(modified)
        });
        let day_start = |back: i64| {
            let date = add_days(self.start_day, -back)?;
            local(&self.tz, date, 9, 0)
        };
        let body_scan_first = add_days(self.today(self.origin), -BODY_SCAN_SINCE)
            .and_then(|d| local(&self.tz, d, 18, 0));
        let device = |d: DeviceInfo, battery: &str, first: Option<i64>, last: Option<i64>| -> J {
            Obj::new()
                .put("type", d.kind)
                .put("battery", battery)
                .put("model", d.model)
                .put("model_id", d.model_id)
                .put("timezone", TIME_ZONE_NAME)
                .put("first_session_date", first)
                .put("last_session_date", last)
                .put("deviceid", d.id)
                .put("hash_deviceid", d.id)
                .into()
        };
        vec![
            device(SCALE, "high", day_start(3), last_group(SCALE.id)),
            device(WATCH, "medium", day_start(2), last_watch),
            device(BPM, "low", day_start(1), last_group(BPM.id)),
            // As a real Sleep Analyzer was listed (API notes §5.10, §12.11).
            device(
                DeviceInfo {
                    model: "",
                    model_id: 13,
                    ..SLEEP_MONITOR
                },
                "unknown",
                None,
                None,
            ),
            device(BODY_SCAN, "high", body_scan_first, last_group(BODY_SCAN.id)),
        ]
    }

    /// What the account holds at `now`; with `since`, only the records a `lastupdate=since`
    /// call returns (created or modified after it).
    pub(crate) fn inventory(&self, now: i64, since: Option<i64>) -> Inventory {
        let fresh = |modified: i64| since.is_none_or(|s| modified > s);
        let mut inv = Inventory::default();
        let mut grpids = BTreeSet::new();
        for day in self.history(now) {
            for g in day.groups.iter().filter(|g| g.visible(now) && !g.twin) {
                if fresh(g.modified_at(now)) && grpids.insert(g.grpid) {
                    inv.measures += g.measures.len();
                }
            }
            if let Some((_, modified)) = self.activity_at(&day, now)
                && fresh(modified)
            {
                inv.activity_days += 1;
            }
            inv.workouts += day
                .workouts
                .iter()
                .filter(|w| w.visible(now) && fresh(w.modified_at(now)))
                .count();
            for night in day
                .nights
                .iter()
                .filter(|n| n.visible(now) && fresh(n.modified_at(now)))
            {
                inv.sleep_summaries += 1;
                inv.sleep_segments += night.segments.len();
            }
            inv.ecgs += day
                .ecgs
                .iter()
                .filter(|e| e.visible(now) && fresh(e.modified))
                .count();
        }
        for g in self.added_groups(now) {
            if fresh(g.modified_at(now)) && grpids.insert(g.grpid) {
                inv.measures += g.measures.len();
            }
        }
        inv.measure_groups = grpids.len();
        inv
    }

    /// The added weigh-ins that exist at `now`, by `grpid`.
    pub(crate) fn added_truth(&self, now: i64) -> Vec<crate::GroupTruth> {
        let mut out: Vec<crate::GroupTruth> = self
            .added_groups(now)
            .iter()
            .map(|g| truth(g, now))
            .collect();
        out.sort_by_key(|g| g.grpid);
        out
    }

    /// The measure groups that exist at `now` dated in `[start, end]` (unix seconds), added
    /// weigh-ins included, each `grpid` once, by `grpid`: the ground truth a store's rows are
    /// compared with.
    pub(crate) fn groups_between(&self, start: i64, end: i64, now: i64) -> Vec<crate::GroupTruth> {
        let mut out: Vec<crate::GroupTruth> = Vec::new();
        let days = self.days_between(Some(start), Some(end), now);
        let added = self.added_groups(now);
        let generated = days.iter().flat_map(|day| day.groups.iter());
        for g in generated.chain(added.iter()) {
            if g.visible(now) && !g.twin && (start..=end).contains(&g.date) {
                out.push(truth(g, now));
            }
        }
        out.sort_by_key(|g| g.grpid);
        out.dedup_by_key(|g| g.grpid);
        out
    }

    /// The measure groups that existed at `since` and were deleted by `now`, oldest first:
    /// what a re-read of the whole window finds missing.
    pub(crate) fn deleted_between(&self, since: i64, now: i64) -> Vec<i64> {
        self.history(now)
            .iter()
            .flat_map(|day| day.groups.iter().rev())
            .filter(|g| g.created <= since && g.deleted.is_some_and(|d| since < d && d <= now))
            .map(|g| g.grpid)
            .collect()
    }

    /// The days of `history` overlapping `[start, end]` (unix seconds), as the windows of
    /// `getmeas` and `heart list` ask.
    pub(crate) fn days_between(
        &self,
        start: Option<i64>,
        end: Option<i64>,
        now: i64,
    ) -> Vec<Arc<Day>> {
        let from = match start {
            None => self.start_day,
            Some(s) => match self.date_of(s) {
                Some(d) => d,
                None => return Vec::new(),
            },
        };
        let to = match end {
            None => self.today(now),
            Some(e) if e < self.first => return Vec::new(),
            Some(e) => self.date_of(e).unwrap_or_else(|| self.today(now)),
        };
        self.days(from, to, now)
    }
}

/// A group as the ground truth lists it.
fn truth(g: &super::Group, now: i64) -> crate::GroupTruth {
    crate::GroupTruth {
        grpid: g.grpid,
        date: g.date,
        modified: g.modified_at(now),
        attrib: g.attrib_at(now),
        measures: g.measures.len(),
    }
}
