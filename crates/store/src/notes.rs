//! Backstage notes: written with their event (staff audience only) and audit entry in one
//! transaction, like every other change; the read receipt likewise.

use crate::db::{append_events, NewEvent};
use crate::questions::load_question;
use crate::sessions::{audit, load_session};
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{BackstageNote, EventBody, QuestionId, SessionId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const NOTE_COLUMNS: &str =
    "id, session_id, question_id, author_name, text, created_at, read_at, read_by_name";

fn note_from_row(r: &AnyRow) -> Result<BackstageNote> {
    Ok(BackstageNote {
        id: r.try_get("id")?,
        session_id: SessionId(r.try_get("session_id")?),
        question_id: r.try_get::<Option<i64>, _>("question_id")?.map(QuestionId),
        author_name: r.try_get("author_name")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
        read_at: r.try_get("read_at")?,
        read_by: r.try_get("read_by_name")?,
    })
}

async fn load_note(conn: &mut AnyConnection, id: i64) -> Result<BackstageNote> {
    let row = sqlx::query(&format!("SELECT {NOTE_COLUMNS} FROM backstage_notes WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("note"))?;
    note_from_row(&row)
}

fn note_event(change: &str, note: &BackstageNote) -> NewEvent {
    NewEvent { staff: EventBody::Note { change: change.into(), note: Box::new(note.clone()) }, public: None }
}

impl Store {
    /// Sends a backstage note (text already validated by the domain's `note_text`).
    pub async fn add_note(
        &self,
        session: SessionId,
        question: Option<QuestionId>,
        text: &str,
        actor: &Actor,
    ) -> Result<BackstageNote> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        load_session(&mut tx, session).await?;
        if let Some(q) = question {
            if load_question(&mut tx, q).await?.session_id != session {
                return Err(StoreError::Invalid("the note's question belongs to another session".into()));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO backstage_notes (session_id, question_id, author_id, author_name, text, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(session.0)
        .bind(question.map(|q| q.0))
        .bind(actor.user_id.map(|u| u.0))
        .bind(&actor.name)
        .bind(text)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit(&mut tx, actor, "note.sent", Some(session), question, serde_json::json!({"note": id})).await?;
        let note = load_note(&mut tx, id).await?;
        let events = append_events(&mut tx, session, now, vec![note_event("sent", &note)]).await?;
        self.commit(tx, events).await?;
        Ok(note)
    }

    /// Records that `actor` read the note. Reading it again changes nothing.
    pub async fn mark_note_read(&self, id: i64, actor: &Actor) -> Result<BackstageNote> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let note = load_note(&mut tx, id).await?;
        if note.read_at.is_some() {
            return Ok(note);
        }
        sqlx::query(
            "UPDATE backstage_notes SET read_at = $1, read_by_name = $2 WHERE id = $3 AND read_at IS NULL",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "note.read",
            Some(note.session_id),
            note.question_id,
            serde_json::json!({"note": id}),
        )
        .await?;
        let note = load_note(&mut tx, id).await?;
        let events = append_events(&mut tx, note.session_id, now, vec![note_event("read", &note)]).await?;
        self.commit(tx, events).await?;
        Ok(note)
    }

    /// A session's notes, oldest first.
    pub async fn notes(&self, session: SessionId) -> Result<Vec<BackstageNote>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTE_COLUMNS} FROM backstage_notes WHERE session_id = $1 ORDER BY id"
        ))
        .bind(session.0)
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(note_from_row).collect()
    }
}
