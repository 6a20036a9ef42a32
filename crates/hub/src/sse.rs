//! The public live stream as Server-Sent Events: the shared pre-built chunks of a
//! subscription, keep-alive comments, and a final `reload` event when order cannot be kept.
//!
//! The server wraps the stream in a `text/event-stream` body. Browsers reconnect on their own
//! with `Last-Event-ID`, which the server turns back into a subscription's `since`.

use crate::metrics::ConnectionKind;
use crate::subscription::{Item, ReloadReason, Subscription};
use bytes::Bytes;
use futures_util::Stream;
use std::convert::Infallible;
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// The `event: reload` message that ends a stream whose client must reload its state.
pub fn sse_reload_chunk(reason: ReloadReason) -> Bytes {
    #[derive(serde::Serialize)]
    struct Reload {
        reason: &'static str,
        message: &'static str,
    }
    let data = serde_json::to_string(&Reload { reason: reason.code(), message: reason.message() })
        .unwrap_or_else(|_| format!("{{\"reason\":\"{}\"}}", reason.code()));
    Bytes::from(format!("event: reload\ndata: {data}\n\n"))
}

/// Streams `sub`'s events as SSE messages (`id: <offset>`, `data: <payload>`), a keep-alive
/// comment every `ping_interval`, and ends on `shutdown` or after a `reload` event. The
/// subscription should be a public one; staff events carry staff payloads.
pub fn sse_stream(
    sub: Subscription,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let period = sub.config().ping_interval;
    let gauge = sub.metrics().open_connection(ConnectionKind::Sse);
    let mut keep_alive = interval_at(Instant::now() + period, period);
    keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // A token of the stream's own: waiting on the server-wide one from every stream would take
    // that token's one lock twice per event on every connection.
    let shutdown = shutdown.child_token();
    let state = SseState { sub, shutdown, keep_alive, _gauge: gauge };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut st = state?;
        loop {
            let chunk = tokio::select! {
                biased;
                _ = st.shutdown.cancelled() => return None,
                item = st.sub.next() => match item {
                    Item::Frame(frame) => frame.sse_chunk(),
                    Item::Replayed { .. } | Item::Resync { .. } => continue,
                    Item::Reload { reason } => return Some((Ok(sse_reload_chunk(reason)), None)),
                },
                _ = st.keep_alive.tick() => Bytes::from_static(KEEP_ALIVE),
            };
            return Some((Ok(chunk), Some(st)));
        }
    })
}

struct SseState {
    sub: Subscription,
    shutdown: CancellationToken,
    keep_alive: tokio::time::Interval,
    _gauge: crate::metrics::ConnectionGauge,
}
