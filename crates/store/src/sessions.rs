//! Q&A sessions and their platform sources. Creating a session and changing its status append
//! events like any other change, so consoles and the public page follow along.

use crate::db::{append_events, NewEvent};
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{
    AutoHandling, EventBody, Offset, PublicBody, PublicSession, Session, SessionChange, SessionId,
    SessionStatus, Slug, SourceHealth, SourceId, SourceSpec, SourceState, SourceView, UserId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Clone)]
pub struct NewSession {
    pub title: String,
    /// Derived from the title when absent (with a numeric suffix if taken).
    pub slug: Option<Slug>,
    pub disclaimer: Option<String>,
    /// Each source with its access token (write-only).
    pub sources: Vec<(SourceSpec, String)>,
    pub specialists: Vec<UserId>,
}

impl std::fmt::Debug for NewSession {
    /// The sources' access tokens never reach debug output or logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sources: Vec<(&SourceSpec, &str)> = self.sources.iter().map(|(spec, _)| (spec, "***")).collect();
        f.debug_struct("NewSession")
            .field("title", &self.title)
            .field("slug", &self.slug)
            .field("disclaimer", &self.disclaimer)
            .field("sources", &sources)
            .field("specialists", &self.specialists)
            .finish()
    }
}

const SESSION_COLUMNS: &str =
    "id, slug, title, status, disclaimer, overlay_key, created_at, started_at, ended_at, last_offset, \
     starts_at, recording_url, auto_reject_spam, auto_merge_duplicates";

/// What webhooks name a source by; see the `sources.match_key` column.
pub(crate) fn object_and_owner(spec: &SourceSpec) -> (&str, &str) {
    match spec {
        SourceSpec::Facebook { page_id, live_video_id, .. } => (live_video_id, page_id),
        SourceSpec::Instagram { ig_user_id, media_id } => (media_id, ig_user_id),
    }
}

pub(crate) fn match_key(spec: &SourceSpec) -> Option<String> {
    match spec {
        SourceSpec::Facebook { page_id, video_id: Some(v), .. } => Some(format!("{page_id}_{v}")),
        SourceSpec::Facebook { video_id: None, .. } => None,
        SourceSpec::Instagram { media_id, .. } => Some(media_id.clone()),
    }
}

pub(crate) fn spec_from_row(r: &AnyRow) -> Result<SourceSpec> {
    let platform: String = r.try_get("platform")?;
    let spec_json: String = r.try_get("spec_json")?;
    // The stored JSON lacks the tag; add it back so serde picks the variant.
    let mut value: serde_json::Value = serde_json::from_str(&spec_json)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("platform".into(), serde_json::Value::String(platform));
    }
    Ok(serde_json::from_value(value)?)
}

fn source_from_row(r: &AnyRow) -> Result<SourceView> {
    let state: String = r.try_get("state")?;
    Ok(SourceView {
        id: SourceId(r.try_get("id")?),
        spec: spec_from_row(r)?,
        health: SourceHealth {
            state: SourceState::parse(&state).unwrap_or(SourceState::Idle),
            last_comment_at: r.try_get("last_comment_at")?,
            last_error: r.try_get("last_error")?,
            usage_percent: r.try_get("usage_percent")?,
        },
    })
}

fn session_from_row(r: &AnyRow, sources: Vec<SourceView>, specialists: Vec<UserId>) -> Result<Session> {
    let slug: String = r.try_get("slug")?;
    let status: String = r.try_get("status")?;
    Ok(Session {
        id: SessionId(r.try_get("id")?),
        slug: Slug::parse(&slug).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        title: r.try_get("title")?,
        status: SessionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status:?}")))?,
        disclaimer: r.try_get("disclaimer")?,
        sources,
        specialists,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        starts_at: r.try_get("starts_at")?,
        recording_url: r.try_get("recording_url")?,
        last_offset: Offset(r.try_get("last_offset")?),
        auto_handling: AutoHandling {
            reject_spam: r.try_get::<i64, _>("auto_reject_spam")? != 0,
            merge_exact_duplicates: r.try_get::<i64, _>("auto_merge_duplicates")? != 0,
        },
        overlay_key: r.try_get("overlay_key")?,
    })
}

/// Reads one session with its sources and specialists, on `conn` (inside or outside a write).
pub(crate) async fn load_session(conn: &mut AnyConnection, id: SessionId) -> Result<Session> {
    let row = sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("session"))?;
    let sources = sqlx::query(
        "SELECT id, platform, spec_json, state, last_comment_at, last_error, usage_percent \
         FROM sources WHERE session_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(source_from_row)
    .collect::<Result<Vec<_>>>()?;
    let specialists = sqlx::query_scalar::<_, i64>(
        "SELECT user_id FROM session_specialists WHERE session_id = $1 ORDER BY user_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(UserId)
    .collect();
    session_from_row(&row, sources, specialists)
}

impl Store {
    /// Stores one source of a session with its access token sealed (see `secrets.rs`); returns
    /// its id. Shared by session creation and `add_source`.
    pub(crate) async fn insert_source(
        &self,
        conn: &mut AnyConnection,
        session: SessionId,
        spec: &SourceSpec,
        token: &str,
        now: i64,
    ) -> Result<SourceId> {
        let mut spec_json = serde_json::to_value(spec)?;
        if let Some(obj) = spec_json.as_object_mut() {
            obj.remove("platform");
        }
        let (object_id, owner_id) = object_and_owner(spec);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sources (session_id, platform, spec_json, match_key, object_id, owner_id, \
             access_token, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(session.0)
        .bind(spec.platform().as_str())
        .bind(spec_json.to_string())
        .bind(match_key(spec))
        .bind(object_id)
        .bind(owner_id)
        .bind(self.seal_token(token.trim())?)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        Ok(SourceId(id))
    }
}

/// A random secret for the overlay link: 128 bits from the OS generator, as hex.
fn overlay_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

impl Store {
    pub async fn create_session(&self, new: NewSession, actor: &Actor) -> Result<Session> {
        let title = curbside_domain::TextLimit::TITLE
            .required(&new.title)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let disclaimer = curbside_domain::TextLimit::DISCLAIMER
            .optional(new.disclaimer.as_deref())
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .unwrap_or_else(|| Session::DEFAULT_DISCLAIMER.to_owned());
        for (spec, token) in &new.sources {
            spec.validate().map_err(StoreError::Invalid)?;
            if token.trim().is_empty() {
                return Err(StoreError::Invalid("every source needs its `access_token`".into()));
            }
        }
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let slug = match &new.slug {
            Some(s) => {
                if slug_taken(&mut tx, s).await? {
                    return Err(StoreError::Conflict(format!("the slug \"{s}\" is already in use")));
                }
                s.clone()
            }
            None => free_slug(&mut tx, &Slug::from_title(&title)).await?,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (slug, title, status, disclaimer, overlay_key, created_at) \
             VALUES ($1, $2, 'scheduled', $3, $4, $5) RETURNING id",
        )
        .bind(slug.as_str())
        .bind(&title)
        .bind(&disclaimer)
        .bind(overlay_key())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (spec, token) in &new.sources {
            self.insert_source(&mut tx, SessionId(id), spec, token, now).await?;
        }
        for user in &new.specialists {
            sqlx::query("INSERT INTO session_specialists (session_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        StoreError::Conflict(format!("specialist {user} is not a staff account"))
                    }
                    other => other.into(),
                })?;
        }
        let session_id = SessionId(id);
        // Sources by platform and object, never their tokens.
        let sources: Vec<_> = new
            .sources
            .iter()
            .map(|(spec, _)| serde_json::json!({"platform": spec.platform(), "object_id": object_and_owner(spec).0}))
            .collect();
        audit(
            &mut tx,
            actor,
            "session.create",
            Some(session_id),
            None,
            serde_json::json!({"title": title, "slug": slug, "sources": sources, "specialists": new.specialists}),
        )
        .await?;
        let mut session = load_session(&mut tx, session_id).await?;
        let events =
            append_events(&mut tx, session_id, now, vec![session_event(SessionChange::Created, &session)])
                .await?;
        session.last_offset = events.last().map(|e| e.offset).unwrap_or(session.last_offset);
        self.commit(tx, events).await?;
        Ok(session)
    }

    pub async fn sessions(&self) -> Result<Vec<Session>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sessions ORDER BY created_at DESC, id DESC")
            .fetch_all(self.read_pool())
            .await?;
        let mut conn = self.read_pool().acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load_session(&mut conn, SessionId(id)).await?);
        }
        Ok(out)
    }

    /// One page of sessions, newest first (by id, which follows creation): at most `limit`,
    /// only those with an id below `before` (the previous page's `next_cursor`) when given.
    /// Keyset paging, so a page is stable while sessions are added. Returns the page and
    /// whether more follow.
    pub async fn sessions_page(&self, before: Option<i64>, limit: u32) -> Result<(Vec<Session>, bool)> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sessions WHERE id < $1 ORDER BY id DESC LIMIT $2")
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit) + 1)
                .fetch_all(self.read_pool())
                .await?;
        let more = ids.len() > limit as usize;
        let mut conn = self.read_pool().acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.into_iter().take(limit as usize) {
            out.push(load_session(&mut conn, SessionId(id)).await?);
        }
        Ok((out, more))
    }

    pub async fn session(&self, id: SessionId) -> Result<Session> {
        let mut conn = self.read_pool().acquire().await?;
        load_session(&mut conn, id).await
    }

    /// The id of the session with this slug: one indexed read (the realtime endpoints need no
    /// more).
    pub async fn session_id_by_slug(&self, slug: &str) -> Result<Option<SessionId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM sessions WHERE slug = $1")
            .bind(slug)
            .fetch_optional(self.read_pool())
            .await?;
        Ok(id.map(SessionId))
    }

    pub async fn session_by_slug(&self, slug: &str) -> Result<Option<Session>> {
        match self.session_id_by_slug(slug).await? {
            Some(id) => Ok(Some(self.session(id).await?)),
            None => Ok(None),
        }
    }

    /// Moves a session through its lifecycle (see [`SessionStatus::change_to`]). Setting the
    /// status it already has changes nothing and appends no event.
    pub async fn set_session_status(
        &self,
        id: SessionId,
        to: SessionStatus,
        actor: &Actor,
    ) -> Result<Session> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let current = load_session(&mut tx, id).await?;
        let next = current.status.change_to(to).map_err(|e| StoreError::Conflict(e.to_string()))?;
        if next == current.status {
            return Ok(current);
        }
        sqlx::query(
            "UPDATE sessions SET status = $1, \
             started_at = CASE WHEN $2 = 'live' AND started_at IS NULL THEN $3 ELSE started_at END, \
             ended_at = CASE WHEN $4 = 'ended' THEN $5 ELSE NULL END WHERE id = $6",
        )
        .bind(next.as_str())
        .bind(next.as_str())
        .bind(now)
        .bind(next.as_str())
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        crate::audit::audit_entry(
            &mut tx,
            actor,
            "session.status",
            Some(id),
            None,
            &serde_json::json!({"status": current.status}),
            &serde_json::json!({"status": next}),
            &serde_json::json!({"from": current.status, "to": next}),
        )
        .await?;
        self.commit_session_change(tx, id, now, SessionChange::Status).await
    }

    /// The tail of a change to a session: its event (`change`) appended and the transaction
    /// committed; returns the session as committed, with its new offset.
    pub(crate) async fn commit_session_change(
        &self,
        tx: crate::db::Tx,
        id: SessionId,
        now: i64,
        change: SessionChange,
    ) -> Result<Session> {
        self.commit_session_event(tx, id, now, change, session_event).await
    }

    /// The same for a change the public has no part in (specialists, sources, tokens).
    pub(crate) async fn commit_staff_session_change(
        &self,
        tx: crate::db::Tx,
        id: SessionId,
        now: i64,
        change: SessionChange,
    ) -> Result<Session> {
        self.commit_session_event(tx, id, now, change, staff_session_event).await
    }

    async fn commit_session_event(
        &self,
        mut tx: crate::db::Tx,
        id: SessionId,
        now: i64,
        change: SessionChange,
        event: fn(SessionChange, &Session) -> NewEvent,
    ) -> Result<Session> {
        let mut session = load_session(&mut tx, id).await?;
        let events = append_events(&mut tx, id, now, vec![event(change, &session)]).await?;
        session.last_offset = events.last().map(|e| e.offset).unwrap_or(session.last_offset);
        self.commit(tx, events).await?;
        Ok(session)
    }
}

impl Store {
    /// Replaces a session's overlay key: the old overlay URL stops working (open overlays are
    /// cut off at the staff-only `overlay_key` event this appends). Audited.
    pub async fn rotate_overlay_key(&self, id: SessionId, actor: &Actor) -> Result<Session> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        load_session(&mut tx, id).await?;
        sqlx::query("UPDATE sessions SET overlay_key = $1 WHERE id = $2")
            .bind(overlay_key())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        audit(&mut tx, actor, "session.overlay_key", Some(id), None, serde_json::json!({})).await?;
        let mut session = load_session(&mut tx, id).await?;
        let event = NewEvent {
            staff: EventBody::Session {
                change: SessionChange::OverlayKey,
                session: Box::new(session.clone()),
            },
            public: None,
        };
        let events = append_events(&mut tx, id, now, vec![event]).await?;
        session.last_offset = events.last().map(|e| e.offset).unwrap_or(session.last_offset);
        self.commit(tx, events).await?;
        Ok(session)
    }
}

/// The event for a changed session: staff get it whole, the public its public projection.
pub(crate) fn session_event(change: SessionChange, session: &Session) -> NewEvent {
    NewEvent {
        staff: EventBody::Session { change, session: Box::new(session.clone()) },
        public: Some(PublicBody::Session { session: PublicSession::from(session) }),
    }
}

/// A session change the public has no part in (its public projection is unchanged).
pub(crate) fn staff_session_event(change: SessionChange, session: &Session) -> NewEvent {
    NewEvent { public: None, ..session_event(change, session) }
}

async fn slug_taken(conn: &mut AnyConnection, slug: &Slug) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

async fn free_slug(conn: &mut AnyConnection, base: &Slug) -> Result<Slug> {
    if !slug_taken(conn, base).await? {
        return Ok(base.clone());
    }
    for n in 2..1000 {
        let candidate = base.with_suffix(n);
        if !slug_taken(conn, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(StoreError::Conflict(format!("no free slug near \"{base}\": choose one with `slug`")))
}

pub(crate) use crate::audit::{audit, audit_change};

/// Counts for a live status line and, later, the post-session report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionStats {
    /// Stored comments by platform and by how they first arrived (`webhook`, `poll`).
    pub comments: Vec<(String, String, i64)>,
    /// Questions by state.
    pub questions: Vec<(String, i64)>,
    /// Outbox actions by kind and status.
    pub outbox: Vec<(String, String, i64)>,
    /// Questions screening flagged, by flag (`emergency`, `phi`, …), for flags that occur.
    pub flagged: Vec<(String, i64)>,
}

impl Store {
    pub async fn session_stats(&self, id: SessionId) -> Result<SessionStats> {
        let pool = self.read_pool();
        let comments = sqlx::query(
            "SELECT platform, via, COUNT(*) AS n FROM comments WHERE session_id = $1 GROUP BY platform, via ORDER BY platform, via",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("platform")?, r.try_get("via")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
        let questions = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM questions WHERE session_id = $1 GROUP BY state ORDER BY state",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
        let outbox = sqlx::query(
            "SELECT kind, status, COUNT(*) AS n FROM outbox WHERE session_id = $1 GROUP BY kind, status ORDER BY kind, status",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("kind")?, r.try_get("status")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
        let mut flagged = Vec::new();
        for flag in ["emergency", "phi", "personal_advice", "myth", "spam", "duplicate_candidate"] {
            // Flags are a JSON array of names; a LIKE on the quoted name is exact and portable.
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM questions WHERE session_id = $1 AND flags_json LIKE $2",
            )
            .bind(id.0)
            .bind(format!("%\"{flag}\"%"))
            .fetch_one(pool)
            .await?;
            if n > 0 {
                flagged.push((flag.to_owned(), n));
            }
        }
        Ok(SessionStats { comments, questions, outbox, flagged })
    }
}

impl Store {
    /// Whether `user` is one of `session`'s assigned specialists.
    pub async fn is_assigned(&self, session: SessionId, user: UserId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM session_specialists WHERE session_id = $1 AND user_id = $2",
        )
        .bind(session.0)
        .bind(user.0)
        .fetch_one(self.read_pool())
        .await?;
        Ok(n > 0)
    }

    /// The session question `id` belongs to.
    pub async fn question_session(&self, id: curbside_domain::QuestionId) -> Result<SessionId> {
        let s: Option<i64> = sqlx::query_scalar("SELECT session_id FROM questions WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.read_pool())
            .await?;
        s.map(SessionId).ok_or(StoreError::NotFound("question"))
    }
}

impl Store {
    /// Assigns (`assign` = true) or unassigns a staff member to a session's specialists, audited
    /// and announced to consoles as a session change. Assigning twice changes nothing.
    pub async fn assign_specialist(
        &self,
        session: SessionId,
        user: UserId,
        assign: bool,
        actor: &Actor,
    ) -> Result<Session> {
        let before = self.session(session).await?;
        let mut wanted: Vec<UserId> = before.specialists.iter().copied().filter(|u| *u != user).collect();
        if assign {
            wanted.push(user);
        }
        let action = if assign { "session.specialist_assign" } else { "session.specialist_unassign" };
        self.change_specialists(session, &wanted, action, actor).await
    }

    /// Makes `users` the session's specialists, all in one write: each must be an active staff
    /// account. Audited with before and after; the same list again changes nothing.
    pub async fn set_specialists(
        &self,
        session: SessionId,
        users: &[UserId],
        actor: &Actor,
    ) -> Result<Session> {
        self.change_specialists(session, users, "session.specialists", actor).await
    }

    async fn change_specialists(
        &self,
        session: SessionId,
        users: &[UserId],
        action: &str,
        actor: &Actor,
    ) -> Result<Session> {
        let wanted: std::collections::BTreeSet<UserId> = users.iter().copied().collect();
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let before = load_session(&mut tx, session).await?;
        let had: std::collections::BTreeSet<UserId> = before.specialists.iter().copied().collect();
        if had == wanted {
            return Ok(before);
        }
        for user in wanted.difference(&had) {
            let exists: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL")
                    .bind(user.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if exists == 0 {
                return Err(StoreError::Conflict(format!("user {user} is not an active staff account")));
            }
            sqlx::query("INSERT INTO session_specialists (session_id, user_id) VALUES ($1, $2)")
                .bind(session.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        }
        for user in had.difference(&wanted) {
            sqlx::query("DELETE FROM session_specialists WHERE session_id = $1 AND user_id = $2")
                .bind(session.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        }
        let after = load_session(&mut tx, session).await?;
        audit_change(
            &mut tx,
            actor,
            action,
            Some(session),
            None,
            serde_json::json!({"specialists": before.specialists}),
            serde_json::json!({"specialists": after.specialists}),
        )
        .await?;
        self.commit_staff_session_change(tx, session, now, SessionChange::Specialists).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_a_new_session_hides_access_tokens() {
        let new = NewSession {
            title: "Heart health".into(),
            slug: None,
            disclaimer: None,
            sources: vec![(
                SourceSpec::Instagram { ig_user_id: "1784".into(), media_id: "1790".into() },
                "IGAA-secret-token".into(),
            )],
            specialists: vec![],
        };
        let shown = format!("{new:?}");
        assert!(!shown.contains("IGAA-secret-token"), "{shown}");
        assert!(shown.contains("1790"), "the rest stays visible: {shown}");
    }
}
