//! Retention for admins: purge commenter data older than a number of days now (the server also
//! does it hourly with `CURBSIDE_RETENTION_DAYS`), or erase one commenter's data on request.

use crate::auth::{can, Can};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use curbside_domain::Platform;
use curbside_store::RetentionReport;
use serde::Deserialize;

/// `/api/admin/purge` and `/api/admin/erase`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/purge", post(purge)).route("/api/admin/erase", post(erase))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct PurgeBody {
    /// Purge what is older than this many days (1 to 3650); `CURBSIDE_RETENTION_DAYS` when absent.
    pub older_than_days: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EraseBody {
    /// The commenter's platform user id (as the platform sent it).
    pub author_id: String,
    /// Only on this platform; every platform when absent.
    pub platform: Option<Platform>,
}

/// Platform user ids are at most this many characters.
pub const AUTHOR_ID_MAX: usize = 200;

/// The unix-ms moment before which data is purged, `days` before now.
pub fn retention_cutoff(days: u32) -> i64 {
    curbside_store::now_millis() - i64::from(days) * 24 * 3600 * 1000
}

/// Purge raw comments and commenter identities older than the retention period now.
#[utoipa::path(post, path = "/api/admin/purge", tag = "retention", request_body(content = PurgeBody, description = "optional"),
    responses((status = 200, body = RetentionReport)))]
pub async fn purge(
    State(state): State<AppState>,
    staff: Can<can::GovernData>,
    body: Bytes,
) -> ApiResult<ApiJson<RetentionReport>> {
    let b: PurgeBody = super::optional_json(&body)?;
    let days = b.older_than_days.unwrap_or(state.config.retention_days);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::Unprocessable("`older_than_days` must be between 1 and 3650".into()));
    }
    let report =
        state.db("retention.purge", state.store.purge_before(retention_cutoff(days), &staff.actor())).await?;
    tracing::info!(days, comments = report.comments, questions = report.questions, "purged commenter data");
    Ok(ApiJson(report))
}

/// Erase one commenter's data (comments, name, id, raw wording) by platform user id.
#[utoipa::path(post, path = "/api/admin/erase", tag = "retention", request_body = EraseBody,
    responses((status = 200, body = RetentionReport)))]
pub async fn erase(
    State(state): State<AppState>,
    staff: Can<can::GovernData>,
    ApiJson(b): ApiJson<EraseBody>,
) -> ApiResult<ApiJson<RetentionReport>> {
    let author = b.author_id.trim();
    if author.is_empty() || b.author_id.chars().count() > AUTHOR_ID_MAX {
        return Err(ApiError::Unprocessable("`author_id` must be a platform user id".into()));
    }
    let report =
        state.db("retention.erase", state.store.erase_commenter(b.platform, author, &staff.actor())).await?;
    tracing::info!(comments = report.comments, "erased a commenter's data");
    Ok(ApiJson(report))
}

/// Purges on schedule: once at start, then hourly, until shutdown.
pub fn spawn_scheduled_purge(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (store, days, shutdown) = (state.store.clone(), state.config.retention_days, state.shutdown.clone());
    tokio::spawn(async move {
        let actor = curbside_store::Actor::system("retention schedule");
        loop {
            match store.purge_before(retention_cutoff(days), &actor).await {
                Ok(r) if r.comments > 0 => {
                    tracing::info!(days, comments = r.comments, "purged commenter data")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduled purge failed; retrying in an hour"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            }
        }
    })
}
