//! The public transcript's reads and its full-text index: answered questions in answer order
//! with nothing but public wording, counts, platform names and answers; the list of sessions;
//! search over published answers (SQLite FTS5, PostgreSQL `tsvector`), kept in step with answers
//! and corrections inside their write transactions; and the session's public page settings.

use crate::db::Backend;
use crate::sessions::load_session;
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{
    Offset, Platform, PublicAnswer, PublicAnsweredBy, PublicEntry, Question, QuestionId, Session, SessionId,
    SessionStatus, UnixMillis,
};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Everything the public pages and exports of one session show, read at `offset`: the page
/// embeds it so the live stream resumes exactly after what the page already shows.
#[derive(Debug, Clone)]
pub struct PublicTranscript {
    /// The session (the server shows only its public fields: title, status, times, disclaimer,
    /// recording link).
    pub session: Session,
    /// The offset the data was read at (read first: the data is at least this new).
    pub offset: Offset,
    /// The assigned specialists, or else whoever answered, with credentials.
    pub specialists: Vec<PublicAnsweredBy>,
    /// Answered questions in the order they were answered.
    pub entries: Vec<PublicEntry>,
}

impl PublicTranscript {
    /// The newest time anything on the page changed, for `Last-Modified`.
    pub fn last_modified(&self) -> UnixMillis {
        let s = &self.session;
        let mut t = s.created_at.max(s.started_at.unwrap_or(0)).max(s.ended_at.unwrap_or(0));
        for e in &self.entries {
            t = t.max(e.answer.answered_at).max(e.answer.corrected_at.unwrap_or(0));
        }
        t
    }
}

/// A session in the public list (`/s`).
#[derive(Debug, Clone, PartialEq)]
pub struct PublicSessionSummary {
    pub slug: String,
    pub title: String,
    pub status: SessionStatus,
    pub starts_at: Option<UnixMillis>,
    pub started_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    pub created_at: UnixMillis,
    pub answers: i64,
}

/// One published answer that matched a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    pub id: QuestionId,
    pub question: String,
    pub answer: String,
}

/// What staff may change about a session's public page (`PATCH /api/sessions/{id}`). `None`
/// leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionDetails {
    pub title: Option<String>,
    pub slug: Option<curbside_domain::Slug>,
    pub disclaimer: Option<String>,
    pub starts_at: Option<Option<UnixMillis>>,
    pub recording_url: Option<Option<String>>,
}

/// Words of a search, at most eight, letters and digits only: safe inside both query syntaxes.
fn search_terms(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(8)
        .collect()
}

/// Rewrites the index row of an answered question with its public wording and current answer.
/// Called inside the answer's or correction's transaction.
pub(crate) async fn index_answer(
    tx: &mut AnyConnection,
    backend: Backend,
    q: &Question,
    answer: &str,
) -> Result<()> {
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM transcript_fts WHERE rowid = $1").bind(q.id.0).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO transcript_fts (rowid, question, answer, session_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(q.id.0)
            .bind(&q.public_text)
            .bind(answer)
            .bind(q.session_id.0)
            .execute(&mut *tx)
            .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO transcript_search (question_id, session_id, document) VALUES ($1, $2, \
                 setweight(to_tsvector('simple', $3), 'A') || setweight(to_tsvector('simple', $4), 'B')) \
                 ON CONFLICT (question_id) DO UPDATE SET document = EXCLUDED.document",
            )
            .bind(q.id.0)
            .bind(q.session_id.0)
            .bind(&q.public_text)
            .bind(answer)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The platforms each question was asked on, in first-seen order.
async fn platforms_by_question(
    conn: &mut AnyConnection,
    session: SessionId,
) -> Result<HashMap<i64, Vec<Platform>>> {
    let rows = sqlx::query(
        "SELECT question_id, platform FROM comments WHERE session_id = $1 AND question_id IS NOT NULL \
         GROUP BY question_id, platform ORDER BY question_id, MIN(platform_time)",
    )
    .bind(session.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Vec<Platform>> = HashMap::new();
    for r in &rows {
        let platform: String = r.try_get("platform")?;
        if let Some(p) = Platform::parse(&platform) {
            out.entry(r.try_get("question_id")?).or_default().push(p);
        }
    }
    Ok(out)
}

/// The "myth addressed" mark of an answered question, from its stored screening. A screening
/// that no longer parses (written by a later version) marks nothing rather than failing the page.
fn myth_addressed(screening_json: String) -> Option<curbside_domain::MythAddressed> {
    let screening: curbside_domain::Screening = serde_json::from_str(&screening_json).ok()?;
    curbside_domain::MythAddressed::of(&screening)
}

impl Store {
    /// The id and newest offset of the session at `slug`: what decides whether a cached page
    /// is still current.
    pub async fn public_head(&self, slug: &str) -> Result<Option<(SessionId, Offset)>> {
        let row = sqlx::query("SELECT id, last_offset FROM sessions WHERE slug = $1")
            .bind(slug)
            .fetch_optional(self.read_pool())
            .await?;
        row.map(|r| Ok((SessionId(r.try_get("id")?), Offset(r.try_get("last_offset")?)))).transpose()
    }

    /// The public transcript of the session at `slug`, or `None` for an unknown slug. Reads no
    /// commenter data: only public wording, counts, platform names and answers.
    pub async fn public_transcript(&self, slug: &str) -> Result<Option<PublicTranscript>> {
        let mut conn = self.read_pool().acquire().await?;
        let Some(id): Option<i64> = sqlx::query_scalar("SELECT id FROM sessions WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        // The session (and its offset) first: everything read after it is at least as new.
        let session = load_session(&mut conn, SessionId(id)).await?;
        let platforms = platforms_by_question(&mut conn, session.id).await?;
        let rows = sqlx::query(
            "SELECT q.id, q.public_text, q.asked_by_count, q.on_air_at, q.screening_json, a.text, a.author_name, a.credentials, \
             a.answered_at, a.corrected_at FROM questions q JOIN answers a ON a.question_id = q.id \
             WHERE q.session_id = $1 AND q.state IN ('answered', 'corrected') ORDER BY a.answered_at, q.id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let qid: i64 = r.try_get("id")?;
            let on_air_at: Option<i64> = r.try_get("on_air_at")?;
            let video_offset_seconds = match (session.started_at, on_air_at) {
                (Some(start), Some(on_air)) if on_air >= start => Some((on_air - start) / 1000),
                _ => None,
            };
            entries.push(PublicEntry {
                id: QuestionId(qid),
                question: r.try_get("public_text")?,
                asked_by_count: r.try_get("asked_by_count")?,
                platforms: platforms.get(&qid).cloned().unwrap_or_default(),
                answer: PublicAnswer {
                    text: r.try_get("text")?,
                    answered_by: PublicAnsweredBy {
                        name: r.try_get("author_name")?,
                        credentials: r.try_get("credentials")?,
                    },
                    answered_at: r.try_get("answered_at")?,
                    corrected_at: r.try_get("corrected_at")?,
                },
                video_offset_seconds,
                myth_addressed: myth_addressed(r.try_get("screening_json")?),
            });
        }
        let mut specialists = Vec::new();
        for r in sqlx::query(
            "SELECT u.name, u.credentials FROM session_specialists ss JOIN users u ON u.id = ss.user_id \
             WHERE ss.session_id = $1 ORDER BY u.name",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        {
            specialists
                .push(PublicAnsweredBy { name: r.try_get("name")?, credentials: r.try_get("credentials")? });
        }
        if specialists.is_empty() {
            for e in &entries {
                if !specialists.contains(&e.answer.answered_by) {
                    specialists.push(e.answer.answered_by.clone());
                }
            }
        }
        Ok(Some(PublicTranscript { offset: session.last_offset, session, specialists, entries }))
    }

    /// Every session for the public list, with its number of published answers.
    pub async fn public_sessions(&self) -> Result<Vec<PublicSessionSummary>> {
        let rows = sqlx::query(
            "SELECT s.slug, s.title, s.status, s.starts_at, s.started_at, s.ended_at, s.created_at, \
             (SELECT COUNT(*) FROM questions q WHERE q.session_id = s.id AND q.state IN ('answered', 'corrected')) AS answers \
             FROM sessions s ORDER BY COALESCE(s.started_at, s.starts_at, s.created_at) DESC, s.id DESC LIMIT 500",
        )
        .fetch_all(self.read_pool())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(PublicSessionSummary {
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    status: SessionStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("session status {status:?}")))?,
                    starts_at: r.try_get("starts_at")?,
                    started_at: r.try_get("started_at")?,
                    ended_at: r.try_get("ended_at")?,
                    created_at: r.try_get("created_at")?,
                    answers: r.try_get("answers")?,
                })
            })
            .collect()
    }

    /// Published answers matching every word of `query` (as a prefix), best first, within one
    /// session or across all. Uses the full-text index; an empty query finds nothing.
    pub async fn search_transcripts(
        &self,
        session: Option<SessionId>,
        query: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>> {
        let terms = search_terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let (sql, expr) = match self.backend() {
            Backend::Sqlite => (
                "SELECT q.id, q.public_text, a.text, s.slug, s.title FROM transcript_fts f \
                 JOIN questions q ON q.id = f.rowid JOIN answers a ON a.question_id = q.id \
                 JOIN sessions s ON s.id = q.session_id \
                 WHERE transcript_fts MATCH $1 AND ($2 = 0 OR q.session_id = $3) \
                 ORDER BY f.rank LIMIT $4",
                terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" "),
            ),
            Backend::Postgres => (
                "SELECT q.id, q.public_text, a.text, s.slug, s.title FROM transcript_search t \
                 JOIN questions q ON q.id = t.question_id JOIN answers a ON a.question_id = q.id \
                 JOIN sessions s ON s.id = q.session_id \
                 WHERE t.document @@ to_tsquery('simple', $1) AND ($2 = 0 OR q.session_id = $3) \
                 ORDER BY ts_rank(t.document, to_tsquery('simple', $1)) DESC, q.id LIMIT $4",
                terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & "),
            ),
        };
        let scope = session.map(|s| s.0).unwrap_or(0);
        let rows = sqlx::query(sql)
            .bind(expr)
            .bind(scope)
            .bind(scope)
            .bind(limit.clamp(1, 200))
            .fetch_all(self.read_pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SearchHit {
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    id: QuestionId(r.try_get("id")?),
                    question: r.try_get("public_text")?,
                    answer: r.try_get("text")?,
                })
            })
            .collect()
    }

    /// Changes a session's details (title, slug, disclaimer, scheduled start, recording link).
    /// Audited with before and after and appended as a session event like any other change, so
    /// cached pages are re-rendered. A taken slug is a [`StoreError::Conflict`]; a title or
    /// disclaimer out of bounds is [`StoreError::Invalid`].
    pub async fn set_session_details(
        &self,
        id: SessionId,
        details: SessionDetails,
        actor: &Actor,
    ) -> Result<Session> {
        let title = match &details.title {
            Some(t) => Some(
                curbside_domain::TextLimit::TITLE
                    .required(t)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let disclaimer = match &details.disclaimer {
            Some(d) => Some(
                curbside_domain::TextLimit::DISCLAIMER
                    .required(d)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let current = load_session(&mut tx, id).await?;
        let title = title.unwrap_or_else(|| current.title.clone());
        let slug = details.slug.clone().unwrap_or_else(|| current.slug.clone());
        let disclaimer = disclaimer.unwrap_or_else(|| current.disclaimer.clone());
        let starts_at = details.starts_at.unwrap_or(current.starts_at);
        let recording_url = details.recording_url.clone().unwrap_or(current.recording_url.clone());
        if title == current.title
            && slug == current.slug
            && disclaimer == current.disclaimer
            && starts_at == current.starts_at
            && recording_url == current.recording_url
        {
            return Ok(current);
        }
        if slug != current.slug {
            let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE slug = $1 AND id <> $2")
                .bind(slug.as_str())
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?;
            if taken > 0 {
                return Err(StoreError::Conflict(format!("the slug \"{slug}\" is already in use")));
            }
        }
        sqlx::query(
            "UPDATE sessions SET title = $1, slug = $2, disclaimer = $3, starts_at = $4, recording_url = $5 \
             WHERE id = $6",
        )
        .bind(&title)
        .bind(slug.as_str())
        .bind(&disclaimer)
        .bind(starts_at)
        .bind(&recording_url)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        crate::sessions::audit_change(
            &mut tx,
            actor,
            "session.details",
            Some(id),
            None,
            serde_json::json!({"title": current.title, "slug": current.slug, "disclaimer": current.disclaimer,
                "starts_at": current.starts_at, "recording_url": current.recording_url}),
            serde_json::json!({"title": title, "slug": slug, "disclaimer": disclaimer,
                "starts_at": starts_at, "recording_url": recording_url}),
        )
        .await?;
        self.commit_session_change(tx, id, now, curbside_domain::SessionChange::Details).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_keep_only_words() {
        assert_eq!(search_terms("  LDL \"OR\" * NEAR(x) ; DROP"), vec!["ldl", "or", "near", "x", "drop"]);
        assert_eq!(search_terms("¿Colesterol alto?"), vec!["colesterol", "alto"]);
        assert!(search_terms("*** ---").is_empty());
    }
}
