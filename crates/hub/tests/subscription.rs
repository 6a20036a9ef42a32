//! Subscriptions against a real SQLite log: resume, ordering, gap filling, lag and audiences.

mod common;

use common::{assert_quiet, describe, events, next, take, Fixture, PATIENCE};
use curbside_domain::{EventAudience, Offset, SessionId};
use curbside_hub::{Hub, HubConfig, HubError, Item};
use curbside_store::Store;
use std::time::Duration;

fn config() -> HubConfig {
    HubConfig::default()
}

#[tokio::test]
async fn resuming_with_since_gets_exactly_the_missed_events_then_live_ones() {
    let f = Fixture::new(config()).await;
    let written = f.comments(4).await; // offsets 2..=5 after the session's own event 1
    assert_eq!(written.iter().map(|e| e.offset.0).collect::<Vec<_>>(), vec![2, 3, 4, 5]);

    let mut sub = f.hub.subscribe(f.session, EventAudience::Staff, Offset(2)).await.expect("subscribe");
    assert_eq!((sub.since(), sub.head()), (Offset(2), Offset(5)));
    let mut got = Vec::new();
    for _ in 0..3 {
        match next(&mut sub).await {
            Item::Frame(frame) => got.push(frame),
            other => panic!("expected an event, got {}", describe(&other)),
        }
    }
    for (frame, stored) in got.iter().zip(&written[1..]) {
        assert_eq!(frame.offset(), stored.offset);
        assert_eq!(frame.payload(), stored.staff_json, "the stored payload, byte for byte");
    }
    assert_eq!(take(&mut sub, 1).await, vec!["replayed 5"]);

    f.comments(2).await;
    assert_eq!(take(&mut sub, 2).await, events([6, 7]));
    assert_quiet(&mut sub).await;
}

#[tokio::test]
async fn replay_reads_the_log_in_pages_without_gaps() {
    let f = Fixture::new(HubConfig { replay_page: 2, ..config() }).await;
    f.comments_via(&f.store, 6).await; // 2..=7

    let mut sub = f.hub.subscribe(f.session, EventAudience::Staff, Offset::START).await.expect("subscribe");
    let mut expected = events(1..=7);
    expected.push("replayed 7".into());
    assert_eq!(take(&mut sub, 8).await, expected);
}

#[tokio::test]
async fn resuming_after_a_restart_replays_from_the_log() {
    let f = Fixture::new(config()).await;
    f.comments(3).await; // 2..=4

    // A new process: a fresh store handle and a fresh hub on the same database.
    let store = Store::connect(&f.url).await.expect("reopen");
    let hub = Hub::new(store, config());
    let mut sub = hub.subscribe(f.session, EventAudience::Staff, Offset(2)).await.expect("subscribe");
    assert_eq!(take(&mut sub, 3).await, vec!["event 3", "event 4", "replayed 4"]);
}

#[tokio::test]
async fn subscribing_from_the_head_gets_only_new_events() {
    let f = Fixture::new(config()).await;
    f.comments(2).await; // 2, 3
    let mut sub = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe");
    assert_eq!(sub.since(), Offset(3));
    assert_eq!(take(&mut sub, 1).await, vec!["replayed 3"]);
    f.comments(1).await;
    assert_eq!(take(&mut sub, 1).await, vec!["event 4"]);
}

#[tokio::test]
async fn events_published_out_of_order_are_delivered_in_order() {
    // A long gap delay: ordering must come from the sequencer, not from reading the log.
    let f = Fixture::new(HubConfig { gap_fill_after: Duration::from_secs(60), ..config() }).await;
    let mut sub = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe");
    assert_eq!(take(&mut sub, 1).await, vec!["replayed 1"]);

    let written = f.comments_via(&f.side, 3).await; // 2, 3, 4, committed but not yet published
    f.hub.committed(&written[2..3]);
    f.hub.committed(&written[0..1]);
    assert_eq!(take(&mut sub, 1).await, vec!["event 2"]);
    assert_quiet(&mut sub).await; // 4 waits for 3
    f.hub.committed(&written[1..2]);
    f.hub.committed(&written[0..2]); // a late duplicate changes nothing
    assert_eq!(take(&mut sub, 2).await, events([3, 4]));
    assert_quiet(&mut sub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_from_racing_publishers_reach_every_subscriber_once_in_order() {
    let f = Fixture::new(HubConfig { gap_fill_after: Duration::from_secs(60), ..config() }).await;
    let mut subs = Vec::new();
    for _ in 0..3 {
        subs.push(f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe"));
    }
    let written = f.comments_via(&f.side, 200).await; // 2..=201
                                                      // Four publishers, each with every fourth event, racing each other.
    let mut publishers = Vec::new();
    for lane in 0..4 {
        let hub = f.hub.clone();
        let mine: Vec<_> = written.iter().skip(lane).step_by(4).cloned().collect();
        publishers.push(tokio::spawn(async move {
            for event in mine {
                hub.committed(std::slice::from_ref(&event));
                tokio::task::yield_now().await;
            }
        }));
    }
    for p in publishers {
        p.await.expect("publisher");
    }
    let mut expected = vec!["replayed 1".to_owned()];
    expected.extend(events(2..=201));
    for sub in &mut subs {
        assert_eq!(take(sub, 201).await, expected);
    }
}

#[tokio::test]
async fn an_event_never_published_is_read_from_the_store() {
    let f = Fixture::new(HubConfig { gap_fill_after: Duration::from_millis(20), ..config() }).await;
    let mut sub = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe");
    assert_eq!(take(&mut sub, 1).await, vec!["replayed 1"]);

    let written = f.comments_via(&f.side, 3).await; // 2, 3, 4
    f.hub.committed(&written[0..1]);
    f.hub.committed(&written[2..3]); // 3 is lost on the way
    let got = take(&mut sub, 3).await;
    assert_eq!(got, events([2, 3, 4]));
    assert_eq!(f.hub.metrics().resync_count(), 0, "a hole in the channel is not a subscriber resync");
    assert_quiet(&mut sub).await;
}

#[tokio::test]
async fn a_lost_last_event_is_found_when_the_log_head_is_announced() {
    let f = Fixture::new(HubConfig { gap_fill_after: Duration::from_millis(20), ..config() }).await;
    let mut sub = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe");
    assert_eq!(take(&mut sub, 1).await, vec!["replayed 1"]);

    let written = f.comments_via(&f.side, 2).await; // 2, 3: neither is published
    f.hub.log_advanced(f.session, written[1].offset);
    assert_eq!(take(&mut sub, 2).await, events([2, 3]));
}

#[tokio::test]
async fn lagging_subscriber_is_resynced_without_gaps_and_does_not_delay_a_fast_one() {
    let f = Fixture::new(HubConfig { broadcast_capacity: 4, ..config() }).await;
    let mut fast = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("fast");
    let mut slow = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("slow");
    assert_eq!(take(&mut fast, 1).await, vec!["replayed 1"]);

    // 40 events in batches of two; the fast subscriber gets each batch before the next is
    // written, while the slow one reads nothing at all.
    for batch in 0..20 {
        let written = f.comments_via(&f.store, 2).await;
        let got = take(&mut fast, 2).await;
        assert_eq!(got, events(written.iter().map(|e| e.offset.0)), "batch {batch}");
    }

    let mut got = take(&mut slow, 2).await;
    assert_eq!(got, vec!["replayed 1", "resync 1"], "told it is being resynced from where it was");
    got = take(&mut slow, 41).await;
    let mut expected = events(2..=41);
    expected.push("replayed 41".into());
    assert_eq!(got, expected, "every event exactly once, in order");
    assert_eq!(f.hub.metrics().resync_count(), 1);

    f.comments(1).await;
    assert_eq!(take(&mut slow, 1).await, vec!["event 42"]);
    assert_eq!(take(&mut fast, 1).await, vec!["event 42"]);
}

#[tokio::test]
async fn a_subscriber_that_keeps_falling_behind_is_told_to_reload() {
    let f = Fixture::new(HubConfig { broadcast_capacity: 2, max_resyncs_per_minute: 1, ..config() }).await;
    let mut sub = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("subscribe");
    f.comments_via(&f.store, 5).await; // 2..=6, more than the buffer holds
    let mut expected = vec!["replayed 1".to_owned(), "resync 1".to_owned()];
    expected.extend(events(2..=6));
    expected.push("replayed 6".into());
    assert_eq!(take(&mut sub, 8).await, expected);

    f.comments_via(&f.store, 5).await; // behind again within the minute
    assert_eq!(take(&mut sub, 2).await, vec!["reload too_slow", "reload too_slow"], "and it stays ended");
}

#[tokio::test]
async fn public_audience_sees_only_public_events() {
    let f = Fixture::new(config()).await;
    // 1 = session created (public), then staff-only comments and public status changes.
    f.comments(1).await; // 2
    let live = f.flip_status().await; // 3
    f.comments(1).await; // 4
    f.flip_status().await; // 5

    let mut public = f.hub.subscribe(f.session, EventAudience::Public, Offset::START).await.expect("public");
    let mut staff = f.hub.subscribe(f.session, EventAudience::Staff, Offset::START).await.expect("staff");
    let first = next(&mut public).await;
    let second = next(&mut public).await;
    match (&first, &second) {
        (Item::Frame(a), Item::Frame(b)) => {
            assert_eq!((a.offset(), b.offset()), (Offset(1), Offset(3)));
            assert_eq!(
                Some(b.payload()),
                live.public_json.as_deref(),
                "the public payload, not the staff one"
            );
            assert!(live.staff_json.contains("disclaimer"), "{}", live.staff_json);
            assert!(!b.payload().contains("disclaimer"), "{}", b.payload());
        }
        _ => panic!("expected two events, got {} and {}", describe(&first), describe(&second)),
    }
    assert_eq!(take(&mut public, 2).await, vec!["event 5", "replayed 5"]);
    let mut expected = events(1..=5);
    expected.push("replayed 5".into());
    assert_eq!(take(&mut staff, 6).await, expected);

    f.comments(1).await; // 6
    f.flip_status().await; // 7
    assert_eq!(take(&mut public, 1).await, vec!["event 7"]);
    assert_eq!(take(&mut staff, 2).await, events([6, 7]));
    assert_quiet(&mut public).await;
}

#[tokio::test]
async fn unknown_sessions_are_refused_and_leave_no_channel_behind() {
    let f = Fixture::new(config()).await;
    let err = f
        .hub
        .subscribe(SessionId(999), EventAudience::Public, Offset::START)
        .await
        .expect_err("no such session");
    assert!(matches!(err, HubError::UnknownSession(SessionId(999))), "{err}");
    assert_eq!(f.hub.open_channels(), 0);
}

#[tokio::test]
async fn resuming_after_an_offset_the_log_lacks_is_told_to_reload() {
    let f = Fixture::new(config()).await;
    let mut sub = f.hub.subscribe(f.session, EventAudience::Staff, Offset(50)).await.expect("subscribe");
    assert_eq!(take(&mut sub, 1).await, vec!["reload unknown_offset"]);
}

#[tokio::test]
async fn a_channel_lives_only_while_someone_listens() {
    let f = Fixture::new(config()).await;
    let a = f.hub.subscribe_from_head(f.session, EventAudience::Staff).await.expect("a");
    let b = f.hub.subscribe_from_head(f.session, EventAudience::Public).await.expect("b");
    assert_eq!((f.hub.open_channels(), f.hub.metrics().channel_count()), (1, 1));
    drop(a);
    assert_eq!(f.hub.open_channels(), 1);
    drop(b);
    assert_eq!((f.hub.open_channels(), f.hub.metrics().channel_count()), (0, 0));

    // Events for a session nobody follows are dropped; a later subscriber replays them.
    f.comments(2).await; // 2, 3
    let mut c = f.hub.subscribe(f.session, EventAudience::Staff, Offset(1)).await.expect("c");
    assert_eq!(take(&mut c, 3).await, vec!["event 2", "event 3", "replayed 3"]);
}

#[tokio::test]
async fn the_item_stream_ends_after_a_reload() {
    use futures_util::StreamExt;
    let f = Fixture::new(config()).await;
    let sub = f.hub.subscribe(f.session, EventAudience::Staff, Offset(9)).await.expect("subscribe");
    let items: Vec<String> =
        tokio::time::timeout(PATIENCE, sub.into_stream().map(|i| describe(&i)).collect())
            .await
            .expect("the stream ends");
    assert_eq!(items, vec!["reload unknown_offset"]);
    assert_eq!(f.hub.open_channels(), 0);
}
