//! The outbox: platform actions written in the transaction of the staff action that causes
//! them, claimed by a worker (the claim is committed before the platform is called), finished
//! with the platform's answer. One row per (kind, target comment): a second reply cannot exist.

use crate::db::{append_events, NewEvent};
use crate::{now_millis, Result, Store, StoreError};
use curbside_domain::{
    EventBody, OutboxItem, OutboxKind, OutboxStatus, Platform, Question, QuestionId, SessionId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const OUTBOX_COLUMNS: &str =
    "id, session_id, question_id, platform, kind, target_id, text, status, attempts, \
     last_error, result_id, created_at, updated_at";

/// How an attempt ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxOutcome {
    Sent {
        result_id: Option<String>,
    },
    /// Try again at `at` (unix ms): throttled, a 5xx, a timeout.
    Retry {
        error: String,
        at: i64,
    },
    Failed {
        error: String,
    },
    Expired {
        reason: String,
    },
}

fn item_from_row(r: &AnyRow) -> Result<OutboxItem> {
    let platform: String = r.try_get("platform")?;
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    Ok(OutboxItem {
        id: r.try_get("id")?,
        session_id: SessionId(r.try_get("session_id")?),
        question_id: r.try_get::<Option<i64>, _>("question_id")?.map(QuestionId),
        platform: Platform::parse(&platform)
            .ok_or_else(|| StoreError::Corrupt(format!("platform {platform:?}")))?,
        kind: OutboxKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("outbox kind {kind:?}")))?,
        target_id: r.try_get("target_id")?,
        text: r.try_get("text")?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox status {status:?}")))?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        result_id: r.try_get("result_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn outbox_event(item: &OutboxItem) -> NewEvent {
    NewEvent { staff: EventBody::Outbox { item: Box::new(item.clone()) }, public: None }
}

async fn load_item(conn: &mut AnyConnection, id: i64) -> Result<OutboxItem> {
    let row = sqlx::query(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("outbox item"))?;
    item_from_row(&row)
}

/// Queues one action per comment behind `q` (up to `cap`), skipping comments the platform no
/// longer shows and targets that already have one. Returns the new rows.
pub(crate) async fn enqueue_for_question(
    conn: &mut AnyConnection,
    q: &Question,
    kind_for: impl Fn(Platform) -> Option<OutboxKind>,
    text: Option<&str>,
    cap: usize,
    now: i64,
) -> Result<Vec<OutboxItem>> {
    let rows = sqlx::query(
        "SELECT platform, platform_comment_id, source_id, hidden_at FROM comments \
         WHERE question_id = $1 AND removed_at IS NULL ORDER BY platform_time, id",
    )
    .bind(q.id.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::new();
    for r in rows.iter().take(cap) {
        let platform: String = r.try_get("platform")?;
        let Some(platform) = Platform::parse(&platform) else { continue };
        let Some(kind) = kind_for(platform) else { continue };
        let hidden = r.try_get::<Option<i64>, _>("hidden_at")?.is_some();
        // Instagram refuses replies to hidden comments; hiding twice is pointless.
        if hidden && (platform == Platform::Instagram || kind == OutboxKind::Hide) {
            continue;
        }
        let target: String = r.try_get("platform_comment_id")?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO outbox (session_id, question_id, source_id, platform, kind, target_id, text, status, \
             next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10) \
             ON CONFLICT (kind, target_id) DO NOTHING RETURNING id",
        )
        .bind(q.session_id.0)
        .bind(q.id.0)
        .bind(r.try_get::<Option<i64>, _>("source_id")?)
        .bind(platform.as_str())
        .bind(kind.as_str())
        .bind(&target)
        .bind(text)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            items.push(load_item(conn, id).await?);
        }
    }
    Ok(items)
}

impl Store {
    /// A session's platform actions, oldest first.
    pub async fn outbox(&self, session: SessionId) -> Result<Vec<OutboxItem>> {
        let rows =
            sqlx::query(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE session_id = $1 ORDER BY id"))
                .bind(session.0)
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Claims up to `limit` due actions: each is marked `sending` (attempts + 1) and committed
    /// before it is returned, so a crash during the platform call leaves a trace to reconcile.
    /// A row another worker claimed first is skipped, which keeps several nodes safe.
    pub async fn claim_due_outbox(&self, limit: i64) -> Result<Vec<OutboxItem>> {
        let now = now_millis();
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        let mut claimed = Vec::new();
        for id in ids {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = $1 \
                 WHERE id = $2 AND status = 'pending'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                continue;
            }
            let item = load_item(&mut tx, id).await?;
            let events = append_events(&mut tx, item.session_id, now, vec![outbox_event(&item)]).await?;
            self.commit(tx, events).await?;
            claimed.push(item);
        }
        Ok(claimed)
    }

    /// Actions left `sending` by a process that stopped mid-attempt: to reconcile at start.
    pub async fn unfinished_outbox(&self) -> Result<Vec<OutboxItem>> {
        let rows =
            sqlx::query(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'sending' ORDER BY id"))
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Records how an attempt ended.
    pub async fn finish_outbox(&self, id: i64, outcome: OutboxOutcome) -> Result<OutboxItem> {
        let now = now_millis();
        let (status, error, result, next) = match &outcome {
            OutboxOutcome::Sent { result_id } => ("sent", None, result_id.clone(), now),
            OutboxOutcome::Retry { error, at } => ("pending", Some(error.clone()), None, *at),
            OutboxOutcome::Failed { error } => ("failed", Some(error.clone()), None, now),
            OutboxOutcome::Expired { reason } => ("expired", Some(reason.clone()), None, now),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE outbox SET status = $1, last_error = COALESCE($2, last_error), \
             result_id = COALESCE($3, result_id), next_attempt_at = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(error)
        .bind(result)
        .bind(next)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let item = load_item(&mut tx, id).await?;
        let events = append_events(&mut tx, item.session_id, now, vec![outbox_event(&item)]).await?;
        self.commit(tx, events).await?;
        Ok(item)
    }
}
