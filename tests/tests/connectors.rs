//! The Meta connectors end to end against the simulator's fake Graph API over real HTTP:
//! polling beside webhooks, each Graph error class, replies and private replies out, and the
//! outbox's promise to post once, also across a crash between sending and recording.

use curbside_simulator::{
    FakeGraph, Fault, FaultRule, FeedComment, GraphConfig, Matcher, NewComment, SimIds, WebhookBody,
    WebhookChange,
};
use curbside_tests::{on_both_backends, Backend, Role, TestApp, TestDb};
use serde_json::{json, Value};
use std::time::Duration;

struct Rig {
    app: TestApp,
    graph: FakeGraph,
    ids: SimIds,
    session: i64,
}

async fn rig_with(backend: Backend, config: GraphConfig) -> Rig {
    let ids = config.ids.clone();
    let graph = FakeGraph::start(config).await.expect("fake graph");
    let mut app = TestApp::spawn_against(TestDb::fresh(backend).await, &graph).await;
    let session = app.create_simulated_session(&ids).await;
    Rig { app, graph, ids, session }
}

impl Rig {
    async fn set_status(&mut self, status: &str) {
        let admin = self.app.admin().await;
        let (code, body) = self
            .app
            .call(
                "PATCH",
                &format!("/api/sessions/{}", self.session),
                Some(&admin),
                Some(json!({"status": status})),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }

    async fn session_json(&mut self) -> Value {
        let admin = self.app.admin().await;
        self.app.call("GET", &format!("/api/sessions/{}", self.session), Some(&admin), None).await.1
    }

    /// Waits (up to 15 s) until `check` holds for the session's questions.
    async fn wait_questions(&mut self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..150 {
            let qs = self.app.questions(self.session).await;
            if check(&qs) {
                return qs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}: {:?}", self.app.questions(self.session).await);
    }

    async fn wait_source_state(&mut self, platform: &str, state: &str) -> Value {
        for _ in 0..150 {
            let s = self.session_json().await;
            let source =
                s["sources"].as_array().into_iter().flatten().find(|x| x["platform"] == platform).cloned();
            if let Some(src) = source.filter(|x| x["health"]["state"] == state) {
                return src;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{platform} source never became {state}: {}", self.session_json().await["sources"]);
    }

    async fn wait_outbox(&mut self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let admin = self.app.admin().await;
        for _ in 0..150 {
            let (_, body) = self
                .app
                .call("GET", &format!("/api/sessions/{}/outbox", self.session), Some(&admin), None)
                .await;
            let items = body["items"].as_array().cloned().unwrap_or_default();
            if check(&items) {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}");
    }

    fn fb_comment(&self, id: &str, author: &str, text: &str, polled: bool) -> String {
        let mut c = NewComment::new(self.ids.live_video_id.clone(), author, format!("Viewer {author}"), text);
        c.id = Some(format!("{}_{id}", self.ids.video_id));
        c.visible_to_polling = polled;
        self.graph.add_comment(c).expect("add comment")
    }

    fn ig_comment(&self, id: &str, author: &str, text: &str) -> String {
        let mut c = NewComment::new(self.ids.ig_media_id.clone(), author, format!("user{author}"), text);
        c.id = Some(id.to_owned());
        self.graph.add_comment(c).expect("add comment")
    }

    async fn finish(self) {
        self.app.finish().await;
        self.graph.stop().await;
    }
}

async fn polling_fills_what_webhooks_miss_and_dedupes_with_them(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::new(SimIds::default()).with_empty_pages_every(1)).await;
    // Before going live nothing is polled.
    let both = rig.fb_comment("1001", "501", "Is red wine good for the heart?", true);
    let poll_only = rig.fb_comment("1002", "502", "What does an ECG show?", true);
    let webhook_only = rig.fb_comment("1003", "503", "Should I take aspirin daily?", false);
    rig.ig_comment("17800000000000001", "601", "How much walking is enough?");
    // Webhooks for two of the Facebook comments (one the poller will also see).
    let feed = |id: &str, author: &str, text: &str| {
        WebhookChange::Feed(FeedComment::add(
            rig.ids.post_id(),
            id,
            author,
            format!("Viewer {author}"),
            text,
            1_764_000_000,
        ))
    };
    let body = WebhookBody::page().with_entry(
        rig.ids.page_id.clone(),
        1_764_000_001,
        vec![
            feed(&both, "501", "Is red wine good for the heart?"),
            feed(&webhook_only, "503", "Should I take aspirin daily?"),
        ],
    );
    let (status, _) = rig.app.webhook(&body.to_bytes()).await;
    assert_eq!(status, 200);
    rig.set_status("live").await;
    let qs = rig.wait_questions("4 questions from webhooks and polling", |qs| qs.len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let qs_after = rig.app.questions(rig.session).await;
    assert_eq!(qs_after.len(), 4, "no duplicates after more polling rounds: {qs:?}");
    let ids: Vec<&str> =
        qs_after.iter().map(|q| q["sources"][0]["comment_id"].as_str().expect("id")).collect();
    for want in [&both, &poll_only, &webhook_only] {
        assert!(ids.contains(&want.as_str()), "{want} missing from {ids:?}");
    }
    let fb = rig.wait_source_state("facebook", "healthy").await;
    assert!(fb.get("access_token").is_none());
    rig.wait_source_state("instagram", "healthy").await;
    // Every Graph call carried the token's appsecret_proof (the fake refuses others), and the
    // paging followed empty pages to the end.
    let polls: Vec<_> = rig
        .graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/comments") && r.method == axum::http::Method::GET)
        .collect();
    assert!(!polls.is_empty());
    assert!(
        polls.iter().all(|r| r.status == 200),
        "{:?}",
        polls.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(polls.iter().any(|r| r.params.contains_key("after")), "paging was followed");
    let fb_poll = polls.iter().find(|r| r.path.contains(&rig.ids.live_video_id)).expect("fb poll");
    assert_eq!(fb_poll.param("filter"), Some("stream"));
    assert_eq!(fb_poll.param("live_filter"), Some("no_filter"));
    assert_eq!(fb_poll.param("order"), Some("chronological"));
    rig.finish().await;
}

async fn an_expired_token_stops_the_source_and_asks_for_reauthorisation(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.graph
        .inject(FaultRule::new(Matcher::path(rig.ids.live_video_id.clone()), Fault::ExpiredToken).always());
    rig.set_status("live").await;
    let src = rig.wait_source_state("facebook", "needs_reauth").await;
    assert!(src["health"]["last_error"].as_str().unwrap_or_default().contains("190"), "{src}");
    let seen = rig.graph.requests().len();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let fb_calls_after =
        rig.graph.requests()[seen..].iter().filter(|r| r.path.contains(&rig.ids.live_video_id)).count();
    assert_eq!(fb_calls_after, 0, "a source needing re-authorisation is not polled again");
    rig.wait_source_state("instagram", "healthy").await;
    rig.finish().await;
}

async fn permission_and_invalid_request_errors_stop_the_source_with_their_reason(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.graph.inject(
        FaultRule::new(Matcher::path(rig.ids.live_video_id.clone()), Fault::PermissionDenied(200)).always(),
    );
    rig.graph
        .inject(FaultRule::new(Matcher::path(rig.ids.ig_media_id.clone()), Fault::InvalidParameter).always());
    rig.set_status("live").await;
    rig.wait_source_state("facebook", "permission_denied").await;
    let ig = rig.wait_source_state("instagram", "stopped").await;
    assert!(ig["health"]["last_error"].as_str().unwrap_or_default().contains("100"), "{ig}");
    rig.finish().await;
}

async fn throttling_and_server_errors_back_off_then_recover(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.graph.inject(
        FaultRule::new(
            Matcher::path(rig.ids.live_video_id.clone()),
            Fault::Throttle { code: 32, regain_minutes: 0, usage_percent: 96 },
        )
        .times(1),
    );
    rig.graph
        .inject(FaultRule::new(Matcher::path(rig.ids.ig_media_id.clone()), Fault::ServerError(503)).times(2));
    rig.fb_comment("2001", "701", "Can stress cause arrhythmia?", true);
    rig.set_status("live").await;
    rig.wait_source_state("facebook", "degraded").await;
    let fb = rig.wait_source_state("facebook", "healthy").await;
    assert!(fb["health"]["usage_percent"].as_f64().is_some(), "usage is reported: {fb}");
    rig.wait_source_state("instagram", "healthy").await;
    rig.wait_questions("the comment despite the errors", |qs| qs.len() == 1).await;
    let metrics =
        rig.app.http.get(rig.app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("curbside_graph_calls_total{outcome=\"throttled\"}"), "{metrics}");
    assert!(metrics.contains("curbside_graph_calls_total{outcome=\"transient\"}"), "{metrics}");
    rig.finish().await;
}

/// Approves and answers `q` as a specialist; returns the answered question.
async fn answer(rig: &mut Rig, q: i64, text: &str) -> Value {
    let session = rig.app.session_of(q).await;
    let specialist = rig.app.assigned_specialist(session).await;
    let admin = rig.app.admin().await;
    let (status, body) = rig
        .app
        .call(
            "POST",
            &format!("/api/questions/{q}/approve"),
            Some(&admin),
            Some(json!({"public_text": "Is coffee safe for the heart?"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rig
        .app
        .call("POST", &format!("/api/questions/{q}/answer"), Some(&specialist), Some(json!({"text": text})))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn an_answer_replies_on_facebook_and_privately_on_instagram_once_each(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    // Like Meta, the fake sends the Page's own replies back as webhooks: they must not loop.
    rig.graph.set_echo_target(Some(url::Url::parse(&rig.app.url("/webhooks/meta")).expect("url")));
    rig.set_status("live").await;
    let fb = rig.fb_comment("3001", "801", "Rowan here - is coffee bad for my heart?", true);
    let ig = rig.ig_comment("17800000000000002", "802", "coffee and heart rhythm??");
    let qs = rig.wait_questions("both comments", |qs| qs.len() == 2).await;
    let (keep, dup) = (qs[0]["id"].as_i64().expect("id"), qs[1]["id"].as_i64().expect("id"));
    let admin = rig.app.admin().await;
    let (status, _) = rig
        .app
        .call("POST", &format!("/api/questions/{dup}/merge"), Some(&admin), Some(json!({"into": keep})))
        .await;
    assert_eq!(status, 200);
    answer(&mut rig, keep, "Moderate coffee is safe for most people.").await;
    rig.wait_outbox("both replies sent", |items| {
        items.len() == 2 && items.iter().all(|i| i["status"] == "sent")
    })
    .await;
    let replies = rig.graph.fb_replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].comment_id, fb);
    let msg = &replies[0].message;
    assert!(msg.starts_with("Moderate coffee is safe for most people."), "{msg}");
    assert!(msg.contains("not medical advice"), "the disclaimer goes with every reply: {msg}");
    assert!(msg.contains(&format!("/s/heart-health-live#q-{keep}")), "{msg}");
    assert!(!msg.contains("Rowan") && !msg.contains("Viewer"), "no commenter names in replies: {msg}");
    let private = rig.graph.ig_private_replies();
    assert_eq!(private.len(), 1);
    assert_eq!(private[0].comment_id, ig);
    assert!(private[0].text.len() <= 1000);
    // More polling rounds and outbox passes post nothing more, and the Page's own reply (echoed
    // by webhook and seen by polling) never becomes a question.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!((rig.graph.fb_replies().len(), rig.graph.ig_private_replies().len()), (1, 1));
    assert_eq!(rig.app.questions(rig.session).await.len(), 2);
    let metrics =
        rig.app.http.get(rig.app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(
        metrics.contains("curbside_comments_total{via=\"webhook\",result=\"self_authored\"}"),
        "{metrics}"
    );
    rig.finish().await;
}

async fn instagram_private_replies_expire_once_the_broadcast_ends(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.set_status("live").await;
    rig.ig_comment("17800000000000003", "901", "Is it safe to exercise after a stent?");
    rig.ig_comment("17800000000000004", "902", "What is a normal heart rate?");
    let qs = rig.wait_questions("both comments", |qs| qs.len() == 2).await;
    // Instagram ends the broadcast first; Curbside's session is still live.
    rig.graph.set_ig_media_live(&rig.ids.ig_media_id, false);
    answer(&mut rig, qs[0]["id"].as_i64().expect("id"), "Usually yes, after your cardiologist agrees.").await;
    // Then the session ends too.
    rig.set_status("ended").await;
    answer(&mut rig, qs[1]["id"].as_i64().expect("id"), "Between 60 and 100 beats a minute at rest.").await;
    let items = rig
        .wait_outbox("both expired", |items| {
            items.len() == 2 && items.iter().all(|i| i["status"] == "expired")
        })
        .await;
    assert!(items.iter().all(|i| i["last_error"].as_str().unwrap_or_default().len() > 10), "{items:?}");
    assert!(rig.graph.ig_private_replies().is_empty());
    rig.finish().await;
}

async fn a_reply_that_reached_facebook_before_a_failure_is_not_posted_again(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.set_status("live").await;
    let fb = rig.fb_comment("4001", "811", "How do statins work?", true);
    let qs = rig.wait_questions("the comment", |qs| qs.len() == 1).await;
    // Facebook writes the reply, then the answer is lost (a 500 after the write).
    rig.graph.inject(
        FaultRule::new(
            Matcher::method_path(axum::http::Method::POST, format!("{fb}/comments")),
            Fault::AcceptThenDrop,
        )
        .times(1),
    );
    answer(&mut rig, qs[0]["id"].as_i64().expect("id"), "They lower the liver's cholesterol production.")
        .await;
    let items =
        rig.wait_outbox("the reply recorded", |items| items.len() == 1 && items[0]["status"] == "sent").await;
    assert_eq!(rig.graph.fb_replies().len(), 1, "exactly one reply on Facebook");
    assert_eq!(items[0]["attempts"], 2);
    rig.finish().await;
}

async fn a_correction_made_before_delivery_goes_out_corrected(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.set_status("live").await;
    let fb = rig.fb_comment("4501", "815", "Is it safe to take ibuprofen with blood thinners?", true);
    let qs = rig.wait_questions("the comment", |qs| qs.len() == 1).await;
    // Facebook is briefly unavailable: the first attempt fails and is retried later.
    rig.graph.inject(
        FaultRule::new(
            Matcher::method_path(axum::http::Method::POST, format!("{fb}/comments")),
            Fault::ServerError(503),
        )
        .times(1),
    );
    let q = qs[0]["id"].as_i64().expect("id");
    answer(&mut rig, q, "Usually yes.").await;
    rig.wait_outbox("the failed first attempt", |items| {
        items.len() == 1 && items[0]["attempts"] == 1 && items[0]["status"] == "pending"
    })
    .await;
    let session = rig.app.session_of(q).await;
    let specialist = rig.app.assigned_specialist(session).await;
    let correction = "No: ask your clinician first, ibuprofen raises the bleeding risk.";
    let (status, _) = rig
        .app
        .call(
            "POST",
            &format!("/api/questions/{q}/correct"),
            Some(&specialist),
            Some(json!({"text": correction})),
        )
        .await;
    assert_eq!(status, 200);
    rig.wait_outbox("the retried reply", |items| items.len() == 1 && items[0]["status"] == "sent").await;
    let replies = rig.graph.fb_replies();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].message.starts_with(correction), "{}", replies[0].message);
    rig.finish().await;
}

async fn a_crash_between_sending_and_recording_leaves_exactly_one_reply(backend: Backend) {
    // First life: the answer is given while no worker runs (no app secret: connectors off).
    let db = TestDb::fresh(backend).await;
    let config = GraphConfig::default();
    let ids = config.ids.clone();
    let graph = FakeGraph::start(config).await.expect("fake graph");
    let mut app = TestApp::spawn_with(db, |s| s.meta_app_secret = None).await;
    let admin = app.admin().await;
    let sid = app.create_simulated_session(&ids).await;
    app.call("PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "live"}))).await;
    let store = app.store().await;
    let fb_id = format!("{}_5001", ids.video_id);
    let ig_id = "17800000000000005".to_owned();
    for (platform, id, text) in [
        (curbside_domain::Platform::Facebook, &fb_id, "What is LDL?"),
        (curbside_domain::Platform::Instagram, &ig_id, "What is LDL??"),
    ] {
        let mut c = NewComment::new(
            if platform == curbside_domain::Platform::Facebook {
                ids.live_video_id.clone()
            } else {
                ids.ig_media_id.clone()
            },
            "821",
            "Viewer",
            text,
        );
        c.id = Some(id.clone());
        graph.add_comment(c).expect("add");
        store
            .ingest_comments(vec![curbside_store::IncomingComment {
                session_id: curbside_domain::SessionId(sid),
                source_id: None,
                platform,
                platform_comment_id: id.clone(),
                author_id: Some("821".into()),
                author_name: Some("Viewer".into()),
                text: text.into(),
                parent_id: None,
                platform_time: 1_764_000_000_000,
                via: "test".into(),
            }])
            .await
            .expect("ingest");
    }
    let qs = app.questions(sid).await;
    let specialist = app.assigned_specialist(sid).await;
    for q in &qs {
        let id = q["id"].as_i64().expect("id");
        app.call("POST", &format!("/api/questions/{id}/approve"), Some(&admin), None).await;
        let (status, _) = app
            .call(
                "POST",
                &format!("/api/questions/{id}/answer"),
                Some(&specialist),
                Some(json!({"text": "The 'bad' cholesterol."})),
            )
            .await;
        assert_eq!(status, 200);
    }
    // A worker claims both actions, gets them to the platform, and dies before recording; its
    // lease (a millisecond here) runs out.
    let claimed =
        store.claim_due_outbox("a-node-that-dies", Duration::from_millis(1), 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    let client = curbside_connectors::GraphClient::new(&graph.url(), &ids.app_secret).expect("client");
    // What the worker posts: the answer, the disclaimer and the link to this question's entry.
    let fb_question = qs
        .iter()
        .find(|q| q["sources"][0]["comment_id"] == json!(fb_id))
        .and_then(|q| q["id"].as_i64())
        .expect("the Facebook question");
    let posted = format!("The 'bad' cholesterol.\n\nFull Q&A: http://127.0.0.1/s/heart#q-{fb_question}");
    client.fb_reply(&fb_id, &posted, &ids.page_token).await.expect("reply");
    client
        .ig_private_reply(&ids.ig_user_id, &ig_id, "The 'bad' cholesterol.", &ids.ig_token)
        .await
        .expect("private reply");
    let db = app.stop().await;

    // Second life, with the worker: it reconciles instead of posting again.
    let mut app = TestApp::spawn_against(db, &graph).await;
    let admin = app.admin().await;
    let mut items = Vec::new();
    for _ in 0..150 {
        let (_, body) = app.call("GET", &format!("/api/sessions/{sid}/outbox"), Some(&admin), None).await;
        items = body["items"].as_array().cloned().unwrap_or_default();
        if items.iter().all(|i| i["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(items.iter().all(|i| i["status"] == "sent"), "{items:?}");
    assert_eq!(graph.fb_replies().len(), 1, "exactly one Facebook reply");
    assert_eq!(graph.ig_private_replies().len(), 1, "exactly one Instagram private reply");
    app.finish().await;
    graph.stop().await;
}

async fn hiding_at_source_hides_each_comment_on_its_platform(backend: Backend) {
    let mut rig = rig_with(backend, GraphConfig::default()).await;
    rig.set_status("live").await;
    let fb = rig.fb_comment("6001", "831", "My name is Jo Bloggs, DOB 1/2/1960, call me 555-0101", true);
    let qs = rig.wait_questions("the comment", |qs| qs.len() == 1).await;
    let moderator = rig.app.staff(Role::Moderator).await;
    let q = qs[0]["id"].as_i64().expect("id");
    let (status, body) =
        rig.app.call("POST", &format!("/api/questions/{q}/hide-at-source"), Some(&moderator), None).await;
    assert_eq!(status, 202, "{body}");
    rig.wait_outbox("the hide", |items| items.len() == 1 && items[0]["status"] == "sent").await;
    let hidden = rig.graph.hidden();
    assert_eq!(hidden.len(), 1);
    assert_eq!((hidden[0].comment_id.as_str(), hidden[0].hidden), (fb.as_str(), true));
    rig.finish().await;
}

on_both_backends!(
    polling_fills_what_webhooks_miss_and_dedupes_with_them,
    an_expired_token_stops_the_source_and_asks_for_reauthorisation,
    permission_and_invalid_request_errors_stop_the_source_with_their_reason,
    throttling_and_server_errors_back_off_then_recover,
    an_answer_replies_on_facebook_and_privately_on_instagram_once_each,
    instagram_private_replies_expire_once_the_broadcast_ends,
    a_reply_that_reached_facebook_before_a_failure_is_not_posted_again,
    a_correction_made_before_delivery_goes_out_corrected,
    a_crash_between_sending_and_recording_leaves_exactly_one_reply,
    hiding_at_source_hides_each_comment_on_its_platform,
);
