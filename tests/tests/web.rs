//! The web layer over real HTTP: embedded assets with long caching and ETags, the pages, the
//! sign-in redirect with `next`, and sign-out everywhere. (The screens themselves are driven in
//! Chromium by the `browser` suite.)

use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp};
use serde_json::{json, Value};

/// The asset prefix a page names (`/assets/<build hash>`).
fn asset_prefix(html: &str) -> String {
    let start = html.find("/assets/").expect("the page links its assets");
    let rest = &html[start..];
    let end = rest.find("/shared/").expect("a shared asset");
    rest[..end].to_owned()
}

async fn assets_are_cached_for_a_year_and_revalidate_by_etag(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.http.get(app.url("/login")).send().await.expect("login page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let csp = page.headers()["content-security-policy"].to_str().unwrap_or_default().to_owned();
    assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("<form") && !html.contains("{{assets}}"), "{html}");
    let prefix = asset_prefix(&html);

    let css = app.http.get(app.url(&format!("{prefix}/shared/base.css"))).send().await.expect("css");
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = css.headers()["etag"].to_str().unwrap_or_default().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let again = app
        .http
        .get(app.url(&format!("{prefix}/shared/api.js")))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .expect("js");
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["content-type"], "text/javascript; charset=utf-8");
    let cached = app
        .http
        .get(app.url(&format!("{prefix}/shared/base.css")))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("css again");
    assert_eq!(cached.status(), 304);

    // A page loaded before an upgrade still gets its files, but revalidated, not pinned.
    let old = app.http.get(app.url("/assets/000000000000/shared/base.css")).send().await.expect("old");
    assert_eq!(old.status(), 200);
    assert_eq!(old.headers()["cache-control"], "no-cache");
    for missing in ["/shared/nope.js", "/login/index.html", "/../Cargo.toml"] {
        let r = app.http.get(app.url(&format!("{prefix}{missing}"))).send().await.expect("missing");
        assert_eq!(r.status(), 404, "{missing}");
    }
    app.finish().await;
}

async fn staff_pages_send_anonymous_visitors_to_sign_in_and_back(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for page in ["/console/1", "/tablet/1?view=portrait"] {
        let r = no_redirects.get(app.url(page)).send().await.expect("page");
        assert_eq!(r.status(), 303, "{page}");
        let to = r.headers()["location"].to_str().unwrap_or_default().to_owned();
        assert!(to.starts_with("/login?next=%2F"), "{to}");
    }
    let token = app.staff(Role::Moderator).await;
    let r = no_redirects
        .get(app.url("/console/1"))
        .header("cookie", format!("curbside_session={token}"))
        .send()
        .await
        .expect("console");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap_or_default().contains("/console/console.js"));
    // The overlay needs no sign-in, and its page is the same whatever the slug or key.
    let a = app.http.get(app.url("/overlay/no-such-session?key=x")).send().await.expect("overlay");
    assert_eq!(a.status(), 200);
    let b = app.http.get(app.url("/overlay/other?key=y")).send().await.expect("overlay");
    assert_eq!(a.text().await.unwrap_or_default(), b.text().await.unwrap_or_default());
    app.finish().await;
}

async fn sign_out_everywhere_ends_every_sign_in_of_the_account(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let first = app.admin().await;
    let second = app.login(curbside_tests::ADMIN_EMAIL, curbside_tests::ADMIN_PASSWORD).await;
    let other = app.staff(Role::Specialist).await;
    let (status, _) = app.call("POST", "/api/logout", Some(&first), Some(json!({"everywhere": true}))).await;
    assert_eq!(status, 204);
    for gone in [&first, &second] {
        let (status, _) = app.call("GET", "/api/me", Some(gone), None).await;
        assert_eq!(status, 401);
    }
    let (status, _) = app.call("GET", "/api/me", Some(&other), None).await;
    assert_eq!(status, 200, "another account stays signed in");
    app.finish().await;
}

async fn a_refused_role_is_told_which_role_is_needed(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let specialist = app.staff(Role::Specialist).await;
    let (status, body) = app.call("POST", "/api/questions/1/approve", Some(&specialist), None).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["message"],
        "a specialist may not do this; it needs the role admin, producer, or moderator"
    );
    app.finish().await;
}

/// Reads an SSE response until `n` `data:` lines arrived (or the stream ends).
async fn sse_data(resp: reqwest::Response, n: usize) -> Vec<(Option<i64>, Value)> {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut id = None;
    let mut body = resp.bytes_stream();
    while out.len() < n {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await
        else {
            break;
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find('\n') {
            let line = buf[..end].to_owned();
            buf.drain(..=end);
            if let Some(v) = line.strip_prefix("id: ") {
                id = v.parse().ok();
            } else if let Some(v) = line.strip_prefix("data: ") {
                out.push((id.take(), serde_json::from_str(v).unwrap_or(Value::Null)));
            }
        }
    }
    out
}

async fn the_overlay_stream_shows_only_what_airs_and_refuses_wrong_keys_alike(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let session = app.create_session("Overlay").await;
    let sid = session["id"].as_i64().expect("id");
    let slug = session["slug"].as_str().expect("slug").to_owned();
    let url = session["overlay_url"].as_str().expect("overlay_url");
    let key = url.split("key=").nth(1).expect("a key").to_owned();
    ingest(&app.store().await, sid, "ov", 2).await;
    let admin = app.admin().await;
    let qs = app.questions(sid).await;
    let (q1, q2) = (qs[0]["id"].as_i64().expect("id"), qs[1]["id"].as_i64().expect("id"));

    // Wrong key, no key, unknown slug: one and the same answer.
    let mut answers = Vec::new();
    for path in [
        format!("/overlay/{slug}/events?key=wrong"),
        format!("/overlay/{slug}/events"),
        "/overlay/no-such-session/events?key=wrong".to_owned(),
        format!("/overlay/no-such-session/events?key={key}"),
    ] {
        let r = app.http.get(app.url(&path)).send().await.expect("overlay events");
        answers.push((r.status().as_u16(), r.text().await.unwrap_or_default()));
    }
    assert!(answers.iter().all(|a| a == &(404, "not found".to_owned())), "{answers:?}");

    let stream =
        app.http.get(app.url(&format!("/overlay/{slug}/events?key={key}"))).send().await.expect("stream");
    assert_eq!(stream.status(), 200);
    app.call(
        "POST",
        &format!("/api/questions/{q1}/approve"),
        Some(&admin),
        Some(json!({"public_text": "What lowers cholesterol?"})),
    )
    .await;
    app.call("POST", &format!("/api/questions/{q2}/reject"), Some(&admin), None).await;
    app.call("POST", &format!("/api/questions/{q1}/on-air"), Some(&admin), None).await;
    app.call(
        "POST",
        &format!("/api/questions/{q1}/answer"),
        Some(&admin),
        Some(json!({"text": "Soluble fibre."})),
    )
    .await;
    app.call("POST", &format!("/api/questions/{q1}/off-air"), Some(&admin), None).await;
    let got = sse_data(stream, 4).await;
    let kinds: Vec<&str> = got.iter().filter_map(|(_, v)| v["type"].as_str()).collect();
    assert_eq!(kinds, ["state", "show", "show", "off_air"], "{got:?}");
    assert_eq!(got[1].1["question"]["text"], "What lowers cholesterol?");
    assert_eq!(got[1].1["question"]["asked_by"], "A viewer on Facebook asks");
    assert_eq!(got[2].1["question"]["answer"], "Soluble fibre.");
    let all = serde_json::to_string(&got.iter().map(|(_, v)| v).collect::<Vec<_>>()).unwrap_or_default();
    for needle in ["Viewer 0", "Viewer 1", "Question ov", "user-"] {
        assert!(!all.contains(needle), "{needle} leaked: {all}");
    }
    let ids: Vec<i64> = got.iter().filter_map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "offsets increase: {ids:?}");

    // Resuming after the "show" replays only what followed it.
    let resumed = app
        .http
        .get(app.url(&format!("/overlay/{slug}/events?key={key}")))
        .header("last-event-id", ids[1].to_string())
        .send()
        .await
        .expect("resume");
    let again = sse_data(resumed, 2).await;
    let kinds: Vec<&str> = again.iter().filter_map(|(_, v)| v["type"].as_str()).collect();
    assert_eq!(kinds, ["show", "off_air"], "{again:?}");

    // Staff read the same state; after off air nothing shows.
    let (s, now) = app.call("GET", &format!("/api/sessions/{sid}/on-air"), Some(&admin), None).await;
    assert_eq!((s, now["showing"].is_null()), (200, true), "{now}");

    // Rotation: the old key stops working, the new one works; producers and admins only.
    let moderator = app.staff(Role::Moderator).await;
    let (s, _) = app.call("POST", &format!("/api/sessions/{sid}/overlay-key"), Some(&moderator), None).await;
    assert_eq!(s, 403);
    let (s, rotated) =
        app.call("POST", &format!("/api/sessions/{sid}/overlay-key"), Some(&admin), None).await;
    assert_eq!(s, 200, "{rotated}");
    let new_url = rotated["overlay_url"].as_str().expect("overlay_url");
    assert_ne!(new_url, url);
    let old = app.http.get(app.url(&format!("/overlay/{slug}/events?key={key}"))).send().await.expect("old");
    assert_eq!(old.status(), 404);
    let new_key = new_url.split("key=").nth(1).expect("key");
    let new =
        app.http.get(app.url(&format!("/overlay/{slug}/events?key={new_key}"))).send().await.expect("new");
    assert_eq!(new.status(), 200);
    app.finish().await;
}

on_both_backends!(
    the_overlay_stream_shows_only_what_airs_and_refuses_wrong_keys_alike,
    assets_are_cached_for_a_year_and_revalidate_by_etag,
    staff_pages_send_anonymous_visitors_to_sign_in_and_back,
    sign_out_everywhere_ends_every_sign_in_of_the_account,
    a_refused_role_is_told_which_role_is_needed,
);
