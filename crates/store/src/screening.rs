//! Screening inside the write path: the context a comment is screened in (the session's open
//! questions for duplicates, each author's earlier comments for repetition), the flags a
//! screening sets, the approval guard's check for private information left in a wording, and
//! the session's automatic handling (spam rejected, exact duplicates merged) at ingest.

use crate::audit::{audit_change, audit_entry};
use crate::db::{append_events, Params};
use crate::questions::load_question;
use crate::sessions::{load_session, staff_session_event};
use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{
    screening::span_text, ActionKind, AutoHandling, Flag, Question, QuestionId, QuestionState, Session,
    SessionChange, SessionId, SpanKind,
};
use curbside_screening::{DuplicateIndex, ScreenContext, Screened, Screener};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Flags that screening owns: recomputed whenever a question's text is screened again.
const SCREENING_FLAGS: [Flag; 6] =
    [Flag::Phi, Flag::Emergency, Flag::PersonalAdvice, Flag::Spam, Flag::DuplicateCandidate, Flag::Myth];

/// What a session's earlier comments tell screening, loaded once per session per write.
pub(crate) struct SessionContext {
    index: DuplicateIndex,
    /// The newest question id `index` has seen (for putting it back in the cache).
    through: i64,
    by_author: HashMap<String, Vec<String>>,
    /// What the session's producer lets screening decide by itself.
    pub(crate) auto: AutoHandling,
}

/// How long a cached duplicate index is trusted before it is built afresh from the database
/// (bounds what a change made outside this process, e.g. `curbside purge`, can leave in it).
const INDEX_TTL: Duration = Duration::from_secs(60);

/// Sessions' duplicate indexes between ingest writes. Building one reads every open question of
/// the session and fingerprints it: per webhook body, that grew with the session (a 100-comment
/// body into a session of 20,000 questions cost over 100 ms). Ingest takes the index, adds its
/// new questions and puts it back after committing; every other commit to the session (a
/// rejection, a merge, an undo) invalidates it, and so does a commit that happened between.
#[derive(Default)]
pub(crate) struct IndexCache {
    slots: Mutex<HashMap<SessionId, IndexSlot>>,
}

#[derive(Default)]
struct IndexSlot {
    /// Bumped by every invalidation: an index taken before one is not put back.
    generation: u64,
    cached: Option<(DuplicateIndex, i64, Instant)>,
}

impl IndexCache {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, IndexSlot>> {
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn clear(&self) {
        for slot in self.slots().values_mut() {
            slot.generation += 1;
            slot.cached = None;
        }
    }

    pub(crate) fn invalidate(&self, session: SessionId) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get_mut(&session) {
            slot.generation += 1;
            slot.cached = None;
        }
    }

    /// The cached index of `session` (and the newest question id it holds), if fresh, with the
    /// generation to give back to [`IndexCache::put`].
    fn take(&self, session: SessionId) -> (Option<(DuplicateIndex, i64)>, u64) {
        let mut slots = self.slots();
        let slot = slots.entry(session).or_default();
        let cached = slot.cached.take().filter(|(_, _, at)| at.elapsed() < INDEX_TTL);
        (cached.map(|(index, through, _)| (index, through)), slot.generation)
    }

    /// Keeps `index` for the next write, unless the session changed since `generation`.
    fn put(&self, session: SessionId, generation: u64, index: DuplicateIndex, through: i64) {
        let mut slots = self.slots();
        // Indexes of sessions that stopped receiving comments are not kept past their time
        // (their slots stay: a few bytes each, holding the generation).
        for slot in slots.values_mut() {
            if slot.cached.as_ref().is_some_and(|(_, _, at)| at.elapsed() >= INDEX_TTL) {
                slot.cached = None;
            }
        }
        let slot = slots.entry(session).or_default();
        if slot.generation == generation {
            slot.cached = Some((index, through, Instant::now()));
        }
    }
}

/// A [`SessionContext`] taken from the cache for one ingest write; give it back with
/// [`CachedContext::put_back`] after the commit.
pub(crate) struct CachedContext {
    pub(crate) context: SessionContext,
    generation: Option<u64>,
}

impl CachedContext {
    pub(crate) fn put_back(self, store: &Store, session: SessionId) {
        if let (Some(cache), Some(generation)) = (store.duplicate_indexes(), self.generation) {
            cache.put(session, generation, self.context.index, self.context.through);
        }
    }
}

impl SessionContext {
    /// Reads the session's open questions (not rejected or merged; `exclude` left out, for a
    /// question screened again) and the earlier comments of `authors`.
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        session: SessionId,
        exclude: Option<QuestionId>,
        authors: &[&str],
    ) -> Result<SessionContext> {
        let mut index = DuplicateIndex::new();
        let through = add_open_questions(conn, session, 0, exclude, &mut index).await?;
        SessionContext::finish(conn, session, index, through, authors).await
    }

    /// [`SessionContext::load`] for ingest, starting from the cached index when there is one.
    pub(crate) async fn load_cached(
        store: &Store,
        conn: &mut AnyConnection,
        session: SessionId,
        authors: &[&str],
    ) -> Result<CachedContext> {
        let Some(cache) = store.duplicate_indexes() else {
            let context = SessionContext::load(conn, session, None, authors).await?;
            return Ok(CachedContext { context, generation: None });
        };
        let (cached, generation) = cache.take(session);
        let (mut index, from) = cached.unwrap_or_default();
        let through = add_open_questions(conn, session, from, None, &mut index).await?.max(from);
        let context = SessionContext::finish(conn, session, index, through, authors).await?;
        Ok(CachedContext { context, generation: Some(generation) })
    }

    async fn finish(
        conn: &mut AnyConnection,
        session: SessionId,
        index: DuplicateIndex,
        through: i64,
        authors: &[&str],
    ) -> Result<SessionContext> {
        let mut by_author: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in authors.chunks(AUTHORS_PER_LOOKUP) {
            let p = Params::of(conn);
            let sql = format!(
                "SELECT author_id, text FROM comments WHERE session_id = {} AND author_id IN ({}) ORDER BY id",
                p.nth(1),
                p.list(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(session.0);
            for a in chunk {
                query = query.bind(*a);
            }
            for r in query.fetch_all(&mut *conn).await? {
                by_author.entry(r.try_get("author_id")?).or_default().push(r.try_get("text")?);
            }
        }
        let auto = sqlx::query("SELECT auto_reject_spam, auto_merge_duplicates FROM sessions WHERE id = $1")
            .bind(session.0)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| -> Result<AutoHandling> {
                Ok(AutoHandling {
                    reject_spam: r.try_get::<i64, _>("auto_reject_spam")? != 0,
                    merge_exact_duplicates: r.try_get::<i64, _>("auto_merge_duplicates")? != 0,
                })
            })
            .transpose()?
            .unwrap_or_default();
        Ok(SessionContext { index, through, by_author, auto })
    }

    /// Screens one comment of `author`.
    pub(crate) fn screen(&self, screener: &Screener, text: &str, author: Option<&str>) -> Screened {
        let earlier: Vec<&str> = author
            .and_then(|a| self.by_author.get(a))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        screener.screen(text, &ScreenContext { earlier: Some(&self.index), author_earlier: &earlier })
    }

    /// Records a comment stored in this write, so later comments of the same batch see it.
    pub(crate) fn remember(&mut self, question: Option<QuestionId>, text: &str, author: Option<&str>) {
        if let Some(q) = question {
            self.index.add(q, text);
            self.through = self.through.max(q.0);
        }
        if let Some(a) = author {
            self.by_author.entry(a.to_owned()).or_default().push(text.to_owned());
        }
    }
}

/// `flags` with the screening flags replaced by those `screened` raises.
pub(crate) fn with_screening_flags(mut flags: BTreeSet<Flag>, screened: &Screened) -> BTreeSet<Flag> {
    flags.retain(|f| !SCREENING_FLAGS.contains(f));
    flags.extend(screened.screening.flags());
    flags
}

/// Letters and digits only, lower case: "555-201-3344" and "555 201 3344" compare equal.
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The kinds of private information still in `wording`: any span the detectors find in it, and
/// any detected span of the original comment that the wording repeats (however it is spaced).
pub(crate) fn private_info_in(wording: &str, q: &Question) -> Vec<SpanKind> {
    let mut kinds: Vec<SpanKind> = curbside_screening::phi::detect(wording).iter().map(|s| s.kind).collect();
    let squashed = squash(wording);
    for span in &q.screening.spans {
        let original = squash(&span_text(&q.original_text, span));
        if original.chars().count() >= 3 && squashed.contains(&original) {
            kinds.push(span.kind);
        }
    }
    let mut seen = Vec::new();
    kinds.retain(|k| {
        let fresh = !seen.contains(k);
        seen.push(*k);
        fresh
    });
    kinds
}

/// The name automatic decisions carry in the audit log and as a question's last actor.
pub const SCREENING_ACTOR: &str = "screening";

/// What the session's automatic handling did with a question just created at ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoOutcome {
    /// Left for a moderator.
    Kept,
    Rejected,
    /// Merged into this earlier question (whose count grew).
    Merged(QuestionId),
}

/// The spam finding the session's handling rejects a comment for, if it does.
fn spam_to_reject(screened: &Screened, auto: AutoHandling) -> Option<&curbside_domain::screening::Finding> {
    screened.screening.findings.iter().find(|f| f.flag == Flag::Spam).filter(|_| auto.reject_spam)
}

/// The open question the session's handling merges an exact duplicate into, if it does.
fn duplicate_to_merge(screened: &Screened, auto: AutoHandling) -> Option<QuestionId> {
    screened.screening.duplicate_of.filter(|_| auto.merge_exact_duplicates && screened.exact_duplicate)
}

/// Whether [`Store::auto_handle`] may act on a comment screened as `screened` (ingest writes
/// the rows before it first).
pub(crate) fn auto_handling_acts(screened: &Screened, auto: AutoHandling) -> bool {
    spam_to_reject(screened, auto).is_some() || duplicate_to_merge(screened, auto).is_some()
}

impl Store {
    /// Applies the session's automatic handling to `question`, created at ingest in `tx` (state
    /// `new`, version 1), through the same state machine and audit as a moderator's decision, so
    /// a moderator can undo it. `question` is updated to what was written.
    pub(crate) async fn auto_handle(
        &self,
        tx: &mut AnyConnection,
        question: &mut Question,
        screened: &Screened,
        auto: AutoHandling,
        now: i64,
    ) -> Result<AutoOutcome> {
        if let Some(finding) = spam_to_reject(screened, auto) {
            let reason = format!("spam, rejected automatically: {}", finding.reason);
            let next = self.auto_transition(tx, question, ActionKind::Reject, Some(&reason)).await?;
            let detail = serde_json::json!({"reason": reason, "automatic": true});
            audit_auto(tx, question, next, "question.reject", detail).await?;
            question.state = next;
            question.reject_reason = Some(reason);
            return Ok(AutoOutcome::Rejected);
        }
        let Some(into) = duplicate_to_merge(screened, auto) else {
            return Ok(AutoOutcome::Kept);
        };
        // Only into a question still waiting for its answer, so the new asker gets the reply;
        // otherwise a moderator decides (the duplicate flag stays).
        let target = load_question(tx, into).await?;
        if !matches!(target.state, QuestionState::New | QuestionState::Approved | QuestionState::OnAir) {
            return Ok(AutoOutcome::Kept);
        }
        let moved = self.merge(tx, question, into, now).await?;
        let next = self.auto_transition(tx, question, ActionKind::Merge, None).await?;
        let detail = serde_json::json!({"into": into, "comments": moved, "automatic": true});
        audit_auto(tx, question, next, "question.merge", detail).await?;
        question.state = next;
        question.merged_into = Some(into);
        Ok(AutoOutcome::Merged(into))
    }

    /// Moves `question` by `action` as the screening actor; returns its new state.
    async fn auto_transition(
        &self,
        tx: &mut AnyConnection,
        question: &mut Question,
        action: ActionKind,
        reject_reason: Option<&str>,
    ) -> Result<QuestionState> {
        let next = question.state.apply(action).map_err(|e| StoreError::Conflict(e.to_string()))?;
        sqlx::query(
            "UPDATE questions SET state = $1, reject_reason = $2, version = version + 1, last_actor = $3 WHERE id = $4",
        )
        .bind(next.as_str())
        .bind(reject_reason)
        .bind(SCREENING_ACTOR)
        .bind(question.id.0)
        .execute(&mut *tx)
        .await?;
        question.version += 1;
        question.last_actor = Some(SCREENING_ACTOR.to_owned());
        Ok(next)
    }

    /// Sets what screening decides by itself in a session. Audited with before and after, and
    /// evented to staff; a setting equal to the current one changes nothing.
    pub async fn set_auto_handling(
        &self,
        id: SessionId,
        auto: AutoHandling,
        actor: &Actor,
    ) -> Result<Session> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let before = load_session(&mut tx, id).await?;
        if before.auto_handling == auto {
            return Ok(before);
        }
        sqlx::query("UPDATE sessions SET auto_reject_spam = $1, auto_merge_duplicates = $2 WHERE id = $3")
            .bind(i64::from(auto.reject_spam))
            .bind(i64::from(auto.merge_exact_duplicates))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut after = load_session(&mut tx, id).await?;
        audit_change(
            &mut tx,
            actor,
            "session.auto_handling",
            Some(id),
            None,
            serde_json::json!(before.auto_handling),
            serde_json::json!(after.auto_handling),
        )
        .await?;
        let events =
            append_events(&mut tx, id, now, vec![staff_session_event(SessionChange::AutoHandling, &after)])
                .await?;
        after.last_offset = events.last().map(|e| e.offset).unwrap_or(after.last_offset);
        self.commit(tx, events).await?;
        Ok(after)
    }
}

/// The audit entry of an automatic decision, shaped like a moderator's (so undo reads it back),
/// with `detail.automatic` set.
async fn audit_auto(
    tx: &mut AnyConnection,
    q: &Question,
    next: QuestionState,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    audit_entry(
        tx,
        &Actor::system(SCREENING_ACTOR),
        action,
        Some(q.session_id),
        Some(q.id),
        &serde_json::json!({"state": q.state, "public_text": q.public_text}),
        &serde_json::json!({"state": next, "public_text": q.public_text}),
        &serde_json::json!({"from": q.state, "to": next, "detail": detail}),
    )
    .await
}

/// Authors per look-up of their earlier comments.
const AUTHORS_PER_LOOKUP: usize = 500;

/// Adds the session's open questions newer than `after` (except `exclude`) to `index`; returns
/// the newest id read (0 for none).
async fn add_open_questions(
    conn: &mut AnyConnection,
    session: SessionId,
    after: i64,
    exclude: Option<QuestionId>,
    index: &mut DuplicateIndex,
) -> Result<i64> {
    let rows = sqlx::query(
        "SELECT id, original_text FROM questions WHERE session_id = $1 AND id > $2 \
         AND state NOT IN ('rejected', 'merged') ORDER BY id",
    )
    .bind(session.0)
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    let mut newest = 0;
    for r in &rows {
        let id = QuestionId(r.try_get("id")?);
        newest = id.0;
        if Some(id) != exclude {
            let text: String = r.try_get("original_text")?;
            index.add(id, &text);
        }
    }
    Ok(newest)
}
