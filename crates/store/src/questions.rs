//! Questions: reading the triage queue and applying staff actions. Every action goes through
//! [`QuestionState::apply`], writes its audit entry and appends its events in one transaction.

use crate::audit::{audit, audit_entry};
use crate::db::{append_events, NewEvent};
use crate::outbox::{enqueue_for_question, outbox_event};
use crate::screening::private_info_in;
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::screening::describe_kinds;
use curbside_domain::{
    question::UNDO_WINDOW_MS, Action, Answer, AnswerRevision, AnsweredBy, CommentId, EventBody, Flag,
    OutboxKind, Platform, PublicBody, PublicEntry, Question, QuestionChange, QuestionId, QuestionSource,
    QuestionState, SessionId, UserId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};

const QUESTION_COLUMNS: &str = "id, session_id, state, version, public_text, original_text, flags_json, \
     asked_by_count, merged_into, reject_reason, last_actor, created_at, updated_at, screening_json, assigned_to";

/// How many times a write that lost a race with a concurrent writer is retried.
const WRITE_ATTEMPTS: usize = 4;

fn question_from_row(r: &AnyRow) -> Result<Question> {
    let state: String = r.try_get("state")?;
    let flags: String = r.try_get("flags_json")?;
    let screening: String = r.try_get("screening_json")?;
    Ok(Question {
        id: QuestionId(r.try_get("id")?),
        session_id: SessionId(r.try_get("session_id")?),
        state: QuestionState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("question state {state:?}")))?,
        version: r.try_get("version")?,
        public_text: r.try_get("public_text")?,
        original_text: r.try_get("original_text")?,
        flags: serde_json::from_str::<BTreeSet<Flag>>(&flags)?,
        asked_by_count: r.try_get("asked_by_count")?,
        merged_into: r.try_get::<Option<i64>, _>("merged_into")?.map(QuestionId),
        reject_reason: r.try_get("reject_reason")?,
        sources: Vec::new(),
        answer: None,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_actor: r.try_get("last_actor")?,
        screening: serde_json::from_str(&screening)?,
        assigned_to: r.try_get::<Option<i64>, _>("assigned_to")?.map(curbside_domain::UserId),
    })
}

fn source_from_row(r: &AnyRow) -> Result<(QuestionId, QuestionSource)> {
    let platform: String = r.try_get("platform")?;
    Ok((
        QuestionId(r.try_get("question_id")?),
        QuestionSource {
            comment_id: r.try_get("platform_comment_id")?,
            platform: Platform::parse(&platform)
                .ok_or_else(|| StoreError::Corrupt(format!("platform {platform:?}")))?,
            author_name: r.try_get("author_name")?,
            text: r.try_get("text")?,
            created_at: r.try_get("platform_time")?,
            stored_id: Some(curbside_domain::CommentId(r.try_get("id")?)),
        },
    ))
}

fn answered_by(r: &AnyRow) -> Result<AnsweredBy> {
    Ok(AnsweredBy {
        user_id: UserId(r.try_get("user_id")?),
        name: r.try_get("author_name")?,
        credentials: r.try_get("credentials")?,
    })
}

/// Fills in sources and answers for `questions`, with one query each (not one per question).
async fn hydrate(conn: &mut AnyConnection, questions: &mut [Question], scope: Scope) -> Result<()> {
    if questions.is_empty() {
        return Ok(());
    }
    let (filter, key) = match scope {
        Scope::Session(s) => ("q.session_id = $1", s.0),
        Scope::One(q) => ("q.id = $1", q.0),
    };
    let mut index: HashMap<QuestionId, usize> = HashMap::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        index.insert(q.id, i);
    }
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.question_id, c.platform, c.platform_comment_id, c.author_name, c.text, c.platform_time \
         FROM comments c JOIN questions q ON q.id = c.question_id WHERE {filter} ORDER BY c.platform_time, c.id"
    ))
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let (qid, source) = source_from_row(r)?;
        if let Some(&i) = index.get(&qid) {
            questions[i].sources.push(source);
        }
    }
    let answers = sqlx::query(&format!(
        "SELECT a.question_id, a.text, a.user_id, a.author_name, a.credentials, a.answered_at, a.corrected_at \
         FROM answers a JOIN questions q ON q.id = a.question_id WHERE {filter}"
    ))
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    for r in &answers {
        let qid = QuestionId(r.try_get("question_id")?);
        if let Some(&i) = index.get(&qid) {
            questions[i].answer = Some(Answer {
                text: r.try_get("text")?,
                answered_by: answered_by(r)?,
                answered_at: r.try_get("answered_at")?,
                corrected_at: r.try_get("corrected_at")?,
                history: Vec::new(),
            });
        }
    }
    let revisions = sqlx::query(&format!(
        "SELECT r.question_id, r.text, r.user_id, r.author_name, r.credentials, r.at \
         FROM answer_revisions r JOIN questions q ON q.id = r.question_id WHERE {filter} ORDER BY r.id"
    ))
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    for r in &revisions {
        let qid = QuestionId(r.try_get("question_id")?);
        if let Some(answer) = index.get(&qid).and_then(|&i| questions[i].answer.as_mut()) {
            answer.history.push(AnswerRevision {
                text: r.try_get("text")?,
                by: answered_by(r)?,
                at: r.try_get("at")?,
            });
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Scope {
    Session(SessionId),
    One(QuestionId),
}

pub(crate) async fn load_question(conn: &mut AnyConnection, id: QuestionId) -> Result<Question> {
    let row = sqlx::query(&format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("question"))?;
    let mut q = [question_from_row(&row)?];
    hydrate(conn, &mut q, Scope::One(id)).await?;
    let [q] = q;
    Ok(q)
}

/// The event for a changed question: staff get it whole; the public gets the transcript entry
/// whenever the question has a published answer (so merges into it update the count too).
pub(crate) fn question_event(change: QuestionChange, q: &Question) -> NewEvent {
    let public = if q.state.is_answered() {
        PublicEntry::of(q).map(|entry| PublicBody::Entry { entry })
    } else {
        None
    };
    NewEvent { staff: EventBody::Question { change, question: Box::new(q.clone()) }, public }
}

impl Store {
    /// A session's questions, oldest first, optionally only those in `state`.
    pub async fn questions(&self, session: SessionId, state: Option<QuestionState>) -> Result<Vec<Question>> {
        let mut conn = self.read_pool().acquire().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id = $1")
            .bind(session.0)
            .fetch_one(&mut *conn)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound("session"));
        }
        let rows = sqlx::query(&format!(
            "SELECT {QUESTION_COLUMNS} FROM questions WHERE session_id = $1 ORDER BY created_at, id"
        ))
        .bind(session.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut questions = rows.iter().map(question_from_row).collect::<Result<Vec<_>>>()?;
        hydrate(&mut conn, &mut questions, Scope::Session(session)).await?;
        if let Some(state) = state {
            questions.retain(|q| q.state == state);
        }
        Ok(questions)
    }

    pub async fn question(&self, id: QuestionId) -> Result<Question> {
        let mut conn = self.read_pool().acquire().await?;
        load_question(&mut conn, id).await
    }

    /// Applies a staff action. `expected_version`, when given, refuses to act on a question that
    /// changed since the caller read it ("already approved by …"). Retries by itself when it
    /// loses a race with a concurrent writer at the database level.
    pub async fn act(
        &self,
        id: QuestionId,
        action: Action,
        actor: &Actor,
        expected_version: Option<i64>,
    ) -> Result<Question> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.act_once(id, &action, actor, expected_version).await {
                Err(e) if e.is_retryable() && attempt < WRITE_ATTEMPTS => continue,
                other => return other,
            }
        }
    }

    async fn act_once(
        &self,
        id: QuestionId,
        action: &Action,
        actor: &Actor,
        expected_version: Option<i64>,
    ) -> Result<Question> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let before = load_question(&mut tx, id).await?;
        let transition = before.state.apply(action.kind());
        if let Some(v) = expected_version {
            if v != before.version {
                return Err(StoreError::Conflict(lost_race(&before, actor).unwrap_or_else(|| {
                    format!(
                        "this question changed since you loaded it (now {}{}); reload and try again",
                        before.state,
                        before.last_actor.as_deref().map(|a| format!(", by {a}")).unwrap_or_default()
                    )
                })));
            }
        }
        let next = transition.map_err(|e| {
            StoreError::Conflict(lost_race(&before, actor).unwrap_or_else(|| {
                let by = before
                    .last_actor
                    .as_deref()
                    .map(|a| format!(" (last change by {a})"))
                    .unwrap_or_default();
                format!("{e}{by}")
            }))
        })?;
        let mut detail = audit_detail(action);
        let mut touched = vec![id];
        let mut overridden = false;
        match action {
            Action::Approve { public_text, override_reason } => {
                // The approval guard: what airs must not hold a detected private detail unless
                // a moderator explicitly overrides, with a reason that is audited.
                let wording = public_text.as_deref().unwrap_or(&before.public_text);
                let found = private_info_in(wording, &before);
                if !found.is_empty() {
                    let Some(reason) = override_reason else {
                        return Err(StoreError::Conflict(format!(
                            "cannot approve: the public wording still contains {}; reword it, or approve \
                             with an override and its reason",
                            describe_kinds(&found)
                        )));
                    };
                    overridden = true;
                    audit(
                        &mut tx,
                        actor,
                        "question.approve_override",
                        Some(before.session_id),
                        Some(id),
                        serde_json::json!({
                            "reason": reason,
                            "found": found.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                        }),
                    )
                    .await?;
                }
                if let Some(text) = public_text {
                    sqlx::query("UPDATE questions SET public_text = $1 WHERE id = $2")
                        .bind(text)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Action::Reject { reason } => {
                sqlx::query("UPDATE questions SET reject_reason = $1 WHERE id = $2")
                    .bind(reason)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Action::Merge { into } => {
                let moved = self.merge(&mut tx, &before, *into, now).await?;
                // Kept so an undo moves back exactly these comments (not later arrivals).
                detail["comments"] = serde_json::json!(moved);
                touched.push(*into);
            }
            Action::UndoApprove { public_text } => {
                sqlx::query("UPDATE questions SET public_text = $1 WHERE id = $2")
                    .bind(public_text)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Action::UndoReject => {
                sqlx::query("UPDATE questions SET reject_reason = NULL WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Action::UndoMerge { into, comments } => {
                self.unmerge(&mut tx, &before, *into, comments, now).await?;
                touched.push(*into);
            }
            Action::PutOnAir => {
                // The latest time it went on air: where "watch this answer" starts.
                sqlx::query("UPDATE questions SET on_air_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Action::TakeOffAir => {}
            Action::Answer { text } | Action::Correct { text } => {
                let by = answerer(&mut tx, actor).await?;
                if matches!(action, Action::Answer { .. }) {
                    sqlx::query(
                        "INSERT INTO answers (question_id, text, user_id, author_name, credentials, answered_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id.0)
                    .bind(text)
                    .bind(by.user_id.0)
                    .bind(&by.name)
                    .bind(&by.credentials)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    // The version being replaced goes to the history first: nothing is edited silently.
                    sqlx::query(
                        "INSERT INTO answer_revisions (question_id, text, user_id, author_name, credentials, at) \
                         SELECT question_id, text, user_id, author_name, credentials, \
                         COALESCE(corrected_at, answered_at) FROM answers WHERE question_id = $1",
                    )
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE answers SET text = $1, user_id = $2, author_name = $3, credentials = $4, \
                         corrected_at = $5 WHERE question_id = $6",
                    )
                    .bind(text)
                    .bind(by.user_id.0)
                    .bind(&by.name)
                    .bind(&by.credentials)
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                }
                // The search index follows the published answer in this same transaction.
                crate::transcript::index_answer(&mut tx, self.backend(), &before, text).await?;
            }
        }
        // The version check in the WHERE clause is what makes two concurrent actions on one
        // question safe on both backends: the loser updates nothing and is told so.
        let updated = sqlx::query(
            "UPDATE questions SET state = $1, version = version + 1, updated_at = $2, last_actor = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(next.as_str())
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .bind(before.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "this question was changed by someone else just now; reload".into(),
            ));
        }
        let public_after = match action {
            Action::Approve { public_text: Some(t), .. } => t.as_str(),
            _ => before.public_text.as_str(),
        };
        audit_entry(
            &mut tx,
            actor,
            &format!("question.{}", action.kind().as_str()),
            Some(before.session_id),
            Some(id),
            &serde_json::json!({"state": before.state, "public_text": before.public_text}),
            &serde_json::json!({"state": next, "public_text": public_after}),
            // `detail` and `before` are what an undo reads back.
            &serde_json::json!({"from": before.state, "to": next, "detail": detail}),
        )
        .await?;
        let mut new_events = Vec::with_capacity(touched.len());
        let mut after = None;
        for qid in touched {
            let q = load_question(&mut tx, qid).await?;
            let change = match (qid == id, overridden, action) {
                (true, true, _) => QuestionChange::ApproveOverride,
                (true, false, _) => QuestionChange::from(action.kind()),
                (false, _, Action::UndoMerge { .. }) => QuestionChange::UnmergedFrom,
                (false, _, _) => QuestionChange::MergedInto,
            };
            new_events.push(question_event(change, &q));
            if qid == id {
                after = Some(q);
            }
        }
        // Answering owes each asker a reply on their platform: queued in this same transaction,
        // so an answer never exists without its replies (nor replies without the answer).
        if let (Action::Answer { text }, Some(q)) = (action, &after) {
            let cap = self.reply_cap();
            new_events.extend(
                enqueue_for_question(&mut tx, q, OutboxKind::reply_for, Some(text), cap, now)
                    .await?
                    .iter()
                    .map(outbox_event),
            );
        }
        let events = append_events(&mut tx, before.session_id, now, new_events).await?;
        self.commit(tx, events).await?;
        after.ok_or(StoreError::NotFound("question"))
    }

    /// Queues hiding every comment behind a question on its platform (for comments that
    /// expose private health information). Audited; the question's lifecycle is unchanged.
    pub async fn hide_at_source(
        &self,
        id: QuestionId,
        actor: &Actor,
    ) -> Result<Vec<curbside_domain::OutboxItem>> {
        let queue = PlatformActions {
            kind_for: &|_| Some(OutboxKind::Hide),
            text: None,
            cap: usize::MAX,
            audit_action: "question.hide_at_source",
            refuse_if_none: None,
        };
        self.queue_platform_actions(id, queue, actor).await
    }

    /// Queues one platform action per comment behind a question, audited, in one transaction.
    pub(crate) async fn queue_platform_actions(
        &self,
        id: QuestionId,
        queue: PlatformActions<'_>,
        actor: &Actor,
    ) -> Result<Vec<curbside_domain::OutboxItem>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let q = load_question(&mut tx, id).await?;
        let items = enqueue_for_question(&mut tx, &q, queue.kind_for, queue.text, queue.cap, now).await?;
        if let (true, Some(why)) = (items.is_empty(), queue.refuse_if_none) {
            return Err(StoreError::Conflict(why.to_owned()));
        }
        audit(
            &mut tx,
            actor,
            queue.audit_action,
            Some(q.session_id),
            Some(id),
            serde_json::json!({"comments": items.len()}),
        )
        .await?;
        let events =
            append_events(&mut tx, q.session_id, now, items.iter().map(outbox_event).collect()).await?;
        self.commit(tx, events).await?;
        Ok(items)
    }

    /// Folds `from` into `into`: the comments move, the askers add up, `from` remembers where it
    /// went. Returns the ids of the comments that moved.
    pub(crate) async fn merge(
        &self,
        tx: &mut AnyConnection,
        from: &Question,
        into: QuestionId,
        now: i64,
    ) -> Result<Vec<i64>> {
        if into == from.id {
            return Err(StoreError::Invalid("a question cannot be merged into itself".into()));
        }
        let target = load_question(tx, into).await?;
        if target.session_id != from.session_id {
            return Err(StoreError::Invalid("questions can only be merged within one session".into()));
        }
        if matches!(target.state, QuestionState::Rejected | QuestionState::Merged) {
            return Err(StoreError::Conflict(format!(
                "cannot merge into question {into}: it is {}; merge into an open question",
                target.state
            )));
        }
        let moved: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM comments WHERE question_id = $1 ORDER BY id")
                .bind(from.id.0)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("UPDATE comments SET question_id = $1 WHERE question_id = $2")
            .bind(into.0)
            .bind(from.id.0)
            .execute(&mut *tx)
            .await?;
        let bumped = sqlx::query(
            "UPDATE questions SET asked_by_count = asked_by_count + $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4",
        )
        .bind(from.asked_by_count)
        .bind(now)
        .bind(into.0)
        .bind(target.version)
        .execute(&mut *tx)
        .await?;
        if bumped.rows_affected() != 1 {
            return Err(StoreError::Conflict("the target question changed just now; reload".into()));
        }
        sqlx::query("UPDATE questions SET merged_into = $1 WHERE id = $2")
            .bind(into.0)
            .bind(from.id.0)
            .execute(&mut *tx)
            .await?;
        Ok(moved)
    }

    /// Reverses [`Store::merge`]: the comments it moved come back to `question` (those still on
    /// `into`), and `into` counts the askers it had before.
    async fn unmerge(
        &self,
        tx: &mut AnyConnection,
        question: &Question,
        into: QuestionId,
        comments: &[CommentId],
        now: i64,
    ) -> Result<()> {
        for c in comments {
            sqlx::query("UPDATE comments SET question_id = $1 WHERE id = $2 AND question_id = $3")
                .bind(question.id.0)
                .bind(c.0)
                .bind(into.0)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE questions SET asked_by_count = CASE WHEN asked_by_count > $1 THEN asked_by_count - $1 ELSE 1 END, \
             version = version + 1, updated_at = $2 WHERE id = $3",
        )
        .bind(question.asked_by_count)
        .bind(now)
        .bind(into.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE questions SET merged_into = NULL WHERE id = $1")
            .bind(question.id.0)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Undoes `actor`'s last triage decision on a question (approve, reject or merge of a new
    /// question) within [`UNDO_WINDOW_MS`], as a reverse transition through
    /// [`QuestionState::apply`], audited like the decision. Refused once anyone else acted on
    /// the question, or after the window.
    pub async fn undo(&self, id: QuestionId, actor: &Actor) -> Result<Question> {
        let q = self.question(id).await?;
        let row = sqlx::query(
            "SELECT at, actor_id, action, detail_json, before_json FROM audit_log WHERE question_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(self.read_pool())
        .await?
        .ok_or_else(|| StoreError::Conflict("there is nothing to undo on this question".into()))?;
        let at: i64 = row.try_get("at")?;
        let by: Option<i64> = row.try_get("actor_id")?;
        let name: String = row.try_get("action")?;
        let detail: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>("detail_json")?)?;
        let before: serde_json::Value =
            serde_json::from_str(&row.try_get::<Option<String>, _>("before_json")?.unwrap_or_default())
                .unwrap_or_default();
        // Screening's own decisions (a session's automatic handling) may be undone by any
        // moderator at any time: no person made them.
        let automatic = by.is_none() && detail["detail"]["automatic"] == true;
        if !automatic && (by.is_none() || by != actor.user_id.map(|u| u.0)) {
            return Err(StoreError::Conflict(format!(
                "only your own last action can be undone{}",
                q.last_actor.as_deref().map(|a| format!("; the last change was by {a}")).unwrap_or_default()
            )));
        }
        if !automatic && now_millis() - at > UNDO_WINDOW_MS {
            return Err(StoreError::Conflict("the 10 seconds to undo have passed".into()));
        }
        if detail["from"] != "new" {
            return Err(StoreError::Conflict("only a decision on a new question can be undone".into()));
        }
        let inner = &detail["detail"];
        let action = match name.as_str() {
            "question.approve" => Action::UndoApprove {
                public_text: before["public_text"].as_str().unwrap_or(&q.public_text).to_owned(),
            },
            "question.reject" => Action::UndoReject,
            "question.merge" => Action::UndoMerge {
                into: QuestionId(inner["into"].as_i64().ok_or(StoreError::Corrupt("merge audit".into()))?),
                comments: inner["comments"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_i64()).map(CommentId).collect())
                    .unwrap_or_default(),
            },
            _ => {
                return Err(StoreError::Conflict("your last action on this question cannot be undone".into()))
            }
        };
        self.act(id, action, actor, Some(q.version)).await
    }
}

/// What [`Store::queue_platform_actions`] queues: the action kind per platform, its text, how
/// many comments at most, and the audit entry's name.
pub(crate) struct PlatformActions<'a> {
    pub kind_for: &'a (dyn Fn(Platform) -> Option<OutboxKind> + Sync),
    pub text: Option<&'a str>,
    pub cap: usize,
    pub audit_action: &'static str,
    /// Refuse (and write nothing) when no comment could take the action.
    pub refuse_if_none: Option<&'static str>,
}

/// The answering staff member, with the name and credentials the transcript shows.
async fn answerer(tx: &mut AnyConnection, actor: &Actor) -> Result<AnsweredBy> {
    let user =
        actor.user_id.ok_or_else(|| StoreError::Invalid("answers must come from a staff account".into()))?;
    let row = sqlx::query("SELECT id, name, credentials FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("staff account"))?;
    Ok(AnsweredBy { user_id: user, name: row.try_get("name")?, credentials: row.try_get("credentials")? })
}

/// "already approved by Dana": what the loser of a race reads, when the question's state is
/// someone else's decision. `None` when there is no such plain sentence (or it was the
/// caller's own, who gets the transition's full reason instead).
fn lost_race(q: &Question, actor: &Actor) -> Option<String> {
    let done = match q.state {
        QuestionState::Approved => "approved",
        QuestionState::Rejected => "rejected",
        QuestionState::Merged => "merged into another question",
        QuestionState::OnAir => "put on air",
        QuestionState::Answered | QuestionState::Corrected => "answered",
        QuestionState::New => return None,
    };
    let by = q.last_actor.as_deref().filter(|by| *by != actor.name)?;
    Some(format!("already {done} by {by}"))
}

/// What the audit log keeps of an action's data. Answer text is kept: it is published anyway.
fn audit_detail(action: &Action) -> serde_json::Value {
    match action {
        Action::Approve { public_text, override_reason } => {
            serde_json::json!({"public_text": public_text, "override_reason": override_reason})
        }
        Action::Reject { reason } => serde_json::json!({"reason": reason}),
        Action::Merge { into } => serde_json::json!({"into": into}),
        Action::PutOnAir | Action::TakeOffAir | Action::UndoReject => serde_json::Value::Null,
        Action::UndoApprove { public_text } => serde_json::json!({"public_text": public_text}),
        Action::UndoMerge { into, comments } => serde_json::json!({"into": into, "comments": comments}),
        Action::Answer { text } | Action::Correct { text } => serde_json::json!({"text": text}),
    }
}

impl Store {
    /// Assigns a question to one of its session's specialists (`None` clears it). Audited with
    /// before and after and appended as a question event (`assign`), so the tablet of that
    /// specialist marks it. Assigning to whoever already has it changes nothing.
    pub async fn assign_question(
        &self,
        id: QuestionId,
        to: Option<curbside_domain::UserId>,
        actor: &Actor,
    ) -> Result<Question> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let before = load_question(&mut tx, id).await?;
        if before.assigned_to == to {
            return Ok(before);
        }
        if let Some(user) = to {
            let assigned: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM session_specialists s JOIN users u ON u.id = s.user_id \
                 WHERE s.session_id = $1 AND s.user_id = $2 AND u.disabled_at IS NULL",
            )
            .bind(before.session_id.0)
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
            if assigned == 0 {
                return Err(StoreError::Conflict(format!(
                    "user {user} is not one of this session's specialists: add them to the session first"
                )));
            }
        }
        sqlx::query(
            "UPDATE questions SET assigned_to = $1, version = version + 1, updated_at = $2, last_actor = $3 \
             WHERE id = $4",
        )
        .bind(to.map(|u| u.0))
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        crate::audit::audit_change(
            &mut tx,
            actor,
            "question.assign",
            Some(before.session_id),
            Some(id),
            serde_json::json!({"assigned_to": before.assigned_to}),
            serde_json::json!({"assigned_to": to}),
        )
        .await?;
        let after = load_question(&mut tx, id).await?;
        let events = append_events(
            &mut tx,
            after.session_id,
            now,
            vec![question_event(QuestionChange::Assign, &after)],
        )
        .await?;
        self.commit(tx, events).await?;
        Ok(after)
    }
}
