//! The public SSE stream: chunk format, keep-alives, reload and shutdown.

mod common;

use bytes::Bytes;
use common::{Fixture, PATIENCE};
use curbside_domain::{EventAudience, Offset};
use curbside_hub::{sse_stream, ConnectionKind, HubConfig};
use futures_util::{Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn chunk(stream: &mut (impl Stream<Item = Result<Bytes, Infallible>> + Unpin)) -> Option<String> {
    let next = tokio::time::timeout(PATIENCE, stream.next()).await.expect("the stream stalled");
    next.map(|c| match c {
        Ok(bytes) => String::from_utf8(bytes.to_vec()).expect("utf-8"),
        Err(never) => match never {},
    })
}

#[tokio::test]
async fn each_public_event_is_one_message_with_the_offset_as_id() {
    let f = Fixture::new(HubConfig::default()).await;
    f.comments(1).await; // 2, staff only
    let live = f.flip_status().await; // 3
    let sub = f.hub.subscribe(f.session, EventAudience::Public, Offset(1)).await.expect("subscribe");
    let mut stream = Box::pin(sse_stream(sub, CancellationToken::new()));

    let public_json = live.public_json.expect("public");
    assert_eq!(chunk(&mut stream).await, Some(format!("id: 3\ndata: {public_json}\n\n")));
    assert_eq!(f.hub.metrics().open_connections(ConnectionKind::Sse), 1);

    f.comments(1).await; // 4, not for the public
    let ended = f.flip_status().await; // 5
    let expected = format!("id: 5\ndata: {}\n\n", ended.public_json.expect("public"));
    assert_eq!(chunk(&mut stream).await, Some(expected));

    drop(stream);
    assert_eq!(f.hub.metrics().open_connections(ConnectionKind::Sse), 0);
}

#[tokio::test]
async fn an_idle_stream_sends_keep_alive_comments() {
    let f =
        Fixture::new(HubConfig { ping_interval: Duration::from_millis(30), ..HubConfig::default() }).await;
    let sub = f.hub.subscribe_from_head(f.session, EventAudience::Public).await.expect("subscribe");
    let mut stream = Box::pin(sse_stream(sub, CancellationToken::new()));
    assert_eq!(chunk(&mut stream).await.as_deref(), Some(": keep-alive\n\n"));
}

#[tokio::test]
async fn a_stream_that_cannot_resume_in_order_ends_with_a_reload_event() {
    let f = Fixture::new(HubConfig::default()).await;
    let sub = f.hub.subscribe(f.session, EventAudience::Public, Offset(77)).await.expect("subscribe");
    let mut stream = Box::pin(sse_stream(sub, CancellationToken::new()));
    let reload = chunk(&mut stream).await.expect("a reload event");
    assert!(
        reload.starts_with("event: reload\ndata: {\"reason\":\"unknown_offset\",\"message\":\""),
        "{reload}"
    );
    assert!(reload.ends_with("\"}\n\n") && reload.matches('\n').count() == 3, "one data line: {reload}");
    assert_eq!(chunk(&mut stream).await, None);
}

#[tokio::test]
async fn shutdown_ends_the_stream() {
    let f = Fixture::new(HubConfig::default()).await;
    let sub = f.hub.subscribe_from_head(f.session, EventAudience::Public).await.expect("subscribe");
    let shutdown = CancellationToken::new();
    let mut stream = Box::pin(sse_stream(sub, shutdown.clone()));
    shutdown.cancel();
    assert_eq!(chunk(&mut stream).await, None);
    assert_eq!(f.hub.open_channels(), 0, "the subscription went with the stream");
}
