//! The abuse suite: what an anonymous stranger can throw at the server over loopback, with the
//! bounds it must hold. Counts are scaled down to keep the suite fast; the full-size figures of
//! the release build are in docs/measurements.md (`scripts/measure-abuse.py`).

use curbside_tests::{ingest, on_both_backends, Backend, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

/// Wrong passwords one after the other until the server refuses (at most the per-client
/// allowance of 5 checks); returns the refusal's status and whether it had `Retry-After`.
async fn guess_until_refused(app: &TestApp, forwarded_for: Option<&str>) -> (u16, bool) {
    for _ in 0..6 {
        let (status, retry) = sign_in(app, ADMIN_EMAIL, "another-guess", forwarded_for).await;
        if status != 401 {
            return (status, retry.is_some());
        }
    }
    (401, false)
}

/// Signs in with `x-forwarded-for: forwarded_for` (when given); returns the status and the
/// `Retry-After` header.
async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, Option<String>) {
    let mut req = app.http.post(app.url("/api/login")).json(&json!({"email": email, "password": password}));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let resp = req.send().await.expect("sign-in request");
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (resp.status().as_u16(), retry)
}

async fn metrics(app: &TestApp) -> String {
    let resp = app.http.get(app.url("/metrics")).send().await.expect("metrics");
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("metrics text")
}

/// The value of one sample line of `/metrics`, e.g. `curbside_hub_connections{kind="sse"}`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

/// Polls `/metrics` until `series` reads `want`.
async fn wait_for_sample(app: &TestApp, series: &str, want: f64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let text = metrics(app).await;
        if sample(&text, series) == Some(want) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{series} never reached {want}:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Behind the recommended reverse proxy (trusted, on loopback), an attacker floods wrong
/// passwords for the admin's email; the admin, another client behind the same proxy, signs in
/// during and after the flood. The attacker gets at most the per-client allowance of checks.
async fn the_admin_signs_in_during_and_after_a_flood_of_wrong_passwords_behind_the_same_proxy(
    backend: Backend,
) {
    let app = TestApp::spawn_with(TestDb::fresh(backend).await, |s| {
        s.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let attacker = Some("203.0.113.66");
    let flood = join_all((0..40).map(|_| sign_in(&app, ADMIN_EMAIL, "wrong-password", attacker)));
    let during = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD, Some("198.51.100.7"));
    let (flood, (during, _)) = tokio::join!(flood, during);
    assert_eq!(during, 200, "the admin signs in during the flood");
    let checked = flood.iter().filter(|(s, _)| *s == 401).count();
    assert!(checked <= 5, "attempts are counted before the hash: {checked} wrong passwords were checked");
    for (status, retry) in &flood {
        assert!(*status == 401 || (*status == 429 && retry.is_some()), "{status} {retry:?}");
    }
    assert_eq!(guess_until_refused(&app, attacker).await, (429, true), "the attacker is slowed down");
    let (after, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD, Some("198.51.100.7")).await;
    assert_eq!(after, 200, "the admin signs in after the flood");
    app.finish().await;
}

on_both_backends!(the_admin_signs_in_during_and_after_a_flood_of_wrong_passwords_behind_the_same_proxy);

/// Behind a proxy that is *not* listed, everyone shares its address: the admin's browser, known
/// from an earlier sign-in by its cookie, still gets in during and after a flood from that
/// same address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_browser_signs_in_during_a_flood_from_its_own_address() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let known = known_device_cookie(&app).await;
    let with_cookie = |password: &'static str| {
        let req = app
            .http
            .post(app.url("/api/login"))
            .header("cookie", known.clone())
            .json(&json!({"email": ADMIN_EMAIL, "password": password}));
        async move { req.send().await.expect("sign in").status().as_u16() }
    };
    let flood = join_all((0..40).map(|_| sign_in(&app, ADMIN_EMAIL, "wrong-password", None)));
    let (flood, during) = tokio::join!(flood, with_cookie(ADMIN_PASSWORD));
    assert_eq!(during, 200, "the known browser signs in during the flood");
    assert!(flood.iter().filter(|(s, _)| *s == 401).count() <= 5, "{flood:?}");
    assert_eq!(guess_until_refused(&app, None).await, (429, true), "the address itself is slowed down");
    assert_eq!(sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD, None).await.0, 429, "even with the right password");
    assert_eq!(with_cookie(ADMIN_PASSWORD).await, 200, "the known browser signs in after the flood");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forwarding_headers_from_an_untrusted_peer_do_not_escape_the_limit() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for i in 0..5 {
        let forged = format!("192.0.2.{i}");
        let (status, _) = sign_in(&app, ADMIN_EMAIL, "wrong-password", Some(&forged)).await;
        assert_eq!(status, 401);
    }
    let (status, retry) = sign_in(&app, ADMIN_EMAIL, "wrong-password", Some("192.0.2.77")).await;
    assert_eq!((status, retry.is_some()), (429, true), "the header is not believed from a stranger");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_do_not_grow_the_metrics() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let send = |method: String| {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let req = app.http.request(m, app.url("/api/me"));
        async move { req.send().await.expect("request").status().as_u16() }
    };
    // One made-up method first: its (bounded) series exists from here on.
    assert!(send("WARMUP".into()).await < 500);
    let series = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' ').map(|(name, _)| name.to_owned()))
            .collect()
    };
    metrics(&app).await; // the scrape's own series
    let before = series(&metrics(&app).await);
    let statuses = join_all((0..300).map(|i| send(format!("FOO{i}")))).await;
    assert!(statuses.iter().all(|s| *s < 500), "{statuses:?}");
    let text = metrics(&app).await;
    assert_eq!(series(&text), before, "no new series");
    assert!(!text.contains("FOO"), "no method name of a stranger's choosing reaches /metrics");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("curbside_curbside_"), "one prefix");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_declared_api_body_is_refused_at_once_with_413() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut socket = TcpStream::connect(("127.0.0.1", app.port)).await.expect("connect");
    socket
        .write_all(
            b"POST /api/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n",
        )
        .await
        .expect("write");
    let mut head = vec![0u8; 512];
    // Far below the 30 s request timeout: the answer does not wait for the body.
    let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut head))
        .await
        .expect("an answer at once")
        .expect("read");
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("too_large"), "a JSON error body: {head}");
    app.finish().await;
}

/// An SSE request on a raw socket; returns the socket after the response head.
async fn open_sse(port: u16, path: &str, recv_buffer: Option<u32>) -> (TcpStream, String) {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.expect("connect");
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut head = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut head))
        .await
        .expect("a response head")
        .expect("read");
    (stream, String::from_utf8_lossy(&head[..n]).into_owned())
}

async fn anonymous_ws(app: &TestApp) -> curbside_tests::WsClient {
    app.ws(None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_websocket_connects_while_the_public_budget_is_full() {
    let mut app = TestApp::spawn_with(TestDb::fresh(Backend::Sqlite).await, |s| {
        s.max_public_connections = "2".into();
        s.max_staff_connections = "2".into();
    })
    .await;
    let session = app.create_session("Budgets").await;
    let (id, slug) =
        (session["id"].as_i64().expect("id"), session["slug"].as_str().expect("slug").to_owned());
    // Viewers take the whole public budget: one SSE stream, one anonymous WebSocket.
    let (_sse, head) = open_sse(app.port, &format!("/s/{slug}/events"), None).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut viewer = anonymous_ws(&app).await;
    viewer.send(json!({"type": "subscribe", "slug": slug, "audience": "public"})).await;
    viewer.expect("subscribed").await;

    let (_refused, head) = open_sse(app.port, &format!("/s/{slug}/events"), None).await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after"), "{head}");
    let mut third = anonymous_ws(&app).await;
    let closed = third.next_json().await.expect_err("closed at once");
    assert!(closed.to_string().contains("1013") || closed.to_string().contains("Again"), "{closed}");

    let token = app.admin().await;
    let mut staff = app.ws(Some(&token)).await;
    staff.send(json!({"type": "subscribe", "session_id": id, "audience": "staff", "since": 0})).await;
    staff.expect("subscribed").await;
    assert_eq!(staff.events(1).await[0].0, 1, "the moderator's console follows the session");
    app.finish().await;
}

/// `n` answered questions with `len`-character answers, written through the server's store:
/// each answer is a large public (and staff) event. The kernel lets a loopback socket buffer
/// up to 4 MiB before a writer has to wait, so a stalled reader needs more than that.
async fn answered_questions(app: &TestApp, session: i64, n: usize, len: usize) {
    use curbside_domain::{Action, QuestionState, SessionId, UserId};
    let store = app.store().await;
    ingest(&store, session, "big", n).await;
    let admin = curbside_store::Actor::staff(UserId(1), "Administrator");
    let questions = store.questions(SessionId(session), Some(QuestionState::New)).await.expect("questions");
    assert_eq!(questions.len(), n);
    let text = "Walking every day helps your heart. ".repeat(len / 36 + 1);
    for q in questions {
        store
            .act(q.id, Action::Approve { public_text: None, override_reason: None }, &admin, None)
            .await
            .expect("approve");
        store.act(q.id, Action::Answer { text: text.clone() }, &admin, None).await.expect("answer");
    }
}

/// Clients that stop reading (an SSE viewer, a staff WebSocket) are cut off once their socket
/// has taken nothing for the write timeout; a client that reads gets everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_sse_and_websocket_readers_are_dropped_after_the_write_timeout() {
    let mut app = TestApp::spawn_with(TestDb::fresh(Backend::Sqlite).await, |s| {
        s.write_timeout_ms = "300".into();
    })
    .await;
    let session = app.create_session("Stalled readers").await;
    let (id, slug) =
        (session["id"].as_i64().expect("id"), session["slug"].as_str().expect("slug").to_owned());
    const ANSWERS: usize = 700;
    answered_questions(&app, id, ANSWERS, 7_900).await;
    let token = app.admin().await;

    // Resuming from the start replays far more than the stalled clients' buffers hold.
    let (stalled_sse, head) = open_sse(app.port, &format!("/s/{slug}/events?since=0"), Some(4096)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(([127, 0, 0, 1], app.port).into()).await.expect("connect");
    let mut req = format!("ws://127.0.0.1:{}/ws", app.port).into_client_request().expect("request");
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    let (mut stalled_ws, _) =
        tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream)).await.expect("handshake");
    let subscribe = json!({"type": "subscribe", "session_id": id, "audience": "staff", "since": 0});
    stalled_ws.send(Message::text(subscribe.to_string())).await.expect("subscribe");
    // From here on neither stalled client reads a byte.

    let (mut reader, head) = open_sse(app.port, &format!("/s/{slug}/events?since=0"), None).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let reading = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = head.len();
        while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(3), reader.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            total += n;
        }
        (reader, total)
    });
    wait_for_sample(&app, "curbside_hub_connections{kind=\"ws\"}", 0.0).await;
    wait_for_sample(&app, "curbside_hub_connections{kind=\"sse\"}", 1.0).await;
    let text = metrics(&app).await;
    assert!(sample(&text, "curbside_write_timeouts_total").is_some_and(|n| n >= 1.0), "{text}");
    let (reader, total) = reading.await.expect("reader");
    assert!(total > ANSWERS * 7_900, "the reading client got the whole replay ({total} bytes)");
    drop((stalled_sse, stalled_ws, reader));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_frame_over_the_limit_closes_with_1009_and_a_reason() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for size in [5 * 1024, 64 * 1024] {
        let mut ws = anonymous_ws(&app).await;
        let frame = json!({"type": "ping", "pad": "x".repeat(size)}).to_string();
        ws.stream.send(Message::text(frame)).await.expect("send");
        let close = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.stream.next()).await.expect("an answer") {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("a {size}-byte frame: expected a close frame, got {other:?}"),
            }
        };
        let close = close.expect("a close frame with a code");
        assert_eq!(u16::from(close.code), 1009, "{size} bytes");
        assert!(close.reason.as_str().contains("4 KiB"), "{size} bytes: {:?}", close.reason);
    }
    app.finish().await;
}

/// Signs in as the admin and returns the known-device cookie (`name=value`).
async fn known_device_cookie(app: &TestApp) -> String {
    let resp = app
        .http
        .post(app.url("/api/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(resp.status(), 200);
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("curbside_known_device="))
        .and_then(|c| c.split(';').next())
        .expect("a known-device cookie")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_beyond_the_password_queue_are_refused_at_once_and_known_browsers_have_their_own_lane() {
    let app = TestApp::spawn_with(TestDb::fresh(Backend::Sqlite).await, |s| {
        s.trusted_proxies = "127.0.0.1".into();
        s.signin_workers = Some("1".into());
        s.signin_queue = "1".into();
    })
    .await;
    let known = known_device_cookie(&app).await;
    // Distinct accounts and clients: no limit applies, only the pool's size.
    let flood = join_all((0..24).map(|i| {
        let email = format!("nobody{i}@curbside.test");
        let ip = format!("198.51.100.{i}");
        let app = &app;
        async move { sign_in(app, &email, "wrong-password", Some(&ip)).await }
    }));
    let admin = app
        .http
        .post(app.url("/api/login"))
        .header("cookie", known)
        .header("x-forwarded-for", "192.0.2.200")
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send();
    let (attempts, admin) = tokio::join!(flood, admin);
    assert_eq!(admin.expect("admin").status(), 200, "the known browser is not queued behind the flood");
    let busy: Vec<&(u16, Option<String>)> = attempts.iter().filter(|(s, _)| *s == 429).collect();
    assert!(!busy.is_empty(), "with one worker and one queue place, most are turned away: {attempts:?}");
    assert!(busy.iter().all(|(_, retry)| retry.is_some()), "{attempts:?}");
    assert!(attempts.iter().all(|(s, _)| *s == 401 || *s == 429), "{attempts:?}");
    app.finish().await;
}
