//! What every request handler shares: the store, the hub, metrics, configuration and the
//! shutdown signal. Cheap to clone (everything is behind `Arc`).

use crate::config::Config;
use crate::metrics::Metrics;
use crate::signin::{LoginLimiter, PasswordPool};
use curbside_hub::Hub;
use curbside_store::Store;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub connectors: curbside_connectors::ConnectorMetrics,
    /// The Graph API client, when Meta is configured (`CURBSIDE_META_APP_SECRET`).
    pub graph: Option<curbside_connectors::GraphClient>,
    pub login_limiter: Arc<LoginLimiter>,
    /// The public pages' render cache and the ask form's per-address limit.
    pub public: Arc<crate::public::PublicState>,
    /// The bounded pool every sign-in's password check runs on.
    pub passwords: PasswordPool,
    /// Cancelled on SIGTERM/Ctrl-C: long-lived connections close with "going away".
    pub shutdown: CancellationToken,
    /// Upgraded WebSockets outlive their HTTP request; shutdown waits for them here.
    pub connections: TaskTracker,
}

impl AppState {
    /// Times a database call into the `curbside_db_seconds{op}` histogram.
    pub async fn db<T, E>(
        &self,
        op: &'static str,
        fut: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let start = std::time::Instant::now();
        let out = fut.await;
        self.metrics.observe_db(op, start.elapsed());
        out
    }
}
