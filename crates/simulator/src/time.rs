//! Clock helpers: the current Unix second, and Graph's REST timestamp format.
//! Graph writes `2018-08-30T18:47:02+0000` (no colon in the offset), always in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch; 0 if the system clock is before 1970.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `2018-08-30T18:47:02+0000` for a Unix second.
pub(crate) fn graph_timestamp(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+0000",
        secs / 3_600,
        (secs % 3_600) / 60,
        secs % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_documented_sample_and_round_trips_through_the_meta_parser() {
        // The "Interacting with Viewers" sample: 2018-08-30T18:47:02+0000 is 1535654822.
        assert_eq!(graph_timestamp(1_535_654_822), "2018-08-30T18:47:02+0000");
        for t in [0, 951_782_400, 1_709_164_800, 1_767_225_599, 4_102_444_800] {
            assert_eq!(curbside_meta::parse_graph_timestamp(&graph_timestamp(t)), Ok(t * 1_000));
        }
    }
}
