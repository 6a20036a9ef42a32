//! The screens in real headless Chromium over WebDriver: a whole broadcast from a simulated
//! comment to "Off air", two moderators racing, a tablet losing its connection mid-answer, a
//! wrong overlay key, a specialist trying a moderator's action; axe-core on every page.
//!
//! `CURBSIDE_SCREENSHOTS=docs/screenshots cargo test -p curbside-tests --test browser` also
//! writes the README's screenshots.

use curbside_simulator::{IgComment, WebhookBody, WebhookChange};
use curbside_tests::browser::{Chrome, FlakyProxy, Page};
use curbside_tests::{Backend, Role, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, STAFF_PASSWORD};
use serde_json::{json, Value};

const IG_USER: &str = "17841400000000001";
const IG_MEDIA: &str = "17900000000000002";

/// A staff account with a name people would read on the screens.
async fn person(app: &mut TestApp, role: Role, name: &str, credentials: &str) -> (i64, String) {
    let admin = app.admin().await;
    let email = format!("{}@hospital.test", name.to_lowercase().replace([' ', '.', ','], ""));
    let (s, user) = app
        .call("POST", "/api/users", Some(&admin), Some(json!({
            "email": email, "name": name, "role": role.as_str(), "credentials": credentials, "password": STAFF_PASSWORD
        })))
        .await;
    assert_eq!(s, 201, "{user}");
    (user["id"].as_i64().expect("user id"), email)
}

/// A live session with one specialist; returns its JSON.
async fn live_session(app: &mut TestApp, specialist: i64) -> Value {
    let admin = app.admin().await;
    let (s, session) = app
        .call("POST", "/api/sessions", Some(&admin), Some(json!({
            "title": "Heart health: your questions answered",
            "specialists": [specialist],
            "sources": [
                {"platform": "facebook", "page_id": "1000000000001", "live_video_id": "3000000000003", "video_id": "2000000000002", "access_token": "EAAB-test-page-token"},
                {"platform": "instagram", "ig_user_id": IG_USER, "media_id": IG_MEDIA, "access_token": "IGAA-test-token"}
            ]
        })))
        .await;
    assert_eq!(s, 201, "{session}");
    let id = session["id"].as_i64().expect("id");
    let (s, _) = app
        .call("PATCH", &format!("/api/sessions/{id}"), Some(&admin), Some(json!({"status": "live"})))
        .await;
    assert_eq!(s, 200);
    session
}

/// An Instagram live comment delivered as Meta delivers it: a signed webhook.
async fn ig_comment(app: &TestApp, id: &str, username: &str, text: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_764_000_000);
    let body = WebhookBody::instagram().with_entry(
        IG_USER,
        now,
        vec![WebhookChange::Instagram(IgComment::live(IG_MEDIA, id, format!("9{id}"), username, text))],
    );
    let (status, text) = app.webhook(&body.to_bytes()).await;
    assert_eq!(status, 200, "{text}");
}

async fn question_id(app: &mut TestApp, session: i64, text: &str) -> (i64, i64) {
    let qs = app.questions(session).await;
    let q = qs.iter().find(|q| q["public_text"] == text).unwrap_or_else(|| panic!("no question {text:?}"));
    (q["id"].as_i64().expect("id"), q["version"].as_i64().expect("version"))
}

fn overlay_path(session: &Value) -> String {
    let url = session["overlay_url"].as_str().expect("overlay_url");
    url[url.find("/overlay/").expect("an overlay path")..].to_owned()
}

async fn card_hidden(page: &Page) -> bool {
    page.eval("return document.getElementById('card').hidden").await == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_from_a_comment_to_off_air_across_console_tablet_and_overlay() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr_lee, lee_email) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD, Cardiology").await;
    let (_, dana_email) = person(&mut app, Role::Moderator, "Dana Reyes", "").await;
    let session = live_session(&mut app, dr_lee).await;
    let sid = session["id"].as_i64().expect("id");
    let chrome = Chrome::start().await;

    let console = chrome.window(1440, 900).await;
    console.goto(&app.url("/login")).await;
    console.wait_for("#email").await;
    console.assert_accessible("sign-in page").await;
    console.screenshot("login").await;
    console.sign_in(&app.base, &dana_email, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    console
        .wait_until("document.getElementById('conn').dataset.state === 'live'", "connect the console")
        .await;

    let tablet = chrome.window(1024, 768).await;
    tablet.sign_in(&app.base, &lee_email, STAFF_PASSWORD, &format!("/tablet/{sid}")).await;
    tablet.wait_until("document.getElementById('conn').dataset.state === 'live'", "connect the tablet").await;

    let overlay = chrome.window(1920, 1080).await;
    overlay.goto(&app.url(&overlay_path(&session))).await;
    overlay.wait_for("#card").await;
    assert!(card_hidden(&overlay).await, "nothing is on air yet");

    // A viewer asks on Instagram; the question appears on the console without a reload.
    let asked = "What is a normal resting heart rate for adults?";
    ig_comment(&app, "18000000000000101", "maria.keller", asked).await;
    console.wait_text("#queue", asked).await;
    console.wait_text("#queue", "maria.keller").await;
    console.assert_accessible("moderator console").await;

    // The moderator approves with the keyboard: j selects it, a approves.
    console.press("#queue", "j").await;
    console.wait_text("#detail", asked).await;
    // A backstage note for the specialist, about this question.
    console.fill("#note-text", "Three people asked this on Instagram.").await;
    console.click_text("#detail button", "Send note").await;
    console.wait_text("#detail", "Not read yet").await;
    console.press("#queue", "a").await;
    console.wait_text(".toast", "Approved").await;
    let (qid, _) = question_id(&mut app, sid, asked).await;
    let admin = app.admin().await;
    let (_, q) = app.call("GET", &format!("/api/questions/{qid}"), Some(&admin), None).await;
    assert_eq!(q["state"], "approved", "{q}");

    // The note and the question reach the tablet live; "Got it" is the read receipt.
    tablet.wait_text("#notes", "Note from Dana Reyes: Three people asked this").await;
    tablet.click_text("#notes button", "Got it").await;
    tablet.wait_until("document.querySelectorAll('#notes .t-note').length === 0", "clear the note").await;
    console.eval("const s = document.getElementById('f-state'); s.value = 'all'; s.dispatchEvent(new Event('change')); return true").await;
    console.click_text("#queue li", asked).await;
    console.wait_text("#detail", "Read by Dr Ada Lee").await;

    // It reaches the tablet live; preview, then an explicit confirm puts it on air.
    tablet.wait_text("#queue", asked).await;
    tablet.click_text("#queue button", asked).await;
    tablet.wait_text("#panel", "Go on air").await;
    tablet.assert_accessible("specialist tablet").await;
    tablet.click_text("#panel button", "Go on air").await;
    tablet.click_text("#panel button", "Confirm: go on air").await;
    tablet.wait_text("#onair-bar", "On air").await;

    // The overlay shows the approved wording, de-identified, with the specialist.
    overlay.wait_text("#question", asked).await;
    overlay.wait_text("#asked-by", "A viewer on Instagram asks").await;
    overlay.wait_text("#specialist", "Dr Ada Lee, MD, Cardiology").await;
    let shown = overlay.text("body").await;
    assert!(!shown.contains("maria"), "the overlay shows no commenter: {shown}");
    overlay.assert_accessible("overlay").await;
    overlay.screenshot("overlay-1920x1080").await;

    // The specialist answers; the overlay adds the answer's first lines.
    let answer = "For most adults, between 60 and 100 beats per minute at rest. Athletes can be lower.";
    tablet.fill("#answer", answer).await;
    tablet.screenshot("tablet-1024x768").await;
    tablet.click("#publish").await;
    tablet.wait_text("#panel", "Answer published").await;
    overlay.wait_text("#answer", "between 60 and 100").await;
    overlay.screenshot("overlay-answer-1920x1080").await;
    let admin = app.admin().await;
    let (_, q) = app.call("GET", &format!("/api/questions/{qid}"), Some(&admin), None).await;
    assert_eq!(q["state"], "answered", "{q}");

    // "Off air" clears the overlay.
    tablet.click("#off-air").await;
    overlay.wait_until("document.getElementById('card').hidden", "clear the overlay").await;
    tablet.wait_text("#onair-bar", "Off air").await;

    for p in [console, tablet, overlay] {
        p.close().await;
    }
    chrome.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_moderators_see_each_other_live_and_the_loser_of_a_race_is_told_who_won() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, _) = person(&mut app, Role::Specialist, "Dr Sam Okafor", "MD").await;
    let (_, dana) = person(&mut app, Role::Moderator, "Dana Reyes", "").await;
    let (_, omar) = person(&mut app, Role::Moderator, "Omar Haddad", "").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    ig_comment(&app, "18000000000000201", "viewer.one", "Does coffee raise blood pressure?").await;
    ig_comment(&app, "18000000000000202", "viewer.two", "Is red wine good for the heart?").await;
    let chrome = Chrome::start().await;
    let a = chrome.window(1440, 900).await;
    let b = chrome.window(1440, 900).await;
    a.sign_in(&app.base, &dana, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    b.sign_in(&app.base, &omar, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    for p in [&a, &b] {
        p.wait_until("document.getElementById('conn').dataset.state === 'live'", "connect").await;
        p.wait_text("#queue", "Is red wine good for the heart?").await;
    }

    // Dana approves the first question (selected on arrival); Omar's console shows it live.
    a.wait_text("#detail", "Does coffee").await;
    a.press("#queue", "a").await;
    b.wait_until("document.getElementById('c-approved').textContent === '1'", "see Dana's approval").await;

    // Both act on the second question from the same view; Omar's click lands second.
    b.eval("window.curbsideLive.stop(); return true").await;
    b.click_text("#queue li", "red wine").await;
    b.wait_text("#detail", "red wine").await;
    a.wait_text("#detail", "red wine").await;
    a.press("#queue", "a").await;
    a.wait_text(".toast", "Approved").await;
    b.press("#queue", "a").await;
    b.wait_text(".toast", "already approved by Dana Reyes").await;
    b.wait_text("#detail", "Approved by Dana Reyes").await;

    a.close().await;
    b.close().await;
    chrome.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tablet_keeps_the_answer_draft_through_a_lost_connection_and_a_reload() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, lee) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    let asked = "Can I exercise after a stent?";
    ig_comment(&app, "18000000000000301", "viewer.three", asked).await;
    let admin = app.admin().await;
    let (qid, _) = question_id(&mut app, sid, asked).await;
    app.call("POST", &format!("/api/questions/{qid}/approve"), Some(&admin), None).await;
    app.call("POST", &format!("/api/questions/{qid}/on-air"), Some(&admin), None).await;

    let proxy = FlakyProxy::start(app.port).await.expect("proxy");
    let chrome = Chrome::start().await;
    let tablet = chrome.window(768, 1024).await;
    tablet.sign_in(&proxy.base(), &lee, STAFF_PASSWORD, &format!("/tablet/{sid}")).await;
    tablet.wait_until("document.getElementById('conn').dataset.state === 'live'", "connect").await;
    tablet.wait_text("#onair-bar", asked).await;
    tablet.fill("#answer", "Yes, most people can start walking within days;").await;

    // The connection drops mid-answer: the state is shown, typing goes on, nothing is lost.
    proxy.cut();
    tablet.wait_until("document.getElementById('conn').dataset.state === 'offline'", "notice the drop").await;
    tablet.wait_text("#banner", "Connection lost").await;
    let more = " your cardiologist will tell you when to do more.";
    let field = tablet.wait_for("#answer").await;
    field.send_keys(more).await.expect("type while offline");
    tablet.click("#publish").await;
    tablet.wait_text(".toast", "No connection").await;
    tablet.screenshot("tablet-768x1024-offline").await;

    // Meanwhile a moderator approves another question: the tablet must catch up on reconnect.
    let next = "How much salt is too much?";
    ig_comment(&app, "18000000000000302", "viewer.four", next).await;
    let (next_id, _) = question_id(&mut app, sid, next).await;
    app.call("POST", &format!("/api/questions/{next_id}/approve"), Some(&admin), None).await;
    proxy.restore();
    tablet.wait_until("document.getElementById('conn').dataset.state === 'live'", "reconnect").await;
    tablet.wait_text("#queue", next).await;
    let draft = tablet.eval("return document.getElementById('answer').value").await;
    assert_eq!(
        draft.as_str(),
        Some(format!("Yes, most people can start walking within days;{more}").as_str())
    );

    // A reload restores the draft from the tablet, and it publishes.
    tablet.client.refresh().await.expect("reload");
    tablet.wait_text("#draft-state", "Draft restored").await;
    let draft = tablet.eval("return document.getElementById('answer').value").await;
    assert!(draft.as_str().unwrap_or_default().ends_with(more), "{draft}");
    tablet.click("#publish").await;
    tablet.wait_text("#panel", "Answer published").await;

    tablet.close().await;
    chrome.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlay_with_a_wrong_or_rotated_key_shows_nothing() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, _) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    let asked = "Are eggs bad for cholesterol?";
    ig_comment(&app, "18000000000000401", "viewer.five", asked).await;
    let admin = app.admin().await;
    let (qid, _) = question_id(&mut app, sid, asked).await;
    app.call("POST", &format!("/api/questions/{qid}/approve"), Some(&admin), None).await;
    app.call("POST", &format!("/api/questions/{qid}/on-air"), Some(&admin), None).await;
    let slug = session["slug"].as_str().expect("slug");

    let chrome = Chrome::start().await;
    let right = chrome.window(1920, 1080).await;
    right.goto(&app.url(&overlay_path(&session))).await;
    right.wait_text("#question", asked).await;
    let wrong = chrome.window(1920, 1080).await;
    for path in [format!("/overlay/{slug}?key=not-the-key"), "/overlay/no-such-session?key=x".to_owned()] {
        wrong.goto(&app.url(&path)).await;
        wrong.wait_for("#card").await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert!(card_hidden(&wrong).await, "{path} must show nothing");
        assert!(!wrong.text("body").await.contains("eggs"), "{path}");
    }

    // Rotating the key cuts off the overlay that used the old one.
    let (s, rotated) =
        app.call("POST", &format!("/api/sessions/{sid}/overlay-key"), Some(&admin), None).await;
    assert_eq!(s, 200, "{rotated}");
    right.wait_until("document.getElementById('card').hidden", "hide after the key is rotated").await;
    wrong.goto(&app.url(&overlay_path(&rotated))).await;
    wrong.wait_text("#question", asked).await;

    right.close().await;
    wrong.close().await;
    chrome.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_specialist_on_the_console_is_told_approving_needs_a_moderator() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, lee) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    ig_comment(&app, "18000000000000501", "viewer.six", "Is it safe to fly after a heart attack?").await;
    let chrome = Chrome::start().await;
    let page = chrome.window(1440, 900).await;
    page.sign_in(&app.base, &lee, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    page.wait_text("#queue", "safe to fly").await;
    page.press("#queue", "j").await;
    page.press("#queue", "a").await;
    page.wait_text(".toast", "needs the role admin, producer, or moderator").await;
    let admin = app.admin().await;
    let (_, qs) = app.call("GET", &format!("/api/sessions/{sid}/questions"), Some(&admin), None).await;
    assert_eq!(qs["questions"][0]["state"], "new", "nothing changed");
    page.close().await;
    chrome.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_stays_responsive_with_thousands_of_questions_and_a_burst() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, _) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD").await;
    let (_, dana) = person(&mut app, Role::Moderator, "Dana Reyes", "").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    curbside_tests::ingest(&app.store().await, sid, "bulk", 5000).await;
    let chrome = Chrome::start().await;
    let page = chrome.window(1440, 900).await;
    page.sign_in(&app.base, &dana, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    page.wait_until("document.querySelectorAll('#queue li').length === 5000", "list 5,000 questions").await;
    page.wait_until("document.getElementById('conn').dataset.state === 'live'", "connect").await;
    // Reading the tenth question; a burst of 50 arrives: the "new" marker counts them and the
    // question being read stays selected.
    page.press("#queue", "jjjjjjjjjj").await;
    let reading = page.eval("return document.querySelector('#queue [aria-selected=true]').id").await;
    curbside_tests::ingest(&app.store().await, sid, "burst", 50).await;
    page.wait_text("#new-marker", "50 new").await;
    let still = page.eval("return document.querySelector('#queue [aria-selected=true]').id").await;
    assert_eq!(reading, still);
    page.wait_until("document.getElementById('c-new').textContent === '5050'", "count 5,050 new").await;
    page.close().await;
    chrome.stop().await;
    app.finish().await;
}

/// The README's pictures: a busy console, and the sign-in's admin default (only with
/// `CURBSIDE_SCREENSHOTS`; without it this test still checks the pages render and pass axe).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_render_a_realistic_session_accessibly() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let (dr, lee) = person(&mut app, Role::Specialist, "Dr Ada Lee", "MD, Cardiology").await;
    let (_, dana) = person(&mut app, Role::Moderator, "Dana Reyes", "").await;
    let session = live_session(&mut app, dr).await;
    let sid = session["id"].as_i64().expect("id");
    let lines = [
        ("r.thistlewood", "What's the difference between good and bad cholesterol?"),
        ("maria.keller", "Is a resting heart rate of 58 too low?"),
        ("jon_fit", "Can I keep running marathons with a heart murmur?"),
        ("grace.b", "Do statins cause muscle pain for everyone?"),
        ("p.osei", "What should my blood pressure be at 65?"),
        ("lena.m", "Are palpitations after coffee dangerous?"),
        ("tomasz.k", "How soon after a stent can I drive?"),
        ("hannah_r", "Is the keto diet safe for the heart?"),
        ("sam.w", "What are the warning signs of a heart attack in women?"),
        ("ines.c", "Does aspirin every day prevent heart disease?"),
    ];
    for (i, (who, text)) in lines.iter().enumerate() {
        ig_comment(&app, &format!("1800000000000060{i}"), who, text).await;
    }
    let admin = app.admin().await;
    for text in [lines[1].1, lines[4].1, lines[8].1] {
        let (id, _) = question_id(&mut app, sid, text).await;
        app.call("POST", &format!("/api/questions/{id}/approve"), Some(&admin), None).await;
    }
    let chrome = Chrome::start().await;
    let console = chrome.window(1440, 900).await;
    console.sign_in(&app.base, &dana, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    console.wait_text("#queue", lines[0].1).await;
    console.press("#queue", "j").await;
    console.wait_text("#detail", lines[2].1).await;
    console.assert_accessible("console with a selection").await;
    console.screenshot("console-1440x900").await;
    let dark = chrome.dark_window(1440, 900).await;
    dark.sign_in(&app.base, &dana, STAFF_PASSWORD, &format!("/console/{sid}")).await;
    dark.wait_text("#queue", lines[0].1).await;
    assert_eq!(
        dark.eval("return matchMedia('(prefers-color-scheme: dark)').matches").await,
        Value::Bool(true)
    );
    dark.assert_accessible("console in dark mode").await;
    dark.screenshot("console-dark-1440x900").await;
    dark.close().await;
    console.press("#queue", "?").await;
    console.wait_for("#d-help[open]").await;
    console.assert_accessible("shortcut list").await;
    console.screenshot("console-shortcuts").await;
    console.close().await;

    for (w, h, name) in [(1024, 768, "tablet-1024x768-queue"), (768, 1024, "tablet-768x1024")] {
        let tablet = chrome.window(w, h).await;
        tablet.sign_in(&app.base, &lee, STAFF_PASSWORD, &format!("/tablet/{sid}")).await;
        tablet.wait_text("#queue", lines[4].1).await;
        tablet.click_text("#queue button", lines[4].1).await;
        tablet.wait_text("#panel", "Go on air").await;
        tablet.assert_accessible(name).await;
        tablet.screenshot(name).await;
        tablet.close().await;
    }
    // The start page lists the sessions with their screens.
    let home = chrome.window(1024, 768).await;
    home.sign_in(&app.base, &dana, STAFF_PASSWORD, "/login?next=%2F").await;
    home.wait_text("#session-list", "Moderator console").await;
    home.assert_accessible("start page").await;
    home.click_text("#session-list a", "Specialist tablet").await;
    home.wait_until(&format!("location.pathname === '/tablet/{sid}'"), "open the tablet").await;
    home.close().await;

    let login = chrome.window(1024, 768).await;
    login.goto(&app.url("/login?next=/console/1")).await;
    login.fill("#email", ADMIN_EMAIL).await;
    login.fill("#password", "wrong password").await;
    login.click("#submit").await;
    login.wait_text("#form-error", "do not match").await;
    login.assert_accessible("sign-in error").await;
    login.fill("#password", ADMIN_PASSWORD).await;
    login.click("#submit").await;
    login.wait_until("location.pathname === '/console/1'", "follow next").await;
    login.close().await;
    chrome.stop().await;
    app.finish().await;
}
