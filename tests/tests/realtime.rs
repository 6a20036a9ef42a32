//! Realtime over real sockets: staff WebSocket resume after a disconnect and after a server
//! restart, the public SSE stream with `Last-Event-ID`, and what the public channel may carry.

use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

async fn subscribe(
    ws: &mut curbside_tests::WsClient,
    session: i64,
    audience: &str,
    since: Option<i64>,
) -> Value {
    let mut frame = json!({"type": "subscribe", "session_id": session, "audience": audience});
    if let Some(s) = since {
        frame["since"] = json!(s);
    }
    ws.send(frame).await;
    ws.expect("subscribed").await
}

async fn staff_client_resumes_after_a_disconnect_with_exactly_the_missed_events(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Resume").await["id"].as_i64().expect("id");
    let token = app.staff(Role::Moderator).await;
    let store = app.store().await;

    let mut ws = app.ws(Some(&token)).await;
    let sub = subscribe(&mut ws, sid, "staff", Some(0)).await;
    assert_eq!(sub["head"], 1, "the session's creation is event 1: {sub}");
    let replayed = ws.events(1).await;
    assert_eq!(replayed[0].0, 1);
    ws.expect("replayed").await;
    ingest(&store, sid, "live", 3).await;
    let live = ws.events(3).await;
    assert_eq!(live.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(live.iter().all(|(_, e)| e["type"] == "question" && e["change"] == "created"));
    let last_seen = live[2].0;
    drop(ws);

    // While the client is away: five more changes.
    ingest(&store, sid, "missed", 4).await;
    let (_, page) =
        app.call("GET", &format!("/api/sessions/{sid}/questions?state=new"), Some(&token), None).await;
    let first = page["questions"][0]["id"].as_i64().expect("question id");
    let (status, _) = app.call("POST", &format!("/api/questions/{first}/approve"), Some(&token), None).await;
    assert_eq!(status, 200);

    let mut ws = app.ws(Some(&token)).await;
    let sub = subscribe(&mut ws, sid, "staff", Some(last_seen)).await;
    assert_eq!(sub["head"], 9);
    let missed = ws.events(5).await;
    assert_eq!(missed.iter().map(|e| e.0).collect::<Vec<_>>(), [5, 6, 7, 8, 9]);
    assert_eq!(missed[4].1["change"], "approve");
    ws.expect("replayed").await;
    ws.assert_quiet(Duration::from_millis(300)).await;
    ingest(&store, sid, "after", 1).await;
    assert_eq!(ws.events(1).await[0].0, 10, "then live, with no duplicate");
    drop(ws);
    app.finish().await;
}

async fn resume_works_across_a_server_restart(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Restart").await["id"].as_i64().expect("id");
    let token = app.admin().await;
    let mut ws = app.ws(Some(&token)).await;
    subscribe(&mut ws, sid, "staff", Some(0)).await;
    assert_eq!(ws.events(1).await[0].0, 1);
    // The server goes away (the socket is closed with "going away").
    ws.expect("replayed").await;
    let db = app.stop().await;
    let close = ws.next_json().await.expect_err("the socket closes");
    assert!(close.to_string().contains("1001") || close.to_string().contains("Away"), "{close}");
    let store = curbside_store::Store::connect(&db.url).await.expect("store");
    ingest(&store, sid, "offline", 2).await;
    store.close().await;

    let mut app = TestApp::spawn_on(db).await;
    let token = app.admin().await;
    let mut ws = app.ws(Some(&token)).await;
    subscribe(&mut ws, sid, "staff", Some(1)).await;
    assert_eq!(ws.events(2).await.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 3]);
    ws.expect("replayed").await;
    app.finish().await;
}

async fn anonymous_sockets_get_only_the_public_audience(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let s = app.create_session("Public only").await;
    let sid = s["id"].as_i64().expect("id");
    let mut ws = app.ws(None).await;
    ws.send(json!({"type": "subscribe", "session_id": sid, "audience": "staff", "since": 0})).await;
    let err = ws.next_json().await.expect("frame");
    assert_eq!((err["type"].clone(), err["code"].clone()), (json!("error"), json!("forbidden")));
    ws.send(json!({"type": "subscribe", "slug": s["slug"], "audience": "public", "since": 0})).await;
    ws.expect("subscribed").await;
    let (offset, event) = ws.events(1).await.remove(0);
    assert_eq!(offset, 1);
    assert_eq!(event["type"], "session");
    assert!(event["session"].get("sources").is_none(), "public session data only: {event}");
    // A bad token is refused outright, before the upgrade.
    let resp = app
        .http
        .get(app.url("/ws"))
        .header("authorization", "Bearer nope")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    app.finish().await;
}

/// Reads SSE messages (id, data) from a response body until `n` have arrived.
async fn sse_messages(resp: reqwest::Response, n: usize) -> Vec<(Option<i64>, Value)> {
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an SSE chunk within 10 s")
            .expect("stream open")
            .expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).ok();
                }
            }
            if let Some(d) = data {
                out.push((id, d));
            }
        }
    }
    out
}

async fn public_sse_stream_resumes_from_last_event_id_and_carries_no_commenter_data(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let s = app.create_session("SSE").await;
    let (sid, slug) = (s["id"].as_i64().expect("id"), s["slug"].as_str().expect("slug").to_owned());
    let store = app.store().await;
    ingest(&store, sid, "sse", 2).await;
    let specialist = app.assigned_specialist(sid).await;
    let (_, page) = app.call("GET", &format!("/api/sessions/{sid}/questions"), Some(&specialist), None).await;
    let qid = page["questions"][0]["id"].as_i64().expect("qid");
    let admin = app.admin().await;
    app.call(
        "POST",
        &format!("/api/questions/{qid}/approve"),
        Some(&admin),
        Some(json!({"public_text": "Is salt bad for my heart?"})),
    )
    .await;
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/questions/{qid}/answer"),
            Some(&specialist),
            Some(json!({"text": "Less salt lowers blood pressure."})),
        )
        .await;
    assert_eq!(status, 200);

    let resp = app
        .http
        .get(app.url(&format!("/s/{slug}/events")))
        .header("last-event-id", "0")
        .send()
        .await
        .expect("sse");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let msgs = sse_messages(resp, 2).await;
    assert_eq!(msgs[0].0, Some(1));
    assert_eq!(msgs[0].1["type"], "session");
    let (entry_offset, entry) = (msgs[1].0.expect("id"), &msgs[1].1);
    assert_eq!(entry["type"], "entry");
    assert_eq!(entry["entry"]["id"], qid);
    assert_eq!(entry["entry"]["question"], "Is salt bad for my heart?");
    assert_eq!(entry["entry"]["answer"]["answered_by"]["credentials"], "MD, Cardiology");
    let text = entry.to_string();
    assert!(!text.contains("Viewer") && !text.contains("user-"), "commenter data leaked: {text}");

    // Resuming after the entry: only what comes next (the session ending).
    let resp =
        app.http.get(app.url(&format!("/s/{slug}/events?since={entry_offset}"))).send().await.expect("sse");
    let (status, _) = app
        .call("PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "ended"})))
        .await;
    assert_eq!(status, 200);
    let msgs = sse_messages(resp, 1).await;
    assert!(msgs[0].0.expect("id") > entry_offset);
    assert_eq!(msgs[0].1["session"]["status"], "ended");
    let (status, _) = app.call("GET", "/s/no-such-session/events", None, None).await;
    assert_eq!(status, 404);
    app.finish().await;
}

on_both_backends!(
    staff_client_resumes_after_a_disconnect_with_exactly_the_missed_events,
    resume_works_across_a_server_restart,
    anonymous_sockets_get_only_the_public_audience,
    public_sse_stream_resumes_from_last_event_id_and_carries_no_commenter_data,
);
