//! What the platform connectors read and write: sources with their tokens, matching webhook
//! objects to sessions, comment changes at the source (edits, removals, hides), and health.

use crate::db::append_events;
use crate::questions::{load_question, question_event};
use crate::screening::{with_screening_flags, SessionContext};
use crate::sessions::{audit, load_session, session_event, spec_from_row};
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{
    Flag, Platform, QuestionChange, QuestionId, QuestionState, SessionId, SessionStatus, SourceId,
    SourceSpec, SourceState,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeSet;

/// A source as a connector needs it, token included. Deliberately not `Serialize`, and its
/// `Debug` hides the token, so it cannot end up in a response or a log line.
#[derive(Clone)]
pub struct SourceRecord {
    pub id: SourceId,
    pub session_id: SessionId,
    pub session_status: SessionStatus,
    pub spec: SourceSpec,
    pub access_token: String,
    pub state: SourceState,
    /// Unix seconds of the newest comment polling has seen.
    pub poll_since: Option<i64>,
}

impl std::fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceRecord")
            .field("id", &self.id)
            .field("session_id", &self.session_id)
            .field("spec", &self.spec)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl SourceRecord {
    pub fn platform(&self) -> Platform {
        self.spec.platform()
    }

    /// The Page or IG account id: comments it writes are the hospital's own.
    pub fn owner_id(&self) -> &str {
        match &self.spec {
            SourceSpec::Facebook { page_id, .. } => page_id,
            SourceSpec::Instagram { ig_user_id, .. } => ig_user_id,
        }
    }
}

/// A change the platform reports for a comment Curbside may already hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChange {
    Edited { text: String },
    Removed,
    Hidden,
    Unhidden,
}

impl SourceChange {
    fn change(&self) -> QuestionChange {
        match self {
            SourceChange::Edited { .. } => QuestionChange::CommentEdited,
            SourceChange::Removed => QuestionChange::RemovedAtSource,
            SourceChange::Hidden => QuestionChange::HiddenAtSource,
            SourceChange::Unhidden => QuestionChange::UnhiddenAtSource,
        }
    }
}

const SOURCE_SELECT: &str = "SELECT s.id, s.session_id, s.platform, s.spec_json, s.access_token, s.state, \
     s.poll_since, x.status AS session_status FROM sources s JOIN sessions x ON x.id = s.session_id";

impl Store {
    /// A source row as a connector needs it, with its token opened.
    fn record_from_row(&self, r: &AnyRow) -> Result<SourceRecord> {
        let state: String = r.try_get("state")?;
        let status: String = r.try_get("session_status")?;
        Ok(SourceRecord {
            id: SourceId(r.try_get("id")?),
            session_id: SessionId(r.try_get("session_id")?),
            session_status: SessionStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("session status {status:?}")))?,
            spec: spec_from_row(r)?,
            access_token: self.open_token(&r.try_get::<String, _>("access_token")?)?,
            state: SourceState::parse(&state).unwrap_or(SourceState::Idle),
            poll_since: r.try_get("poll_since")?,
        })
    }
}

impl Store {
    /// Sources that webhooks name by `key` (Facebook `{page_id}_{video_id}`, Instagram media id).
    pub async fn sources_by_match_key(&self, platform: Platform, key: &str) -> Result<Vec<SourceRecord>> {
        let rows =
            sqlx::query(&format!("{SOURCE_SELECT} WHERE s.platform = $1 AND s.match_key = $2 ORDER BY s.id"))
                .bind(platform.as_str())
                .bind(key)
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    /// Sources polling `object_id` (a Facebook live video id or an IG media id).
    pub async fn sources_by_object(&self, platform: Platform, object_id: &str) -> Result<Vec<SourceRecord>> {
        let rows =
            sqlx::query(&format!("{SOURCE_SELECT} WHERE s.platform = $1 AND s.object_id = $2 ORDER BY s.id"))
                .bind(platform.as_str())
                .bind(object_id)
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    /// Every source of every live session: what the pollers follow.
    pub async fn live_sources(&self) -> Result<Vec<SourceRecord>> {
        let rows = sqlx::query(&format!("{SOURCE_SELECT} WHERE x.status = 'live' ORDER BY s.id"))
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    pub async fn source(&self, id: SourceId) -> Result<SourceRecord> {
        let row = sqlx::query(&format!("{SOURCE_SELECT} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(self.read_pool())
            .await?
            .ok_or(StoreError::NotFound("source"))?;
        self.record_from_row(&row)
    }

    /// Records the video behind a Facebook live video, once resolved from the Graph API, so
    /// webhooks naming `post_id = {page_id}_{video_id}` match the source.
    pub async fn set_video_id(&self, source: SourceId, video_id: &str) -> Result<()> {
        let rec = self.source(source).await?;
        let SourceSpec::Facebook { page_id, live_video_id, .. } = rec.spec else {
            return Err(StoreError::Invalid("only Facebook sources have a video id".into()));
        };
        let spec = SourceSpec::Facebook {
            page_id: page_id.clone(),
            live_video_id,
            video_id: Some(video_id.to_owned()),
        };
        spec.validate().map_err(StoreError::Invalid)?;
        let mut json = serde_json::to_value(&spec)?;
        if let Some(obj) = json.as_object_mut() {
            obj.remove("platform");
        }
        sqlx::query("UPDATE sources SET spec_json = $1, match_key = $2 WHERE id = $3")
            .bind(json.to_string())
            .bind(format!("{page_id}_{video_id}"))
            .bind(source.0)
            .execute(self.write_pool())
            .await?;
        Ok(())
    }

    pub async fn set_poll_since(&self, source: SourceId, since: i64) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET poll_since = $1 WHERE id = $2 AND (poll_since IS NULL OR poll_since < $3)",
        )
        .bind(since)
        .bind(source.0)
        .bind(since)
        .execute(self.write_pool())
        .await?;
        Ok(())
    }

    /// Takes or renews `node`'s polling lease on `source` for `lease`: true if `node` holds it
    /// now. Only a free lease, an expired one or `node`'s own is taken, in one conditional
    /// update, so of several nodes exactly one polls a source; another takes over once the
    /// holder stops renewing (it died) or lets go (it shut down).
    pub async fn hold_poll_lease(
        &self,
        source: SourceId,
        node: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let now = now_millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let done = sqlx::query(
            "UPDATE sources SET poll_owner = $1, poll_lease_until = $2 WHERE id = $3 \
             AND (poll_owner IS NULL OR poll_owner = $4 OR poll_lease_until IS NULL OR poll_lease_until <= $5)",
        )
        .bind(node)
        .bind(until)
        .bind(source.0)
        .bind(node)
        .bind(now)
        .execute(self.write_pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lets go of `node`'s polling lease on `source` (its poller stopped), so another node may
    /// take the source at once instead of waiting for the lease to run out.
    pub async fn release_poll_lease(&self, source: SourceId, node: &str) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET poll_owner = NULL, poll_lease_until = NULL WHERE id = $1 AND poll_owner = $2",
        )
        .bind(source.0)
        .bind(node)
        .execute(self.write_pool())
        .await?;
        Ok(())
    }

    /// Ends every polling lease and outbox claim lease at once. Only for the start of the one
    /// serving process of a SQLite database: every lease then belongs to a process that has
    /// stopped, and waiting for them to run out would delay polling and reconciliation after a
    /// restart for nothing. (Several nodes on PostgreSQL never do this: another node may be live.)
    pub async fn end_leases_of_stopped_processes(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE sources SET poll_owner = NULL, poll_lease_until = NULL WHERE poll_owner IS NOT NULL",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE outbox SET lease_until = 0 WHERE status = 'sending'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The node polling `source` now, if its lease is running (for tests and operators).
    pub async fn poll_lease_holder(&self, source: SourceId) -> Result<Option<String>> {
        let holder: Option<Option<String>> =
            sqlx::query_scalar("SELECT poll_owner FROM sources WHERE id = $1 AND poll_lease_until > $2")
                .bind(source.0)
                .bind(now_millis())
                .fetch_optional(self.read_pool())
                .await?;
        Ok(holder.flatten())
    }

    /// Records how a source's connection is doing. A change of state appends a session event
    /// (staff see "needs re-authorisation" at once); repeated reports of the same state do not.
    pub async fn record_source_health(
        &self,
        source: SourceId,
        state: SourceState,
        last_error: Option<&str>,
        usage_percent: Option<f64>,
    ) -> Result<()> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT session_id, state FROM sources WHERE id = $1")
            .bind(source.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("source"))?;
        let session = SessionId(row.try_get("session_id")?);
        let before: String = row.try_get("state")?;
        sqlx::query(
            "UPDATE sources SET state = $1, last_error = COALESCE($2, last_error), \
             usage_percent = COALESCE($3, usage_percent) WHERE id = $4",
        )
        .bind(state.as_str())
        .bind(last_error)
        .bind(usage_percent)
        .bind(source.0)
        .execute(&mut *tx)
        .await?;
        let mut events = Vec::new();
        if before != state.as_str() {
            let s = load_session(&mut tx, session).await?;
            events = append_events(
                &mut tx,
                session,
                now,
                vec![session_event(curbside_domain::SessionChange::SourceHealth, &s)],
            )
            .await?;
        }
        self.commit(tx, events).await?;
        Ok(())
    }

    /// Applies an edit, removal, hide or unhide reported by the platform. Returns `false` when
    /// the comment is unknown (nothing to change). Nothing is deleted: a removed or hidden
    /// comment flags its question, which then leaves the active queue with that reason.
    pub async fn comment_changed_at_source(
        &self,
        platform: Platform,
        comment_id: &str,
        change: SourceChange,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, question_id, origin_question_id, text FROM comments \
             WHERE platform = $1 AND platform_comment_id = $2",
        )
        .bind(platform.as_str())
        .bind(comment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let row_id: i64 = row.try_get("id")?;
        let Some(question) = row.try_get::<Option<i64>, _>("question_id")?.map(QuestionId) else {
            return Ok(false);
        };
        let origin: Option<i64> = row.try_get("origin_question_id")?;
        let old_text: String = row.try_get("text")?;
        let new_text = match &change {
            SourceChange::Edited { text } => text.trim().to_owned(),
            _ => String::new(),
        };
        let update = match &change {
            SourceChange::Edited { .. } => sqlx::query(
                "UPDATE comments SET first_text = COALESCE(first_text, text), text = $1, edited_at = $2 WHERE id = $3",
            )
            .bind(&new_text)
            .bind(now),
            SourceChange::Removed => sqlx::query("UPDATE comments SET removed_at = $1 WHERE id = $2").bind(now),
            SourceChange::Hidden => sqlx::query("UPDATE comments SET hidden_at = $1 WHERE id = $2").bind(now),
            SourceChange::Unhidden => sqlx::query("UPDATE comments SET hidden_at = NULL WHERE id = $1"),
        };
        update.bind(row_id).execute(&mut *tx).await?;

        let q = load_question(&mut tx, question).await?;
        let mut public_text = q.public_text.clone();
        let mut original_text = q.original_text.clone();
        let mut flags = q.flags.clone();
        let mut screening = q.screening.clone();
        if let SourceChange::Edited { .. } = change {
            // The wording follows the author's edit only while no moderator has touched it,
            // and the edit is screened like a new comment: new spans, a new redacted default.
            if q.state == QuestionState::New
                && origin == Some(question.0)
                && q.original_text == old_text.trim()
            {
                let author: Option<String> =
                    sqlx::query_scalar("SELECT author_id FROM comments WHERE id = $1")
                        .bind(row_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let authors: Vec<&str> = author.as_deref().into_iter().collect();
                let ctx = SessionContext::load(&mut tx, q.session_id, Some(question), &authors).await?;
                let screened = ctx.screen(&self.screener(), &new_text, author.as_deref());
                flags = with_screening_flags(flags, &screened);
                public_text = screened.redacted;
                screening = screened.screening;
                original_text.clone_from(&new_text);
            }
        }
        let flags = source_flags(&mut tx, question, flags).await?;
        sqlx::query(
            "UPDATE questions SET public_text = $1, original_text = $2, flags_json = $3, screening_json = $4, \
             version = version + 1, updated_at = $5 WHERE id = $6",
        )
        .bind(&public_text)
        .bind(&original_text)
        .bind(serde_json::to_string(&flags)?)
        .bind(serde_json::to_string(&screening)?)
        .bind(now)
        .bind(question.0)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &Actor::system(platform.as_str()),
            &format!("comment.{}", change.change().as_str()),
            Some(q.session_id),
            Some(question),
            serde_json::json!({"comment_id": comment_id}),
        )
        .await?;
        let q = load_question(&mut tx, question).await?;
        let events =
            append_events(&mut tx, q.session_id, now, vec![question_event(change.change(), &q)]).await?;
        self.commit(tx, events).await?;
        Ok(true)
    }
}

/// The question's flags with `removed` / `hidden` recomputed from its comments: a question
/// leaves the queue only when every comment behind it is gone (a merged duplicate's removal
/// does not take down the others).
async fn source_flags(
    tx: &mut sqlx::AnyConnection,
    question: QuestionId,
    mut flags: BTreeSet<Flag>,
) -> Result<BTreeSet<Flag>> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, \
         COUNT(removed_at) AS removed, \
         COUNT(CASE WHEN removed_at IS NULL AND hidden_at IS NOT NULL THEN 1 END) AS hidden \
         FROM comments WHERE question_id = $1",
    )
    .bind(question.0)
    .fetch_one(&mut *tx)
    .await?;
    let total: i64 = row.try_get("total")?;
    let removed: i64 = row.try_get("removed")?;
    let hidden: i64 = row.try_get("hidden")?;
    flags.remove(&Flag::Removed);
    flags.remove(&Flag::Hidden);
    if total > 0 && removed == total {
        flags.insert(Flag::Removed);
    } else if total > 0 && removed + hidden == total {
        flags.insert(Flag::Hidden);
    }
    Ok(flags)
}

impl Store {
    /// Replaces a source's access token (e.g. after it expired). Audited without the token; a
    /// source waiting for re-authorisation goes back to `idle` so polling tries again.
    pub async fn set_source_token(
        &self,
        session: SessionId,
        source: SourceId,
        token: &str,
        actor: &Actor,
    ) -> Result<curbside_domain::Session> {
        let token = token.trim();
        if token.is_empty() {
            return Err(StoreError::Invalid("`access_token` must not be empty".into()));
        }
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT platform, state FROM sources WHERE id = $1 AND session_id = $2")
            .bind(source.0)
            .bind(session.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("source"))?;
        let platform: String = row.try_get("platform")?;
        let state: String = row.try_get("state")?;
        let stored = self.seal_token(token)?;
        sqlx::query(
            "UPDATE sources SET access_token = $1, \
             state = CASE WHEN state IN ('needs_reauth', 'permission_denied') THEN 'idle' ELSE state END, \
             last_error = CASE WHEN state IN ('needs_reauth', 'permission_denied') THEN NULL ELSE last_error END \
             WHERE id = $2",
        )
        .bind(stored)
        .bind(source.0)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "source.token",
            Some(session),
            None,
            serde_json::json!({"source_id": source, "platform": platform, "state_before": state}),
        )
        .await?;
        self.commit_staff_session_change(tx, session, now, curbside_domain::SessionChange::SourceToken).await
    }
}

impl Store {
    /// Adds a source to a session, its access token sealed like every stored token. Audited
    /// without the token; consoles hear of it as a staff-only session change.
    pub async fn add_source(
        &self,
        session: SessionId,
        spec: &SourceSpec,
        token: &str,
        actor: &Actor,
    ) -> Result<(SourceId, curbside_domain::Session)> {
        spec.validate().map_err(StoreError::Invalid)?;
        if token.trim().is_empty() {
            return Err(StoreError::Invalid("`access_token` must not be empty".into()));
        }
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        load_session(&mut tx, session).await?;
        let (object_id, _) = crate::sessions::object_and_owner(spec);
        let dup: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sources WHERE session_id = $1 AND platform = $2 AND object_id = $3",
        )
        .bind(session.0)
        .bind(spec.platform().as_str())
        .bind(object_id)
        .fetch_one(&mut *tx)
        .await?;
        if dup > 0 {
            return Err(StoreError::Conflict(format!(
                "this session already listens to {} object {object_id}",
                spec.platform()
            )));
        }
        let id = self.insert_source(&mut tx, session, spec, token, now).await?;
        audit(
            &mut tx,
            actor,
            "source.add",
            Some(session),
            None,
            serde_json::json!({"source_id": id, "platform": spec.platform(), "object_id": object_id}),
        )
        .await?;
        let after = self
            .commit_staff_session_change(tx, session, now, curbside_domain::SessionChange::Sources)
            .await?;
        Ok((id, after))
    }

    /// Removes a source from a session: no more comments arrive from it. Its stored comments and
    /// questions stay (their `source_id` is cleared). Audited.
    pub async fn remove_source(
        &self,
        session: SessionId,
        source: SourceId,
        actor: &Actor,
    ) -> Result<curbside_domain::Session> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT platform, object_id FROM sources WHERE id = $1 AND session_id = $2")
            .bind(source.0)
            .bind(session.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("source"))?;
        let platform: String = row.try_get("platform")?;
        let object_id: String = row.try_get("object_id")?;
        // Explicit rather than relying on ON DELETE SET NULL, which SQLite only honours with
        // foreign keys switched on.
        sqlx::query("UPDATE comments SET source_id = NULL WHERE source_id = $1")
            .bind(source.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE outbox SET source_id = NULL WHERE source_id = $1")
            .bind(source.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sources WHERE id = $1").bind(source.0).execute(&mut *tx).await?;
        audit(
            &mut tx,
            actor,
            "source.remove",
            Some(session),
            None,
            serde_json::json!({"source_id": source, "platform": platform, "object_id": object_id}),
        )
        .await?;
        self.commit_staff_session_change(tx, session, now, curbside_domain::SessionChange::Sources).await
    }
}
