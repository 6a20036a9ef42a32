//! Retention and erasure of commenter data: raw comment text, commenter names and platform user
//! ids, and the raw wording of the questions they created — in the tables and in the question
//! snapshots of the event log — while the approved wording and answers (the public transcript)
//! stay. Each run is one transaction and one audit entry.

use crate::audit::audit;
use crate::db::{append_events, NewEvent};
use crate::questions::{load_question, question_event};
use crate::{now_millis, Actor, Result, Store};
use curbside_domain::{
    EventBody, Platform, QuestionId, Redaction, SessionId, StoredEvent, ERASED_TEXT, PURGED_TEXT,
};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// What a purge or an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RetentionReport {
    /// Comments whose text and author were removed.
    pub comments: usize,
    /// Questions whose raw wording was removed.
    pub questions: usize,
    /// Event-log entries whose question snapshot was rewritten.
    pub events: usize,
}

/// Which comments to remove.
enum Selector<'a> {
    ReceivedBefore(i64),
    Author { platform: Option<Platform>, author_id: &'a str },
}

impl Store {
    /// Purges commenter data received before `cutoff` (unix ms). Events are rewritten in place,
    /// not appended: the data is old, nobody is following it live. A purge by the system (the
    /// schedule, the CLI) that finds nothing leaves no audit entry.
    pub async fn purge_before(&self, cutoff: i64, actor: &Actor) -> Result<RetentionReport> {
        let mut tx = self.begin_write().await?;
        let (report, _) = redact(&mut tx, &Selector::ReceivedBefore(cutoff), PURGED_TEXT).await?;
        // A staff member's purge is always recorded; the hourly schedule only when it removed something.
        if report.comments == 0 && actor.user_id.is_none() {
            tx.commit().await?;
            self.forget_duplicate_indexes();
            return Ok(report);
        }
        audit(
            &mut tx,
            actor,
            "retention.purge",
            None,
            None,
            serde_json::json!({"received_before": cutoff, "comments": report.comments,
                "questions": report.questions, "events": report.events}),
        )
        .await?;
        tx.commit().await?;
        self.forget_duplicate_indexes();
        Ok(report)
    }

    /// Erases everything of one commenter, by platform user id (on one platform, or all):
    /// their comments' text, name and id, the raw wording of questions they created, and the
    /// same in the event log. Consoles following the session get the redacted questions as
    /// `redacted` events. The audit entry keeps a SHA-256 of the id, not the id.
    pub async fn erase_commenter(
        &self,
        platform: Option<Platform>,
        author_id: &str,
        actor: &Actor,
    ) -> Result<RetentionReport> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let (report, touched) =
            redact(&mut tx, &Selector::Author { platform, author_id }, ERASED_TEXT).await?;
        audit(
            &mut tx,
            actor,
            "retention.erase",
            None,
            None,
            serde_json::json!({"platform": platform, "author_id_sha256": hex::encode(Sha256::digest(author_id.as_bytes())),
                "comments": report.comments, "questions": report.questions, "events": report.events}),
        )
        .await?;
        let mut events: Vec<StoredEvent> = Vec::new();
        for (session, questions) in touched {
            let mut new_events: Vec<NewEvent> = Vec::with_capacity(questions.len());
            for q in questions {
                let q = load_question(&mut tx, q).await?;
                new_events.push(NewEvent {
                    public: None,
                    ..question_event(curbside_domain::QuestionChange::Redacted, &q)
                });
            }
            events.extend(append_events(&mut tx, session, now, new_events).await?);
        }
        self.commit(tx, events).await?;
        self.forget_duplicate_indexes();
        Ok(report)
    }
}

/// Redacts the selected comments, their questions and the event log, inside `tx`. Returns the
/// report and the questions touched per session.
async fn redact(
    tx: &mut AnyConnection,
    selector: &Selector<'_>,
    placeholder: &'static str,
) -> Result<(RetentionReport, BTreeMap<SessionId, BTreeSet<QuestionId>>)> {
    let (filter, bind_platform) = match selector {
        Selector::ReceivedBefore(_) => ("received_at < $1 AND purged_at IS NULL", None),
        Selector::Author { platform: Some(p), .. } => ("author_id = $1 AND platform = $2", Some(*p)),
        Selector::Author { platform: None, .. } => ("author_id = $1", None),
    };
    let select = format!(
        "SELECT id, platform, platform_comment_id, session_id, question_id, origin_question_id FROM comments WHERE {filter}"
    );
    let mut q = sqlx::query(&select);
    q = match selector {
        Selector::ReceivedBefore(cutoff) => q.bind(*cutoff),
        Selector::Author { author_id, .. } => q.bind(author_id.to_string()),
    };
    if let Some(p) = bind_platform {
        q = q.bind(p.as_str());
    }
    let rows = q.fetch_all(&mut *tx).await?;
    let mut redaction = Redaction { placeholder, ..Redaction::default() };
    let mut touched: BTreeMap<SessionId, BTreeSet<QuestionId>> = BTreeMap::new();
    for r in &rows {
        let platform: String = r.try_get("platform")?;
        let platform = Platform::parse(&platform)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("platform {platform:?}")))?;
        redaction.comments.insert((platform, r.try_get("platform_comment_id")?));
        let session = SessionId(r.try_get("session_id")?);
        for col in ["question_id", "origin_question_id"] {
            if let Some(q) = r.try_get::<Option<i64>, _>(col)? {
                touched.entry(session).or_default().insert(QuestionId(q));
            }
        }
        if let Some(q) = r.try_get::<Option<i64>, _>("origin_question_id")? {
            redaction.origin_questions.insert(QuestionId(q));
        }
    }
    let mut report = RetentionReport { comments: rows.len(), ..RetentionReport::default() };
    if redaction.is_empty() {
        return Ok((report, touched));
    }
    let now = now_millis();
    for r in &rows {
        sqlx::query(
            "UPDATE comments SET author_id = NULL, author_name = NULL, text = $1, first_text = NULL, purged_at = $2 \
             WHERE id = $3",
        )
        .bind(placeholder)
        .bind(now)
        .bind(r.try_get::<i64, _>("id")?)
        .execute(&mut *tx)
        .await?;
    }
    for q in &redaction.origin_questions {
        // Wording a moderator never approved is still the commenter's own text.
        sqlx::query(
            // The screening's spans point into the purged text and its suggestion quotes it.
            "UPDATE questions SET original_text = $1, screening_json = '{}', \
             public_text = CASE WHEN state IN ('new', 'rejected', 'merged') THEN $2 ELSE public_text END WHERE id = $3",
        )
        .bind(placeholder)
        .bind(placeholder)
        .bind(q.0)
        .execute(&mut *tx)
        .await?;
    }
    report.questions = redaction.origin_questions.len();
    // The event log's staff payloads hold question snapshots: rewrite those that carry the data.
    for session in touched.keys() {
        let events = sqlx::query(
            "SELECT event_offset, staff_json FROM events WHERE session_id = $1 ORDER BY event_offset",
        )
        .bind(session.0)
        .fetch_all(&mut *tx)
        .await?;
        for e in &events {
            let json: String = e.try_get("staff_json")?;
            let mut body: EventBody = serde_json::from_str(&json)?;
            let changed = match &mut body {
                EventBody::Question { question, .. } => redaction.apply(question),
                _ => false,
            };
            if changed {
                sqlx::query("UPDATE events SET staff_json = $1 WHERE session_id = $2 AND event_offset = $3")
                    .bind(serde_json::to_string(&body)?)
                    .bind(session.0)
                    .bind(e.try_get::<i64, _>("event_offset")?)
                    .execute(&mut *tx)
                    .await?;
                report.events += 1;
            }
        }
    }
    Ok((report, touched))
}
