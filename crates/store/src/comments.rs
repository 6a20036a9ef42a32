//! Ingest: platform comments become stored comments and new questions, once per platform comment
//! id however often and however batched they arrive (webhook retries, polling overlap).

use crate::db::{append_events, is_postgres, NewEvent, Params};
use crate::questions::{load_question, question_event};
use crate::screening::{
    auto_handling_acts, with_screening_flags, AutoOutcome, CachedContext, SessionContext,
};
use crate::{now_millis, Result, Store, StoreError};
use curbside_domain::{
    CommentId, Question, QuestionChange, QuestionId, QuestionSource, QuestionState, SessionId, SourceId,
    StoredEvent,
};
use curbside_screening::Screened;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

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
    ///
    /// On SQLite, batches that arrive while another is being written are written together, in
    /// one transaction (group commit): the database has one writer, so eight webhook bodies
    /// arriving at once would otherwise each wait for all the others' statements and syncs.
    pub async fn ingest_comments(&self, batch: Vec<IncomingComment>) -> Result<IngestOutcome> {
        if batch.is_empty() {
            return Ok(IngestOutcome::default());
        }
        let Some(queue) = self.ingest_queue() else {
            return self.ingest_alone(&batch).await;
        };
        let (reply, outcome) = oneshot::channel();
        if queue.push(Waiting { batch, reply }) {
            // The writer is a task of its own, so a caller that gives up waiting (a webhook
            // whose client hung up) cannot strand the others' batches.
            let store = self.clone();
            tokio::spawn(async move { store.write_ingest_groups().await });
        }
        outcome.await.map_err(|_| StoreError::Corrupt("the ingest writer stopped".into()))?
    }

    /// Writes the queued batches, a group at a time, until none is left.
    async fn write_ingest_groups(&self) {
        let Some(queue) = self.ingest_queue() else { return };
        let _guard = RunningGuard(queue);
        while let Some(group) = queue.take_group() {
            let batches: Vec<&[IncomingComment]> = group.iter().map(|w| w.batch.as_slice()).collect();
            match self.ingest_group(&batches).await {
                Ok(outcomes) => {
                    for (waiting, outcome) in group.into_iter().zip(outcomes) {
                        let _ = waiting.reply.send(Ok(outcome));
                    }
                }
                Err(e) if group.len() == 1 => {
                    if let Some(waiting) = group.into_iter().next() {
                        let _ = waiting.reply.send(Err(e));
                    }
                }
                // One bad batch must not fail the others: each is tried again alone.
                Err(_) => {
                    for waiting in group {
                        let outcome = self.ingest_alone(&waiting.batch).await;
                        let _ = waiting.reply.send(outcome);
                    }
                }
            }
        }
    }

    /// [`Store::ingest_group`] of one batch.
    async fn ingest_alone(&self, batch: &[IncomingComment]) -> Result<IngestOutcome> {
        Ok(self.ingest_group(&[batch]).await?.into_iter().next().unwrap_or_default())
    }

    /// Stores `batches` in one transaction; one outcome per batch, in order. A comment given
    /// in two of them counts as stored for the first and as a duplicate for the second.
    async fn ingest_group(&self, batches: &[&[IncomingComment]]) -> Result<Vec<IngestOutcome>> {
        for _ in 0..INGEST_ATTEMPTS {
            if let Some(outcomes) = self.ingest_once(batches).await? {
                return Ok(outcomes);
            }
        }
        Err(StoreError::Conflict("another writer kept storing the same comments; try again".into()))
    }

    /// One attempt: `None` when a concurrent writer (another node, on PostgreSQL) stored one of
    /// the comments after the look-up; nothing of the attempt is kept, and the next one sees
    /// that comment as stored.
    async fn ingest_once(&self, batches: &[&[IncomingComment]]) -> Result<Option<Vec<IngestOutcome>>> {
        let mut outcomes: Vec<IngestOutcome> = batches.iter().map(|_| IngestOutcome::default()).collect();
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let screener = self.screener();
        let mut contexts: BTreeMap<SessionId, CachedContext> = BTreeMap::new();
        let all: Vec<(usize, &IncomingComment)> =
            batches.iter().enumerate().flat_map(|(owner, b)| b.iter().map(move |c| (owner, c))).collect();
        // Which comments are stored already: one query per platform and chunk, not a failed
        // insert per comment (a polled page overlaps the webhooks' deliveries).
        let mut known = stored_comment_ids(&mut tx, all.iter().map(|(_, c)| *c)).await?;
        // Also a comment given twice: the first copy is the one kept.
        let mut fresh = Vec::with_capacity(all.len());
        for &(owner, c) in &all {
            if known.insert((c.platform.as_str(), c.platform_comment_id.clone())) {
                fresh.push((owner, c));
            } else {
                outcomes[owner].duplicates += 1;
            }
        }
        // The questions' ids are taken up front, so the rows go in as a few many-row
        // statements instead of two round trips per comment, and a comment can be screened
        // against the earlier ones before any of them is written.
        let mut ids = reserve_question_ids(&mut tx, fresh.len()).await?.into_iter();
        let mut items: Vec<NewQuestion> = Vec::with_capacity(fresh.len());
        let mut written = 0;
        for (owner, c) in fresh {
            let text = c.text.trim();
            // Screened before anyone sees it, in this transaction: the default public wording
            // is the redacted text, never the raw comment.
            let ctx = match contexts.entry(c.session_id) {
                std::collections::btree_map::Entry::Occupied(e) => &mut e.into_mut().context,
                std::collections::btree_map::Entry::Vacant(e) => {
                    let authors: BTreeSet<&str> = all
                        .iter()
                        .map(|(_, b)| *b)
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
            let id = ids.next().ok_or_else(|| StoreError::Corrupt("too few question ids reserved".into()))?;
            items.push(NewQuestion::new(owner, c, QuestionId(id), text, &screened, now));
            // The session's automatic handling, in this same transaction (audited as
            // `screening`); it works on stored rows, so everything before it is written first.
            let auto = ctx.auto;
            let mut handled = AutoOutcome::Kept;
            if auto_handling_acts(&screened, auto) {
                if !write_rows(&mut tx, &mut items[written..]).await? {
                    return Ok(None);
                }
                written = items.len();
                let item = items.last_mut().ok_or_else(|| StoreError::Corrupt("no question".into()))?;
                handled = self.auto_handle(&mut tx, &mut item.question, &screened, auto, now).await?;
                if let AutoOutcome::Merged(into) = handled {
                    item.merged = Some(load_question(&mut tx, into).await?);
                }
            }
            // Later comments of the batch compare with this one only while it stays open.
            let open = (handled == AutoOutcome::Kept).then_some(QuestionId(id));
            ctx.remember(open, text, c.author_id.as_deref());
        }
        if !write_rows(&mut tx, &mut items[written..]).await? {
            return Ok(None);
        }
        let mut last_comment: BTreeMap<SourceId, i64> = BTreeMap::new();
        for item in &items {
            if let Some(source) = item.comment.source_id {
                let newest = last_comment.entry(source).or_insert(item.comment.platform_time);
                *newest = (*newest).max(item.comment.platform_time);
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
        // Each session's events in the comments' order; `owners` tells whose each one is.
        let mut created: BTreeMap<SessionId, (Vec<NewEvent>, Vec<usize>)> = BTreeMap::new();
        for item in &items {
            outcomes[item.owner].stored += 1;
            let (events, owners) = created.entry(item.question.session_id).or_default();
            events.push(question_event(QuestionChange::Created, &item.question));
            owners.push(item.owner);
            if let Some(target) = &item.merged {
                events.push(question_event(QuestionChange::MergedInto, target));
                owners.push(item.owner);
            }
        }
        let mut events = Vec::new();
        let mut owners = Vec::new();
        for (session, (new_events, session_owners)) in created {
            events.extend(append_events(&mut tx, session, now, new_events).await?);
            owners.extend(session_owners);
        }
        for (event, owner) in self.commit_ingest(tx, events).await?.into_iter().zip(owners) {
            outcomes[owner].events.push(event);
        }
        for (session, context) in contexts {
            context.put_back(self, session);
        }
        Ok(Some(outcomes))
    }
}

/// A batch waiting for the ingest writer, and where its outcome goes.
struct Waiting {
    batch: Vec<IncomingComment>,
    reply: oneshot::Sender<Result<IngestOutcome>>,
}

/// Batches waiting to be written together (SQLite; see [`Store::ingest_comments`]).
#[derive(Default)]
pub(crate) struct IngestQueue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    waiting: VecDeque<Waiting>,
    /// A writer task is taking groups from `waiting`.
    running: bool,
}

impl IngestQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `waiting`; `true` when no writer is running and the caller must start one.
    fn push(&self, waiting: Waiting) -> bool {
        let mut st = self.lock();
        st.waiting.push_back(waiting);
        !std::mem::replace(&mut st.running, true)
    }

    /// The next group: the waiting batches in arrival order, up to [`GROUP_COMMENTS`] comments
    /// (at least one batch). `None`, and the writer is done, when nothing waits.
    fn take_group(&self) -> Option<Vec<Waiting>> {
        let mut st = self.lock();
        if st.waiting.is_empty() {
            st.running = false;
            return None;
        }
        let mut group = Vec::new();
        let mut comments = 0;
        while let Some(next) = st.waiting.front() {
            if !group.is_empty() && comments + next.batch.len() > GROUP_COMMENTS {
                break;
            }
            comments += next.batch.len();
            group.extend(st.waiting.pop_front());
        }
        Some(group)
    }
}

/// Lets a new writer start if this one panicked (a normal end clears `running` itself, under
/// the lock, when it finds nothing waiting).
struct RunningGuard<'a>(&'a IngestQueue);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().running = false;
        }
    }
}

/// Comments one group commit takes at most (more batches wait for the next): bounds how long
/// one transaction holds the writer.
const GROUP_COMMENTS: usize = 5_000;

/// Attempts of one batch that lost a race with another writer storing the same comments.
const INGEST_ATTEMPTS: usize = 4;
/// Rows per many-row `INSERT` (a comment row binds 13 values; SQLite allows 32,766 a statement).
const ROWS_PER_INSERT: usize = 100;

/// A new comment and the question it makes, in the making.
struct NewQuestion<'a> {
    /// Which of the group's batches the comment came in.
    owner: usize,
    comment: &'a IncomingComment,
    /// Complete but for the comment's stored id, which its insert tells.
    question: Question,
    /// The question it was merged into automatically, as it is after the merge.
    merged: Option<Question>,
}

impl<'a> NewQuestion<'a> {
    fn new(
        owner: usize,
        c: &'a IncomingComment,
        id: QuestionId,
        text: &str,
        screened: &Screened,
        now: i64,
    ) -> NewQuestion<'a> {
        let question = Question {
            id,
            session_id: c.session_id,
            state: QuestionState::New,
            version: 1,
            public_text: screened.redacted.clone(),
            original_text: text.to_owned(),
            flags: with_screening_flags(BTreeSet::new(), screened),
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
                stored_id: None,
            }],
            answer: None,
            created_at: now,
            updated_at: now,
            last_actor: None,
            screening: screened.screening.clone(),
        };
        NewQuestion { owner, comment: c, question, merged: None }
    }
}

/// `count` new question ids. SQLite has one writer, this transaction: the ids after the
/// highest ever given are free until it commits. PostgreSQL draws them from the sequence.
async fn reserve_question_ids(tx: &mut sqlx::AnyConnection, count: usize) -> Result<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if is_postgres(tx) {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('questions', 'id')) FROM generate_series(1, $1::bigint)",
        )
        .bind(count as i64)
        .fetch_all(&mut *tx)
        .await?;
        return Ok(ids);
    }
    // AUTOINCREMENT never gives an id twice: the sequence remembers deleted rows' ids too.
    let highest: i64 = sqlx::query_scalar(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'questions'), 0), \
         COALESCE((SELECT MAX(id) FROM questions), 0))",
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((highest + 1..=highest + count as i64).collect())
}

/// Inserts the questions and comments of `items`, many rows a statement, and records each
/// comment's stored id. `false` when another writer stored one of the comments first.
async fn write_rows(tx: &mut sqlx::AnyConnection, items: &mut [NewQuestion<'_>]) -> Result<bool> {
    for chunk in items.chunks_mut(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO questions (id, session_id, state, public_text, original_text, flags_json, \
             screening_json, created_at, updated_at) VALUES {}",
            Params::of(tx).rows(chunk.len(), 9)
        );
        let mut query = sqlx::query(&sql);
        for item in chunk.iter() {
            let q = &item.question;
            query = query
                .bind(q.id.0)
                .bind(q.session_id.0)
                .bind(q.state.as_str())
                .bind(&q.public_text)
                .bind(&q.original_text)
                .bind(serde_json::to_string(&q.flags)?)
                .bind(serde_json::to_string(&q.screening)?)
                .bind(q.created_at)
                .bind(q.updated_at);
        }
        query.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO comments (platform, platform_comment_id, session_id, source_id, author_id, \
             author_name, text, parent_id, platform_time, received_at, via, question_id, origin_question_id) \
             VALUES {} ON CONFLICT (platform, platform_comment_id) DO NOTHING \
             RETURNING id, platform, platform_comment_id",
            Params::of(tx).rows(chunk.len(), 13)
        );
        let mut query = sqlx::query(&sql);
        for item in chunk.iter() {
            let c = item.comment;
            query = query
                .bind(c.platform.as_str())
                .bind(&c.platform_comment_id)
                .bind(c.session_id.0)
                .bind(c.source_id.map(|s| s.0))
                .bind(&c.author_id)
                .bind(&c.author_name)
                .bind(&c.text)
                .bind(&c.parent_id)
                .bind(c.platform_time)
                .bind(item.question.created_at)
                .bind(&c.via)
                .bind(item.question.id.0)
                .bind(item.question.id.0);
        }
        let mut stored: HashMap<(String, String), i64> = HashMap::with_capacity(chunk.len());
        for row in query.fetch_all(&mut *tx).await? {
            stored
                .insert((row.try_get("platform")?, row.try_get("platform_comment_id")?), row.try_get("id")?);
        }
        for item in chunk.iter_mut() {
            let key = (item.comment.platform.as_str().to_owned(), item.comment.platform_comment_id.clone());
            let Some(id) = stored.get(&key) else { return Ok(false) };
            item.question.sources[0].stored_id = Some(CommentId(*id));
        }
    }
    Ok(true)
}

/// Comment ids (per platform) of `batch` that are stored already.
async fn stored_comment_ids<'a>(
    tx: &mut sqlx::AnyConnection,
    batch: impl Iterator<Item = &'a IncomingComment>,
) -> Result<HashSet<(&'static str, String)>> {
    let mut by_platform: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    for c in batch {
        by_platform.entry(c.platform.as_str()).or_default().push(&c.platform_comment_id);
    }
    let mut known = HashSet::new();
    for (platform, ids) in by_platform {
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let p = Params::of(tx);
            let sql = format!(
                "SELECT platform_comment_id FROM comments WHERE platform = {} AND platform_comment_id IN ({})",
                p.nth(1),
                p.list(2, chunk.len())
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
