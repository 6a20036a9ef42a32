//! Meta webhooks over real HTTP against the real endpoint: the handshake, signatures, every
//! payload variant, redelivery and re-batching, a 1000-change batch, and every stored fixture
//! of an established client's test suite played byte for byte.

use curbside_tests::{on_both_backends, Backend, TestApp, VERIFY_TOKEN};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

const PAGE: &str = "1000000000001";
const VIDEO: &str = "2000000000002";
const LIVE_VIDEO: &str = "3000000000003";
const IG_USER: &str = "17841400000000001";
const IG_MEDIA: &str = "17900000000000002";

fn post_id() -> String {
    format!("{PAGE}_{VIDEO}")
}

fn fb_comment(verb: &str, comment: &str, author: &str, message: Option<&str>) -> Value {
    let mut value = json!({
        "item": "comment", "verb": verb, "comment_id": format!("{VIDEO}_{comment}"), "post_id": post_id(),
        "parent_id": post_id(), "from": {"id": author, "name": format!("Viewer {author}")}, "created_time": 1_764_000_000
    });
    if let Some(m) = message {
        value["message"] = json!(m);
    }
    json!({"field": "feed", "value": value})
}

fn page_body(changes: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"object": "page", "entry": [{"id": PAGE, "time": 1_764_000_001, "changes": changes}]}),
    )
    .expect("json")
}

fn ig_body(changes: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "instagram", "entry": [{"id": IG_USER, "time": 1_764_000_002, "changes": changes}]}))
        .expect("json")
}

fn ig_live_comment(id: &str, author: &str, text: &str) -> Value {
    json!({"field": "live_comments", "value": {
        "from": {"id": author, "username": format!("user{author}"), "self_ig_scoped_id": author},
        "media": {"id": IG_MEDIA, "media_product_type": "LIVE"}, "id": id, "text": text}})
}

async fn session(app: &mut TestApp) -> i64 {
    app.create_session("Webhooks").await["id"].as_i64().expect("id")
}

async fn handshake_echoes_the_challenge_only_for_the_right_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let get = |q: String| {
        let app = &app;
        async move {
            let resp = app.http.get(app.url(&format!("/webhooks/meta?{q}"))).send().await.expect("get");
            (resp.status().as_u16(), resp.text().await.unwrap_or_default())
        }
    };
    let ok =
        get(format!("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}")).await;
    assert_eq!(ok, (200, "1158201444".to_owned()));
    assert_eq!(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhock".into()).await.0, 403);
    assert_eq!(
        get(format!("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={VERIFY_TOKEN}")).await.0,
        403
    );
    assert_eq!(
        get(format!("hub_mode=subscribe&hub_challenge=1&hub_verify_token={VERIFY_TOKEN}")).await.0,
        403
    );
    assert_eq!(get(String::new()).await.0, 403);
    app.finish().await;
}

async fn unsigned_or_wrongly_signed_deliveries_are_refused_and_change_nothing(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    let body = page_body(vec![fb_comment("add", "1", "555", Some("Is salt bad?"))]);
    assert_eq!(app.webhook_with(&body, None).await.0, 401);
    let wrong = curbside_meta::sign_body(b"another-secret", &body);
    assert_eq!(app.webhook_with(&body, Some(&wrong)).await.0, 401);
    assert_eq!(app.webhook_with(&body, Some("sha256=zz")).await.0, 401);
    assert_eq!(app.webhook_with(&body, Some("sha1=0000")).await.0, 401);
    // Signed over other bytes (re-serialised JSON is not the same body).
    let reserialised =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).expect("json")).expect("json");
    let sig = curbside_meta::sign_body(curbside_tests::APP_SECRET.as_bytes(), &reserialised);
    assert_eq!(app.webhook_with(&body, Some(&sig)).await.0, 401);
    assert!(app.questions(sid).await.is_empty(), "nothing stored");
    app.finish().await;
}

async fn bad_bodies_get_a_4xx_and_unknown_objects_an_ignoring_200(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    for (body, want) in [
        (b"{\"object\":\"page\",\"entry\":[".to_vec(), 400),
        (b"not json".to_vec(), 400),
        (vec![0xff, 0xfe, b'{', b'}'], 400),
        (b"[]".to_vec(), 400),
        (b"{\"object\":\"page\",\"entry\":{}}".to_vec(), 400),
        (b"{\"object\":\"user\",\"entry\":[{\"id\":\"1\",\"time\":1,\"changes\":[{\"field\":\"photos\",\"value\":{}}]}]}".to_vec(), 200),
        (b"{\"object\":\"page\",\"entry\":[{\"id\":\"1\",\"time\":1,\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\",\"comment_id\":12}}]}]}".to_vec(), 200),
    ] {
        let (status, text) = app.webhook(&body).await;
        assert_eq!(status, want, "{}: {text}", String::from_utf8_lossy(&body));
    }
    // A body far beyond any Meta batch is refused from its Content-Length, before it is read:
    // spoken over a raw socket so the client is not still writing when the answer comes.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.expect("connect");
        let head = format!(
            "POST /webhooks/meta HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             x-hub-signature-256: sha256=00\r\ncontent-length: {}\r\n\r\n{{\"object\":",
            5 * 1024 * 1024
        );
        sock.write_all(head.as_bytes()).await.expect("write");
        let mut answer = vec![0u8; 512];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), sock.read(&mut answer))
            .await
            .expect("an answer")
            .expect("read");
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    }
    assert!(app.questions(sid).await.is_empty());
    let metrics =
        app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("curbside_webhook_bodies_total{outcome=\"malformed\"} 5"), "{metrics}");
    app.finish().await;
}

async fn the_same_comment_in_one_body_twice_or_in_two_bodies_is_stored_once(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    let c = fb_comment("add", "77", "555", Some("What is a normal resting heart rate?"));
    let (status, text) = app.webhook(&page_body(vec![c.clone(), c.clone()])).await;
    assert_eq!((status, text.as_str()), (200, "EVENT_RECEIVED"));
    let other = fb_comment("add", "78", "556", Some("Is coffee OK?"));
    assert_eq!(app.webhook(&page_body(vec![other, c.clone()])).await.0, 200);
    assert_eq!(app.webhook(&page_body(vec![c])).await.0, 200);
    let qs = app.questions(sid).await;
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0]["sources"][0]["comment_id"], format!("{VIDEO}_77"));
    assert_eq!(qs[0]["sources"][0]["author_name"], "Viewer 555", "staff see the author");
    assert_eq!(qs[0]["original_text"], "What is a normal resting heart rate?");
    app.finish().await;
}

async fn a_thousand_change_batch_is_stored_before_the_200(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    let changes: Vec<Value> = (0..1000)
        .map(|i| {
            fb_comment(
                "add",
                &format!("{}", 10_000 + i),
                &format!("{}", 600 + i),
                Some("How much exercise is enough?"),
            )
        })
        .collect();
    let body = page_body(changes);
    let started = Instant::now();
    let (status, _) = app.webhook(&body).await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    // Stored before the answer: the list is complete the moment the 200 arrives.
    assert_eq!(app.questions(sid).await.len(), 1000);
    eprintln!(
        "1000-change webhook ({} KiB) acknowledged in {took:?} on {backend:?} (debug build)",
        body.len() / 1024
    );
    // Redelivery of the whole batch stores nothing new.
    assert_eq!(app.webhook(&body).await.0, 200);
    assert_eq!(app.questions(sid).await.len(), 1000);
    app.finish().await;
}

async fn edits_removals_and_hides_update_the_question_visibly(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    app.webhook(&page_body(vec![fb_comment("add", "1", "555", Some("My BP is 150/90, is that bad?"))])).await;
    app.webhook(&page_body(vec![fb_comment("add", "2", "556", Some("Call me at 555-0100 about statins"))]))
        .await;
    app.webhook(&page_body(vec![fb_comment("edited", "1", "555", Some("Is a BP of 150/90 bad?"))])).await;
    let qs = app.questions(sid).await;
    assert_eq!(qs[0]["public_text"], "Is a BP of 150/90 bad?", "a new question follows the author's edit");
    // Remove has no message nor created_time; hide and unhide come and go.
    let mut remove = fb_comment("remove", "2", "556", None);
    remove["value"].as_object_mut().expect("obj").remove("created_time");
    app.webhook(&page_body(vec![remove])).await;
    app.webhook(&page_body(vec![fb_comment("hide", "1", "555", Some("Is a BP of 150/90 bad?"))])).await;
    let qs = app.questions(sid).await;
    assert_eq!(qs.len(), 2, "nothing is deleted");
    assert_eq!(qs[0]["flags"], json!(["hidden"]));
    assert_eq!(qs[1]["flags"], json!(["phi", "removed"]), "screening's flag stays beside the removal");
    let admin = app.admin().await;
    let (_, active) =
        app.call("GET", &format!("/api/sessions/{sid}/questions?state=active"), Some(&admin), None).await;
    assert_eq!(active["questions"], json!([]), "both left the moderators' active queue");
    app.webhook(&page_body(vec![fb_comment("unhide", "1", "555", Some("Is a BP of 150/90 bad?"))])).await;
    assert_eq!(app.questions(sid).await[0]["flags"], json!([]));
    let (_, active) =
        app.call("GET", &format!("/api/sessions/{sid}/questions?state=active"), Some(&admin), None).await;
    assert_eq!(active["questions"].as_array().map(Vec::len), Some(1), "unhidden, it is back in the queue");
    // After a moderator rewords it, an edit no longer changes the public wording.
    let qid = qs[0]["id"].as_i64().expect("id");
    app.call(
        "POST",
        &format!("/api/questions/{qid}/approve"),
        Some(&admin),
        Some(json!({"public_text": "What blood pressure is too high?"})),
    )
    .await;
    app.webhook(&page_body(vec![fb_comment("edited", "1", "555", Some("nvm"))])).await;
    let q = &app.questions(sid).await[0];
    assert_eq!(q["public_text"], "What blood pressure is too high?");
    assert_eq!(q["sources"][0]["text"], "nvm", "staff still see the comment as edited");
    app.finish().await;
}

async fn comments_written_by_the_page_or_account_itself_are_ignored(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    app.webhook(&page_body(vec![fb_comment("add", "1", PAGE, Some("Welcome everyone!"))])).await;
    app.webhook(&ig_body(vec![ig_live_comment("179001", IG_USER, "Thanks for joining")])).await;
    assert!(app.questions(sid).await.is_empty());
    app.finish().await;
}

async fn instagram_live_comments_and_both_id_keys_become_questions(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    let mut variant = ig_live_comment("ignored", "902", "¿El café sube la presión?");
    let obj = variant["value"].as_object_mut().expect("obj");
    obj.remove("id");
    obj.insert("comment_id".into(), json!("179002"));
    let (status, _) = app
        .webhook(&ig_body(vec![
            ig_live_comment("179001", "901", "Is it safe to fly after a stent?"),
            variant,
        ]))
        .await;
    assert_eq!(status, 200);
    let qs = app.questions(sid).await;
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0]["sources"][0]["platform"], "instagram");
    assert_eq!(qs[0]["sources"][0]["author_name"], "user901");
    assert_eq!(qs[1]["sources"][0]["comment_id"], "179002");
    assert_eq!(qs[1]["original_text"], "¿El café sube la presión?");
    app.finish().await;
}

async fn live_video_status_changes_move_the_session(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = session(&mut app).await;
    let admin = app.admin().await;
    let status =
        |s: &str| page_body(vec![json!({"field": "live_videos", "value": {"id": LIVE_VIDEO, "status": s}})]);
    assert_eq!(app.webhook(&status("live")).await.0, 200);
    assert_eq!(
        app.call("GET", &format!("/api/sessions/{sid}"), Some(&admin), None).await.1["status"],
        "live"
    );
    assert_eq!(app.webhook(&status("LIVE_STOPPED")).await.0, 200);
    assert_eq!(
        app.call("GET", &format!("/api/sessions/{sid}"), Some(&admin), None).await.1["status"],
        "ended"
    );
    assert_eq!(app.webhook(&status("scheduled_canceled")).await.0, 200, "unknown statuses change nothing");
    assert_eq!(
        app.call("GET", &format!("/api/sessions/{sid}"), Some(&admin), None).await.1["status"],
        "ended"
    );
    app.finish().await;
}

fn fixture_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/meta/tests/fixtures/meta-payloads");
    let mut files = Vec::new();
    for dir in ["facebook-webhooks", "instagram-webhooks"] {
        for e in std::fs::read_dir(root.join(dir)).expect("fixture dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 45, "fixtures missing: {}", files.len());
    files
}

/// Facebook comment changes in a fixture, read independently of the product's parser.
fn fixture_comments(body: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for entry in body["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            if change["field"] == "feed" && change["value"]["item"] == "comment" {
                out.push(change["value"].clone());
            }
        }
    }
    out
}

async fn every_stored_meta_fixture_is_accepted_and_only_comments_become_questions(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    // One source for every post the fixtures name, on the fixtures' page.
    let files = fixture_files();
    let mut sources = Vec::new();
    let mut posts = std::collections::BTreeSet::new();
    for f in &files {
        let body: Value = serde_json::from_slice(&std::fs::read(f).expect("read")).expect("fixture json");
        for c in fixture_comments(&body) {
            posts.insert(c["post_id"].as_str().expect("post_id").to_owned());
        }
    }
    for (i, post) in posts.iter().enumerate() {
        let (page, video) = post.split_once('_').expect("page_video");
        sources.push(json!({"platform": "facebook", "page_id": page, "live_video_id": format!("{}", 9_000 + i), "video_id": video, "access_token": "t"}));
    }
    let (status, s) = app
        .call("POST", "/api/sessions", Some(&admin), Some(json!({"title": "Fixtures", "sources": sources})))
        .await;
    assert_eq!(status, 201, "{s}");
    let sid = s["id"].as_i64().expect("id");

    // As recorded: every file accepted; their comments are the Page's own, so none is a question.
    for f in &files {
        let raw = std::fs::read(f).expect("read");
        let (status, text) = app.webhook(&raw).await;
        assert_eq!(status, 200, "{}: {text}", f.display());
    }
    assert!(app.questions(sid).await.is_empty(), "the fixtures' comments are written by the Page itself");

    // The same comments as a viewer wrote them: each add/edit becomes exactly one question,
    // however often it is delivered; removals and hides of unknown comments store nothing.
    let mut expected = std::collections::BTreeSet::new();
    for f in &files {
        let mut body: Value = serde_json::from_slice(&std::fs::read(f).expect("read")).expect("json");
        let mut any = false;
        for entry in body["entry"].as_array_mut().into_iter().flatten() {
            for change in entry["changes"].as_array_mut().into_iter().flatten() {
                let is_feed = change["field"] == "feed";
                let v = &mut change["value"];
                if is_feed && v["item"] == "comment" {
                    any = true;
                    if v.get("from").is_some() {
                        v["from"]["id"] = json!("700000000000001");
                    }
                    if v.get("sender_id").is_some() {
                        v["sender_id"] = json!(700000000000001u64);
                    }
                    if matches!(v["verb"].as_str(), Some("add" | "edited")) {
                        expected.insert(v["comment_id"].as_str().expect("id").to_owned());
                    }
                }
            }
        }
        if any {
            let bytes = serde_json::to_vec(&body).expect("json");
            for _ in 0..2 {
                assert_eq!(app.webhook(&bytes).await.0, 200, "{}", f.display());
            }
        }
    }
    let qs = app.questions(sid).await;
    let got: std::collections::BTreeSet<String> =
        qs.iter().map(|q| q["sources"][0]["comment_id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(got, expected);
    assert_eq!(qs.len(), expected.len());
    app.finish().await;
}

on_both_backends!(
    handshake_echoes_the_challenge_only_for_the_right_token,
    unsigned_or_wrongly_signed_deliveries_are_refused_and_change_nothing,
    bad_bodies_get_a_4xx_and_unknown_objects_an_ignoring_200,
    the_same_comment_in_one_body_twice_or_in_two_bodies_is_stored_once,
    a_thousand_change_batch_is_stored_before_the_200,
    edits_removals_and_hides_update_the_question_visibly,
    comments_written_by_the_page_or_account_itself_are_ignored,
    instagram_live_comments_and_both_id_keys_become_questions,
    live_video_status_changes_move_the_session,
    every_stored_meta_fixture_is_accepted_and_only_comments_become_questions,
);
