//! The outbox: platform actions written in the transaction of the staff action that causes
//! them, claimed by a worker under a lease (its node and an expiry, committed before the
//! platform is called), finished with the platform's answer by the lease's holder only. Status
//! changes follow `OutboxStatus::apply`. One row per (kind, target comment): a second reply
//! cannot exist.

use crate::db::{append_events, NewEvent};
use crate::{now_millis, Result, Store, StoreError};
use curbside_domain::{
    EventBody, OutboxItem, OutboxKind, OutboxStatus, OutboxStep, Platform, Question, QuestionId, SessionId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::time::Duration;

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

    /// Claims up to `limit` due actions for `node`: each is marked `sending` (attempts + 1) with
    /// a lease of `lease`, committed before it is returned, so a crash during the platform call
    /// leaves a trace to reconcile. The update is conditional on the row still being `pending`:
    /// a row another node claimed first is skipped.
    pub async fn claim_due_outbox(&self, node: &str, lease: Duration, limit: i64) -> Result<Vec<OutboxItem>> {
        let now = now_millis();
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        let to = OutboxStatus::Pending.apply(OutboxStep::Claim)?;
        let mut claimed = Vec::new();
        for id in ids {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE outbox SET status = $1, attempts = attempts + 1, lease_owner = $2, lease_until = $3, \
                 updated_at = $4 WHERE id = $5 AND status = 'pending'",
            )
            .bind(to.as_str())
            .bind(node)
            .bind(lease_end(now, lease))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                continue;
            }
            claimed.push(self.commit_with_event(tx, id, now).await?);
        }
        Ok(claimed)
    }

    /// Takes over up to `limit` actions left `sending` under a lease that has run out (their
    /// node died or stalled, or a look-up was undecided): `node` now holds them for `lease` and
    /// must find out whether the platform acted before sending again. Leases still running are
    /// never touched, so an attempt under way on a live node is left alone.
    pub async fn take_over_expired_outbox(
        &self,
        node: &str,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let now = now_millis();
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE status = 'sending' AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        let mut taken = Vec::new();
        for id in ids {
            let mut tx = self.begin_write().await?;
            let item = load_item(&mut tx, id).await?;
            if item.status.apply(OutboxStep::TakeOver).is_err() {
                continue;
            }
            // Conditional on the lease still being expired: of several nodes, one wins.
            let done = sqlx::query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2, updated_at = $3 \
                 WHERE id = $4 AND status = 'sending' AND (lease_until IS NULL OR lease_until <= $5)",
            )
            .bind(node)
            .bind(lease_end(now, lease))
            .bind(now)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                tx.commit().await?;
                taken.push(item);
            }
        }
        Ok(taken)
    }

    /// Extends `node`'s lease on `id` to `lease` from now, right before the platform is called;
    /// false if `node` no longer holds it (then it must not call the platform).
    pub async fn renew_outbox_lease(&self, id: i64, node: &str, lease: Duration) -> Result<bool> {
        let now = now_millis();
        let done = sqlx::query(
            "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND status = 'sending' AND lease_owner = $3",
        )
        .bind(lease_end(now, lease))
        .bind(id)
        .bind(node)
        .execute(self.write_pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The look-up "did the platform already do it?" failed: the item stays `sending` with the
    /// error shown to staff, and its lease is cut to end at `retry_at`, when any node takes it
    /// over and looks again. False if `node` no longer held it.
    pub async fn postpone_outbox_lookup(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let item = load_item(&mut tx, id).await?;
        item.status.apply(OutboxStep::Undecided)?;
        let done = sqlx::query(
            "UPDATE outbox SET lease_until = $1, last_error = $2, updated_at = $3 \
             WHERE id = $4 AND status = 'sending' AND lease_owner = $5",
        )
        .bind(retry_at)
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(node)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.commit_with_event(tx, id, now).await?;
        Ok(true)
    }

    /// Records how `node`'s attempt ended. Only a row `node` holds in `sending` moves: if its
    /// lease ran out and another node took the item over, the outcome is refused (Conflict) and
    /// the other node's look-up decides.
    pub async fn finish_outbox(&self, id: i64, node: &str, outcome: OutboxOutcome) -> Result<OutboxItem> {
        let now = now_millis();
        let (step, error, result, next) = match &outcome {
            OutboxOutcome::Sent { result_id } => (OutboxStep::Deliver, None, result_id.clone(), now),
            OutboxOutcome::Retry { error, at } => (OutboxStep::Retry, Some(error.clone()), None, *at),
            OutboxOutcome::Failed { error } => (OutboxStep::Fail, Some(error.clone()), None, now),
            OutboxOutcome::Expired { reason } => (OutboxStep::Expire, Some(reason.clone()), None, now),
        };
        let mut tx = self.begin_write().await?;
        let before = load_item(&mut tx, id).await?;
        let to = before.status.apply(step)?;
        let done = sqlx::query(
            "UPDATE outbox SET status = $1, last_error = COALESCE($2, last_error), \
             result_id = COALESCE($3, result_id), next_attempt_at = $4, updated_at = $5, \
             lease_owner = NULL, lease_until = NULL \
             WHERE id = $6 AND status = 'sending' AND lease_owner = $7",
        )
        .bind(to.as_str())
        .bind(error)
        .bind(result)
        .bind(next)
        .bind(now)
        .bind(id)
        .bind(node)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("outbox item {id} is no longer held by this node")));
        }
        self.commit_with_event(tx, id, now).await
    }

    /// Reads item `id` back inside `tx`, appends its event (staff see every change) and commits.
    async fn commit_with_event(&self, mut tx: crate::db::Tx, id: i64, now: i64) -> Result<OutboxItem> {
        let item = load_item(&mut tx, id).await?;
        let events = append_events(&mut tx, item.session_id, now, vec![outbox_event(&item)]).await?;
        self.commit(tx, events).await?;
        Ok(item)
    }
}

/// When a lease taken at `now` runs out.
fn lease_end(now: i64, lease: Duration) -> i64 {
    now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}
