//! The after-session report: the store reads the rows, the domain (`curbside_domain::report`)
//! does the arithmetic. Read-only and from the read pool, so a report never slows ingest.

use crate::{Result, Store};
use curbside_domain::report::{answer_times, per_minute, topics};
use curbside_domain::{NamedCount, Platform, QuestionId, SessionId, SessionReport, UnansweredQuestion};
use sqlx::Row;
use std::collections::BTreeMap;

impl Store {
    pub async fn session_report(&self, id: SessionId) -> Result<SessionReport> {
        self.session(id).await?;
        let pool = self.read_pool();
        let comments: Vec<(Platform, i64)> =
            sqlx::query("SELECT platform, platform_time FROM comments WHERE session_id = $1")
                .bind(id.0)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    let p: String = r.try_get("platform")?;
                    Ok((Platform::parse(&p).unwrap_or(Platform::Web), r.try_get("platform_time")?))
                })
                .collect::<Result<_>>()?;
        let stats = self.session_stats(id).await?;
        let named = |rows: Vec<(String, i64)>| -> Vec<NamedCount> {
            rows.into_iter().map(|(name, count)| NamedCount { name, count }).collect()
        };
        let durations: Vec<i64> = sqlx::query(
            "SELECT q.created_at, a.answered_at FROM questions q JOIN answers a ON a.question_id = q.id \
             WHERE q.session_id = $1",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("answered_at")? - r.try_get::<i64, _>("created_at")?))
        .collect::<Result<_>>()?;
        let asked: Vec<(String, i64)> = sqlx::query(
            "SELECT public_text, asked_by_count FROM questions \
             WHERE session_id = $1 AND state NOT IN ('rejected', 'merged')",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("public_text")?, r.try_get("asked_by_count")?)))
        .collect::<Result<_>>()?;
        let rows = sqlx::query(
            "SELECT q.id, q.public_text, q.asked_by_count, q.created_at, c.platform FROM questions q \
             LEFT JOIN comments c ON c.question_id = q.id \
             WHERE q.session_id = $1 AND q.state IN ('approved', 'on_air') ORDER BY q.created_at, q.id",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?;
        let mut unanswered: BTreeMap<(i64, i64), UnansweredQuestion> = BTreeMap::new();
        for r in &rows {
            let qid: i64 = r.try_get("id")?;
            let created_at: i64 = r.try_get("created_at")?;
            let q = match unanswered.entry((created_at, qid)) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(UnansweredQuestion {
                    id: QuestionId(qid),
                    public_text: r.try_get("public_text")?,
                    asked_by_count: r.try_get("asked_by_count")?,
                    platforms: Vec::new(),
                    created_at,
                }),
            };
            if let Some(p) = r.try_get::<Option<String>, _>("platform")?.as_deref().and_then(Platform::parse)
            {
                if !q.platforms.contains(&p) {
                    q.platforms.push(p);
                }
            }
        }
        Ok(SessionReport {
            comments: comments.len() as i64,
            comments_per_minute: per_minute(&comments),
            questions_by_state: named(stats.questions),
            questions_by_flag: named(stats.flagged),
            answer_times: answer_times(durations),
            topics: topics(asked.iter().map(|(t, n)| (t.as_str(), *n)), 10),
            unanswered: unanswered.into_values().collect(),
        })
    }
}
