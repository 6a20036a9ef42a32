//! The emergency path: a one-click crisis reply through the outbox (the same platform reply
//! path as answers), and the follow-up list that keeps each emergency until a staff member
//! records an outcome. Both are audited and evented in their own transaction.

use crate::db::append_events;
use crate::questions::{load_question, question_event, PlatformActions};
use crate::sessions::audit;
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{Flag, OutboxItem, OutboxKind, Question, QuestionChange, QuestionId, SessionId};
use std::collections::HashSet;

/// The canned replies screening offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedReply {
    /// Crisis resources for an emergency (911, 988 in the US).
    Crisis,
    /// "We can't advise on individual care here …" for a personal-advice question.
    Redirect,
}

impl CannedReply {
    fn audit_action(self) -> &'static str {
        match self {
            CannedReply::Crisis => "question.crisis_reply",
            CannedReply::Redirect => "question.redirect_reply",
        }
    }
}

impl Store {
    /// Queues a canned reply (the crisis resources, or the personal-advice redirect, from
    /// configuration) to every comment behind the question, on its platform: a Facebook reply,
    /// an Instagram private reply. At most one reply per comment, ever.
    pub async fn canned_reply(
        &self,
        id: QuestionId,
        kind: CannedReply,
        text: &str,
        actor: &Actor,
    ) -> Result<Vec<OutboxItem>> {
        let text = curbside_domain::TextLimit::ANSWER
            .required(text)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let queue = PlatformActions {
            kind_for: &OutboxKind::reply_for,
            text: Some(&text),
            cap: self.reply_cap(),
            audit_action: kind.audit_action(),
            refuse_if_none: Some(
                "no reply was queued: every comment behind this question already has a reply, or its \
                 platform allows none",
            ),
        };
        self.queue_platform_actions(id, queue, actor).await
    }

    /// Records what happened after an emergency (who, when, what); the question leaves the
    /// follow-up list. One outcome per question.
    pub async fn record_outcome(&self, id: QuestionId, outcome: &str, actor: &Actor) -> Result<Question> {
        let outcome = curbside_domain::TextLimit::REASON
            .required(outcome)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let q = load_question(&mut tx, id).await?;
        if !q.flags.contains(&Flag::Emergency) {
            return Err(StoreError::Conflict("only questions flagged as emergencies take an outcome".into()));
        }
        let inserted = sqlx::query(
            "INSERT INTO emergency_outcomes (question_id, outcome, user_id, actor_name, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (question_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(&outcome)
        .bind(actor.user_id.map(|u| u.0))
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict("an outcome is already recorded for this emergency".into()));
        }
        audit(
            &mut tx,
            actor,
            "question.outcome",
            Some(q.session_id),
            Some(id),
            serde_json::json!({"outcome": outcome}),
        )
        .await?;
        let events = append_events(
            &mut tx,
            q.session_id,
            now,
            vec![question_event(QuestionChange::OutcomeRecorded, &q)],
        )
        .await?;
        self.commit(tx, events).await?;
        Ok(q)
    }

    /// The session's emergencies without a recorded outcome, oldest first.
    pub async fn follow_ups(&self, session: SessionId) -> Result<Vec<Question>> {
        let done: HashSet<i64> = sqlx::query_scalar(
            "SELECT o.question_id FROM emergency_outcomes o JOIN questions q ON q.id = o.question_id WHERE q.session_id = $1",
        )
        .bind(session.0)
        .fetch_all(self.read_pool())
        .await?
        .into_iter()
        .collect();
        let mut qs = self.questions(session, None).await?;
        qs.retain(|q| q.flags.contains(&Flag::Emergency) && !done.contains(&q.id.0));
        Ok(qs)
    }
}
