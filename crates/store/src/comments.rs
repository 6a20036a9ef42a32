//! Ingest: platform comments become stored comments and new questions, once per platform comment
//! id however often and however batched they arrive (webhook retries, polling overlap).

use crate::db::{append_events, placeholders, NewEvent};
use crate::questions::load_question;
use crate::questions::question_event;
use crate::screening::{with_screening_flags, AutoOutcome, CachedContext, SessionContext};
use crate::{now_millis, Result, Store};
use curbside_domain::{
    CommentId, Question, QuestionChange, QuestionId, QuestionSource, QuestionState, SessionId, SourceId,
    StoredEvent,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A comment as a connector hands it over, already matched to its session.
pub type IncomingComment = curbside_domain::NewComment;

#[derive(Debug, Default)]
pub struct IngestOutcome {
    /// Comments stored for the first time (each made a question).
    pub stored: usize,
    /// Comments already stored (redeliveries, polled copies of webhook comments).
    pub duplicates: usize,
    pub events: Vec<StoredEvent>,
}

impl Store {
    /// Stores a batch in one transaction: when this returns `Ok`, every comment in it is durable.
    /// A comment already stored is left as it is (counted in `duplicates`).
    pub async fn ingest_comments(&self, batch: Vec<IncomingComment>) -> Result<IngestOutcome> {
        let mut outcome = IngestOutcome::default();
        if batch.is_empty() {
            return Ok(outcome);
        }
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut created: BTreeMap<SessionId, Vec<NewEvent>> = BTreeMap::new();
        let mut last_comment: BTreeMap<SourceId, i64> = BTreeMap::new();
        let screener = self.screener();
        let mut contexts: BTreeMap<SessionId, CachedContext> = BTreeMap::new();
        // Which comments are stored already: one query per platform and chunk, not a failed
        // insert per comment (a polled page overlaps the webhooks' deliveries).
        let mut known = stored_comment_ids(&mut tx, &batch).await?;
        for c in &batch {
            // Also a comment given twice in this batch: the first copy is the one kept.
            if !known.insert((c.platform.as_str(), c.platform_comment_id.clone())) {
                outcome.duplicates += 1;
                continue;
            }
            let text = c.text.trim();
            // Screened before anyone sees it, in this transaction: the default public wording
            // is the redacted text, never the raw comment.
            let ctx = match contexts.entry(c.session_id) {
                std::collections::btree_map::Entry::Occupied(e) => &mut e.into_mut().context,
                std::collections::btree_map::Entry::Vacant(e) => {
                    let authors: BTreeSet<&str> = batch
                        .iter()
                        .filter(|b| b.session_id == c.session_id)
                        .filter_map(|b| b.author_id.as_deref())
                        .collect();
                    let authors: Vec<&str> = authors.into_iter().collect();
                    &mut e
                        .insert(SessionContext::load_cached(self, &mut tx, c.session_id, &authors).await?)
                        .context
                }
            };
            let screened = ctx.screen(&screener, text, c.author_id.as_deref());
            let flags = with_screening_flags(BTreeSet::new(), &screened);
            let question_id: i64 = sqlx::query_scalar(
                "INSERT INTO questions (session_id, state, public_text, original_text, flags_json, screening_json, \
                 created_at, updated_at) VALUES ($1, 'new', $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(c.session_id.0)
            .bind(&screened.redacted)
            .bind(text)
            .bind(serde_json::to_string(&flags)?)
            .bind(serde_json::to_string(&screened.screening)?)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let comment_id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO comments (platform, platform_comment_id, session_id, source_id, author_id, \
                 author_name, text, parent_id, platform_time, received_at, via, question_id, origin_question_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (platform, platform_comment_id) DO NOTHING RETURNING id",
            )
            .bind(c.platform.as_str())
            .bind(&c.platform_comment_id)
            .bind(c.session_id.0)
            .bind(c.source_id.map(|s| s.0))
            .bind(&c.author_id)
            .bind(&c.author_name)
            .bind(&c.text)
            .bind(&c.parent_id)
            .bind(c.platform_time)
            .bind(now)
            .bind(&c.via)
            .bind(question_id)
            .bind(question_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(comment_id) = comment_id else {
                // Stored by a concurrent writer since the look-up (PostgreSQL): not new after all.
                sqlx::query("DELETE FROM questions WHERE id = $1")
                    .bind(question_id)
                    .execute(&mut *tx)
                    .await?;
                outcome.duplicates += 1;
                continue;
            };
            if let Some(source) = c.source_id {
                let newest = last_comment.entry(source).or_insert(c.platform_time);
                *newest = (*newest).max(c.platform_time);
            }
            outcome.stored += 1;
            // The new question is known in full here: no need to read it back.
            let mut question = Question {
                id: QuestionId(question_id),
                session_id: c.session_id,
                state: QuestionState::New,
                version: 1,
                public_text: screened.redacted.clone(),
                original_text: text.to_owned(),
                flags,
                asked_by_count: 1,
                merged_into: None,
                assigned_to: None,
                reject_reason: None,
                sources: vec![QuestionSource {
                    comment_id: c.platform_comment_id.clone(),
                    platform: c.platform,
                    author_name: c.author_name.clone(),
                    text: c.text.clone(),
                    created_at: c.platform_time,
                    stored_id: Some(CommentId(comment_id)),
                }],
                answer: None,
                created_at: now,
                updated_at: now,
                last_actor: None,
                screening: screened.screening.clone(),
            };
            // The session's automatic handling, in this same transaction (audited as `screening`).
            let auto = ctx.auto;
            let outcome_auto = self.auto_handle(&mut tx, &mut question, &screened, auto, now).await?;
            // Later comments of the batch compare with this one only while it stays open.
            let open = (outcome_auto == AutoOutcome::Kept).then_some(question.id);
            ctx.remember(open, text, c.author_id.as_deref());
            let events = created.entry(c.session_id).or_default();
            events.push(question_event(QuestionChange::Created, &question));
            if let AutoOutcome::Merged(into) = outcome_auto {
                events.push(question_event(QuestionChange::MergedInto, &load_question(&mut tx, into).await?));
            }
        }
        for (source, at) in last_comment {
            sqlx::query("UPDATE sources SET last_comment_at = $1 WHERE id = $2 AND (last_comment_at IS NULL OR last_comment_at < $3)")
                .bind(at)
                .bind(source.0)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        let mut events = Vec::new();
        for (session, new_events) in created {
            events.extend(append_events(&mut tx, session, now, new_events).await?);
        }
        outcome.events = self.commit_ingest(tx, events).await?;
        for (session, context) in contexts {
            context.put_back(self, session);
        }
        Ok(outcome)
    }
}

/// Comment ids (per platform) of `batch` that are stored already.
async fn stored_comment_ids(
    tx: &mut sqlx::AnyConnection,
    batch: &[IncomingComment],
) -> Result<HashSet<(&'static str, String)>> {
    let mut by_platform: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    for c in batch {
        by_platform.entry(c.platform.as_str()).or_default().push(&c.platform_comment_id);
    }
    let mut known = HashSet::new();
    for (platform, ids) in by_platform {
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let sql = format!(
                "SELECT platform_comment_id FROM comments WHERE platform = $1 AND platform_comment_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(platform);
            for id in chunk {
                query = query.bind(*id);
            }
            known.extend(query.fetch_all(&mut *tx).await?.into_iter().map(|id| (platform, id)));
        }
    }
    Ok(known)
}

/// Comment ids per look-up query.
const IDS_PER_LOOKUP: usize = 500;
