//! The after-session report: comments per minute by platform, questions by state and flag, time
//! from comment to answer, the most asked topics and the approved questions nobody answered.
//! Pure arithmetic over rows the store reads, so every figure is unit-tested here.

use crate::{Platform, QuestionId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How many comments arrived in one minute, per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MinuteCount {
    /// Start of the minute (unix milliseconds).
    pub minute: UnixMillis,
    pub facebook: i64,
    pub instagram: i64,
    pub web: i64,
}

/// A count under a name (a state, a flag, a topic word).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NamedCount {
    pub name: String,
    pub count: i64,
}

/// Time from a question's first comment to its published answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerTimes {
    /// Questions answered.
    pub answered: i64,
    /// Median in milliseconds; absent when nothing was answered.
    pub median_ms: Option<i64>,
    /// 90th percentile (nearest rank) in milliseconds; absent when nothing was answered.
    pub p90_ms: Option<i64>,
}

/// An approved question that was never answered: someone should follow it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnansweredQuestion {
    pub id: QuestionId,
    /// The approved public wording (never the raw comment).
    pub public_text: String,
    pub asked_by_count: i64,
    pub platforms: Vec<Platform>,
    pub created_at: UnixMillis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionReport {
    pub comments: i64,
    /// Every minute from the first comment to the last, including quiet ones.
    pub comments_per_minute: Vec<MinuteCount>,
    pub questions_by_state: Vec<NamedCount>,
    pub questions_by_flag: Vec<NamedCount>,
    pub answer_times: AnswerTimes,
    /// The most frequent meaningful words in the questions' public wording, weighted by how many
    /// people asked; at most ten.
    pub topics: Vec<NamedCount>,
    /// Approved (or on air) but never answered, oldest first.
    pub unanswered: Vec<UnansweredQuestion>,
}

const MINUTE: i64 = 60_000;
/// A report over a runaway time range stays drawable: at most a day of minutes.
const MAX_MINUTES: i64 = 24 * 60;

/// Buckets comment times (`platform`, unix ms) into minutes, filling the quiet minutes in between.
pub fn per_minute(comments: &[(Platform, UnixMillis)]) -> Vec<MinuteCount> {
    let mut buckets: BTreeMap<i64, MinuteCount> = BTreeMap::new();
    for &(platform, at) in comments {
        let minute = at.div_euclid(MINUTE) * MINUTE;
        let b = buckets.entry(minute).or_insert(MinuteCount { minute, facebook: 0, instagram: 0, web: 0 });
        match platform {
            Platform::Facebook => b.facebook += 1,
            Platform::Instagram => b.instagram += 1,
            Platform::Web => b.web += 1,
        }
    }
    let (Some(&first), Some(&last)) = (buckets.keys().next(), buckets.keys().next_back()) else {
        return Vec::new();
    };
    let last = last.min(first + (MAX_MINUTES - 1) * MINUTE);
    (0..)
        .map(|i| first + i * MINUTE)
        .take_while(|m| *m <= last)
        .map(|m| buckets.remove(&m).unwrap_or(MinuteCount { minute: m, facebook: 0, instagram: 0, web: 0 }))
        .collect()
}

/// Median and 90th percentile (nearest rank) of durations in milliseconds.
pub fn answer_times(mut durations: Vec<i64>) -> AnswerTimes {
    durations.retain(|d| *d >= 0);
    durations.sort_unstable();
    let rank = |p: usize| -> Option<i64> {
        if durations.is_empty() {
            return None;
        }
        let n = durations.len();
        let r = (p * n).div_ceil(100).clamp(1, n);
        durations.get(r - 1).copied()
    };
    AnswerTimes { answered: durations.len() as i64, median_ms: rank(50), p90_ms: rank(90) }
}

/// Words too common to name a topic (English and Spanish, the demo's languages).
const STOP_WORDS: &str = "\
    about after also and are because been before being between can could does doing dont during \
    each from have having here how into just know like more most much need okay only other over \
    really should some than that thats the their them then there these they this those very \
    want what when where which while with would your youre yours thanks thank please doctor \
    question anyone something things still ever como cual cuando donde para pero porque puedo \
    sobre tengo esta este";

/// The most asked topics: meaningful words (four letters or more, not a stop word) counted once
/// per question and weighted by how many people asked it; ties by word. At most `limit`.
pub fn topics<'a>(questions: impl IntoIterator<Item = (&'a str, i64)>, limit: usize) -> Vec<NamedCount> {
    let mut counts: HashMap<String, i64> = HashMap::new();
    for (text, weight) in questions {
        let mut seen = std::collections::HashSet::new();
        for word in text.split(|c: char| !c.is_alphanumeric() && c != '\'') {
            let w: String = word.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
            if w.chars().count() < 4
                || w.chars().all(|c| c.is_ascii_digit())
                || STOP_WORDS.split_whitespace().any(|s| s == w)
            {
                continue;
            }
            if seen.insert(w.clone()) {
                *counts.entry(w).or_default() += weight.max(1);
            }
        }
    }
    let mut out: Vec<NamedCount> =
        counts.into_iter().map(|(name, count)| NamedCount { name, count }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_bucketed_by_platform_with_quiet_minutes_filled() {
        let t0 = 1_764_000_000_000 - 1_764_000_000_000 % MINUTE;
        let got = per_minute(&[
            (Platform::Facebook, t0 + 1_000),
            (Platform::Instagram, t0 + 59_999),
            (Platform::Facebook, t0 + 2 * MINUTE + 5),
        ]);
        assert_eq!(
            got,
            vec![
                MinuteCount { minute: t0, facebook: 1, instagram: 1, web: 0 },
                MinuteCount { minute: t0 + MINUTE, facebook: 0, instagram: 0, web: 0 },
                MinuteCount { minute: t0 + 2 * MINUTE, facebook: 1, instagram: 0, web: 0 },
            ]
        );
        assert!(per_minute(&[]).is_empty());
    }

    #[test]
    fn a_runaway_range_is_capped_at_a_day_of_minutes() {
        let got = per_minute(&[(Platform::Web, 0), (Platform::Web, 30 * 24 * 60 * MINUTE)]);
        assert_eq!(got.len() as i64, MAX_MINUTES);
    }

    #[test]
    fn median_and_p90_use_the_nearest_rank() {
        let t = answer_times((1..=10).map(|s| s * 1000).collect());
        assert_eq!(t, AnswerTimes { answered: 10, median_ms: Some(5_000), p90_ms: Some(9_000) });
        let one = answer_times(vec![42]);
        assert_eq!((one.median_ms, one.p90_ms), (Some(42), Some(42)));
        assert_eq!(answer_times(vec![]), AnswerTimes::default());
    }

    #[test]
    fn topics_weigh_by_askers_and_skip_common_words() {
        let got = topics(
            [
                ("What about cholesterol and statins?", 3),
                ("Is cholesterol from eggs bad? cholesterol!", 1),
                ("Should I stop statins before surgery?", 1),
            ],
            3,
        );
        let names: Vec<(&str, i64)> = got.iter().map(|t| (t.name.as_str(), t.count)).collect();
        assert_eq!(names, vec![("cholesterol", 4), ("statins", 4), ("eggs", 1)]);
    }
}
