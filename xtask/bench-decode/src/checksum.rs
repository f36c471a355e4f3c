//! The line both decoding processes print, so that nothing is optimized away and the bench can
//! check they read the same values.

/// Folds one measure into the running checksum.
pub(crate) fn fold(sum: u64, date: i64, value: i64, kind: i64, unit: i64) -> u64 {
    // Wrapping arithmetic on the bit patterns: a checksum, not a sum of quantities.
    #[allow(clippy::cast_sign_loss)]
    let mix = (date as u64)
        .wrapping_mul(31)
        .wrapping_add((value as u64).wrapping_mul(1_000_003))
        .wrapping_add((kind as u64).wrapping_mul(7))
        .wrapping_add(unit as u64);
    sum.rotate_left(5) ^ mix
}

/// `groups=G measures=M checksum=C`.
pub(crate) fn line(groups: usize, measures: usize, checksum: u64) -> String {
    format!("groups={groups} measures={measures} checksum={checksum:016x}")
}
