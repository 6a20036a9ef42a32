//! Screening end to end, on both databases, over real HTTP: comments arrive through signed
//! webhooks (and the simulator's Graph API), are screened in the ingest transaction, get a
//! redacted default wording, and cannot be approved with private details left in unless a
//! moderator overrides with an audited reason. What a hurried approval publishes — the public
//! stream, the answer's transcript entry and the Facebook reply — carries no phone or name.

use curbside_simulator::{FakeGraph, GraphConfig};
use curbside_tests::{fb_reply_to, fb_viewer_comment, on_both_backends, Backend, Role, TestApp, TestDb};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

const PAGE: &str = "1000000000001";
const VIDEO: &str = "2000000000002";
const PHONE: &str = "555-201-3344";
const CHILD: &str = "Jaxon";
const TEXT: &str =
    "Hi I'm Tasha, call me at 555-201-3344 - my son Jaxon has a heart murmur, should we worry?";

fn fb_comment(verb: &str, comment: &str, author: &str, message: &str) -> Vec<u8> {
    let value = json!({
        "item": "comment", "verb": verb, "comment_id": format!("{VIDEO}_{comment}"),
        "post_id": format!("{PAGE}_{VIDEO}"), "parent_id": format!("{PAGE}_{VIDEO}"),
        "from": {"id": author, "name": format!("Viewer {author}")}, "created_time": 1_764_000_000,
        "message": message
    });
    serde_json::to_vec(&json!({"object": "page", "entry": [{"id": PAGE, "time": 1_764_000_001,
        "changes": [{"field": "feed", "value": value}]}]}))
    .expect("json")
}

async fn only_question(app: &mut TestApp, session: i64) -> Value {
    let qs = app.questions(session).await;
    assert_eq!(qs.len(), 1, "{qs:?}");
    qs[0].clone()
}

async fn a_webhook_comment_is_screened_and_its_default_wording_redacted(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Screening").await["id"].as_i64().expect("id");
    assert_eq!(app.webhook(&fb_comment("add", "1", "701", TEXT)).await.0, 200);
    let q = only_question(&mut app, sid).await;
    assert_eq!(q["original_text"], TEXT, "staff still see the comment as written");
    assert_eq!(
        q["public_text"],
        "Hi I'm [name removed], call me at [phone removed] - my son [name removed] has a heart murmur, should we worry?"
    );
    let flags: Vec<&str> = q["flags"].as_array().expect("flags").iter().filter_map(Value::as_str).collect();
    assert!(flags.contains(&"phi") && flags.contains(&"personal_advice"), "{flags:?}");
    let spans = q["screening"]["spans"].as_array().expect("spans");
    let chars: Vec<char> = TEXT.chars().collect();
    let covered: Vec<(String, String)> = spans
        .iter()
        .map(|s| {
            let (a, b) =
                (s["start"].as_u64().expect("start") as usize, s["end"].as_u64().expect("end") as usize);
            (s["kind"].as_str().expect("kind").to_owned(), chars[a..b].iter().collect())
        })
        .collect();
    assert_eq!(
        covered,
        [("name".into(), "Tasha".into()), ("phone".into(), PHONE.into()), ("name".into(), CHILD.into())]
    );
    let reasons: Vec<&str> = q["screening"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"a name and a phone number"), "{reasons:?}");
    assert!(q["screening"]["suggested_text"].is_string(), "personal advice comes with a general rewording");
    let moderator = app.staff(Role::Moderator).await;
    let id = q["id"].as_i64().expect("id");
    let (status, body) =
        app.call("POST", &format!("/api/questions/{id}/redirect-reply"), Some(&moderator), None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["queued"][0]["kind"], "reply");
    assert!(body["queued"][0]["text"].as_str().expect("text").contains("can't advise"), "{body}");
    app.finish().await;
}

async fn approving_wording_that_still_holds_private_details_needs_an_audited_override(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Guard").await["id"].as_i64().expect("id");
    assert_eq!(app.webhook(&fb_comment("add", "1", "701", TEXT)).await.0, 200);
    let id = only_question(&mut app, sid).await["id"].as_i64().expect("id");
    let moderator = app.staff(Role::Moderator).await;
    let approve = format!("/api/questions/{id}/approve");
    // The moderator's rewording keeps the number (spaced differently): refused, saying what.
    let (status, body) = app
        .call(
            "POST",
            &approve,
            Some(&moderator),
            Some(json!({"public_text": "Can someone call 555 201 3344 about a murmur?"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().expect("message").contains("a phone number"), "{body}");
    // A name the detectors find in the new wording is refused too.
    let (status, body) = app
        .call(
            "POST",
            &approve,
            Some(&moderator),
            Some(json!({"public_text": "My son Jaxon has a murmur, should we worry?"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().expect("message").contains("a name"), "{body}");
    let (status, _) = app
        .call(
            "POST",
            &approve,
            Some(&moderator),
            Some(json!({"public_text": "Is 555 201 3344 ok?", "override": {"reason": " "}})),
        )
        .await;
    assert_eq!(status, 422, "an override needs a reason");
    assert_eq!(only_question(&mut app, sid).await["state"], "new", "refusals change nothing");
    let (status, body) = app
        .call(
            "POST",
            &approve,
            Some(&moderator),
            Some(json!({"public_text": "Call 555 201 3344 for the clinic", "override": {"reason": "the hospital's own clinic line"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "approved");
    let entries = audit_entries(&mut app, sid).await;
    let over = entries.iter().find(|e| e["action"] == "question.approve_override").expect("override audited");
    assert_eq!(over["detail"]["reason"], "the hospital's own clinic line");
    assert_eq!(over["detail"]["found"], json!(["phone"]));
    let store = app.store().await;
    let events = store
        .events_after(
            curbside_domain::SessionId(sid),
            curbside_domain::EventAudience::Staff,
            curbside_domain::Offset(0),
            100,
        )
        .await
        .expect("events");
    assert!(
        events.iter().any(|e| e.staff_json.contains("\"change\":\"approve_override\"")),
        "override evented"
    );
    app.finish().await;
}

async fn an_edit_at_the_source_while_new_is_screened_again(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Edits").await["id"].as_i64().expect("id");
    assert_eq!(app.webhook(&fb_comment("add", "1", "701", "is coffee ok for the heart?")).await.0, 200);
    let before = only_question(&mut app, sid).await;
    assert_eq!(before["flags"], json!([]));
    let edited = "is coffee ok for the heart? text me 555-201-3344";
    assert_eq!(app.webhook(&fb_comment("edited", "1", "701", edited)).await.0, 200);
    let after = only_question(&mut app, sid).await;
    assert_eq!(after["original_text"], edited);
    assert_eq!(after["public_text"], "is coffee ok for the heart? text me [phone removed]");
    assert_eq!(after["flags"], json!(["phi"]));
    assert_eq!(after["screening"]["spans"][0]["kind"], "phone");
    app.finish().await;
}

async fn emergencies_come_first_in_priority_order_and_the_default_stays_oldest_first(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Priority").await["id"].as_i64().expect("id");
    assert_eq!(app.webhook(&fb_comment("add", "1", "701", "what foods lower cholesterol?")).await.0, 200);
    assert_eq!(
        app.webhook(&fb_comment("add", "2", "702", "my dad has crushing chest pain right now what do i do"))
            .await
            .0,
        200
    );
    let moderator = app.staff(Role::Moderator).await;
    let texts = |v: &Value| -> Vec<String> {
        v["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .map(|q| q["original_text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (_, oldest) =
        app.call("GET", &format!("/api/sessions/{sid}/questions"), Some(&moderator), None).await;
    assert_eq!(texts(&oldest)[0], "what foods lower cholesterol?");
    let (_, priority) = app
        .call("GET", &format!("/api/sessions/{sid}/questions?order=priority"), Some(&moderator), None)
        .await;
    let first = &priority["questions"][0];
    assert_eq!(first["flags"], json!(["emergency"]));
    assert_eq!(first["screening"]["findings"][0]["reason"], "chest pain happening now");
    let (status, _) = app
        .call("GET", &format!("/api/sessions/{sid}/questions?order=loudest"), Some(&moderator), None)
        .await;
    assert_eq!(status, 400);
    app.finish().await;
}

/// A server against the simulator's Graph API with a live session; returns (graph, ids, app, session).
async fn live_session(backend: Backend) -> (FakeGraph, curbside_simulator::SimIds, TestApp, i64) {
    let config = GraphConfig::default();
    let ids = config.ids.clone();
    let graph = FakeGraph::start(config).await.expect("fake graph");
    let mut app = TestApp::spawn_against(TestDb::fresh(backend).await, &graph).await;
    let sid = app.create_simulated_session(&ids).await;
    let admin = app.admin().await;
    let (status, _) = app
        .call("PATCH", &format!("/api/sessions/{sid}"), Some(&admin), Some(json!({"status": "live"})))
        .await;
    assert_eq!(status, 200);
    (graph, ids, app, sid)
}

/// The session's audit entries, oldest first.
async fn audit_entries(app: &mut TestApp, sid: i64) -> Vec<Value> {
    let admin = app.admin().await;
    let (_, audit) = app.call("GET", &format!("/api/sessions/{sid}/audit"), Some(&admin), None).await;
    audit["entries"].as_array().or_else(|| audit.as_array()).cloned().unwrap_or_default()
}

/// Reads the public SSE stream from the start until an answer entry arrives; returns all of it.
async fn public_stream_until_entry(app: &TestApp, slug: &str) -> String {
    let resp = app.http.get(app.url(&format!("/s/{slug}/events?since=0"))).send().await.expect("sse");
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    while !buf.contains("\"type\":\"entry\"") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an SSE chunk within 10 s")
            .expect("stream open")
            .expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    buf
}

async fn a_hurried_approval_publishes_no_phone_number_or_child_name_anywhere(backend: Backend) {
    let (graph, ids, mut app, sid) = live_session(backend).await;
    let admin = app.admin().await;
    let comment_id = fb_viewer_comment(&graph, &ids, 901, TEXT);
    let mut q = Value::Null;
    for _ in 0..150 {
        let qs = app.questions(sid).await;
        if let Some(found) = qs.first() {
            q = found.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = q["id"].as_i64().expect("the polled comment became a question");
    // Approve without rewording, then answer at once.
    let moderator = app.staff(Role::Moderator).await;
    let (status, body) =
        app.call("POST", &format!("/api/questions/{id}/approve"), Some(&moderator), None).await;
    assert_eq!(status, 200, "the redacted default may air: {body}");
    let specialist = app.assigned_specialist(sid).await;
    let (status, answered) = app
        .call(
            "POST",
            &format!("/api/questions/{id}/answer"),
            Some(&specialist),
            Some(json!({"text": "Most murmurs in children are harmless; ask your paediatrician."})),
        )
        .await;
    assert_eq!(status, 200, "{answered}");
    let slug = app.call("GET", &format!("/api/sessions/{sid}"), Some(&admin), None).await.1["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let public = public_stream_until_entry(&app, &slug).await;
    assert!(public.contains("[phone removed]") && public.contains("[name removed]"), "{public}");
    let store = app.store().await;
    let public_events = store
        .events_after(
            curbside_domain::SessionId(sid),
            curbside_domain::EventAudience::Public,
            curbside_domain::Offset(0),
            100,
        )
        .await
        .expect("events");
    let reply = fb_reply_to(&graph, &comment_id).await;
    assert!(reply.starts_with("Most murmurs"), "the Facebook reply was sent: {reply:?}");
    for (surface, text) in [
        ("public stream", public.clone()),
        (
            "public log (transcript entries)",
            public_events.iter().filter_map(|e| e.public_json.clone()).collect::<String>(),
        ),
        ("Facebook reply", reply.clone()),
    ] {
        for secret in [PHONE, CHILD, "Tasha", "Viewer 901"] {
            assert!(!text.contains(secret), "{secret} reached the {surface}: {text}");
        }
    }
    app.finish().await;
    graph.stop().await;
}

async fn an_emergency_gets_the_crisis_reply_and_stays_on_follow_up_until_an_outcome(backend: Backend) {
    let (graph, ids, mut app, sid) = live_session(backend).await;
    let comment_id =
        fb_viewer_comment(&graph, &ids, 902, "my husband has crushing chest pain right now what do we do");
    let moderator = app.staff(Role::Moderator).await;
    let follow_ups = format!("/api/sessions/{sid}/follow-ups");
    let mut open = Vec::new();
    for _ in 0..150 {
        let (_, body) = app.call("GET", &follow_ups, Some(&moderator), None).await;
        open = body["questions"].as_array().cloned().unwrap_or_default();
        if !open.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open.len(), 1, "the emergency is on the follow-up list");
    let id = open[0]["id"].as_i64().expect("id");
    let (status, body) =
        app.call("POST", &format!("/api/questions/{id}/crisis-reply"), Some(&moderator), None).await;
    assert_eq!(status, 202, "{body}");
    let reply = fb_reply_to(&graph, &comment_id).await;
    assert!(reply.contains("911") && reply.contains("988"), "the configured resources went out: {reply:?}");
    let (status, _) =
        app.call("POST", &format!("/api/questions/{id}/crisis-reply"), Some(&moderator), None).await;
    assert_eq!(status, 409, "one reply per comment");
    let (_, still) = app.call("GET", &follow_ups, Some(&moderator), None).await;
    assert_eq!(still["questions"].as_array().map(Vec::len), Some(1), "a reply is not an outcome");
    let outcome = format!("/api/questions/{id}/outcome");
    let (status, body) = app
        .call(
            "POST",
            &outcome,
            Some(&moderator),
            Some(json!({"outcome": "resources sent, on-call nurse paged"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.call("POST", &outcome, Some(&moderator), Some(json!({"outcome": "again"}))).await;
    assert_eq!(status, 409);
    let (_, done) = app.call("GET", &follow_ups, Some(&moderator), None).await;
    assert_eq!(done["questions"], json!([]));
    let entries = audit_entries(&mut app, sid).await;
    let actions: Vec<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(
        actions.contains(&"question.crisis_reply") && actions.contains(&"question.outcome"),
        "{actions:?}"
    );
    app.finish().await;
    graph.stop().await;
}

/// A held-out check: the demo's scripted session was written and labelled by another engineer
/// (before screening existed), so its labels measure the detectors on text they were not tuned
/// on. Prints recall and precision; requires every emergency and crisis to be caught.
#[test]
fn detectors_catch_the_scripted_sessions_labelled_private_details_and_emergencies() {
    use curbside_screening::{phi, text};
    use curbside_simulator::{Script, ScriptEvent};
    use std::collections::HashMap;
    let script = Script::cardiology(2026);
    let mut comments: Vec<curbside_simulator::ScriptComment> = Vec::new();
    let mut edits: HashMap<usize, String> = HashMap::new();
    for item in script.items() {
        match &item.event {
            ScriptEvent::Comment(c) => comments.push(c.clone()),
            ScriptEvent::Edit { key, text } => {
                edits.insert(key.0, text.clone());
            }
            _ => {}
        }
    }
    let (mut phi_counts, mut em_counts) = ([0usize; 3], [0usize; 3]); // tp, fp, fn
    let mut missed = Vec::new();
    for c in &comments {
        let final_text = edits.get(&c.key.0).cloned().unwrap_or_else(|| c.text.clone());
        let found_phi = !phi::detect(&final_text).is_empty();
        let found_em = curbside_screening::emergency::detect(&text::fold(&final_text)).is_some();
        for (counts, found, want, what) in [
            (&mut phi_counts, found_phi, c.phi, "phi"),
            (&mut em_counts, found_em, c.emergency || c.crisis, "emergency"),
        ] {
            match (found, want) {
                (true, true) => counts[0] += 1,
                (true, false) => {
                    counts[1] += 1;
                    missed.push(format!("false {what}: {final_text}"));
                }
                (false, true) => {
                    counts[2] += 1;
                    missed.push(format!("missed {what}: {final_text}"));
                }
                (false, false) => {}
            }
        }
    }
    for m in &missed {
        println!("  script: {m}");
    }
    let rate = |a: usize, b: usize| if a + b == 0 { 1.0 } else { a as f64 / (a + b) as f64 };
    println!(
        "script ({} comments): phi recall {:.3} precision {:.3}; emergency recall {:.3} precision {:.3}",
        comments.len(),
        rate(phi_counts[0], phi_counts[2]),
        rate(phi_counts[0], phi_counts[1]),
        rate(em_counts[0], em_counts[2]),
        rate(em_counts[0], em_counts[1]),
    );
    assert_eq!(em_counts[2], 0, "every scripted emergency and crisis is caught");
    assert!(rate(phi_counts[0], phi_counts[2]) >= SCRIPT_PHI_RECALL_FLOOR);
}

/// The held-out floor for private details in the demo's script (measured: see docs/safety.md).
const SCRIPT_PHI_RECALL_FLOOR: f64 = 0.95;

async fn set_auto_handling(app: &mut TestApp, sid: i64, body: Value) {
    let producer = app.staff(Role::Producer).await;
    let (status, set) = app
        .call("PUT", &format!("/api/sessions/{sid}/auto-handling"), Some(&producer), Some(body.clone()))
        .await;
    assert_eq!(status, 200, "{set}");
    let (_, session) = app.call("GET", &format!("/api/sessions/{sid}"), Some(&producer), None).await;
    assert_eq!(session["auto_handling"], set, "the session shows its setting");
}

async fn spam_is_rejected_at_ingest_only_when_the_session_allows_it_and_a_moderator_can_undo(
    backend: Backend,
) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Spam").await["id"].as_i64().expect("id");
    const SPAM: &str = "earn $500 a day from home, check my profile www.easy-cash.biz";
    assert_eq!(app.webhook(&fb_comment("add", "11", "711", SPAM)).await.0, 200);
    let q = only_question(&mut app, sid).await;
    assert_eq!(
        (q["state"].as_str(), q["flags"].as_array().map(|f| f.contains(&json!("spam")))),
        (Some("new"), Some(true)),
        "off by default: flagged, left for a moderator"
    );
    set_auto_handling(&mut app, sid, json!({"reject_spam": true})).await;
    assert_eq!(
        app.webhook(&fb_comment(
            "add",
            "12",
            "712",
            "earn $500 a day from home check my profile www.scam.biz"
        ))
        .await
        .0,
        200
    );
    let qs = app.questions(sid).await;
    let rejected = qs
        .iter()
        .find(|q| q["original_text"].as_str().is_some_and(|t| t.contains("scam.biz")))
        .expect("the second");
    assert_eq!(rejected["state"], "rejected", "{rejected}");
    assert_eq!(rejected["last_actor"], "screening");
    assert!(
        rejected["reject_reason"].as_str().is_some_and(|r| r.contains("rejected automatically")),
        "{rejected}"
    );
    let entries = audit_entries(&mut app, sid).await;
    let auto = entries.iter().find(|e| e["action"] == "question.reject").expect("the rejection is audited");
    assert_eq!(auto["actor_name"], "screening", "{auto}");
    assert!(entries.iter().any(|e| e["action"] == "session.auto_handling"), "the setting is audited");
    // Any moderator may take screening's decision back, however late.
    let moderator = app.staff(Role::Moderator).await;
    let id = rejected["id"].as_i64().expect("id");
    let (status, undone) =
        app.call("POST", &format!("/api/questions/{id}/undo"), Some(&moderator), None).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["state"], "new");
    app.finish().await;
}

async fn exact_duplicates_merge_into_the_first_question_when_the_session_allows_it(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Duplicates").await["id"].as_i64().expect("id");
    set_auto_handling(&mut app, sid, json!({"merge_exact_duplicates": true})).await;
    assert_eq!(app.webhook(&fb_comment("add", "21", "721", "Is coffee bad for your heart?")).await.0, 200);
    assert_eq!(app.webhook(&fb_comment("add", "22", "722", "is COFFEE bad for your heart??")).await.0, 200);
    assert_eq!(app.webhook(&fb_comment("add", "23", "723", "is coffee bad for the heart")).await.0, 200);
    let qs = app.questions(sid).await;
    let state = |i: usize| qs[i]["state"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        (state(0), state(1), state(2)),
        ("new".into(), "merged".into(), "new".into()),
        "only the exact repeat merges; a rewording stays a candidate: {qs:?}"
    );
    assert_eq!(qs[0]["asked_by_count"], 2, "the first question counts both askers");
    assert_eq!(qs[0]["sources"].as_array().map(Vec::len), Some(2), "and keeps both comments for the replies");
    assert_eq!(qs[1]["merged_into"], qs[0]["id"]);
    assert!(qs[2]["flags"].as_array().is_some_and(|f| f.contains(&json!("duplicate_candidate"))));
    let entries = audit_entries(&mut app, sid).await;
    assert!(
        entries.iter().any(|e| e["action"] == "question.merge" && e["actor_name"] == "screening"),
        "{entries:?}"
    );
    app.finish().await;
}

async fn an_answer_to_a_myth_is_marked_myth_addressed_on_the_transcript(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let session = app.create_session("Vaccines").await;
    let (sid, slug) =
        (session["id"].as_i64().expect("id"), session["slug"].as_str().expect("slug").to_owned());
    const MYTH: &str = "my neighbour Karen says vaccines cause autism, is that true?";
    assert_eq!(app.webhook(&fb_comment("add", "31", "731", MYTH)).await.0, 200);
    assert_eq!(
        app.webhook(&fb_comment("add", "32", "732", "What is a healthy resting heart rate?")).await.0,
        200
    );
    let moderator = app.staff(Role::Moderator).await;
    let specialist = app.assigned_specialist(sid).await;
    for q in app.questions(sid).await {
        let id = q["id"].as_i64().expect("id");
        let (status, body) = app
            .call(
                "POST",
                &format!("/api/questions/{id}/approve"),
                Some(&moderator),
                Some(json!({"public_text": format!("Question {id}")})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .call(
                "POST",
                &format!("/api/questions/{id}/answer"),
                Some(&specialist),
                Some(json!({"text": "A calm, general answer."})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let json_text = app
        .http
        .get(app.url(&format!("/s/{slug}/transcript.json")))
        .send()
        .await
        .expect("json")
        .text()
        .await
        .expect("body");
    let tr: Value = serde_json::from_str(&json_text).expect("transcript json");
    assert_eq!(tr["entries"][0]["myth_addressed"]["topic"], "vaccines and autism", "{tr}");
    assert!(tr["entries"][0]["myth_addressed"]["source"]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    assert!(tr["entries"][1].get("myth_addressed").is_none(), "only the myth is marked: {tr}");
    let page =
        app.http.get(app.url(&format!("/s/{slug}"))).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("Common myth addressed") && page.contains("vaccines and autism"), "{page}");
    for surface in [&json_text, &page] {
        assert!(
            !surface.contains("Karen") && !surface.contains("neighbour"),
            "no raw text on the transcript"
        );
    }
    app.finish().await;
}

/// Duplicate suggestions name only questions still open, also when ingest reuses the session's
/// duplicate index between webhook bodies: a rejection in between takes its question out.
async fn a_duplicate_is_suggested_only_against_questions_still_open(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Open duplicates").await["id"].as_i64().expect("id");
    let admin = app.admin().await;
    let texts = [
        "Is coffee bad for your heart?",
        "is coffee bad for the heart",
        "is coffee really bad for your heart",
        "coffee bad for your heart, is it?",
    ];
    let mut ids = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let n = 41 + i;
        assert_eq!(app.webhook(&fb_comment("add", &n.to_string(), &format!("74{i}"), text)).await.0, 200);
        let qs = app.questions(sid).await;
        let q = qs.iter().find(|q| q["original_text"] == *text).expect("stored").clone();
        let suggested = q["screening"]["duplicate_of"].as_i64();
        match i {
            0 => assert_eq!(suggested, None, "{q}"),
            1 => assert_eq!(suggested, Some(ids[0]), "the first question is suggested: {q}"),
            // The first was rejected after the second arrived: the second is suggested now.
            2 => assert_eq!(suggested, Some(ids[1]), "never a rejected question: {q}"),
            // Every earlier one is rejected: nothing to merge into.
            _ => assert_eq!(suggested, None, "{q}"),
        }
        let id = q["id"].as_i64().expect("id");
        ids.push(id);
        if i == 1 {
            let (s, _) = app
                .call("POST", &format!("/api/questions/{}/reject", ids[0]), Some(&admin), Some(json!({})))
                .await;
            assert_eq!(s, 200);
        }
        if i == 2 {
            for id in &ids[1..] {
                let (s, _) = app
                    .call("POST", &format!("/api/questions/{id}/reject"), Some(&admin), Some(json!({})))
                    .await;
                assert_eq!(s, 200);
            }
        }
    }
    app.finish().await;
}

on_both_backends!(
    an_emergency_gets_the_crisis_reply_and_stays_on_follow_up_until_an_outcome,
    a_webhook_comment_is_screened_and_its_default_wording_redacted,
    approving_wording_that_still_holds_private_details_needs_an_audited_override,
    an_edit_at_the_source_while_new_is_screened_again,
    emergencies_come_first_in_priority_order_and_the_default_stays_oldest_first,
    a_hurried_approval_publishes_no_phone_number_or_child_name_anywhere,
    spam_is_rejected_at_ingest_only_when_the_session_allows_it_and_a_moderator_can_undo,
    exact_duplicates_merge_into_the_first_question_when_the_session_allows_it,
    an_answer_to_a_myth_is_marked_myth_addressed_on_the_transcript,
    a_duplicate_is_suggested_only_against_questions_still_open,
);
