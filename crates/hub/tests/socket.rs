//! The WebSocket driver behind a real axum server on port 0, spoken to by a real client.

mod common;

use axum::extract::{Query, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use common::{Fixture, PATIENCE};
use curbside_domain::{Role, UserId};
use curbside_hub::{serve_socket, ConnectionKind, Hub, HubConfig, StaffPrincipal};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Clone)]
struct AppState {
    hub: Hub,
    shutdown: CancellationToken,
}

/// `?staff` stands in for the server's token check.
async fn ws(
    upgrade: WebSocketUpgrade,
    Query(query): Query<HashMap<String, String>>,
    State(state): State<AppState>,
) -> Response {
    let principal =
        query.contains_key("staff").then_some(StaffPrincipal { user_id: UserId(1), role: Role::Moderator });
    upgrade
        .read_buffer_size(4096)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| serve_socket(state.hub, socket, principal, state.shutdown))
}

struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
}

/// Serves `hub` on 127.0.0.1:0; `send_buffer` shrinks the kernel's send buffer of accepted
/// sockets so a client that stops reading backs up quickly.
async fn serve(hub: Hub, send_buffer: Option<u32>) -> Server {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = send_buffer {
        socket.set_send_buffer_size(size).expect("SO_SNDBUF");
    }
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let listener = socket.listen(1024).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let app = Router::new().route("/ws", get(ws)).with_state(AppState { hub, shutdown: shutdown.clone() });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, shutdown }
}

async fn connect(server: &Server, query: &str) -> Client {
    let url = format!("ws://{}/ws{query}", server.addr);
    let (client, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    client
}

async fn send(client: &mut Client, frame: Value) {
    client.send(Message::text(frame.to_string())).await.expect("send");
}

/// The next text frame as JSON (Pings are skipped; the client library answers them).
async fn recv(client: &mut Client) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, client.next())
            .await
            .expect("no frame in time")
            .expect("the connection ended")
            .expect("a frame");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame and returns its code.
async fn close_code(client: &mut Client) -> u16 {
    loop {
        match tokio::time::timeout(PATIENCE, client.next()).await.expect("no close in time") {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("the connection failed before the close frame: {e}"),
            None => panic!("the connection ended without a close frame"),
        }
    }
}

fn kind(frame: &Value) -> &str {
    frame["type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_client_resuming_with_since_gets_the_missed_events_then_live_ones() {
    let f = Fixture::new(HubConfig::default()).await;
    let written = f.comments(3).await; // 2, 3, 4
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "?staff").await;

    send(&mut client, json!({"type": "subscribe", "session_id": f.session, "audience": "staff", "since": 2}))
        .await;
    assert_eq!(
        recv(&mut client).await,
        json!({"type": "subscribed", "session_id": f.session, "audience": "staff", "since": 2, "head": 4})
    );
    for stored in &written[1..] {
        let frame = recv(&mut client).await;
        let staff: Value = serde_json::from_str(&stored.staff_json).expect("stored JSON");
        assert_eq!(
            frame,
            json!({"type": "event", "session_id": f.session, "offset": stored.offset, "event": staff})
        );
    }
    assert_eq!(
        recv(&mut client).await,
        json!({"type": "replayed", "session_id": f.session, "audience": "staff", "offset": 4})
    );

    let live = f.comments(1).await;
    let frame = recv(&mut client).await;
    assert_eq!((kind(&frame), &frame["offset"]), ("event", &json!(live[0].offset)));
}

#[tokio::test]
async fn a_viewer_follows_the_public_audience_by_slug() {
    let f = Fixture::new(HubConfig::default()).await;
    let slug = f.store.session(f.session).await.expect("session").slug;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "").await;

    send(&mut client, json!({"type": "subscribe", "slug": slug.as_str(), "audience": "public"})).await;
    let subscribed = recv(&mut client).await;
    assert_eq!((kind(&subscribed), &subscribed["since"]), ("subscribed", &json!(1)));
    assert_eq!(kind(&recv(&mut client).await), "replayed");

    f.comments(1).await; // 2, staff only
    let live = f.flip_status().await; // 3
    let frame = recv(&mut client).await;
    let public: Value = serde_json::from_str(live.public_json.as_deref().expect("public")).expect("JSON");
    assert_eq!(frame, json!({"type": "event", "session_id": f.session, "offset": 3, "event": public}));

    send(&mut client, json!({"type": "unsubscribe", "session_id": f.session})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "unsubscribed", "session_id": f.session}));
    f.flip_status().await;
    send(&mut client, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong"}), "no event after unsubscribing");
}

#[tokio::test]
async fn bad_requests_get_error_frames_and_the_connection_stays_open() {
    let f = Fixture::new(HubConfig::default()).await;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "").await;

    client.send(Message::text("{not json")).await.expect("send");
    let e = recv(&mut client).await;
    assert_eq!((kind(&e), e["code"].as_str()), ("error", Some("bad_request")));

    send(&mut client, json!({"type": "shout"})).await;
    let e = recv(&mut client).await;
    assert_eq!(e["code"], "unknown_type");
    assert!(e["message"].as_str().unwrap_or("").contains("\"shout\""), "{e}");

    send(&mut client, json!({"type": "subscribe", "session_id": 999, "audience": "public"})).await;
    assert_eq!(recv(&mut client).await["code"], "unknown_session");

    send(&mut client, json!({"type": "subscribe", "session_id": f.session, "audience": "staff"})).await;
    let e = recv(&mut client).await;
    assert_eq!((e["code"].as_str(), &e["session_id"]), (Some("forbidden"), &json!(f.session)));

    send(&mut client, json!({"type": "subscribe", "session_id": f.session, "audience": "everyone"})).await;
    assert_eq!(recv(&mut client).await["code"], "bad_request");

    send(&mut client, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn a_connection_over_the_limit_is_closed_with_1013() {
    let f = Fixture::new(HubConfig { max_public_connections: 1, ..HubConfig::default() }).await;
    let server = serve(f.hub.clone(), None).await;
    let mut first = connect(&server, "").await;
    send(&mut first, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut first).await, json!({"type": "pong"}));

    let mut second = connect(&server, "").await;
    assert_eq!(close_code(&mut second).await, 1013);
    assert_eq!(f.hub.metrics().open_connections(ConnectionKind::WebSocket), 1);
}

#[tokio::test]
async fn server_shutdown_closes_sockets_with_1001() {
    let f = Fixture::new(HubConfig::default()).await;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "").await;
    send(&mut client, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong"}));
    server.shutdown.cancel();
    assert_eq!(close_code(&mut client).await, 1001);
}

#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_timeout_with_4000() {
    let f =
        Fixture::new(HubConfig { idle_timeout: Duration::from_millis(150), ..HubConfig::default() }).await;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "").await;
    assert_eq!(close_code(&mut client).await, 4000);
}

#[tokio::test]
async fn the_server_pings_and_a_client_that_answers_stays_connected() {
    let config = HubConfig {
        ping_interval: Duration::from_millis(50),
        idle_timeout: Duration::from_millis(400),
        ..HubConfig::default()
    };
    let f = Fixture::new(config).await;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "").await;
    // Reading lets the client library answer each Ping with a Pong.
    let mut pings = 0;
    while pings < 16 {
        match tokio::time::timeout(PATIENCE, client.next()).await.expect("a ping in time") {
            Some(Ok(Message::Ping(_))) => pings += 1,
            other => panic!("expected a ping, got {other:?}"),
        }
    }
    send(&mut client, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong"}), "alive well past the idle timeout");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_4008_and_does_not_hold_up_others() {
    let config = HubConfig { send_timeout: Duration::from_millis(200), ..HubConfig::default() };
    let f = Fixture::new(config).await;
    let server = serve(f.hub.clone(), Some(4096)).await;
    let subscribe = json!({"type": "subscribe", "session_id": f.session, "audience": "staff"});

    // The stalled client's socket takes little before it backs up.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(server.addr).await.expect("connect");
    let (mut stalled, _) = tokio_tungstenite::client_async(
        format!("ws://{}/ws?staff", server.addr),
        MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("handshake");
    send(&mut stalled, subscribe.clone()).await;
    assert_eq!(kind(&recv(&mut stalled).await), "subscribed");

    let mut reader = connect(&server, "?staff").await;
    send(&mut reader, subscribe).await;
    assert_eq!(kind(&recv(&mut reader).await), "subscribed");
    assert_eq!(kind(&recv(&mut reader).await), "replayed");

    // About 30 KB per event: far more than the stalled client's buffers hold.
    let text = "Is it safe to exercise after a stent? ".repeat(200);
    let written = f.comments_with_text(&f.store, 20, &text).await;
    for stored in &written {
        let frame = recv(&mut reader).await;
        assert_eq!(frame["offset"], json!(stored.offset), "the reading client gets every event");
    }

    let deadline = tokio::time::Instant::now() + PATIENCE;
    while f.hub.metrics().open_connections(ConnectionKind::WebSocket) != 1 {
        assert!(tokio::time::Instant::now() < deadline, "the stalled client was never disconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut text = String::new();
    let mut registry = prometheus_client::registry::Registry::with_prefix("curbside");
    f.hub.metrics().register(&mut registry);
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
    assert!(text.contains("curbside_hub_slow_disconnects_total 1"), "{text}");
    drop(stalled);
}

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() {
    let f = Fixture::new(HubConfig { max_subscriptions_per_connection: 1, ..HubConfig::default() }).await;
    let server = serve(f.hub.clone(), None).await;
    let mut client = connect(&server, "?staff").await;
    let public = json!({"type": "subscribe", "session_id": f.session, "audience": "public", "since": 0});

    send(&mut client, public.clone()).await;
    assert_eq!(kind(&recv(&mut client).await), "subscribed");
    assert_eq!(kind(&recv(&mut client).await), "event");
    assert_eq!(kind(&recv(&mut client).await), "replayed");

    // The same session and audience again replaces the subscription (a client after a reload).
    send(&mut client, public).await;
    assert_eq!(kind(&recv(&mut client).await), "subscribed");
    assert_eq!(kind(&recv(&mut client).await), "event");
    assert_eq!(kind(&recv(&mut client).await), "replayed");

    send(&mut client, json!({"type": "subscribe", "session_id": f.session, "audience": "staff"})).await;
    let e = recv(&mut client).await;
    assert_eq!(e["code"], "too_many_subscriptions", "{e}");
}
