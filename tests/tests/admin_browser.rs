//! The producer and admin set-up page (`/admin`) in real headless Chromium: sign-in lands there,
//! a session is created with a specialist through the form (a taken slug is shown next to its
//! field), a source is added and its expired token replaced, a staff account is created and
//! disabled (and then cannot sign in), and the report draws its chart and offers its CSV.
//! axe-core finds nothing serious in light or dark mode.
//!
//! `CURBSIDE_SCREENSHOTS=docs/screenshots cargo test -p curbside-tests --test admin_browser` also
//! writes the README's screenshots (laptop 1366×900 and tablet 820×1180).

use curbside_domain::{Platform, SessionId};
use curbside_tests::browser::{Chrome, Page};
use curbside_tests::{Backend, Role, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, STAFF_PASSWORD};
use serde_json::{json, Value};

/// A staff account with a name people would read on the screens.
async fn person(app: &mut TestApp, role: Role, name: &str, credentials: &str) -> i64 {
    let admin = app.admin().await;
    let email = format!("{}@hospital.test", name.to_lowercase().replace([' ', '.', ','], ""));
    let (s, user) = app
        .call("POST", "/api/users", Some(&admin), Some(json!({
            "email": email, "name": name, "role": role.as_str(), "credentials": credentials, "password": STAFF_PASSWORD
        })))
        .await;
    assert_eq!(s, 201, "{user}");
    user["id"].as_i64().expect("user id")
}

/// An ended session with comments over twenty minutes on both platforms, some approved and
/// none answered: what a producer sees in the report the morning after. Returns its id and how many
/// questions were approved.
async fn finished_session(app: &mut TestApp, specialist: i64) -> (i64, usize) {
    let admin = app.admin().await;
    let session = app.create_session("Heart health: your questions answered").await;
    let sid = session["id"].as_i64().expect("id");
    app.call(
        "PATCH",
        &format!("/api/sessions/{sid}"),
        Some(&admin),
        Some(json!({"specialists": [specialist], "status": "live"})),
    )
    .await;
    let lines = [
        "What's the difference between good and bad cholesterol?",
        "Is a resting heart rate of 58 too low?",
        "Do statins cause muscle pain for everyone?",
        "What should my blood pressure be at 65?",
        "Are palpitations after coffee dangerous?",
        "How soon after a stent can I drive?",
        "Does cholesterol medicine interact with grapefruit?",
        "What are the warning signs of a heart attack in women?",
    ];
    let start = 1_764_000_000_000_i64 - 1_764_000_000_000_i64 % 60_000;
    let batch: Vec<_> = (0..60)
        .map(|i: i64| curbside_store::IncomingComment {
            session_id: SessionId(sid),
            source_id: None,
            platform: if i % 3 == 0 { Platform::Facebook } else { Platform::Instagram },
            platform_comment_id: format!("adm_{i}"),
            author_id: Some(format!("viewer-{i}")),
            author_name: Some(format!("Viewer {i}")),
            text: lines[i as usize % lines.len()].to_owned(),
            parent_id: None,
            // More comments in the middle of the broadcast than at its ends.
            platform_time: start + ((i * i) % 1_200) * 1_000,
            via: "test".into(),
        })
        .collect();
    app.store().await.ingest_comments(batch).await.expect("ingest");
    let questions = app.questions(sid).await;
    let ids: Vec<i64> = questions.iter().filter_map(|q| q["id"].as_i64()).take(6).collect();
    let mut approved = 0;
    for q in &ids {
        let (s, _) = app.call("POST", &format!("/api/questions/{q}/approve"), Some(&admin), None).await;
        approved += usize::from(s == 200);
    }
    assert!(approved > 0);
    app.call("PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "ended"}))).await;
    (sid, approved)
}

async fn session_with(app: &mut TestApp, slug: &str) -> Value {
    let admin = app.admin().await;
    let (_, sessions) = app.call("GET", "/api/sessions", Some(&admin), None).await;
    sessions["sessions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["slug"] == slug)
        .cloned()
        .unwrap_or_else(|| panic!("no session {slug}: {sessions}"))
}

/// A screenshot without the confirmations that are still fading out.
async fn picture(page: &Page, name: &str) {
    page.eval("document.querySelectorAll('.toast').forEach(t => t.remove()); return true").await;
    page.screenshot(name).await;
}

async fn open(page: &Page, hash: &str, ready: &str) {
    page.eval(&format!("location.hash = {}; return true", json!(hash))).await;
    page.wait_for(ready).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_sets_up_a_session_its_sources_and_staff_and_reads_the_report() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let ana = person(&mut app, Role::Specialist, "Dr Ana Ruiz", "MD, Cardiology").await;
    let (reported, approved) = finished_session(&mut app, ana).await;
    let taken = session_with(&mut app, "heart-health-your-questions-answered").await;
    assert_eq!(taken["id"], reported);

    let chrome = Chrome::start().await;
    let page = chrome.window(1366, 900).await;
    // Without `?next=`, an admin lands on /admin.
    page.goto(&app.url("/login")).await;
    page.fill("#email", ADMIN_EMAIL).await;
    page.fill("#password", ADMIN_PASSWORD).await;
    page.click("#submit").await;
    page.wait_until(
        "location.pathname === '/admin' && document.body.dataset.ready === 'true'",
        "land on /admin",
    )
    .await;
    page.wait_text("#view", "1 session ·").await;
    page.assert_accessible("sessions overview").await;
    picture(&page, "admin-sessions-1366x900").await;

    // A new session: a taken slug is named next to its field; then it is created.
    page.click("#new-session").await;
    page.fill("#f-title", "Diabetes and the holidays").await;
    page.fill("#f-slug", "heart-health-your-questions-answered").await;
    page.click_text("label.check", "Dr Ana Ruiz").await;
    page.click_text("#view button[type=submit]", "Create session").await;
    page.wait_text("#f-slug-error", "is already in use").await;
    assert_eq!(
        page.eval("return document.activeElement.id").await,
        json!("f-slug"),
        "the wrong field has focus"
    );
    assert_eq!(
        page.eval("return document.getElementById('f-slug').getAttribute('aria-invalid')").await,
        json!("true")
    );
    page.assert_accessible("a field error").await;
    page.fill("#f-slug", "diabetes-holidays").await;
    page.click_text("#view button[type=submit]", "Create session").await;
    page.wait_until("/^#s\\/\\d+\\/details$/.test(location.hash)", "open the new session").await;
    page.wait_text("#view h2", "Diabetes and the holidays").await;
    let created = session_with(&mut app, "diabetes-holidays").await;
    assert_eq!(created["specialists"], json!([ana]), "the specialist chosen in the form");
    let sid = created["id"].as_i64().expect("id");
    assert_eq!(
        page.eval("return document.getElementById('overlay-url').value").await,
        created["overlay_url"]
    );
    page.assert_accessible("session details").await;
    picture(&page, "admin-session-edit-1366x900").await;

    // Sources: add one, let its token expire, replace it.
    open(&page, &format!("#s/{sid}/sources"), "#add-source").await;
    page.eval("const p = document.getElementById('f-platform'); p.value = 'instagram'; p.dispatchEvent(new Event('change')); return true").await;
    page.fill("#f-ig_user_id", "17841400000000001").await;
    page.fill("#f-media_id", "x").await;
    page.fill("#new-token", "IGAA-typed-in-the-form").await;
    page.click_text("#add-source button", "Add source").await;
    page.wait_text("#f-media_id-error", "Graph API id").await;
    page.fill("#f-media_id", "17900000000000777").await;
    page.click_text("#add-source button", "Add source").await;
    page.wait_text(".sources", "Connected").await;
    let source =
        session_with(&mut app, "diabetes-holidays").await["sources"][0]["id"].as_i64().expect("source");
    app.db.execute(&format!("UPDATE sources SET state = 'needs_reauth', last_error = 'Error validating access token: Session has expired' WHERE id = {source}"))
        .await
        .expect("expire the token");
    page.eval("location.reload(); return true").await;
    page.wait_text(".sources", "Needs re-authorisation").await;
    page.assert_accessible("sources").await;
    picture(&page, "admin-sources-1366x900").await;
    page.click_text(".source button", "Replace expired token").await;
    page.fill(&format!("#token-{source}"), "IGAA-renewed-in-the-form").await;
    page.click_text(".token-form button", "Save token").await;
    page.wait_until("!document.body.innerText.includes('Needs re-authorisation')", "the source reconnects")
        .await;
    let store = app.store().await;
    let record = store.source(curbside_domain::SourceId(source)).await.expect("source");
    assert_eq!(record.access_token, "IGAA-renewed-in-the-form");

    // The report of the finished session: chart, counts, follow-up list and CSV.
    open(&page, &format!("#s/{reported}/report"), "svg.chart rect.bar").await;
    page.wait_text("#view", "approved, unanswered").await;
    page.wait_text(".unanswered", "?").await;
    let csv = page
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.getElementById('unanswered-csv').href).then(r => r.text()).then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .expect("fetch the CSV");
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("question_id,asked_at,asked_by,platforms,question\r\n"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + approved, "every approved question, none answered: {csv}");
    page.assert_accessible("report").await;
    picture(&page, "admin-report-1366x900").await;

    // Staff: create an account, then disable it; it can no longer sign in.
    open(&page, "#staff", "#new-user").await;
    page.fill("#u-name", "Sam Temp").await;
    page.fill("#u-email", "sam.temp@hospital.test").await;
    page.fill("#u-password", "short").await;
    page.click_text("#new-user button", "Create account").await;
    page.wait_text("#u-password-error", "at least 12").await;
    page.fill("#u-password", STAFF_PASSWORD).await;
    page.click_text("#new-user button", "Create account").await;
    page.wait_text("#staff-table", "sam.temp@hospital.test").await;
    app.login("sam.temp@hospital.test", STAFF_PASSWORD).await;
    page.assert_accessible("staff").await;
    picture(&page, "admin-staff-1366x900").await;
    let sam_row =
        "[...document.querySelectorAll('#staff-table tr')].find(r => r.innerText.includes('sam.temp'))";
    // "Disable" asks once more before it acts.
    page.eval(&format!("{sam_row}.querySelector('.actions button:last-child').click(); return true")).await;
    page.wait_until(&format!("{sam_row}.innerText.includes('Confirm: disable')"), "ask to confirm").await;
    page.eval(&format!("{sam_row}.querySelector('.actions button:last-child').click(); return true")).await;
    page.wait_text(".disabled-list", "Sam Temp").await;
    let (status, _) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "sam.temp@hospital.test", "password": STAFF_PASSWORD})),
        )
        .await;
    assert_eq!(status, 401, "a disabled account cannot sign in");
    page.close().await;

    // Dark mode, and the tablet size for the README.
    let dark = chrome.dark_window(1366, 900).await;
    dark.sign_in(&app.base, ADMIN_EMAIL, ADMIN_PASSWORD, "/admin").await;
    dark.wait_until("document.body.dataset.ready === 'true'", "the page is ready").await;
    assert_eq!(
        dark.eval("return matchMedia('(prefers-color-scheme: dark)').matches").await,
        Value::Bool(true)
    );
    dark.assert_accessible("sessions in dark mode").await;
    open(&dark, &format!("#s/{reported}/report"), "svg.chart rect.bar").await;
    dark.assert_accessible("report in dark mode").await;
    picture(&dark, "admin-report-dark-1366x900").await;
    dark.close().await;
    if std::env::var("CURBSIDE_SCREENSHOTS").is_ok() {
        let tablet = chrome.window(820, 1180).await;
        tablet.sign_in(&app.base, ADMIN_EMAIL, ADMIN_PASSWORD, "/admin").await;
        tablet.wait_until("document.body.dataset.ready === 'true'", "the page is ready").await;
        picture(&tablet, "admin-sessions-820x1180").await;
        for (hash, ready, name) in [
            (format!("#s/{sid}/details"), "#overlay-url", "admin-session-edit-820x1180"),
            (format!("#s/{sid}/sources"), "#add-source", "admin-sources-820x1180"),
            (format!("#s/{reported}/report"), "svg.chart rect.bar", "admin-report-820x1180"),
            ("#staff".to_owned(), "#new-user", "admin-staff-820x1180"),
        ] {
            open(&tablet, &hash, ready).await;
            picture(&tablet, name).await;
        }
        tablet.close().await;
    }
    chrome.stop().await;
    app.finish().await;
}
