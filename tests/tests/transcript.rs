//! The public transcript over real HTTP on SQLite and PostgreSQL: the pages, permalinks,
//! exports, search, recording links, caching headers, the ask form, and privacy checked the way
//! an attacker looks (every public surface searched for every name, id and raw text).

use curbside_tests::{on_both_backends, Backend, Role, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// One public GET: status, headers, body.
async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.http.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    (status, h, resp.text().await.unwrap_or_default())
}

/// Public pages may be up to `FRESH_FOR` behind a write: wait until `path` shows `needle`.
async fn eventually(app: &TestApp, path: &str, needle: &str) -> String {
    for _ in 0..60 {
        let (status, _, body) = get(app, path, &[]).await;
        if status == 200 && body.contains(needle) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never showed {needle:?}");
}

/// Stores comments as a connector would, with names, platform ids and raw text.
async fn comments(app: &TestApp, session: i64, list: &[(&str, &str, &str, &str)]) {
    let store = app.store().await;
    let batch = list
        .iter()
        .enumerate()
        .map(|(i, (platform, author_id, author, text))| curbside_store::IncomingComment {
            session_id: curbside_domain::SessionId(session),
            source_id: None,
            platform: curbside_domain::Platform::parse(platform).expect("platform"),
            platform_comment_id: format!("{author_id}_c{i}"),
            author_id: Some((*author_id).to_owned()),
            author_name: Some((*author).to_owned()),
            text: (*text).to_owned(),
            parent_id: None,
            platform_time: 1_700_000_000_000 + i as i64,
            via: "webhook".into(),
        })
        .collect();
    store.ingest_comments(batch).await.expect("ingest");
}

struct Staff {
    moderator: String,
    specialist: String,
}

/// A moderator, and a specialist assigned to every one of `sessions` (specialists answer only
/// the sessions they are assigned to).
async fn staff(app: &mut TestApp, sessions: &[i64]) -> Staff {
    let (first, rest) = sessions.split_first().expect("at least one session");
    let specialist = app.assigned_specialist(*first).await;
    let admin = app.admin().await;
    let (_, me) = app.call("GET", "/api/me", Some(&specialist), None).await;
    for s in rest {
        let path = format!("/api/sessions/{s}/specialists");
        let (status, body) = app.call("POST", &path, Some(&admin), Some(json!({"user_id": me["id"]}))).await;
        assert_eq!(status, 200, "assign the specialist: {body}");
    }
    Staff { moderator: app.staff(Role::Moderator).await, specialist }
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// Approves (with public wording), puts on air and answers question `q`.
async fn publish(app: &TestApp, s: &Staff, q: i64, wording: &str, answer: &str) {
    post(app, &s.moderator, &format!("/api/questions/{q}/approve"), json!({"public_text": wording})).await;
    post(app, &s.specialist, &format!("/api/questions/{q}/on-air"), json!({})).await;
    post(app, &s.specialist, &format!("/api/questions/{q}/answer"), json!({"text": answer})).await;
}

async fn set_status(app: &mut TestApp, session: i64, status: &str) {
    let admin = app.admin().await;
    let (code, body) = app
        .call("PATCH", &format!("/api/sessions/{session}"), Some(&admin), Some(json!({"status": status})))
        .await;
    assert_eq!(code, 200, "{body}");
}

async fn transcript_page_shows_answers_in_answer_order_with_counts_corrections_and_downloads(
    backend: Backend,
) {
    let mut app = TestApp::spawn(backend).await;
    let s = app.create_session("Heart health Q&A").await;
    let sid = id(&s);
    set_status(&mut app, sid, "live").await;
    comments(
        &app,
        sid,
        &[
            ("facebook", "100", "Ann", "what lowers ldl"),
            ("instagram", "200", "bo.b", "ldl lowering?"),
            ("facebook", "300", "Cy", "is coffee ok"),
        ],
    )
    .await;
    let st = staff(&mut app, &[sid]).await;
    let qs = app.questions(sid).await;
    let (q1, q2, q3) = (id(&qs[0]), id(&qs[1]), id(&qs[2]));
    post(&app, &st.moderator, &format!("/api/questions/{q2}/merge"), json!({"into": q1})).await;
    // Answered second question first: answer order, not arrival order.
    publish(&app, &st, q3, "Is coffee safe for my heart?", "Moderate coffee is fine for most people.").await;
    publish(&app, &st, q1, "What lowers LDL cholesterol?", "Soluble fibre and statins lower LDL.").await;
    post(
        &app,
        &st.specialist,
        &format!("/api/questions/{q3}/correct"),
        json!({"text": "Up to 3 cups a day is fine for most people."}),
    )
    .await;

    let page = eventually(&app, "/s/heart-health-q-a", "Up to 3 cups").await;
    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{}", &page[..80]);
    let coffee = page.find("Is coffee safe").expect("coffee answer");
    let ldl = page.find("What lowers LDL").expect("ldl answer");
    assert!(coffee < ldl, "answers appear in the order they were answered");
    assert!(page.contains("Asked by 2 viewers on Facebook and Instagram"), "merged count and platforms");
    assert!(page.contains("Asked by 1 viewer on Facebook"));
    assert!(page.contains("Corrected on"), "a corrected answer carries a dated notice");
    assert!(page.contains("Live now"));
    assert!(page.contains("Test specialist, MD, Cardiology"), "specialist with credentials");
    assert!(
        page.contains(&format!("id=\"q-{q3}\""))
            && page.contains(&format!("href=\"/s/heart-health-q-a/q/{q1}\""))
    );
    assert!(page.contains("This answer is general health information"), "the disclaimer");
    assert!(page.contains("<script type=\"application/ld+json\">") && page.contains("\"FAQPage\""));
    assert!(page.contains("property=\"og:title\"") && page.contains("name=\"twitter:card\""));
    for link in ["transcript.json", "transcript.md", "transcript.csv", "chapters.vtt"] {
        assert!(page.contains(&format!("href=\"/s/heart-health-q-a/{link}\"")), "{link} linked");
    }
    assert!(page.contains("action=\"/s/heart-health-q-a/ask\""), "a live session takes questions");
    assert!(page.contains("<main id=\"main\"") && page.contains("class=\"skip\" href=\"#main\""));

    // The contract's JSON, exactly.
    let (status, headers, body) = get(&app, "/s/heart-health-q-a/transcript.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let doc: Value = serde_json::from_str(&body).expect("JSON");
    let keys: Vec<&str> = doc.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["disclaimer", "entries", "session"]);
    assert_eq!(doc["session"]["slug"], "heart-health-q-a");
    assert_eq!(doc["session"]["status"], "live");
    assert!(doc["session"]["started_at"].is_i64());
    let entries = doc["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], q3);
    assert_eq!(entries[1]["question"], "What lowers LDL cholesterol?");
    assert_eq!(entries[1]["asked_by_count"], 2);
    assert_eq!(entries[1]["platforms"], json!(["facebook", "instagram"]));
    assert_eq!(
        entries[1]["answer"]["answered_by"],
        json!({"name": "Test specialist", "credentials": "MD, Cardiology"})
    );
    assert!(entries[1]["answer"]["answered_at"].is_i64());
    assert_eq!(
        entries[0]["video_offset_seconds"].as_i64().map(|s| s >= 0),
        Some(true),
        "went on air while live"
    );

    let (_, h, md) = get(&app, "/s/heart-health-q-a/transcript.md", &[]).await;
    assert!(h["content-type"].to_str().unwrap_or("").starts_with("text/markdown"));
    assert!(
        md.starts_with("# Heart health Q&amp;A") && md.contains("## What lowers LDL cholesterol?"),
        "{md}"
    );
    let (_, h, csv) = get(&app, "/s/heart-health-q-a/transcript.csv", &[]).await;
    assert!(h["content-disposition"].to_str().unwrap_or("").contains("heart-health-q-a-transcript.csv"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (_, h, vtt) = get(&app, "/s/heart-health-q-a/chapters.vtt", &[]).await;
    assert!(h["content-type"].to_str().unwrap_or("").starts_with("text/vtt"));
    assert!(vtt.starts_with("WEBVTT\n\n") && vtt.contains(&format!("q-{q3}\n00:00:")), "{vtt}");

    // The permalink, with its own preview tags.
    let (status, _, one) = get(&app, &format!("/s/heart-health-q-a/q/{q1}"), &[]).await;
    assert_eq!(status, 200);
    assert!(one.contains("<h1>What lowers LDL cholesterol?</h1>"));
    assert!(
        one.contains("<meta property=\"og:description\" content=\"Soluble fibre and statins lower LDL.\">")
    );
    assert!(one.contains(&format!("href=\"/s/heart-health-q-a#q-{q1}\"")));
    let (status, _, _) = get(&app, &format!("/s/heart-health-q-a/q/{q2}"), &[]).await;
    assert_eq!(status, 404, "a merged (unanswered) question has no permalink");
    app.finish().await;
}

async fn pages_speak_english_or_spanish_and_unknown_slugs_get_a_real_404(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.create_session("Diabetes").await;
    let (status, h, es) = get(&app, "/s/diabetes", &[("accept-language", "es-MX,es;q=0.9,en;q=0.5")]).await;
    assert_eq!(status, 200);
    assert!(
        es.contains("<html lang=\"es\">")
            && es.contains("Próximamente")
            && es.contains("Hora de inicio por anunciar")
    );
    assert_eq!(h["vary"], "Accept-Language");
    assert!(es.contains("href=\"/s/diabetes?lang=en\""), "a visible switch");
    let (_, h, en) = get(&app, "/s/diabetes?lang=en", &[("accept-language", "es")]).await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Upcoming"));
    assert!(h.get("vary").is_none());

    for path in [
        "/s/no-such-session",
        "/s/NOT_A_SLUG",
        "/s/diabetes/q/999999",
        "/s/diabetes/q/abc",
        "/s/nope/transcript.json",
        "/s/diabetes/no/such/page",
    ] {
        let (status, h, body) = get(&app, path, &[("accept-language", "es")]).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(h["content-type"], "text/html; charset=utf-8", "{path}");
        assert!(
            body.contains("<html lang=\"es\">") && body.contains("Página no encontrada"),
            "{path}: {body}"
        );
        assert!(body.contains("noindex"));
    }
    app.finish().await;
}

async fn caching_headers_let_a_cdn_keep_an_ended_session_and_answer_conditional_requests(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Sleep").await);
    let (_, h, _) = get(&app, "/s/sleep", &[]).await;
    assert_eq!(h["cache-control"], "public, max-age=60");
    set_status(&mut app, sid, "live").await;
    set_status(&mut app, sid, "ended").await;
    let page = eventually(&app, "/s/sleep", "Ended").await;
    assert!(!page.contains("/ask\""), "an ended session takes no questions");
    assert!(!page.contains("<script src"), "no live script once ended");
    let (status, h, _) = get(&app, "/s/sleep", &[]).await;
    assert_eq!(status, 200);
    let cc = h["cache-control"].to_str().unwrap_or("");
    assert!(cc.contains("public") && cc.contains("s-maxage=86400"), "{cc}");
    let etag = h["etag"].to_str().expect("etag").to_owned();
    let last_modified = h["last-modified"].to_str().expect("last-modified").to_owned();
    let (status, h2, body) = get(&app, "/s/sleep", &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.as_str()), (304, ""));
    assert_eq!(h2["etag"].to_str().unwrap_or(""), etag);
    let (status, _, _) = get(&app, "/s/sleep", &[("if-modified-since", &last_modified)]).await;
    assert_eq!(status, 304);
    let (status, _, _) = get(&app, "/s/sleep", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(status, 200);
    app.finish().await;
}

async fn search_finds_answers_within_and_across_sessions_and_follows_corrections(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let a = id(&app.create_session("Heart").await);
    let b = id(&app.create_session("Kidneys").await);
    comments(&app, a, &[("facebook", "1", "Ann", "cholesterol?")]).await;
    comments(&app, b, &[("facebook", "2", "Bo", "kidney stones?")]).await;
    let st = staff(&mut app, &[a, b]).await;
    let qa = id(&app.questions(a).await[0]);
    let qb = id(&app.questions(b).await[0]);
    publish(&app, &st, qa, "How do I lower cholesterol?", "Oats and walking help lower cholesterol.").await;
    publish(&app, &st, qb, "How do I avoid kidney stones?", "Drink water; walking helps too.").await;

    let body = eventually(&app, "/s?q=walking", "How do I avoid kidney stones?").await;
    assert!(body.contains("How do I lower cholesterol?"), "across sessions");
    let (_, _, within) = get(&app, "/s/heart/search?q=walk", &[]).await;
    assert!(within.contains("How do I lower cholesterol?"), "prefix search within one session");
    assert!(!within.contains("kidney"), "only this session");
    let (_, _, none) = get(&app, "/s/heart/search?q=%22%29+OR+*+NEAR", &[]).await;
    assert!(none.contains("No answers match"), "query syntax is not passed through");

    post(
        &app,
        &st.specialist,
        &format!("/api/questions/{qa}/correct"),
        json!({"text": "Soluble fibre helps."}),
    )
    .await;
    let (_, _, after) = get(&app, "/s/heart/search?q=fibre", &[]).await;
    assert!(after.contains("How do I lower cholesterol?"), "the index follows the correction");
    let (_, _, gone) = get(&app, "/s/heart/search?q=oats", &[]).await;
    assert!(gone.contains("No answers match"), "the replaced answer is no longer found");
    app.finish().await;
}

async fn recording_links_and_scheduled_start_are_set_through_patch(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Stroke").await);
    let admin = app.admin().await;
    let path = format!("/api/sessions/{sid}");
    for bad in ["javascript:alert(1)", "data:text/html,x", "ftp://x.example/v", "not a url"] {
        let (status, body) =
            app.call("PATCH", &path, Some(&admin), Some(json!({"recording_url": bad}))).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, body) = app
        .call("PATCH", &path, Some(&admin), Some(json!({"starts_at": 1_900_000_000_000i64, "recording_url": "https://video.example.org/stroke.mp4"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["starts_at"], 1_900_000_000_000i64);
    assert_eq!(body["recording_url"], "https://video.example.org/stroke.mp4");
    eventually(&app, "/s/stroke", "17 March 2030, 17:46 UTC").await;
    let (status, body) = app.call("PATCH", &path, Some(&admin), Some(json!({"starts_at": null}))).await;
    assert_eq!((status, body["starts_at"].clone()), (200, Value::Null));
    assert_eq!(body["recording_url"], "https://video.example.org/stroke.mp4", "absent fields stay");

    set_status(&mut app, sid, "live").await;
    comments(&app, sid, &[("facebook", "1", "Ann", "signs of stroke?")]).await;
    let st = staff(&mut app, &[sid]).await;
    let q = id(&app.questions(sid).await[0]);
    publish(
        &app,
        &st,
        q,
        "What are the signs of a stroke?",
        "Face drooping, arm weakness, speech difficulty: call 911.",
    )
    .await;
    let page = eventually(&app, "/s/stroke", "signs of a stroke").await;
    assert!(page.contains("href=\"https://video.example.org/stroke.mp4#t="), "watch link");
    app.call(
        "PATCH",
        &path,
        Some(&admin),
        Some(json!({"recording_url": "https://video.example.org/watch?v=1&t={t}"})),
    )
    .await;
    let page = eventually(&app, "/s/stroke", "watch?v=1").await;
    assert!(page.contains("href=\"https://video.example.org/watch?v=1&amp;t="), "{{t}} is replaced");
    assert!(!page.contains("{t}"));
    let (status, _) = app.call("PATCH", &path, Some(&admin), Some(json!({"recording_url": ""}))).await;
    assert_eq!(status, 200);
    let (_, openapi) = app.call("GET", "/api/openapi.json", None, None).await;
    let patch = &openapi["components"]["schemas"]["PatchSession"]["properties"];
    assert!(patch["recording_url"].is_object() && patch["starts_at"].is_object(), "documented: {patch}");
    let (_, _, json_doc) = get(&app, "/s/stroke/transcript.json", &[]).await;
    let doc: Value = serde_json::from_str(&json_doc).expect("json");
    assert!(
        doc["entries"][0]["video_offset_seconds"].as_i64().is_some_and(|s| (0..60).contains(&s)),
        "{doc}"
    );
    app.finish().await;
}

async fn form(app: &TestApp, slug: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = app.http.post(app.url(&format!("/s/{slug}/ask"))).form(fields);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("post");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    if status == 200 {
        assert_eq!(h["cache-control"], "no-store");
    }
    (status, resp.text().await.unwrap_or_default())
}

async fn ask_form_puts_a_web_question_in_the_queue_and_refuses_bots_floods_and_other_sites(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Asthma").await);
    let (status, body) = form(
        &app,
        "asthma",
        &[("question", "Can I exercise with asthma?"), ("website", "")],
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("your question was received") && body.contains("will appear on this session"),
        "{body}"
    );
    let qs = app.questions(sid).await;
    assert_eq!(qs.len(), 1, "stored before the confirmation");
    assert_eq!(qs[0]["public_text"], "Can I exercise with asthma?");
    assert_eq!(qs[0]["state"], "new");
    assert_eq!(qs[0]["sources"][0]["platform"], "web");
    assert_eq!(qs[0]["sources"][0]["author_name"], Value::Null);

    let (status, _) =
        form(&app, "asthma", &[("question", "Buy cheap pills"), ("website", "http://spam")], &[]).await;
    assert_eq!(status, 200, "a bot sees the usual confirmation");
    let (status, body) =
        form(&app, "asthma", &[("question", "From elsewhere")], &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) =
        form(&app, "asthma", &[("question", "From elsewhere")], &[("origin", "https://evil.example")]).await;
    assert_eq!(status, 403);
    let long = "a".repeat(501);
    let (status, body) = form(&app, "asthma", &[("question", &long), ("lang", "es")], &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("más de 500 caracteres") && body.contains(&long), "the text is kept to shorten");
    let (status, _) = form(&app, "asthma", &[("question", "   ")], &[]).await;
    assert_eq!(status, 422);
    let (status, _) = form(&app, "no-such", &[("question", "hello")], &[]).await;
    assert_eq!(status, 404);
    assert_eq!(app.questions(sid).await.len(), 1, "nothing refused was stored");

    for i in 0..4 {
        let (status, _) = form(&app, "asthma", &[("question", &format!("Question {i}?"))], &[]).await;
        assert_eq!(status, 200);
    }
    let resp = app
        .http
        .post(app.url("/s/asthma/ask"))
        .form(&[("question", "one too many")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(app.questions(sid).await.len(), 5);

    // Answered, a web question gets no platform reply.
    let st = staff(&mut app, &[sid]).await;
    let q = id(&app.questions(sid).await[0]);
    publish(&app, &st, q, "Can I exercise with asthma?", "Yes, with a plan from your clinician.").await;
    let admin = app.admin().await;
    let (_, outbox) = app.call("GET", &format!("/api/sessions/{sid}/outbox"), Some(&admin), None).await;
    assert_eq!(outbox["items"], json!([]), "no platform reply for platform web");
    eventually(&app, "/s/asthma", "Asked by 1 viewer on this website").await;

    set_status(&mut app, sid, "live").await;
    set_status(&mut app, sid, "ended").await;
    let (status, body) = form(&app, "asthma", &[("question", "Too late?")], &[]).await;
    assert_eq!(status, 409, "{body}");
    app.finish().await;
}

/// Names, platform ids and raw words that must never appear publicly.
const SECRETS: &[&str] = &[
    "Rowan Thistlewood",
    "rowan.t.private",
    "918273645501",
    "918273645502",
    "my neighbour Mrs Quillfeather",
    "DOB 1961",
    "918273645501_c0",
];

/// Approved wording and answers full of attacks.
const HOSTILE_Q: &str = "<script>window.__pwned=1;alert(1)</script></script><!-- <img src=x onerror=\"alert(2)\"> \
    =cmd|' /C calc'!A0 \u{202E}txt.exe\u{202C} averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword";
const HOSTILE_A: &str =
    "@SUM(1+1) <a href=\"javascript:alert(3)\">click</a>\n\n00:00:01.000 --> 00:00:02.000\n<b>cue</b> \
    <svg onload=alert(4)> \u{2066}isolate";

async fn hostile_session(app: &mut TestApp) -> (i64, i64) {
    let sid = id(&app.create_session("Privacy drill").await);
    set_status(app, sid, "live").await;
    comments(
        app,
        sid,
        &[
            (
                "facebook",
                "918273645501",
                "Rowan Thistlewood",
                "Rowan here, my neighbour Mrs Quillfeather DOB 1961 has chest pain",
            ),
            ("instagram", "918273645502", "rowan.t.private", "same question from rowan.t.private DOB 1961"),
        ],
    )
    .await;
    let st = staff(app, &[sid]).await;
    let qs = app.questions(sid).await;
    let (q1, q2) = (id(&qs[0]), id(&qs[1]));
    post(app, &st.moderator, &format!("/api/questions/{q2}/merge"), json!({"into": q1})).await;
    publish(app, &st, q1, HOSTILE_Q, HOSTILE_A).await;
    post(app, &st.specialist, &format!("/api/questions/{q1}/correct"), json!({"text": HOSTILE_A})).await;
    (sid, q1)
}

async fn no_public_surface_shows_commenter_identity_and_hostile_text_stays_inert(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let (_, q) = hostile_session(&mut app).await;
    eventually(&app, "/s/privacy-drill", "averyvery").await;
    let surfaces = [
        "/s".to_owned(),
        "/s?q=averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword".to_owned(),
        "/s?q=Rowan".to_owned(),
        "/s/privacy-drill".to_owned(),
        "/s/privacy-drill?lang=es".to_owned(),
        format!("/s/privacy-drill/q/{q}"),
        "/s/privacy-drill/search?q=cmd".to_owned(),
        "/s/privacy-drill/search?q=%3Cscript%3Ealert(9)%3C/script%3E".to_owned(),
        "/s/privacy-drill/transcript.json".to_owned(),
        "/s/privacy-drill/transcript.md".to_owned(),
        "/s/privacy-drill/transcript.csv".to_owned(),
        "/s/privacy-drill/chapters.vtt".to_owned(),
        "/s/privacy-drill/q/1234567".to_owned(),
        "/s/rowan-thistlewood".to_owned(),
    ];
    for path in &surfaces {
        let (status, h, body) = get(&app, path, &[]).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
        // Search words are echoed back as typed; everything else must be free of these.
        for secret in SECRETS {
            let echoed = path.contains("Rowan") && secret.starts_with("Rowan");
            assert!(echoed || !body.contains(secret), "{path} shows {secret:?}");
        }
        for bidi in ['\u{202E}', '\u{202C}', '\u{2066}'] {
            assert!(!body.contains(bidi), "{path} carries bidi control {bidi:?}");
        }
        let ct = h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if ct.starts_with("text/html") {
            for raw in [
                "<script>window",
                "<img src=x",
                "<svg onload",
                "<a href=\"javascript:",
                "<b>cue",
                "<!-- <img",
            ] {
                assert!(!body.contains(raw), "{path} renders {raw:?} as markup");
            }
            // Only our own script elements: the JSON-LD block and, while live, the page script.
            let opened = body.matches("<script").count();
            assert_eq!(
                opened,
                body.matches("</script>").count(),
                "{path}: a script element was closed early"
            );
            assert!(opened <= 2, "{path}: {opened} script elements");
            if let Some(start) = body.find("<script type=\"application/ld+json\">") {
                let rest = &body[start + 35..];
                let ld = &rest[..rest.find("</script>").expect("closed")];
                let v: Value = serde_json::from_str(ld).expect("JSON-LD parses");
                let name = v["mainEntity"][0]["name"].as_str().unwrap_or("");
                assert!(
                    name.starts_with("<script>window.__pwned=1;"),
                    "JSON-LD keeps the text as data: {name}"
                );
                assert!(!ld.contains('<'), "no angle bracket inside JSON-LD");
            }
        }
        if path.ends_with(".csv") {
            let cells: Vec<&str> = body.split(",\"").collect();
            assert!(body.contains("\"'@SUM(1+1)"), "answer cell defused: {body}");
            assert!(
                !cells.iter().any(|c| c.starts_with('=') || c.starts_with('@') || c.starts_with('+')),
                "{body}"
            );
        }
        if path.ends_with(".vtt") {
            for line in body.lines().filter(|l| l.contains("-->")) {
                let ok = line.len() == 29 && line.as_bytes()[13..16] == *b"-->";
                assert!(ok || line.contains("--&gt;"), "{path}: injected cue timing {line:?}");
            }
            assert!(!body.contains("<b>"));
        }
    }
    app.finish().await;
}

/// A minimal WebDriver client for real Chromium: starts `chromedriver` on a free port and one
/// headless browser session. Fails (never skips) when Chromium or chromedriver is missing.
mod browser {
    use serde_json::{json, Value};
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    pub const CHROMIUM: &str = "/usr/bin/chromium";
    pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

    pub struct Browser {
        driver: Child,
        http: reqwest::Client,
        base: String,
    }

    impl Browser {
        pub async fn launch(width: u32, height: u32) -> Browser {
            for path in [CHROMIUM, CHROMEDRIVER] {
                assert!(
                    std::path::Path::new(path).exists(),
                    "{path} is required for the browser tests: apt-get install chromium chromium-driver"
                );
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port");
            let driver = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts");
            let http = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let driver_url = format!("http://127.0.0.1:{port}");
            let mut ready = false;
            for _ in 0..100 {
                if let Ok(r) = http.get(format!("{driver_url}/status")).send().await {
                    if r.json::<Value>().await.map(|v| v["value"]["ready"] == true).unwrap_or(false) {
                        ready = true;
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let mut browser = Browser { driver, http, base: driver_url };
            assert!(ready, "chromedriver did not become ready");
            let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"binary": CHROMIUM, "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", format!("--window-size={width},{height}")]}}}});
            let v = browser.raw("POST", "/session", Some(caps)).await;
            let id = v["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no browser session: {v}"))
                .to_owned();
            browser.base = format!("{}/session/{id}", browser.base);
            browser
        }

        async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut req = self.http.request(method, format!("{}{path}", self.base));
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("webdriver request");
            resp.json().await.unwrap_or(Value::Null)
        }

        pub async fn goto(&self, url: &str) {
            self.raw("POST", "/url", Some(json!({"url": url}))).await;
        }

        pub async fn eval(&self, script: &str) -> Value {
            self.raw("POST", "/execute/sync", Some(json!({"script": script, "args": []}))).await["value"]
                .clone()
        }

        /// Console messages since the last call that report a Content Security Policy violation.
        pub async fn csp_violations(&self) -> Vec<String> {
            let v = self.raw("POST", "/se/log", Some(json!({"type": "browser"}))).await;
            let entries = v["value"].as_array().cloned().unwrap_or_default();
            assert!(v["value"].is_array(), "the browser log is readable: {v}");
            entries
                .iter()
                .filter_map(|e| e["message"].as_str())
                .filter(|m| m.contains("Content Security Policy"))
                .map(str::to_owned)
                .collect()
        }

        /// The text of an open alert/confirm/prompt dialog, if any.
        pub async fn dialog(&self) -> Option<String> {
            let v = self.raw("GET", "/alert/text", None).await;
            v["value"].as_str().map(str::to_owned)
        }

        pub async fn screenshot(&self, file: &str) {
            use base64::Engine;
            let v = self.raw("GET", "/screenshot", None).await;
            if let Some(png) =
                v["value"].as_str().and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            {
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
                let _ = std::fs::create_dir_all(&dir);
                let _ = std::fs::write(dir.join(file), png);
            }
        }

        /// Polls `script` (returning a boolean) until it is true, for up to 15 s.
        pub async fn wait_for(&self, script: &str) -> bool {
            for _ in 0..150 {
                if self.eval(script).await == Value::Bool(true) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }

        pub async fn quit(mut self) {
            let base = self.base.clone();
            let _ = self.http.delete(base).send().await;
            let _ = self.driver.kill();
            let _ = self.driver.wait();
        }
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            let _ = self.driver.kill();
        }
    }
}

async fn hostile_text_runs_no_script_and_opens_no_dialog_in_chromium(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let (_, q) = hostile_session(&mut app).await;
    eventually(&app, "/s/privacy-drill", "averyvery").await;
    let b = browser::Browser::launch(1280, 900).await;
    for path in [
        "/s/privacy-drill".to_owned(),
        format!("/s/privacy-drill/q/{q}"),
        "/s/privacy-drill/search?q=cmd".to_owned(),
        "/s?q=%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E".to_owned(),
        "/s/privacy-drill/search?q=%3Cimg+src%3Dx+onerror%3Dalert(5)%3E".to_owned(),
    ] {
        b.goto(&app.url(&path)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(b.dialog().await, None, "{path}: a dialog opened");
        assert_eq!(b.csp_violations().await, Vec::<String>::new(), "{path}: the page keeps to the CSP");
        let check = b
            .eval(
                "return {pwned: typeof window.__pwned, \
                 inline: document.querySelectorAll('script:not([src]):not([type=\"application/ld+json\"])').length, \
                 handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length, \
                 js_links: document.querySelectorAll('a[href^=\"javascript:\" i]').length, \
                 injected: document.querySelectorAll('main img, main svg, main b').length, \
                 ld: (function(){ var s = document.querySelector('script[type=\"application/ld+json\"]'); \
                      return s ? JSON.parse(s.textContent).mainEntity.length : -1; })(), \
                 lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length}",
            )
            .await;
        assert_eq!(check["pwned"], "undefined", "{path}: {check}");
        assert_eq!(check["inline"], 0, "{path}: {check}");
        assert_eq!(check["handlers"], 0, "{path}: {check}");
        assert_eq!(check["js_links"], 0, "{path}: {check}");
        assert_eq!(check["injected"], 0, "{path}: {check}");
        assert_eq!(check["lang"], "en");
        assert_eq!(check["h1"], 1, "{path}: one main heading");
        if path == "/s/privacy-drill" {
            assert_eq!(check["ld"], 1, "the JSON-LD block parses in the browser: {check}");
            let text = b.eval("return document.querySelector('.entries h3').textContent").await;
            assert!(
                text.as_str().unwrap_or("").starts_with("<script>window.__pwned=1;"),
                "shown as text: {text}"
            );
        }
    }
    b.quit().await;
    app.finish().await;
}

async fn a_live_page_adds_new_and_corrected_answers_in_place_without_moving_the_reader(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = id(&app.create_session("Live heart").await);
    set_status(&mut app, sid, "live").await;
    comments(
        &app,
        sid,
        &[
            ("facebook", "1", "Ann", "q one"),
            ("facebook", "2", "Bo", "q two"),
            ("instagram", "3", "Cy", "q three"),
        ],
    )
    .await;
    let st = staff(&mut app, &[sid]).await;
    let qs = app.questions(sid).await;
    let (q1, q2, q3) = (id(&qs[0]), id(&qs[1]), id(&qs[2]));
    publish(&app, &st, q1, "What is a normal blood pressure?", &"Below 120 over 80 is normal. ".repeat(20))
        .await;
    eventually(&app, "/s/live-heart", "normal blood pressure").await;

    let b = browser::Browser::launch(320, 640).await;
    b.goto(&app.url("/s/live-heart")).await;
    assert!(b.wait_for("return document.readyState === 'complete'").await);
    b.screenshot("transcript-phone.png").await;
    let fits = b.eval("return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(fits, true, "no horizontal scrolling at 320 px");
    b.eval(&format!("document.getElementById('q-{q1}').scrollIntoView(); return true")).await;
    let top_before = b
        .eval(&format!("return Math.round(document.getElementById('q-{q1}').getBoundingClientRect().top)"))
        .await;
    let scroll_before = b.eval("return window.scrollY").await;
    // Give the page's stream a moment to connect before the answers are published.
    tokio::time::sleep(Duration::from_millis(500)).await;
    publish(&app, &st, q2, "Does salt raise blood pressure?", "Yes: less salt lowers it.").await;
    publish(&app, &st, q3, "Can I drink coffee?", "In moderation.").await;
    let appeared = b
        .wait_for(&format!(
            "return !!document.getElementById('q-{q3}') && document.getElementById('live-notice').textContent.indexOf('2 new answers') === 0"
        ))
        .await;
    let notice = b.eval("return document.getElementById('live-notice').textContent").await;
    assert!(appeared, "the new answers arrive with a polite notice: {notice}");
    assert_eq!(
        b.eval("return document.getElementById('live-notice').getAttribute('aria-live')").await,
        "polite"
    );
    let top_after = b
        .eval(&format!("return Math.round(document.getElementById('q-{q1}').getBoundingClientRect().top)"))
        .await;
    assert_eq!(top_after, top_before, "the answer being read did not move");
    assert_eq!(b.eval("return window.scrollY").await, scroll_before);

    post(
        &app,
        &st.specialist,
        &format!("/api/questions/{q2}/correct"),
        json!({"text": "Yes: less salt usually lowers it."}),
    )
    .await;
    let corrected = b
        .wait_for(&format!(
            "return document.querySelector('#q-{q2} > p:not([class])').textContent === 'Yes: less salt usually lowers it.' && !!document.querySelector('#q-{q2} .corr')"
        ))
        .await;
    assert!(corrected, "a corrected answer updates in place with its notice");
    assert_eq!(b.eval("return document.querySelectorAll('#entries > li').length").await, 3, "no duplicates");
    assert_eq!(b.csp_violations().await, Vec::<String>::new(), "the live script keeps to the CSP");
    b.screenshot("transcript-phone-live.png").await;

    // The ask form, as a browser sends it (Fetch Metadata says same-origin).
    b.eval(
        "document.getElementById('question').value = 'Is it safe to fly after a stent?'; \
            document.querySelector('.ask form').submit(); return true",
    )
    .await;
    assert!(b.wait_for("return document.querySelector('h1') && document.querySelector('h1').textContent.indexOf('Thank you') === 0").await);
    b.screenshot("ask-confirmation-phone.png").await;
    let asked = app.questions(sid).await;
    assert!(asked
        .iter()
        .any(|q| q["public_text"] == "Is it safe to fly after a stent?"
            && q["sources"][0]["platform"] == "web"));
    b.quit().await;

    let desktop = browser::Browser::launch(1280, 900).await;
    desktop.goto(&app.url("/s/live-heart")).await;
    desktop.screenshot("transcript-desktop.png").await;
    let overflow = desktop.eval("return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(overflow, true);
    desktop.quit().await;
    app.finish().await;
}

on_both_backends!(
    transcript_page_shows_answers_in_answer_order_with_counts_corrections_and_downloads,
    pages_speak_english_or_spanish_and_unknown_slugs_get_a_real_404,
    caching_headers_let_a_cdn_keep_an_ended_session_and_answer_conditional_requests,
    search_finds_answers_within_and_across_sessions_and_follows_corrections,
    recording_links_and_scheduled_start_are_set_through_patch,
    ask_form_puts_a_web_question_in_the_queue_and_refuses_bots_floods_and_other_sites,
    no_public_surface_shows_commenter_identity_and_hostile_text_stays_inert,
    hostile_text_runs_no_script_and_opens_no_dialog_in_chromium,
    a_live_page_adds_new_and_corrected_answers_in_place_without_moving_the_reader,
);
