//! Graph REST timestamps (`2018-08-30T18:47:02+0000`) to Unix milliseconds.
//! Hand-written because Meta's offset has no colon, which strict RFC 3339 parsers refuse.
//!
//! Accepted: `YYYY-MM-DDTHH:MM:SS`, an optional fraction (`.656`, any number of digits, truncated to
//! milliseconds), then `Z`, `+HHMM`, `+HH:MM` or `+HH`. Junk gives an error, never a panic: every
//! byte is read through `get`, and the year is limited to four digits so the arithmetic cannot
//! overflow.

use curbside_domain::UnixMillis;
use thiserror::Error;

/// Why a timestamp was refused. Names the part, not the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("not a Graph timestamp: {0}")]
pub struct TimestampError(&'static str);

/// Parses a Graph timestamp into milliseconds since the Unix epoch, UTC.
pub fn parse_graph_timestamp(input: &str) -> Result<UnixMillis, TimestampError> {
    let b = input.trim().as_bytes();
    let year = digits(b, 0, 4).ok_or(TimestampError("bad year"))?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2).ok_or(TimestampError("bad month"))?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2).ok_or(TimestampError("bad day"))?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return Err(TimestampError("no `T` between date and time"));
    }
    let hour = digits(b, 11, 2).ok_or(TimestampError("bad hour"))?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2).ok_or(TimestampError("bad minute"))?;
    expect(b, 16, b':')?;
    let second = digits(b, 17, 2).ok_or(TimestampError("bad second"))?;

    if !(1..=12).contains(&month) {
        return Err(TimestampError("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(TimestampError("day out of range"));
    }
    // 60 is a leap second, which RFC 3339 allows; it lands on the next minute's :00.
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimestampError("time of day out of range"));
    }

    let mut pos = 19;
    let mut millis = 0;
    if matches!(b.get(pos), Some(b'.' | b',')) {
        pos += 1;
        let start = pos;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            if pos - start < 3 {
                millis = millis * 10 + i64::from(b[pos] - b'0');
            }
            pos += 1;
        }
        match pos - start {
            0 => return Err(TimestampError("empty fraction")),
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }

    let offset_minutes = offset(b.get(pos..).unwrap_or_default())?;
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1_000 + millis)
}

fn expect(b: &[u8], at: usize, want: u8) -> Result<(), TimestampError> {
    if b.get(at) == Some(&want) {
        Ok(())
    } else {
        Err(TimestampError("bad separator"))
    }
}

fn digits(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = b.get(at..at + len)?;
    slice.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

/// Minutes east of UTC from `Z`, `+HHMM`, `+HH:MM` or `+HH`; anything after that is junk.
fn offset(rest: &[u8]) -> Result<i64, TimestampError> {
    let sign = match rest.first() {
        Some(b'Z' | b'z') if rest.len() == 1 => return Ok(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(TimestampError("missing or bad UTC offset")),
    };
    let hours = digits(rest, 1, 2).ok_or(TimestampError("bad UTC offset"))?;
    let minutes = match rest.len() {
        3 => 0,
        5 => digits(rest, 3, 2).ok_or(TimestampError("bad UTC offset"))?,
        6 if rest.get(3) == Some(&b':') => digits(rest, 4, 2).ok_or(TimestampError("bad UTC offset"))?,
        _ => return Err(TimestampError("bad UTC offset")),
    };
    if hours > 23 || minutes > 59 {
        return Err(TimestampError("UTC offset out of range"));
    }
    Ok(sign * (hours * 60 + minutes))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values computed with Python's `datetime.fromisoformat(...).timestamp()`.
    #[test]
    fn graph_and_rfc3339_forms_give_the_same_instant_as_python() {
        let cases = [
            ("2018-08-30T18:47:02+0000", 1_535_654_822_000),
            ("2018-02-23T21:32:16+0000", 1_519_421_536_000),
            ("2022-08-31T09:09:39+0000", 1_661_936_979_000),
            ("2018-03-03T22:45:18.656Z", 1_520_117_118_656),
            ("2024-02-29T23:59:59.999-0530", 1_709_270_999_999),
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", -1_000),
            ("2000-03-01T00:00:00+01:00", 951_865_200_000),
            ("9999-12-31T23:59:59Z", 253_402_300_799_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000),
        ];
        for (input, want) in cases {
            assert_eq!(parse_graph_timestamp(input), Ok(want), "{input}");
        }
    }

    #[test]
    fn colon_and_no_colon_offsets_and_z_agree() {
        let a = parse_graph_timestamp("2018-08-30T18:47:02+0000");
        assert_eq!(a, parse_graph_timestamp("2018-08-30T18:47:02+00:00"));
        assert_eq!(a, parse_graph_timestamp("2018-08-30T18:47:02Z"));
        assert_eq!(a, parse_graph_timestamp("2018-08-30T20:47:02+02"));
    }

    #[test]
    fn long_fractions_are_truncated_to_milliseconds() {
        assert_eq!(parse_graph_timestamp("1970-01-01T00:00:00.208241+00:00"), Ok(208));
        assert_eq!(parse_graph_timestamp("1970-01-01T00:00:00.5Z"), Ok(500));
        assert_eq!(parse_graph_timestamp("1970-01-01T00:00:00.05Z"), Ok(50));
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        let junk = [
            "",
            "2018",
            "2018-08-30",
            "2018-08-30T18:47:02",
            "2018-08-30T18:47:02+",
            "2018-08-30T18:47:02+000",
            "2018-08-30T18:47:02+0000junk",
            "2018-08-30T18:47:02.Z",
            "2018-13-01T00:00:00Z",
            "2018-02-29T00:00:00Z",
            "2018-08-30T24:00:00Z",
            "2018-08-30T18:47:02+2400",
            "２０１８-08-30T18:47:02Z",
            "1535654822",
            "-2018-08-30T18:47:02Z",
            "2018-08-30T18:47:02.99999999999999999999999999999999Zé",
        ];
        for input in junk {
            assert!(parse_graph_timestamp(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        assert!(parse_graph_timestamp("2000-02-29T00:00:00Z").is_ok());
        assert!(parse_graph_timestamp("2024-02-29T00:00:00Z").is_ok());
        assert!(parse_graph_timestamp("1900-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn consecutive_days_are_exactly_one_day_apart_for_four_centuries() {
        // A cheap whole-calendar check of days_from_civil against the month-length table.
        let mut expected = days_from_civil(1900, 1, 1);
        for year in 1900..2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), expected, "{year}-{month}-{day}");
                    expected += 1;
                }
            }
        }
    }
}
