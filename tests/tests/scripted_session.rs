//! The demo's scripted cardiology Q&A played through the real endpoints at full speed: every
//! viewer comment becomes one question (webhook-only, poll-only and both alike), edits and
//! removals land, and the session ends with the broadcast.

use curbside_simulator::{Delivery, FakeGraph, GraphConfig, Player, Script, ScriptEvent, SimIds};
use curbside_tests::{on_both_backends, Backend, TestApp, TestDb};
use serde_json::json;
use std::time::Duration;

async fn the_whole_scripted_session_arrives_once_through_webhooks_and_polling(backend: Backend) {
    let ids = SimIds::default();
    let graph = FakeGraph::start(GraphConfig::new(ids.clone())).await.expect("fake graph");
    let mut app = TestApp::spawn_against(TestDb::fresh(backend).await, &graph).await;
    let sid = app.create_simulated_session(&ids).await;

    let script = Script::cardiology(2026);
    let summary = script.summary();
    let removed = script.items().iter().filter(|i| matches!(i.event, ScriptEvent::Remove { .. })).count();
    assert!(summary.by_delivery.get(&Delivery::PollOnly).copied().unwrap_or(0) > 0);
    let target = url::Url::parse(&app.url("/webhooks/meta")).expect("url");
    let player = Player::new(script, &graph, target, ids.app_secret.as_bytes(), ids.clone())
        .with_end_grace(Duration::from_secs(4));
    let played = player.run(f64::INFINITY).await;
    assert_eq!(played.webhook_failures, 0, "{played:?}");

    let mut qs = Vec::new();
    for _ in 0..100 {
        qs = app.questions(sid).await;
        if qs.len() >= summary.comments {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(qs.len(), summary.comments, "every scripted comment is one question");
    let flagged_removed =
        qs.iter().filter(|q| q["flags"].as_array().is_some_and(|f| f.contains(&json!("removed")))).count();
    assert_eq!(flagged_removed, removed, "removals leave the queue visibly");
    let platforms: std::collections::BTreeSet<String> =
        qs.iter().map(|q| q["sources"][0]["platform"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(platforms.len(), 2);
    let admin = app.admin().await;
    let (_, session) = app.call("GET", &format!("/api/sessions/{sid}"), Some(&admin), None).await;
    assert_eq!(session["status"], "ended", "live_stopped ended the session");
    app.finish().await;
    graph.stop().await;
}

on_both_backends!(the_whole_scripted_session_arrives_once_through_webhooks_and_polling);
