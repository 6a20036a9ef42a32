//! Polling, because webhooks alone are not enough (App Review, late or lost deliveries, and
//! Instagram stops them when the broadcast ends). One task per source of every live session,
//! on the one node holding the source's polling lease; polled and webhook copies of a comment
//! dedupe on the platform id in the store, and the polling position is stored, so a source that
//! moves to another node loses and doubles nothing.

use crate::graph::{GraphCallError, GraphClient};
use crate::ingest::{comment_text, IngestReport};
use crate::metrics::{ConnectorMetrics, SourceLabels};
use curbside_domain::{Platform, SessionStatus, SourceId, SourceSpec, SourceState};
use curbside_meta::{ErrorClass, IgRestComment, Usage};
use curbside_store::{IncomingComment, SourceRecord, Store};
use dashmap::DashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct PollerConfig {
    /// The usual pause between rounds (Meta's own tools use about 3 s).
    pub interval: Duration,
    /// Quiet sources slow down to this; busy or throttled ones never go faster than `interval`.
    pub max_interval: Duration,
    /// How often the supervisor looks for sessions that went live.
    pub supervise_every: Duration,
    /// Pages followed in one round before pausing (a backlog is drained over several rounds).
    pub max_pages_per_round: usize,
    /// Longest pause after repeated transient failures.
    pub max_backoff: Duration,
    /// This node's name in polling leases (`CURBSIDE_NODE_ID`).
    pub node: String,
    /// How long a polling lease lasts without renewal: a source whose node died is taken over
    /// by another within this plus `supervise_every`. Renewed every third of it.
    pub lease: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        PollerConfig {
            interval: Duration::from_secs(3),
            max_interval: Duration::from_secs(12),
            supervise_every: Duration::from_secs(1),
            max_pages_per_round: 20,
            max_backoff: Duration::from_secs(60),
            node: "curbside".into(),
            lease: Duration::from_secs(6),
        }
    }
}

/// Starts the supervisor, which starts and ends one polling task per live source. The
/// returned task ends after `shutdown` once every source task has ended.
pub fn spawn_pollers(
    store: Store,
    graph: GraphClient,
    metrics: ConnectorMetrics,
    config: PollerConfig,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let running: Arc<DashMap<SourceId, ()>> = Arc::new(DashMap::new());
        loop {
            match store.live_sources().await {
                Ok(sources) => {
                    for source in sources {
                        let stopped = matches!(
                            source.state,
                            SourceState::NeedsReauth | SourceState::PermissionDenied | SourceState::Stopped
                        );
                        if stopped || running.contains_key(&source.id) {
                            continue;
                        }
                        match store.hold_poll_lease(source.id, &config.node, config.lease).await {
                            Ok(true) => {}
                            // Another node polls it; this one looks again next time round.
                            Ok(false) => continue,
                            Err(e) => {
                                tracing::warn!(source_id = %source.id, error = %e, "cannot take a polling lease");
                                continue;
                            }
                        }
                        running.insert(source.id, ());
                        let poller = SourcePoller {
                            store: store.clone(),
                            graph: graph.clone(),
                            metrics: metrics.clone(),
                            config: config.clone(),
                            source: source.id,
                        };
                        let running = running.clone();
                        let shutdown = shutdown.clone();
                        tokio::spawn(async move {
                            poller.run(shutdown).await;
                            // Let another node (or this one, later) take it without waiting.
                            if let Err(e) =
                                poller.store.release_poll_lease(poller.source, &poller.config.node).await
                            {
                                tracing::warn!(source_id = %poller.source, error = %e, "cannot release a polling lease");
                            }
                            running.remove(&poller.source);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list live sources"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(config.supervise_every) => {}
            }
        }
        // Let each source's task finish its round, so nothing writes after the store closes.
        while !running.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

struct SourcePoller {
    store: Store,
    graph: GraphClient,
    metrics: ConnectorMetrics,
    config: PollerConfig,
    source: SourceId,
}

/// Why a round failed: the platform (acted on per Meta's error table, and shown as the
/// source's health) or our own database (retried, but not the source's fault).
#[derive(Debug)]
enum RoundError {
    Graph(GraphCallError),
    Store(curbside_store::StoreError),
}

impl From<GraphCallError> for RoundError {
    fn from(e: GraphCallError) -> Self {
        RoundError::Graph(e)
    }
}

/// What one round found.
struct Round {
    report: IngestReport,
    usage: Option<Usage>,
}

impl SourcePoller {
    async fn run(&self, shutdown: CancellationToken) {
        let mut interval = self.config.interval;
        let mut failures: u32 = 0;
        let mut recorded: Option<(SourceState, Option<i64>)> = None;
        loop {
            let source = match self.store.source(self.source).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(source_id = %self.source, error = %e, "cannot read source; stopping its poller");
                    return;
                }
            };
            // When the session has ended, this round is the last: a final backfill.
            let last_round = source.session_status != SessionStatus::Live;
            let pause = match self.round(&source).await {
                Ok(round) => {
                    failures = 0;
                    let usage = round.usage.map(|u| u.max_percent);
                    self.health(&mut recorded, SourceState::Healthy, None, usage).await;
                    interval = next_interval(&self.config, interval, round.report.stored > 0, usage);
                    interval
                }
                Err(RoundError::Store(e)) => {
                    failures += 1;
                    tracing::error!(source_id = %self.source, error = %e, "storing polled comments failed");
                    backoff(&self.config, failures)
                }
                Err(RoundError::Graph(e)) => {
                    let class = e.class();
                    self.metrics.graph(class.as_str());
                    let message = e.to_string();
                    tracing::warn!(source_id = %self.source, class = class.as_str(), error = %message, "polling failed");
                    let usage = e.usage().map(|u| u.max_percent);
                    match class {
                        ErrorClass::Reauth => {
                            self.health(&mut recorded, SourceState::NeedsReauth, Some(&message), usage).await;
                            return;
                        }
                        ErrorClass::PermissionDenied => {
                            self.health(&mut recorded, SourceState::PermissionDenied, Some(&message), usage)
                                .await;
                            return;
                        }
                        ErrorClass::InvalidRequest => {
                            self.health(&mut recorded, SourceState::Stopped, Some(&message), usage).await;
                            return;
                        }
                        ErrorClass::Throttled => {
                            failures += 1;
                            self.health(&mut recorded, SourceState::Degraded, Some(&message), usage).await;
                            e.usage()
                                .and_then(|u| u.regain_after)
                                .filter(|d| !d.is_zero())
                                .unwrap_or_else(|| backoff(&self.config, failures))
                        }
                        ErrorClass::Blocked => {
                            self.health(&mut recorded, SourceState::Degraded, Some(&message), usage).await;
                            Duration::from_secs(15 * 60)
                        }
                        ErrorClass::Transient => {
                            failures += 1;
                            self.health(&mut recorded, SourceState::Degraded, Some(&message), usage).await;
                            backoff(&self.config, failures)
                        }
                    }
                }
            };
            if last_round || !self.wait_holding_lease(pause, &shutdown).await {
                return;
            }
        }
    }

    /// Waits `pause`, renewing the polling lease every third of its length; false if the
    /// lease was lost (another node took the source over after a stall) or on shutdown.
    async fn wait_holding_lease(&self, pause: Duration, shutdown: &CancellationToken) -> bool {
        let until = tokio::time::Instant::now() + pause;
        let renew_every = (self.config.lease / 3).max(Duration::from_millis(10));
        loop {
            match self.store.hold_poll_lease(self.source, &self.config.node, self.config.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(source_id = %self.source, "another node took over polling this source");
                    return false;
                }
                // The database is unreachable: keep polling; the lease says who polls once it is back.
                Err(e) => {
                    tracing::warn!(source_id = %self.source, error = %e, "cannot renew a polling lease")
                }
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return true;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return false,
                _ = tokio::time::sleep((until - now).min(renew_every)) => {}
            }
        }
    }

    /// Records health only when it changed (state, or usage by a whole percent): a poll every
    /// few seconds should not mean a database write every few seconds.
    async fn health(
        &self,
        recorded: &mut Option<(SourceState, Option<i64>)>,
        state: SourceState,
        error: Option<&str>,
        usage: Option<f64>,
    ) {
        if let Some(u) = usage {
            self.metrics.source_usage.get_or_create(&SourceLabels { source: self.source.to_string() }).set(u);
        }
        self.metrics.source_state(&self.source.to_string(), state);
        let key = (state, usage.map(|u| u.round() as i64));
        if recorded.as_ref() == Some(&key) && error.is_none() {
            return;
        }
        match self.store.record_source_health(self.source, state, error, usage).await {
            Ok(()) => *recorded = Some(key),
            Err(e) => tracing::warn!(source_id = %self.source, error = %e, "cannot record source health"),
        }
    }

    async fn round(&self, source: &SourceRecord) -> Result<Round, RoundError> {
        match &source.spec {
            SourceSpec::Facebook { page_id, live_video_id, video_id } => {
                if video_id.is_none() {
                    resolve_video_id(&self.store, &self.graph, source).await?;
                    self.metrics.graph("ok");
                }
                self.facebook_round(source, page_id, live_video_id).await
            }
            SourceSpec::Instagram { ig_user_id, media_id } => {
                self.instagram_round(source, ig_user_id, media_id).await
            }
        }
    }

    async fn facebook_round(
        &self,
        source: &SourceRecord,
        page_id: &str,
        live_video_id: &str,
    ) -> Result<Round, RoundError> {
        let token = &source.access_token;
        // One second of overlap: comments written in the same second as the last one seen are
        // fetched again and deduped, never missed.
        let since = source.poll_since.map(|s| s - 1);
        let (mut page, mut usage) = self.graph.fb_comments(live_video_id, since, token).await?;
        self.metrics.graph("ok");
        let mut comments = Vec::new();
        let mut report = IngestReport::default();
        let mut newest: Option<i64> = None;
        let mut pages = 1;
        loop {
            for c in page.comments.drain(..) {
                if c.author_id.as_deref() == Some(page_id) {
                    report.self_authored += 1;
                    continue;
                }
                let at = c.created_at.unwrap_or_else(curbside_store::now_millis);
                newest = Some(newest.map_or(at, |n: i64| n.max(at)));
                comments.push(IncomingComment {
                    session_id: source.session_id,
                    source_id: Some(source.id),
                    platform: Platform::Facebook,
                    platform_comment_id: c.comment_id,
                    author_id: c.author_id,
                    author_name: c.author_name,
                    text: comment_text(c.message.as_deref(), c.has_attachment),
                    parent_id: c.parent_id,
                    platform_time: at,
                    via: "poll".into(),
                });
            }
            // An empty page may still have `next`: stop only when it is missing.
            let Some(next) = page.next.take() else { break };
            if pages >= self.config.max_pages_per_round {
                break;
            }
            let (p, u) = self.graph.fb_comments_next(&next, token).await?;
            self.metrics.graph("ok");
            page = p;
            usage = merge_usage(usage, u);
            pages += 1;
        }
        self.ingest(comments, &mut report).await?;
        if let Some(newest) = newest {
            if let Err(e) = self.store.set_poll_since(source.id, newest / 1000).await {
                tracing::warn!(source_id = %source.id, error = %e, "cannot record the polling position");
            }
        }
        Ok(Round { report, usage })
    }

    async fn instagram_round(
        &self,
        source: &SourceRecord,
        ig_user_id: &str,
        media_id: &str,
    ) -> Result<Round, RoundError> {
        let token = &source.access_token;
        let mut comments = Vec::new();
        let mut report = IngestReport::default();
        let mut next: Option<String> = None;
        let mut usage = None;
        for _ in 0..self.config.max_pages_per_round {
            let (page, u) = self.graph.ig_comments(media_id, next.as_deref(), token).await?;
            self.metrics.graph("ok");
            usage = merge_usage(usage, u);
            for c in page.comments {
                flatten_ig(c, &mut |c: IgRestComment| {
                    if c.author_id.as_deref() == Some(ig_user_id) {
                        report.self_authored += 1;
                        return;
                    }
                    comments.push(IncomingComment {
                        session_id: source.session_id,
                        source_id: Some(source.id),
                        platform: Platform::Instagram,
                        platform_comment_id: c.comment_id,
                        author_id: c.author_id,
                        author_name: c.username,
                        text: c.text,
                        parent_id: c.parent_id,
                        platform_time: c.created_at.unwrap_or_else(curbside_store::now_millis),
                        via: "poll".into(),
                    });
                });
            }
            next = page.next;
            if next.is_none() {
                break;
            }
        }
        self.ingest(comments, &mut report).await?;
        Ok(Round { report, usage })
    }

    async fn ingest(
        &self,
        comments: Vec<IncomingComment>,
        report: &mut IngestReport,
    ) -> Result<(), RoundError> {
        let outcome = self.store.ingest_comments(comments).await.map_err(RoundError::Store)?;
        report.stored = outcome.stored;
        report.duplicates = outcome.duplicates;
        self.metrics.record_ingest("poll", report);
        Ok(())
    }
}

/// Looks up the video behind a Facebook source's live video and records it, so webhooks naming
/// `post_id = {page_id}_{video_id}` match the source. Done when the session is created and, if
/// that failed, again by the poller.
pub async fn resolve_video_id(
    store: &Store,
    graph: &GraphClient,
    source: &SourceRecord,
) -> Result<(), GraphCallError> {
    let SourceSpec::Facebook { live_video_id, video_id: None, .. } = &source.spec else { return Ok(()) };
    let video = graph.live_video_video_id(live_video_id, &source.access_token).await?;
    if let Err(e) = store.set_video_id(source.id, &video).await {
        tracing::warn!(source_id = %source.id, error = %e, "cannot record the video id");
    }
    Ok(())
}

fn flatten_ig(mut c: IgRestComment, out: &mut impl FnMut(IgRestComment)) {
    let replies = std::mem::take(&mut c.replies);
    out(c);
    for r in replies {
        flatten_ig(r, out);
    }
}

fn merge_usage(a: Option<Usage>, b: Option<Usage>) -> Option<Usage> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Busy sources poll at the base rate; quiet ones slow down gradually; once Meta reports more
/// than 75 % of the budget used, the pause grows with it (up to 4× at 100 %).
fn next_interval(config: &PollerConfig, current: Duration, found_new: bool, usage: Option<f64>) -> Duration {
    let base = if found_new { config.interval } else { current.mul_f64(1.5).min(config.max_interval) };
    match usage {
        Some(u) if u > 75.0 => base.mul_f64(1.0 + (u.min(100.0) - 75.0) / 25.0 * 3.0),
        _ => base,
    }
}

/// Exponential backoff from the base interval with ±20 % jitter, so many sources failing
/// together do not retry together.
fn backoff(config: &PollerConfig, failures: u32) -> Duration {
    let exp = config.interval.saturating_mul(1u32 << failures.min(6)).min(config.max_backoff);
    exp.mul_f64(0.8 + rand::random::<f64>() * 0.4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_sources_slow_down_and_busy_ones_return_to_the_base_rate() {
        let c = PollerConfig::default();
        let slower = next_interval(&c, c.interval, false, None);
        assert!(slower > c.interval);
        assert_eq!(next_interval(&c, Duration::from_secs(12), false, None), c.max_interval);
        assert_eq!(next_interval(&c, slower, true, None), c.interval);
    }

    #[test]
    fn high_usage_stretches_the_pause() {
        let c = PollerConfig::default();
        assert_eq!(next_interval(&c, c.interval, true, Some(50.0)), c.interval);
        assert_eq!(next_interval(&c, c.interval, true, Some(100.0)), c.interval * 4);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let c = PollerConfig::default();
        assert!(backoff(&c, 1) < backoff(&c, 4).mul_f64(1.5));
        assert!(backoff(&c, 30) <= c.max_backoff.mul_f64(1.2));
    }
}
