//! `/v2/measure` `getworkouts`: request, response body and the workout category table
//! (API notes §4.1, §5.4, §7.6).
//!
//! ```
//! use jiff::civil::date;
//! use withings_model::workout::{GetWorkouts, WorkoutCategory, WorkoutField};
//! use withings_model::Endpoint;
//!
//! let req = GetWorkouts::new().dates(date(2024, 6, 1), date(2024, 6, 3))
//!     .data_fields([WorkoutField::Calories, WorkoutField::HrAverage]);
//! assert_eq!(req.form().get("data_fields"), Some("calories,hr_average"));
//! assert_eq!(WorkoutCategory::from_code(17).name(), Some("fitness"));
//! ```

use serde::{Deserialize, Serialize};

use crate::codes::{Attrib, NameOrCode};
use crate::de;
use crate::items::{Items, Record, check_date, check_seconds};
use crate::number::Number;

open_enum! {
    /// Workout category (`category`, API notes §7.6). Codes the table does not list (new
    /// sports appear regularly) are kept as `Unknown`.
    pub enum WorkoutCategory {
        /// Walk.
        Walk = 1 => "walk",
        /// Run.
        Run = 2 => "run",
        /// Hiking.
        Hiking = 3 => "hiking",
        /// Skating.
        Skating = 4 => "skating",
        /// BMX.
        Bmx = 5 => "bmx",
        /// Bicycling.
        Bicycling = 6 => "bicycling",
        /// Swimming.
        Swimming = 7 => "swimming",
        /// Surfing.
        Surfing = 8 => "surfing",
        /// Kitesurfing.
        Kitesurfing = 9 => "kitesurfing",
        /// Windsurfing.
        Windsurfing = 10 => "windsurfing",
        /// Bodyboard.
        Bodyboard = 11 => "bodyboard",
        /// Tennis.
        Tennis = 12 => "tennis",
        /// Table tennis.
        TableTennis = 13 => "table_tennis",
        /// Squash.
        Squash = 14 => "squash",
        /// Badminton.
        Badminton = 15 => "badminton",
        /// Lift weights.
        LiftWeights = 16 => "lift_weights",
        /// Fitness. Older docs, GO and AIOW call code 17 "calisthenics" (API notes §13): same code, renamed.
        Fitness = 17 => "fitness",
        /// Elliptical.
        Elliptical = 18 => "elliptical",
        /// Pilates.
        Pilates = 19 => "pilates",
        /// Basketball.
        Basketball = 20 => "basketball",
        /// Soccer.
        Soccer = 21 => "soccer",
        /// Football.
        Football = 22 => "football",
        /// Rugby.
        Rugby = 23 => "rugby",
        /// Volleyball.
        Volleyball = 24 => "volleyball",
        /// Water polo.
        WaterPolo = 25 => "water_polo",
        /// Horse riding.
        HorseRiding = 26 => "horse_riding",
        /// Golf.
        Golf = 27 => "golf",
        /// Yoga.
        Yoga = 28 => "yoga",
        /// Dancing.
        Dancing = 29 => "dancing",
        /// Boxing.
        Boxing = 30 => "boxing",
        /// Fencing.
        Fencing = 31 => "fencing",
        /// Wrestling.
        Wrestling = 32 => "wrestling",
        /// Martial arts.
        MartialArts = 33 => "martial_arts",
        /// Skiing.
        Skiing = 34 => "skiing",
        /// Snowboarding.
        Snowboarding = 35 => "snowboarding",
        /// Other.
        Other = 36 => "other",
        /// No activity.
        NoActivity = 128 => "no_activity",
        /// Rowing.
        Rowing = 187 => "rowing",
        /// Zumba.
        Zumba = 188 => "zumba",
        /// Baseball.
        Baseball = 191 => "baseball",
        /// Handball.
        Handball = 192 => "handball",
        /// Hockey.
        Hockey = 193 => "hockey",
        /// Ice hockey.
        IceHockey = 194 => "ice_hockey",
        /// Climbing.
        Climbing = 195 => "climbing",
        /// Ice skating.
        IceSkating = 196 => "ice_skating",
        /// Multi-sport (no data fields are recorded for it).
        MultiSport = 272 => "multi_sport",
        /// Indoor walk.
        IndoorWalk = 306 => "indoor_walk",
        /// Indoor running.
        IndoorRunning = 307 => "indoor_running",
        /// Indoor cycling.
        IndoorCycling = 308 => "indoor_cycling",
        /// Stand-up paddleboarding.
        StandUpPaddleboarding = 455 => "stand_up_paddleboarding",
        /// Padel.
        Padel = 456 => "padel",
        /// Gaming.
        Gaming = 457 => "gaming",
        /// Beach volleyball.
        BeachVolleyball = 490 => "beach_volleyball",
        /// Stair stepper.
        StairStepper = 491 => "stair_stepper",
        /// Skateboarding.
        Skateboarding = 492 => "skateboarding",
        /// Parkour.
        Parkour = 493 => "parkour",
        /// Kayaking.
        Kayaking = 494 => "kayaking",
        /// Canoeing.
        Canoeing = 495 => "canoeing",
        /// Sailing.
        Sailing = 496 => "sailing",
        /// Fishing.
        Fishing = 497 => "fishing",
        /// Trail running.
        TrailRunning = 498 => "trail_running",
        /// Snowshoeing.
        Snowshoeing = 499 => "snowshoeing",
        /// Paintball.
        Paintball = 500 => "paintball",
        /// Archery.
        Archery = 501 => "archery",
        /// Scuba diving.
        ScubaDiving = 502 => "scuba_diving",
        /// Baseball training.
        BaseballTraining = 503 => "baseball_training",
        /// Biathlon.
        Biathlon = 504 => "biathlon",
        /// Bocce.
        Bocce = 505 => "bocce",
        /// Pétanque.
        Petanque = 506 => "petanque",
        /// Paragliding.
        Paragliding = 507 => "paragliding",
        /// Frisbee.
        Frisbee = 508 => "frisbee",
        /// Skydiving.
        Skydiving = 509 => "skydiving",
        /// Pickleball.
        Pickleball = 510 => "pickleball",
        /// Cornhole.
        Cornhole = 511 => "cornhole",
        /// Dodgeball.
        Dodgeball = 512 => "dodgeball",
        /// Ultimate.
        Ultimate = 513 => "ultimate",
        /// Teqball.
        Teqball = 514 => "teqball",
        /// Pushing a wheelchair, running pace.
        WheelchairRunningPace = 515 => "wheelchair_running_pace",
        /// Pushing a wheelchair, walking pace.
        WheelchairWalkingPace = 516 => "wheelchair_walking_pace",
        /// Athletics.
        Athletics = 517 => "athletics",
        /// Track cycling.
        TrackCycling = 518 => "track_cycling",
        /// Pentathlon.
        Pentathlon = 519 => "pentathlon",
        /// Sport shooting.
        SportShooting = 520 => "sport_shooting",
        /// Triathlon.
        Triathlon = 521 => "triathlon",
        /// Diving.
        Diving = 522 => "diving",
        /// Mountain biking.
        MountainBiking = 523 => "mountain_biking",
        /// Gravel biking.
        GravelBiking = 524 => "gravel_biking",
        /// E-biking.
        EBiking = 525 => "e_biking",
        /// E-mountain biking.
        EMountainBiking = 526 => "e_mountain_biking",
        /// Handcycling.
        Handcycling = 527 => "handcycling",
        /// Velomobile.
        Velomobile = 528 => "velomobile",
        /// Backcountry skiing.
        BackcountrySkiing = 529 => "backcountry_skiing",
        /// Nordic skiing.
        NordicSkiing = 530 => "nordic_skiing",
        /// Roller skiing.
        RollerSkiing = 531 => "roller_skiing",
        /// Racquetball.
        Racquetball = 532 => "racquetball",
        /// Hip hop.
        HipHop = 534 => "hip_hop",
        /// Muay thai.
        MuayThai = 535 => "muay_thai",
        /// Taekwondo.
        Taekwondo = 536 => "taekwondo",
        /// Judo.
        Judo = 537 => "judo",
        /// Trampoline.
        Trampoline = 538 => "trampoline",
        /// Standing frame.
        StandingFrame = 539 => "standing_frame",
        /// Seated strength.
        SeatedStrength = 540 => "seated_strength",
        /// Seated cardio.
        SeatedCardio = 541 => "seated_cardio",
        /// Walk with a walker.
        WalkWithWalker = 542 => "walk_with_walker",
        /// Walk with a cane.
        WalkWithCane = 543 => "walk_with_cane",
        /// Breaking (breakdance).
        Breaking = 544 => "breaking",
        /// Chores.
        Chores = 545 => "chores",
        /// CrossFit.
        Crossfit = 546 => "crossfit",
        /// Spin class.
        SpinClass = 547 => "spin_class",
        /// Cricket.
        Cricket = 548 => "cricket",
        /// Flamenco dancing.
        FlamencoDancing = 549 => "flamenco_dancing",
        /// HIIT.
        Hiit = 550 => "hiit",
        /// Meditation.
        Meditation = 551 => "meditation",
        /// Stretching.
        Stretching = 552 => "stretching",
        /// Yard work / gardening.
        YardWork = 553 => "yard_work",
        /// Cleaning.
        Cleaning = 554 => "cleaning",
        /// Public speaking.
        PublicSpeaking = 555 => "public_speaking",
        /// Spikeball.
        Spikeball = 556 => "spikeball",
        /// Lacrosse.
        Lacrosse = 557 => "lacrosse",
        /// Baby wearing.
        BabyWearing = 558 => "baby_wearing",
        /// Dog walking.
        DogWalking = 559 => "dog_walking",
        /// Breathing exercises (no data fields are recorded for it).
        BreathingExercises = 560 => "breathing_exercises",
        /// Balance drills.
        BalanceDrills = 561 => "balance_drills",
        /// Pushing a stroller.
        PushingAStroller = 562 => "pushing_a_stroller",
        /// Toddler wearing.
        ToddlerWearing = 563 => "toddler_wearing",
        /// Bowling.
        Bowling = 564 => "bowling",
        /// Laser tag.
        LaserTag = 565 => "laser_tag",
        /// Nordic walking.
        NordicWalking = 566 => "nordic_walking",
        /// Sumo wrestling.
        SumoWrestling = 567 => "sumo_wrestling",
        /// Cooking.
        Cooking = 568 => "cooking",
    }
}

field_names! {
    /// A `getworkouts` measurement that can be asked for in `data_fields` (API notes §5.4).
    /// Availability varies by category: swim-only fields, nothing for multi-sport.
    pub enum WorkoutField {
        /// `calories`: active kilocalories.
        Calories => "calories",
        /// `intensity`: 0–100 (0 = not set).
        Intensity => "intensity",
        /// `manual_intensity`: intensity entered by the user.
        ManualIntensity => "manual_intensity",
        /// `manual_distance`: metres entered by the user.
        ManualDistance => "manual_distance",
        /// `manual_calories`: kilocalories entered by the user.
        ManualCalories => "manual_calories",
        /// `hr_average`: average heart rate (bpm).
        HrAverage => "hr_average",
        /// `hr_min`: minimum heart rate (bpm).
        HrMin => "hr_min",
        /// `hr_max`: maximum heart rate (bpm).
        HrMax => "hr_max",
        /// `hr_zone_0`: seconds in the light heart-rate zone.
        HrZone0 => "hr_zone_0",
        /// `hr_zone_1`: seconds in the moderate heart-rate zone.
        HrZone1 => "hr_zone_1",
        /// `hr_zone_2`: seconds in the intense heart-rate zone.
        HrZone2 => "hr_zone_2",
        /// `hr_zone_3`: seconds in the maximal heart-rate zone.
        HrZone3 => "hr_zone_3",
        /// `pause_duration`: seconds paused by the user.
        PauseDuration => "pause_duration",
        /// `algo_pause_duration`: seconds of pause detected by the device (swim).
        AlgoPauseDuration => "algo_pause_duration",
        /// `spo2_average`: average SpO2, %.
        Spo2Average => "spo2_average",
        /// `core_body_temperature_avg`: °C.
        CoreBodyTemperatureAvg => "core_body_temperature_avg",
        /// `core_body_temperature_min`: °C.
        CoreBodyTemperatureMin => "core_body_temperature_min",
        /// `core_body_temperature_max`: °C.
        CoreBodyTemperatureMax => "core_body_temperature_max",
        /// `core_body_temperature_status`: `unknown`, `usual` or `elevated`.
        CoreBodyTemperatureStatus => "core_body_temperature_status",
        /// `steps`: step count.
        Steps => "steps",
        /// `distance`: metres.
        Distance => "distance",
        /// `elevation`: floors climbed.
        Elevation => "elevation",
        /// `pool_laps`: pool laps (swim).
        PoolLaps => "pool_laps",
        /// `strokes`: swim strokes.
        Strokes => "strokes",
        /// `pool_length`: pool length, metres (swim).
        PoolLength => "pool_length",
    }
}

dated_request! {
/// `getworkouts`: recorded or entered workouts, selected by local dates or by `lastupdate`
/// (mutually exclusive, so one [`DateWindow`](crate::DateWindow)). Pages with `more`/`offset`.
GetWorkouts {
    service: MeasureV2,
    action: "getworkouts",
    scopes: [UserActivity],
    fields: WorkoutField,
    body: GetWorkoutsBody,
}
}

/// The body of a `getworkouts` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetWorkoutsBody {
    /// The workouts of this page. A workout that cannot be read is left out and listed in
    /// [`rejected`](crate::Items::rejected) (API notes §15).
    pub series: Items<Workout>,
    /// Whether another page follows (stop on this, not on `offset`: API notes §6).
    #[serde(default, deserialize_with = "de::more::deserialize")]
    pub more: bool,
    /// The offset of the next page.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub offset: Option<i64>,
}

/// One workout (API notes §5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Workout {
    /// Workout id; absent in some payloads (metadata, API notes §15).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub id: Option<i64>,
    /// What kind of workout (API notes §7.6).
    pub category: WorkoutCategory,
    /// IANA name of the time zone the workout happened in.
    pub timezone: String,
    /// Source model: an integer code here (`1055` = GoogleFit), unlike getmeas (API notes §6).
    #[serde(default)]
    pub model: Option<NameOrCode>,
    /// Who the workout is attributed to (API notes §7.2).
    #[serde(default)]
    pub attrib: Option<Attrib>,
    /// Start, unix seconds.
    #[serde(deserialize_with = "de::lenient_i64::deserialize")]
    pub startdate: i64,
    /// End, unix seconds.
    #[serde(deserialize_with = "de::lenient_i64::deserialize")]
    pub enddate: i64,
    /// Local day of the workout, `YYYY-MM-DD`, in `timezone`.
    pub date: String,
    /// Last modification, unix seconds.
    #[serde(deserialize_with = "de::lenient_i64::deserialize")]
    pub modified: i64,
    /// Device id; `null` for external sources.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub deviceid: Option<String>,
    /// The measurements. An absent, `null` or `[]` (PHP's empty object) `data` is empty.
    #[serde(default, deserialize_with = "de::object_or_empty_array::deserialize")]
    pub data: WorkoutData,
}

/// A workout is read on its own (see [`Items`]): its `startdate`, `enddate` and `modified`
/// must be instants the decoder can represent, and its `date` a real `YYYY-MM-DD` date.
impl Record for Workout {
    const LIST: &'static str = "body.series";

    fn check(&self) -> Result<(), String> {
        check_seconds(self.startdate, "startdate")?;
        check_seconds(self.enddate, "enddate")?;
        check_date(&self.date, "date")?;
        check_seconds(self.modified, "modified")
    }
}

/// A workout's measurements (API notes §5.4). Any field may be absent or `null`
/// (`algo_pause_duration` and `spo2_average` usually are), many are 0 when unknown, and
/// which exist depends on the category. Distances and calories arrive as floats in live
/// payloads although the spec says integer. The heart rates (`hr_average`, `hr_min`,
/// `hr_max`) are [`Number`]s, kept as received when a fraction arrives (API notes §15);
/// counts, seconds and the intensity scores stay integers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkoutData {
    /// Active kilocalories.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub calories: Option<f64>,
    /// Intensity 0–100; 0 = not set.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub intensity: Option<i64>,
    /// Intensity entered by the user; 0 = not set.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub manual_intensity: Option<i64>,
    /// Distance entered by the user, metres; 0 = not set.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub manual_distance: Option<f64>,
    /// Kilocalories entered by the user; 0 = not set.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub manual_calories: Option<f64>,
    /// Average heart rate, bpm; 0 without a heart-rate sensor (API notes §12.15).
    #[serde(default)]
    pub hr_average: Option<Number>,
    /// Minimum heart rate, bpm; 0 without a sensor.
    #[serde(default)]
    pub hr_min: Option<Number>,
    /// Maximum heart rate, bpm; 0 without a sensor.
    #[serde(default)]
    pub hr_max: Option<Number>,
    /// Seconds in the light heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_0: Option<i64>,
    /// Seconds in the moderate heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_1: Option<i64>,
    /// Seconds in the intense heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_2: Option<i64>,
    /// Seconds in the maximal heart-rate zone.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub hr_zone_3: Option<i64>,
    /// Seconds paused by the user.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub pause_duration: Option<i64>,
    /// Seconds of pause detected by the device (swim); often `null`.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub algo_pause_duration: Option<i64>,
    /// Average SpO2, %; often `null`.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub spo2_average: Option<f64>,
    /// Average core body temperature, °C.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub core_body_temperature_avg: Option<f64>,
    /// Minimum core body temperature, °C.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub core_body_temperature_min: Option<f64>,
    /// Maximum core body temperature, °C.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub core_body_temperature_max: Option<f64>,
    /// `unknown`, `usual` or `elevated`. The spec types it an integer in workouts but a string
    /// in sleep (API notes §13: trust string); a number is kept as its decimal text.
    #[serde(default, deserialize_with = "de::opt_id::deserialize")]
    pub core_body_temperature_status: Option<String>,
    /// Step count.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub steps: Option<i64>,
    /// Metres; may be a float.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub distance: Option<f64>,
    /// Floors climbed.
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub elevation: Option<f64>,
    /// Pool laps (swim).
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub pool_laps: Option<i64>,
    /// Swim strokes.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub strokes: Option<i64>,
    /// Pool length, metres (swim).
    #[serde(default, deserialize_with = "de::opt_f64::deserialize")]
    pub pool_length: Option<f64>,
    /// Effective duration in seconds; listed by older docs only (GO), kept if it arrives.
    #[serde(default, deserialize_with = "de::opt_lenient_i64::deserialize")]
    pub effduration: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Endpoint;
    use crate::endpoint::{Paged, PagedBody};
    use crate::envelope::{Reply, parse_reply};
    use jiff::civil::date;

    #[test]
    fn getworkouts_encodes_dates_fields_and_offset() {
        let req = GetWorkouts::new()
            .dates(date(2024, 6, 1), date(2024, 6, 3))
            .data_fields([
                WorkoutField::PoolLaps,
                WorkoutField::Strokes,
                WorkoutField::CoreBodyTemperatureStatus,
            ])
            .offset(100);
        assert_eq!(
            req.form().encode(),
            "action=getworkouts&startdateymd=2024-06-01&enddateymd=2024-06-03\
             &data_fields=pool_laps%2Cstrokes%2Ccore_body_temperature_status&offset=100"
        );
        assert_eq!(GetWorkouts::fixture_dir(), "v2-measure-getworkouts");
    }

    #[test]
    fn getworkouts_encodes_lastupdate_as_unix_seconds() {
        let mut req =
            GetWorkouts::new().updated_since(jiff::Timestamp::from_second(1_717_401_000).unwrap());
        assert_eq!(
            req.form().encode(),
            "action=getworkouts&lastupdate=1717401000"
        );
        req.set_offset(300);
        assert_eq!(req.form().get("offset"), Some("300"));
        assert_eq!(req.form().get("enddateymd"), None);
    }

    #[test]
    fn every_documented_category_is_known() {
        let expected: Vec<i64> = (1..=36)
            .chain([128, 187, 188])
            .chain(191..=196)
            .chain([272, 306, 307, 308, 455, 456, 457])
            .chain(490..=532)
            .chain(534..=568)
            .collect();
        let known: Vec<i64> = WorkoutCategory::KNOWN.iter().map(|c| c.code()).collect();
        assert_eq!(known, expected);
        for c in WorkoutCategory::KNOWN {
            let name = c.name().unwrap();
            assert!(
                name.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "{name}"
            );
            assert_eq!(name.parse::<WorkoutCategory>().unwrap(), *c);
        }
        assert_eq!(WorkoutCategory::from_code(17), WorkoutCategory::Fitness);
        assert_eq!(
            WorkoutCategory::from_code(533),
            WorkoutCategory::from_code(533)
        );
        assert_eq!("hiit".parse::<WorkoutCategory>().unwrap().code(), 550);
    }

    #[test]
    fn field_names_are_the_wire_names() {
        assert_eq!(WorkoutField::ALL.len(), 25);
        assert_eq!(WorkoutField::HrZone0.to_string(), "hr_zone_0");
        assert_eq!(
            "spo2_average".parse::<WorkoutField>().unwrap(),
            WorkoutField::Spo2Average
        );
    }

    #[test]
    fn workout_data_tolerates_nulls_floats_and_missing_data() {
        let json = br#"{"status":0,"body":{"series":[
            {"id":3900000123,"category":999,"timezone":"Europe\/Paris","model":93,"attrib":7,
             "startdate":1717398000,"enddate":1717400700,"date":"2024-06-03","deviceid":null,"modified":1717401000,
             "data":{"calories":318.5,"distance":7012.5,"algo_pause_duration":null,"spo2_average":null,
                     "core_body_temperature_status":"usual","hr_average":151.0}},
            {"id":"3900000124","category":7,"timezone":"UTC","startdate":1,"enddate":2,"date":"1970-01-01",
             "modified":3,"data":null},
            {"id":3900000125,"category":1,"timezone":"UTC","startdate":1,"enddate":2,"date":"1970-01-01",
             "modified":3,"data":[]},
            {"id":3900000126,"category":1,"timezone":"UTC","startdate":1,"enddate":2,"date":"1970-01-01",
             "modified":3,"data":{"core_body_temperature_status":2}}],
            "more":true,"offset":4}}"#;
        let Reply::Ok(body) = parse_reply::<GetWorkoutsBody>(json).unwrap() else {
            panic!()
        };
        assert!(body.more());
        assert_eq!(body.offset(), Some(4));
        let w = &body.series[0];
        assert_eq!(w.category, WorkoutCategory::from_code(999));
        assert_eq!(w.model, Some(NameOrCode::Code(93)));
        assert_eq!(w.attrib, Some(Attrib::Confirmed));
        assert_eq!(w.data.calories, Some(318.5));
        assert_eq!(w.data.distance, Some(7012.5));
        assert_eq!(w.data.algo_pause_duration, None);
        assert_eq!(w.data.hr_average, Some(Number::Int(151)));
        assert_eq!(
            w.data.core_body_temperature_status.as_deref(),
            Some("usual")
        );
        assert_eq!(body.series[1].id, Some(3_900_000_124));
        assert_eq!(body.series[1].data, WorkoutData::default());
        assert_eq!(body.series[1].model, None);
        assert_eq!(body.series[2].data, WorkoutData::default());
        assert_eq!(
            body.series[3].data.core_body_temperature_status.as_deref(),
            Some("2")
        );
        assert_eq!(serde_json::to_string(&w.category).unwrap(), "999");
    }

    #[test]
    fn a_workout_missing_its_start_is_rejected() {
        let json =
            br#"{"status":0,"body":{"series":[{"id":1,"category":1,"timezone":"UTC","enddate":2,
            "date":"1970-01-01","modified":3}],"more":false}}"#;
        let Reply::Ok(body) = parse_reply::<GetWorkoutsBody>(json).unwrap() else {
            panic!()
        };
        assert!(body.series.is_empty());
        let r = &body.series.rejected()[0];
        assert_eq!(
            (r.path.as_str(), r.error.as_str()),
            ("body.series[0]", "missing field `startdate`")
        );
    }
}
