//! The stethoscope recordings (`/v2/stetho`, API notes §5.9): the BPM Core records one with
//! each of its ECGs, under the cuff, so every recording is derived from its ECG. Its signal
//! id is the ECG's plus [`STETHO_SHIFT`] (`180_000_000 + day × 2`, a range no other id
//! uses), so `stetho get` finds the ECG back; it is visible when its ECG is, and taken at
//! the same instant. The watch records no heart sound.

use std::ops::Range;

use super::{BPM, DemoData, EcgRec, TIME_ZONE_NAME};
use crate::json::{J, Obj};
use crate::rng::Rng;

/// A stethoscope signal id is its ECG's plus this.
const STETHO_SHIFT: i64 = 10_000_000;
/// The stethoscope signal ids: ECG ids (`170_000_000 + day × 2`) shifted by [`STETHO_SHIFT`].
const STETHO_IDS: Range<i64> = 180_000_000..190_000_000;
/// The stream of the sound's noise (the data module's tags stop at 18).
const TAG_STETHO: u64 = 19;
/// Samples per second: far below a real stethoscope's 4 kHz, to keep the bodies small.
pub(crate) const STETHO_FREQUENCY: i64 = 250;
/// Length of a recording in seconds.
pub(crate) const STETHO_SECONDS: i64 = 2;

impl EcgRec {
    /// Whether a stethoscope recording comes with this ECG (the BPM Core's do).
    pub(crate) fn has_stetho(&self) -> bool {
        self.device.id == BPM.id
    }

    /// The signal id of the stethoscope recording taken with this ECG.
    pub(crate) fn stetho_id(&self) -> i64 {
        self.signalid + STETHO_SHIFT
    }

    /// The `stetho list` record of the recording taken with this ECG.
    pub(crate) fn stetho_json(&self) -> J {
        Obj::new()
            .put("hash_deviceid", self.device.id)
            .put("signalid", self.stetho_id())
            .put("vhd", 0)
            .put("timestamp", self.timestamp)
            .put("timezone", TIME_ZONE_NAME)
            .into()
    }
}

impl DemoData {
    /// The ECG a stethoscope signal id was taken with, when it exists at `now`.
    pub(crate) fn stetho(&self, signalid: i64, now: i64) -> Option<EcgRec> {
        if !STETHO_IDS.contains(&(signalid - self.ids)) {
            return None;
        }
        self.ecg(signalid - STETHO_SHIFT, now)
            .filter(EcgRec::has_stetho)
    }

    /// The body of `stetho get` for the recording taken with `rec`.
    pub(crate) fn stetho_body(&self, rec: &EcgRec) -> J {
        let signal = self.stetho_signal(rec);
        let size = signal.len() as i64;
        Obj::new()
            .put("signal", signal.into_iter().map(J::Int).collect::<Vec<J>>())
            .put("frequency", STETHO_FREQUENCY)
            .put("duration", STETHO_SECONDS)
            .put("format", 1)
            .put("size", size)
            .put("resolution", 8)
            .put("channel", 1)
            .put("model", rec.device.model_id)
            // Under the cuff, where the ECG was taken.
            .put("position", rec.wearposition)
            .put("vhd", 0)
            .into()
    }

    /// The samples of the recording taken with `rec`: heart sounds (S1 at the ECG's R wave,
    /// S2 0.3 s later) at the ECG's heart rate and a little noise, A-law encoded.
    fn stetho_signal(&self, rec: &EcgRec) -> Vec<i64> {
        let mut r = Rng::stream(self.seed, TAG_STETHO, rec.signalid);
        let period = 60.0 / rec.heart_rate.max(30) as f64;
        // (delay after the beat's start in s, width in s, tone in Hz, amplitude)
        let sounds = [
            (0.35 * period + 0.04, 0.018, 45.0, 9000.0),
            (0.35 * period + 0.34, 0.014, 70.0, 6000.0),
        ];
        (0..STETHO_FREQUENCY * STETHO_SECONDS)
            .map(|i| {
                let t = i as f64 / STETHO_FREQUENCY as f64;
                let in_beat = t % period;
                let sound: f64 = sounds
                    .iter()
                    .map(|&(at, width, tone, amplitude)| {
                        let x = (in_beat - at) / width;
                        amplitude
                            * (-x * x / 2.0).exp()
                            * (std::f64::consts::TAU * tone * (in_beat - at)).sin()
                    })
                    .sum();
                let pcm = (sound + r.noise(40.0)).round().clamp(-32768.0, 32767.0) as i16;
                alaw(pcm)
            })
            .collect()
    }
}

/// The G.711 A-law code of a 16-bit linear sample, as the reference encoder makes it.
fn alaw(pcm: i16) -> i64 {
    let v = i32::from(pcm) >> 3;
    let (mask, magnitude) = if v >= 0 { (0xD5, v) } else { (0x55, -v - 1) };
    // The segment: the first whose end, 0x1F << s | ones, holds the magnitude (0..=0xFFF).
    let seg = (0..8).find(|&s| magnitude < 0x20 << s).unwrap_or(7);
    let mantissa = if seg < 2 {
        magnitude >> 1
    } else {
        magnitude >> seg
    } & 0xF;
    i64::from(((seg << 4) | mantissa) ^ mask)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::super::{HISTORY_DAYS, WATCH};
    use super::*;

    const START: i64 = 1_717_430_000;

    /// The reference decoder of G.711 A-law.
    fn linear(code: i64) -> i32 {
        let a = (code as i32) ^ 0x55;
        let seg = (a & 0x70) >> 4;
        let mut t = (a & 0xF) << 4;
        t += if seg == 0 { 8 } else { 0x108 };
        if seg > 1 {
            t <<= seg - 1;
        }
        if a & 0x80 != 0 { t } else { -t }
    }

    #[test]
    fn alaw_matches_the_reference_codes() {
        assert_eq!(alaw(0), 0xD5);
        assert_eq!(alaw(-1), 0x55);
        assert_eq!(alaw(i16::MAX), 0xAA);
        assert_eq!(alaw(i16::MIN), 0x2A);
        for pcm in [-30000, -4000, -300, -20, 7, 100, 1000, 5000, 20000] {
            let back = linear(alaw(pcm));
            let err = (back - i32::from(pcm)).abs();
            assert!(err <= (i32::from(pcm).abs() / 16).max(16), "{pcm} → {back}");
        }
    }

    #[test]
    fn the_bpm_cores_ecgs_carry_a_recording_visible_with_them() {
        let d = DemoData::new(0, Timestamp::from_second(START).unwrap(), HISTORY_DAYS);
        let ecgs: Vec<EcgRec> = d
            .history(START)
            .iter()
            .flat_map(|day| day.ecgs.clone())
            .collect();
        let bpm: Vec<&EcgRec> = ecgs.iter().filter(|e| e.has_stetho()).collect();
        assert_eq!(bpm.len(), 1);
        let rec = bpm[0];
        let id = rec.stetho_id();
        assert!(STETHO_IDS.contains(&id));
        assert_eq!(d.stetho(id, START).unwrap().signalid, rec.signalid);
        // Not before its ECG is.
        assert!(d.stetho(id, rec.modified - 1).is_none());
        assert!(d.stetho(id, rec.modified).is_some());
        // The ECG's own id, and the watch's ECGs, name no recording.
        assert!(d.stetho(rec.signalid, START).is_none());
        let watch = ecgs.iter().find(|e| e.device.id == WATCH.id).unwrap();
        assert!(d.stetho(watch.stetho_id(), START).is_none());

        assert_eq!(
            d.stetho_body(rec).encode(),
            d.stetho_body(rec).encode(),
            "deterministic"
        );
        let codes = d.stetho_signal(rec);
        assert_eq!(codes.len() as i64, STETHO_FREQUENCY * STETHO_SECONDS);
        assert!(codes.iter().all(|c| (0..=255).contains(c)));
        // Loud heart sounds between quiet stretches.
        let loud = codes.iter().filter(|&&c| linear(c).abs() > 2000).count();
        let quiet = codes.iter().filter(|&&c| linear(c).abs() < 300).count();
        assert!(
            loud > 5 && quiet > codes.len() / 2,
            "{loud} loud, {quiet} quiet"
        );
    }
}
