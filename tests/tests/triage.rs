//! What the moderator console relies on from the staff API: undoing one's own last decision as
//! an audited reverse transition, and a lost race that says who won. SQLite and PostgreSQL.

use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp};
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.call("POST", path, Some(token), Some(body)).await
}

async fn a_moderator_undoes_approve_reject_and_merge_back_to_new(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Undo").await);
    ingest(&app.store().await, sid, "u", 3).await;
    let moderator = app.staff(Role::Moderator).await;
    let qs = app.questions(sid).await;
    let (q1, q2, q3) = (id(&qs[0]), id(&qs[1]), id(&qs[2]));
    let original = qs[0]["public_text"].clone();

    let (s, b) =
        post(&app, &moderator, &format!("/api/questions/{q1}/approve"), json!({"public_text": "Reworded?"}))
            .await;
    assert_eq!((s, b["state"].as_str()), (200, Some("approved")), "{b}");
    let (s, b) = post(&app, &moderator, &format!("/api/questions/{q1}/undo"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "new");
    assert_eq!(b["public_text"], original, "the wording before the approval comes back");

    post(&app, &moderator, &format!("/api/questions/{q2}/reject"), json!({"reason": "Off topic"})).await;
    let (s, b) = post(&app, &moderator, &format!("/api/questions/{q2}/undo"), json!({})).await;
    assert_eq!((s, b["state"].as_str(), b["reject_reason"].is_null()), (200, Some("new"), true), "{b}");

    let (s, b) = post(&app, &moderator, &format!("/api/questions/{q3}/merge"), json!({"into": q1})).await;
    assert_eq!(s, 200, "{b}");
    let (_, target) = app.call("GET", &format!("/api/questions/{q1}"), Some(&moderator), None).await;
    assert_eq!(target["asked_by_count"], 2);
    let (s, b) = post(&app, &moderator, &format!("/api/questions/{q3}/undo"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!((b["state"].as_str(), b["merged_into"].is_null()), (Some("new"), true), "{b}");
    assert_eq!(b["sources"].as_array().map(Vec::len), Some(1), "its comment came back: {b}");
    let (_, target) = app.call("GET", &format!("/api/questions/{q1}"), Some(&moderator), None).await;
    assert_eq!(target["asked_by_count"], 1, "{target}");
    assert_eq!(target["sources"].as_array().map(Vec::len), Some(1), "{target}");

    // Nothing left to undo: the last entry is the undo itself.
    let (s, _) = post(&app, &moderator, &format!("/api/questions/{q3}/undo"), json!({})).await;
    assert_eq!(s, 409);
    let admin = app.admin().await;
    let (_, audit) = app.call("GET", &format!("/api/sessions/{sid}/audit"), Some(&admin), None).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    for a in ["question.undo_approve", "question.undo_reject", "question.undo_merge"] {
        assert!(actions.contains(&a), "{a} is audited: {actions:?}");
    }
    app.finish().await;
}

async fn only_the_moderator_who_acted_can_undo(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Undo others").await);
    ingest(&app.store().await, sid, "o", 1).await;
    let dana = app.staff(Role::Moderator).await;
    let sam = app.staff(Role::Moderator).await;
    let q = id(&app.questions(sid).await[0]);
    post(&app, &dana, &format!("/api/questions/{q}/approve"), json!({})).await;
    let (s, b) = post(&app, &sam, &format!("/api/questions/{q}/undo"), json!({})).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["message"].as_str().unwrap_or_default().starts_with("only your own last action"), "{b}");
    app.finish().await;
}

async fn the_loser_of_a_race_is_told_who_won(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Race").await);
    ingest(&app.store().await, sid, "race", 1).await;
    let first = app.admin().await;
    let second = app.staff(Role::Moderator).await;
    let q = &app.questions(sid).await[0];
    let (qid, version) = (id(q), q["version"].clone());
    let (s, _) =
        post(&app, &first, &format!("/api/questions/{qid}/approve"), json!({"version": version})).await;
    assert_eq!(s, 200);
    let (s, b) =
        post(&app, &second, &format!("/api/questions/{qid}/reject"), json!({"version": version})).await;
    assert_eq!(s, 409);
    assert_eq!(b["message"], "already approved by Administrator");
    app.finish().await;
}

async fn a_backstage_note_reaches_the_specialist_and_comes_back_read(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Notes").await);
    ingest(&app.store().await, sid, "n", 1).await;
    let q = id(&app.questions(sid).await[0]);
    let moderator = app.staff(Role::Moderator).await;
    let specialist = app.staff(Role::Specialist).await;
    let mut ws = app.ws(Some(&specialist)).await;
    ws.send(json!({"type": "subscribe", "session_id": sid, "audience": "staff"})).await;
    ws.expect("replayed").await;

    let (s, b) = post(&app, &specialist, &format!("/api/sessions/{sid}/notes"), json!({"text": "hi"})).await;
    assert_eq!(s, 403, "only moderators send notes: {b}");
    let (s, b) = post(&app, &moderator, &format!("/api/sessions/{sid}/notes"), json!({"text": "  "})).await;
    assert_eq!(s, 422, "{b}");
    let (s, note) = post(
        &app,
        &moderator,
        &format!("/api/sessions/{sid}/notes"),
        json!({"text": "Asked by six people; keep it short.", "question_id": q}),
    )
    .await;
    assert_eq!(s, 201, "{note}");
    assert!(note["read_at"].is_null());
    let (_, event) = ws.events(1).await.remove(0);
    assert_eq!((event["type"].as_str(), event["change"].as_str()), (Some("note"), Some("sent")), "{event}");

    let (s, read) = post(&app, &specialist, &format!("/api/notes/{}/read", id(&note)), json!({})).await;
    assert_eq!(s, 200, "{read}");
    assert_eq!(read["read_by"], "Test specialist");
    let (_, event) = ws.events(1).await.remove(0);
    assert_eq!(event["change"], "read", "{event}");
    let (_, list) = app.call("GET", &format!("/api/sessions/{sid}/notes"), Some(&moderator), None).await;
    assert_eq!(list["notes"][0]["read_by"], "Test specialist", "{list}");
    // Nothing of a note ever reaches the public stream.
    let store = app.store().await;
    let public = store
        .events_after(
            curbside_domain::SessionId(sid),
            curbside_domain::EventAudience::Public,
            curbside_domain::Offset(0),
            100,
        )
        .await
        .expect("public log");
    assert!(public.iter().all(|e| !e.public_json.as_deref().unwrap_or("").contains("short")));
    app.finish().await;
}

async fn undo_is_refused_after_ten_seconds(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Undo window").await);
    ingest(&app.store().await, sid, "w", 1).await;
    let moderator = app.staff(Role::Moderator).await;
    let q = id(&app.questions(sid).await[0]);
    post(&app, &moderator, &format!("/api/questions/{q}/approve"), json!({})).await;
    // The audit log is append-only (its triggers refuse UPDATE), so the window is waited out for real.
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let (s, b) = post(&app, &moderator, &format!("/api/questions/{q}/undo"), json!({})).await;
    assert_eq!((s, b["message"].as_str()), (409, Some("the 10 seconds to undo have passed")), "{b}");
    app.finish().await;
}

on_both_backends!(
    undo_is_refused_after_ten_seconds,
    a_backstage_note_reaches_the_specialist_and_comes_back_read,
    a_moderator_undoes_approve_reject_and_merge_back_to_new,
    only_the_moderator_who_acted_can_undo,
    the_loser_of_a_race_is_told_who_won,
);
