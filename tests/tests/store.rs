//! The store's contract, run unchanged against SQLite and PostgreSQL: dedupe, gap-free offsets
//! under concurrent writers, the lifecycle's effects, and what reaches the public payloads.

use curbside_domain::{Action, EventAudience, Offset, Platform, QuestionState, Role, SessionId, UserId};
use curbside_store::{Actor, IncomingComment, NewSession, NewUser, Store, StoreError};
use curbside_tests::{on_both_backends, Backend, TestDb};
use std::collections::BTreeSet;

async fn fresh(backend: Backend) -> (Store, TestDb) {
    let db = TestDb::fresh(backend).await;
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    (store, db)
}

async fn session(store: &Store) -> SessionId {
    store
        .create_session(
            NewSession {
                title: "Heart health".into(),
                slug: None,
                disclaimer: None,
                sources: vec![],
                specialists: vec![],
            },
            &Actor::system("test"),
        )
        .await
        .expect("session")
        .id
}

async fn specialist(store: &Store) -> Actor {
    let u = store
        .create_user(
            NewUser {
                email: format!("dr-{}@x.test", rand_suffix()),
                name: "Dr Ada Lee".into(),
                role: Role::Specialist,
                credentials: "MD, Cardiology".into(),
                password_hash: "not-used".into(),
            },
            &Actor::system("test"),
        )
        .await
        .expect("user");
    Actor::staff(u.id, &u.name)
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn comment(session: SessionId, id: &str, author: &str, text: &str) -> IncomingComment {
    IncomingComment {
        session_id: session,
        source_id: None,
        platform: Platform::Facebook,
        platform_comment_id: id.into(),
        author_id: Some(format!("uid-{author}")),
        author_name: Some(author.into()),
        text: text.into(),
        parent_id: None,
        platform_time: 1_700_000_000_000,
        via: "webhook".into(),
    }
}

async fn staff_offsets(store: &Store, s: SessionId) -> Vec<i64> {
    store
        .events_after(s, EventAudience::Staff, Offset::START, 100_000)
        .await
        .expect("events")
        .iter()
        .map(|e| e.offset.0)
        .collect()
}

async fn same_comment_inserted_twice_concurrently_is_stored_once(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store.ingest_comments(vec![comment(s, "900_1", "Rowan", "Is salt bad?")]).await
            })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        let outcome = t.await.expect("join").expect("ingest");
        stored += outcome.stored;
    }
    assert_eq!(stored, 1, "exactly one delivery stores the comment");
    let qs = store.questions(s, None).await.expect("questions");
    assert_eq!(qs.len(), 1);
    assert_eq!(qs[0].sources.len(), 1);
    // The same comment in one batch twice, and again later: still one.
    let again = store
        .ingest_comments(vec![
            comment(s, "900_1", "Rowan", "Is salt bad?"),
            comment(s, "900_1", "Rowan", "Is salt bad?"),
        ])
        .await
        .expect("ingest");
    assert_eq!((again.stored, again.duplicates), (0, 2));
    assert_eq!(store.questions(s, None).await.expect("questions").len(), 1);
    db.drop_now().await;
}

async fn offsets_are_gap_free_under_concurrent_writers(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    let other = session(&store).await;
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    let target = if i % 3 == 0 { other } else { s };
                    store
                        .ingest_comments(vec![comment(target, &format!("w{w}_{i}"), "A", "q?")])
                        .await
                        .expect("ingest");
                }
            })
        })
        .collect();
    // Moderators act on the questions while comments keep arriving.
    let approver = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut approved = 0;
            for _ in 0..50 {
                for q in store.questions(s, Some(QuestionState::New)).await.expect("list") {
                    match store
                        .act(
                            q.id,
                            Action::Approve { public_text: None, override_reason: None },
                            &Actor::system("mod"),
                            None,
                        )
                        .await
                    {
                        Ok(_) => approved += 1,
                        Err(StoreError::Conflict(_)) => {}
                        Err(e) => panic!("approve failed: {e}"),
                    }
                }
                tokio::task::yield_now().await;
            }
            approved
        })
    };
    for w in writers {
        w.await.expect("writer");
    }
    let approved = approver.await.expect("approver");
    for (sid, expected_comments) in [(s, 36), (other, 24)] {
        let offsets = staff_offsets(&store, sid).await;
        let expected: Vec<i64> = (1..=offsets.len() as i64).collect();
        assert_eq!(offsets, expected, "offsets of session {sid} are 1..=n with no gap");
        let head = store.last_offset(sid).await.expect("offset").expect("exists");
        assert_eq!(head.0, offsets.len() as i64);
        let created = store.questions(sid, None).await.expect("list").len();
        assert_eq!(created, expected_comments);
    }
    // 1 session event + 36 created + one event per approval.
    assert_eq!(staff_offsets(&store, s).await.len(), 1 + 36 + approved);
    db.drop_now().await;
}

async fn answering_publishes_a_public_entry_without_commenter_data(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    let dr = specialist(&store).await;
    store
        .ingest_comments(vec![comment(s, "c1", "Rowan Thistlewood", "Rowan here: what lowers cholesterol?")])
        .await
        .expect("ingest");
    let q = store.questions(s, None).await.expect("list").remove(0);
    let sys = Actor::system("mod");
    store
        .act(q.id, Action::approve(Some("What lowers cholesterol?")).expect("text"), &sys, None)
        .await
        .expect("approve");
    store.act(q.id, Action::PutOnAir, &dr, None).await.expect("on air");
    let answered = store
        .act(q.id, Action::answer("Soluble fibre helps.").expect("text"), &dr, None)
        .await
        .expect("answer");
    assert_eq!(answered.state, QuestionState::Answered);
    let a = answered.answer.expect("answer");
    assert_eq!(
        (a.answered_by.name.as_str(), a.answered_by.credentials.as_str()),
        ("Dr Ada Lee", "MD, Cardiology")
    );
    let public = store.events_after(s, EventAudience::Public, Offset::START, 100).await.expect("public");
    let entries: Vec<_> =
        public.iter().filter_map(|e| e.public_json.as_deref()).filter(|j| j.contains("\"entry\"")).collect();
    assert_eq!(entries.len(), 1, "one public entry: {entries:?}");
    assert!(entries[0].contains("What lowers cholesterol?"));
    for needle in ["Rowan", "Thistlewood", "uid-", "c1", "Rowan here"] {
        assert!(!entries[0].contains(needle), "{needle} leaked: {}", entries[0]);
    }
    // A correction keeps the old text in the history and publishes the new one.
    let corrected = store
        .act(q.id, Action::correct("Soluble fibre and exercise help.").expect("text"), &dr, None)
        .await
        .expect("correct");
    assert_eq!(corrected.state, QuestionState::Corrected);
    let a = corrected.answer.expect("answer");
    assert_eq!(a.text, "Soluble fibre and exercise help.");
    assert_eq!(a.history.len(), 1);
    assert_eq!(a.history[0].text, "Soluble fibre helps.");
    assert!(a.corrected_at.is_some());
    db.drop_now().await;
}

async fn merging_moves_comments_and_adds_up_askers(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    store
        .ingest_comments(vec![
            comment(s, "m1", "A", "Is coffee bad for the heart?"),
            comment(s, "m2", "B", "coffee and heart??"),
        ])
        .await
        .expect("ingest");
    let qs = store.questions(s, None).await.expect("list");
    let (keep, dup) = (qs[0].id, qs[1].id);
    let sys = Actor::system("mod");
    let merged = store.act(dup, Action::Merge { into: keep }, &sys, None).await.expect("merge");
    assert_eq!(merged.state, QuestionState::Merged);
    assert_eq!(merged.merged_into, Some(keep));
    let target = store.question(keep).await.expect("target");
    assert_eq!(target.asked_by_count, 2);
    assert_eq!(
        target.sources.iter().map(|c| c.comment_id.as_str()).collect::<BTreeSet<_>>(),
        BTreeSet::from(["m1", "m2"])
    );
    // Self-merge, merging into a merged question, and acting on a merged one are refused.
    assert!(matches!(
        store.act(keep, Action::Merge { into: keep }, &sys, None).await,
        Err(StoreError::Invalid(_))
    ));
    let err = store
        .act(dup, Action::Approve { public_text: None, override_reason: None }, &sys, None)
        .await
        .expect_err("must be refused");
    assert!(err.to_string().contains("merged into another question"), "{err}");
    db.drop_now().await;
}

async fn stale_versions_and_illegal_moves_are_conflicts(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    store.ingest_comments(vec![comment(s, "v1", "A", "q?")]).await.expect("ingest");
    let q = store.questions(s, None).await.expect("list").remove(0);
    let alice = Actor::staff(UserId(0), "Alice");
    store
        .act(q.id, Action::Approve { public_text: None, override_reason: None }, &alice, Some(q.version))
        .await
        .expect("approve");
    let err = store
        .act(q.id, Action::Reject { reason: None }, &Actor::system("Bob"), Some(q.version))
        .await
        .expect_err("must be refused");
    assert!(matches!(&err, StoreError::Conflict(m) if m.contains("by Alice")), "{err}");
    let err = store
        .act(q.id, Action::Approve { public_text: None, override_reason: None }, &Actor::system("Bob"), None)
        .await
        .expect_err("must be refused");
    assert_eq!(err.to_string(), "already approved by Alice");
    // An answer needs a staff account behind it.
    let err = store
        .act(q.id, Action::answer("x").expect("text"), &Actor::system("bot"), None)
        .await
        .expect_err("must be refused");
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    db.drop_now().await;
}

async fn the_log_survives_reconnecting(backend: Backend) {
    let (store, db) = fresh(backend).await;
    let s = session(&store).await;
    store.ingest_comments(vec![comment(s, "r1", "A", "q?")]).await.expect("ingest");
    let before = staff_offsets(&store, s).await;
    store.close().await;
    let again = Store::connect(&db.url).await.expect("reconnect");
    assert_eq!(staff_offsets(&again, s).await, before);
    again.ingest_comments(vec![comment(s, "r2", "A", "q2?")]).await.expect("ingest");
    assert_eq!(staff_offsets(&again, s).await, vec![1, 2, 3]);
    let mut db = db;
    db.drop_now().await;
}

/// Webhook bodies that arrive together are written together on SQLite (group commit); a body
/// that cannot be stored (here: comments of a session that does not exist) fails alone, and
/// every other body is stored with its own outcome.
async fn a_bad_body_among_concurrent_ones_fails_alone(backend: Backend) {
    let (store, mut db) = fresh(backend).await;
    let s = session(&store).await;
    let missing = SessionId(s.0 + 1000);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let target = if i == 3 { missing } else { s };
            tokio::spawn(async move {
                let batch = (0..5)
                    .map(|k| {
                        comment(
                            target,
                            &format!("g{i}_{k}"),
                            &format!("A{i}{k}"),
                            &format!("Question {i}.{k}?"),
                        )
                    })
                    .collect();
                (i, store.ingest_comments(batch).await)
            })
        })
        .collect();
    for t in tasks {
        let (i, outcome) = t.await.expect("join");
        match outcome {
            Ok(o) if i != 3 => {
                assert_eq!((o.stored, o.duplicates), (5, 0), "body {i}");
                assert_eq!(o.events.len(), 5, "body {i} gets its own events");
                assert!(o.events.iter().all(|e| e.session_id == s));
            }
            Err(_) if i == 3 => {}
            other => panic!("body {i}: {:?}", other.map(|o| o.stored)),
        }
    }
    assert_eq!(store.questions(s, None).await.expect("questions").len(), 35);
    assert_eq!(
        staff_offsets(&store, s).await,
        (1..=36).collect::<Vec<_>>(),
        "session event, then one per question"
    );
    db.drop_now().await;
}

/// On one thread the bodies are certain to wait for the same writer: the group path itself.
#[tokio::test(flavor = "current_thread")]
async fn sqlite_group_commit_keeps_each_bodys_outcome() {
    a_bad_body_among_concurrent_ones_fails_alone(Backend::Sqlite).await;
}

on_both_backends!(
    a_bad_body_among_concurrent_ones_fails_alone,
    same_comment_inserted_twice_concurrently_is_stored_once,
    offsets_are_gap_free_under_concurrent_writers,
    answering_publishes_a_public_entry_without_commenter_data,
    merging_moves_comments_and_adds_up_askers,
    stale_versions_and_illegal_moves_are_conflicts,
    the_log_survives_reconnecting,
);
