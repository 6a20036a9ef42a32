//! Clinical safety on the moderator console, in real headless Chromium: an emergency comment
//! polled from the simulator's Graph API raises the alert and is pinned at the top of the queue;
//! the moderator sends the crisis reply (it reaches the fake Graph server through the outbox) and
//! records the outcome; approving wording that still holds a phone number opens the guard's
//! dialog, and an override with a reason approves it (audited).

use curbside_simulator::{FakeGraph, GraphConfig};
use curbside_tests::browser::Chrome;
use curbside_tests::{
    fb_reply_to, fb_viewer_comment, Backend, Role, TestApp, TestDb, ADMIN_EMAIL, STAFF_PASSWORD,
};
use serde_json::{json, Value};

const EMERGENCY: &str = "my husband has crushing chest pain right now what do we do";

/// A moderator account the browser can sign in as; returns its e-mail.
async fn moderator(app: &mut TestApp) -> String {
    let admin = app.admin().await;
    let email = "dana.reyes@hospital.test";
    let (s, user) = app
        .call("POST", "/api/users", Some(&admin), Some(json!({
            "email": email, "name": "Dana Reyes", "role": Role::Moderator.as_str(), "password": STAFF_PASSWORD
        })))
        .await;
    assert_eq!(s, 201, "{user}");
    assert_ne!(email, ADMIN_EMAIL);
    email.to_owned()
}

async fn audit_actions(app: &mut TestApp, sid: i64) -> Vec<String> {
    let admin = app.admin().await;
    let (_, audit) = app.call("GET", &format!("/api/sessions/{sid}/audit"), Some(&admin), None).await;
    let entries = audit["entries"].as_array().or_else(|| audit.as_array()).cloned().unwrap_or_default();
    entries.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_alerts_the_console_and_the_moderator_sends_the_crisis_reply_and_records_the_outcome() {
    let config = GraphConfig::default();
    let ids = config.ids.clone();
    let graph = FakeGraph::start(config).await.expect("fake graph");
    let mut app = TestApp::spawn_against(TestDb::fresh(Backend::Sqlite).await, &graph).await;
    let sid = app.create_simulated_session(&ids).await;
    let admin = app.admin().await;
    let (s, _) = app
        .call("PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "live"})))
        .await;
    assert_eq!(s, 200);
    let email = moderator(&mut app).await;
    let chrome = Chrome::start().await;
    let console = chrome.window(1440, 900).await;
    console.sign_in(&app.base, &email, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    console
        .wait_until("document.getElementById('conn').dataset.state === 'live'", "connect the console")
        .await;

    // An ordinary question first, then the emergency: it jumps above it with an alert.
    fb_viewer_comment(&graph, &ids, 801, "Is decaf coffee fine after a heart attack?");
    console.wait_text("#queue", "decaf coffee").await;
    assert_eq!(console.eval("return document.getElementById('emergency').hidden").await, Value::Bool(true));
    let comment = fb_viewer_comment(&graph, &ids, 802, EMERGENCY);
    console.wait_until("!document.getElementById('emergency').hidden", "raise the emergency alert").await;
    console.wait_text("#emergency", "Possible emergency").await;
    console.wait_text("#emergency", "chest pain happening now").await;
    console.wait_until("document.title.startsWith('⚠ 1 emergency')", "mark the tab title").await;
    let first = console.eval("return document.querySelector('#queue li').textContent").await;
    assert!(first.as_str().is_some_and(|t| t.contains("crushing chest pain")), "pinned first: {first}");
    console.assert_accessible("console with an emergency alert").await;

    // One click from the alert sends the crisis reply through the outbox to Facebook.
    console.click_text("#emergency button", "Send crisis reply").await;
    console.wait_text(".toast", "Crisis reply queued").await;
    let reply = fb_reply_to(&graph, &comment).await;
    assert!(reply.contains("911") && reply.contains("988"), "the configured resources went out: {reply:?}");
    // The reply is not an outcome: the alert stays until one is recorded.
    assert_eq!(console.eval("return document.getElementById('emergency').hidden").await, Value::Bool(false));
    console.wait_text("#detail", "Record outcome").await;

    // `o` records the outcome; the alert goes and the follow-up list is empty.
    console.press("#queue", "o").await;
    console.wait_until("document.getElementById('d-outcome').open", "open the outcome dialog").await;
    console.assert_accessible("outcome dialog").await;
    console.fill("#outcome-text", "Resources sent; on-call nurse paged").await;
    console.click_text("#d-outcome button", "Record outcome").await;
    console.wait_until("document.getElementById('emergency').hidden", "clear the alert").await;
    console.wait_text("#detail", "Outcome recorded").await;
    let (_, open) = app.call("GET", &format!("/api/sessions/{sid}/follow-ups"), Some(&admin), None).await;
    assert_eq!(open["questions"], json!([]));
    let actions = audit_actions(&mut app, sid).await;
    assert!(actions.iter().any(|a| a == "question.crisis_reply"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "question.outcome"), "{actions:?}");

    console.close().await;
    chrome.stop().await;
    app.finish().await;
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approval_guard_opens_a_dialog_and_an_override_with_a_reason_approves() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let session = app.create_session("Heart health live").await;
    let sid = session["id"].as_i64().expect("id");
    let store = app.store().await;
    let comment = curbside_store::IncomingComment {
        session_id: curbside_domain::SessionId(sid),
        source_id: None,
        platform: curbside_domain::Platform::Facebook,
        platform_comment_id: "guard_1".into(),
        author_id: Some("user-1".into()),
        author_name: Some("Viewer 1".into()),
        text: "Is it safe to fly after a stent? call me 555-201-3344".into(),
        parent_id: None,
        platform_time: 1_700_000_000_000,
        via: "test".into(),
    };
    store.ingest_comments(vec![comment]).await.expect("ingest");
    let email = moderator(&mut app).await;
    let chrome = Chrome::start().await;
    let console = chrome.window(1440, 900).await;
    console.sign_in(&app.base, &email, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    console.wait_text("#detail", "[phone removed]").await;

    // The moderator puts the number back in the wording: the guard's 409 is a dialog.
    console.press("#queue", "e").await;
    console.wait_until("document.getElementById('d-edit').open", "open the edit dialog").await;
    console.fill("#edit-text", "Is it safe to fly after a stent? Call 555-201-3344").await;
    console.click_text("#d-edit button", "Approve with this wording").await;
    console.wait_until("document.getElementById('d-override').open", "open the guard's dialog").await;
    console.wait_text("#override-message", "phone number").await;
    console.assert_accessible("approval guard dialog").await;
    // No reason, no override.
    console.click_text("#d-override button", "Approve with override").await;
    console.wait_text("#override-error", "Say why").await;
    console.fill("#override-reason", "It is the clinic's public booking line").await;
    console.click_text("#d-override button", "Approve with override").await;
    console.wait_text(".toast", "Approved with an override").await;

    let qs = app.questions(sid).await;
    assert_eq!(qs[0]["state"], "approved", "{qs:?}");
    assert_eq!(qs[0]["public_text"], "Is it safe to fly after a stent? Call 555-201-3344");
    let actions = audit_actions(&mut app, sid).await;
    assert!(actions.iter().any(|a| a == "question.approve_override"), "{actions:?}");

    console.close().await;
    chrome.stop().await;
    app.finish().await;
}
