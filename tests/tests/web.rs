//! The web layer over real HTTP: embedded assets with long caching and ETags, the pages, the
//! sign-in redirect with `next`, and sign-out everywhere. (The screens themselves are driven in
//! Chromium by the `browser` suite.)

use curbside_tests::{on_both_backends, Backend, Role, TestApp};
use serde_json::json;

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

on_both_backends!(
    assets_are_cached_for_a_year_and_revalidate_by_etag,
    staff_pages_send_anonymous_visitors_to_sign_in_and_back,
    sign_out_everywhere_ends_every_sign_in_of_the_account,
    a_refused_role_is_told_which_role_is_needed,
);
