//! Follows the commits of other nodes sharing this PostgreSQL database: each notification
//! (session, new head) goes to [`Hub::log_advanced`], and the channel reads the events from the
//! log. A lost listener connection is re-established and every followed session is re-read, so a
//! notification missed meanwhile delays events but never loses them.

use crate::Hub;
use curbside_store::LogNews;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The longest pause between attempts to reopen the listener.
const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(5);

/// Starts following the log's notifications; `None` on SQLite (one node, nothing to follow).
/// The task ends when `shutdown` is cancelled.
pub fn spawn_log_follower(hub: Hub, shutdown: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
    if hub.store().backend() != curbside_store::Backend::Postgres {
        return None;
    }
    Some(tokio::spawn(follow(hub, shutdown)))
}

async fn follow(hub: Hub, shutdown: CancellationToken) {
    let metrics = hub.metrics().clone();
    let mut connected_before = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        let opened = tokio::select! {
            _ = shutdown.cancelled() => return,
            opened = hub.store().listen_to_log() => opened,
        };
        match opened {
            Ok(Some(mut listener)) => {
                metrics.log_listener_up.set(1);
                if connected_before {
                    metrics.log_listener_reconnects.inc();
                    tracing::warn!("the log listener reconnected; re-reading every followed session");
                }
                connected_before = true;
                // Whatever was committed before the LISTEN took effect is read here; whatever after,
                // arrives as a notification.
                let mut healthy = catch_up(&hub).await;
                while healthy {
                    let news = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        news = listener.next() => news,
                    };
                    match news {
                        Ok(LogNews::Advanced(a)) => {
                            metrics.log_notifications.inc();
                            hub.log_advanced(a.session, a.head);
                        }
                        Ok(LogNews::Reconnected) => {
                            metrics.log_listener_reconnects.inc();
                            tracing::warn!("the log listener reconnected; re-reading every followed session");
                            healthy = catch_up(&hub).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "the log listener lost its connection");
                            healthy = false;
                        }
                    }
                    backoff = Duration::from_millis(100);
                }
                metrics.log_listener_up.set(0);
            }
            Ok(None) => return,
            Err(e) => tracing::warn!(error = %e, "cannot open the log listener; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
    }
}

/// Tells every channel open on this node the log's current head; its gap filler reads whatever
/// this node has not delivered. False if the database could not be read (the caller reconnects
/// and tries again).
async fn catch_up(hub: &Hub) -> bool {
    for session in hub.followed_sessions() {
        match hub.store().last_offset(session).await {
            Ok(Some(head)) => hub.log_advanced(session, head),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(session = %session, error = %e, "cannot read a session's head after reconnecting");
                return false;
            }
        }
    }
    true
}
