//! Every recorded payload played through the parsers as the raw bytes on disk: restfb's test data
//! (`fixtures/meta-payloads/`, a byte-for-byte copy) and Curbside's own (`fixtures/curbside/`).
//!
//! The tables below name every file, and `every_fixture_file_is_accounted_for` fails when a file is
//! added without saying what it should produce.

use curbside_meta::{
    parse_graph_error, parse_notification, parse_rest_fb_comment_page, parse_rest_ig_comment,
    parse_rest_ig_comment_page, sign_body, verify_signature, Change, CommentVerb, ErrorClass,
    FacebookComment, IgField, InstagramComment, LiveStatus, LiveVideoStatus, Notification, SignatureError,
    WebhookObject,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(relative: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// File names directly inside a fixture folder.
fn files_in(relative: &str) -> BTreeSet<String> {
    let dir = std::fs::read_dir(fixtures().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    dir.filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn notification(relative: &str) -> Notification {
    parse_notification(&read(relative)).unwrap_or_else(|e| panic!("{relative} refused: {e}"))
}

const RESTFB_FB: &str = "meta-payloads/facebook-webhooks";
const RESTFB_IG: &str = "meta-payloads/instagram-webhooks";
const RESTFB_IG_GRAPH: &str = "meta-payloads/instagram-graph";

/// The restfb `feed` files that carry `item: comment`, with the comment each must produce.
/// In every one of them the commenter is the Page itself (`1234567890321`).
fn restfb_comment(file: &str) -> Option<FacebookComment> {
    const PAGE: &str = "1234567890321";
    let comment =
        |verb, comment_id: &str, post_id: &str, message: Option<&str>, created, entry_time| FacebookComment {
            page_id: PAGE.into(),
            verb,
            comment_id: comment_id.into(),
            post_id: post_id.into(),
            parent_id: Some(post_id.into()),
            author_id: Some(PAGE.into()),
            author_name: Some("Tester".into()),
            message: message.map(Into::into),
            created_time: created,
            entry_time,
            has_attachment: false,
        };
    let add = comment(
        CommentVerb::Add,
        "901097836652708_903438993085259",
        "1234567890321_901097836652708",
        Some("and the next one"),
        Some(1449135003),
        1449135003,
    );
    let edited = comment(
        CommentVerb::Edited,
        "900728623356296_900744590021366",
        "1234567890321_900728623356296",
        Some("Let's see the Webhooks in action :D"),
        Some(1448555737),
        1448555737,
    );
    let hide = comment(
        CommentVerb::Hide,
        "900728623356296_900744590021366",
        "1234567890321_901097836652708",
        Some("and the next one"),
        Some(1467894562),
        1467894562,
    );
    Some(match file {
        "feed-comment-add-211.json" | "feed-comment-add-25.json" => add,
        "feed-comment-add-with-photo.json" | "feed-comment-add-with-video.json" => {
            FacebookComment { has_attachment: true, ..add }
        }
        "feed-comment-edited-25.json" => edited,
        "feed-comment-edited-with-photo.json" | "feed-comment-edited-with-video.json" => {
            FacebookComment { has_attachment: true, ..edited }
        }
        "feed-comment-hide.json" => hide,
        "feed-comment-unhide.json" => FacebookComment { verb: CommentVerb::Unhide, ..hide },
        "feed-comment-remove-25.json" => FacebookComment {
            author_name: Some("John Doe".into()),
            ..comment(
                CommentVerb::Remove,
                "905578656204626_905579239537901",
                "1234567890321_905578656204626",
                None,
                None,
                1452107182,
            )
        },
        _ => return None,
    })
}

/// The restfb `feed` files Curbside must ignore: other items (posts, statuses, likes, reactions,
/// shares, videos), other Page fields (`mention`, `parking`, `payment_options`).
const RESTFB_FB_IGNORED: &[&str] = &[
    "feed-like-add-25.json",
    "feed-like-add-comment-25.json",
    "feed-like-add-page-25.json",
    "feed-like-remove-25.json",
    "feed-post-add-25.json",
    "feed-post-edit.json",
    "feed-post-hide.json",
    "feed-post-remove-25.json",
    "feed-post-unhide.json",
    "feed-reaction-add-comment.json",
    "feed-reaction-add-reply.json",
    "feed-reaction-add.json",
    "feed-reaction-edit.json",
    "feed-reaction-remove.json",
    "feed-share-add-25.json",
    "feed-share-hide.json",
    "feed-share-unhide.json",
    "feed-status-add-25.json",
    "feed-status-add-photos.json",
    "feed-status-edited-25.json",
    "feed-status-edited-photos.json",
    "feed-status-hide-25.json",
    "feed-status-unhide.json",
    "feed-two-entries-25.json",
    "feed-video-add.json",
    "feed-video-block.json",
    "feed-video-edited.json",
    "feed-video-hide.json",
    "feed-video-mute.json",
    "feed-video-remove-25.json",
    "feed-video-unblock.json",
    // A comment that mentions the Page somewhere else: field `mention`, not the live video's feed.
    "mention-comment-add.json",
];

const RESTFB_FB_COMMENTS: &[&str] = &[
    "feed-comment-add-211.json",
    "feed-comment-add-25.json",
    "feed-comment-add-with-photo.json",
    "feed-comment-add-with-video.json",
    "feed-comment-edited-25.json",
    "feed-comment-edited-with-photo.json",
    "feed-comment-edited-with-video.json",
    "feed-comment-hide.json",
    "feed-comment-remove-25.json",
    "feed-comment-unhide.json",
];

const CURBSIDE_FILES: &[&str] = &[
    "README.md",
    "facebook-webhooks/changed-fields-only.json",
    "facebook-webhooks/feed-comment-reply-2025.json",
    "facebook-webhooks/feed-comment-unicode-escapes.json",
    "facebook-webhooks/live-videos-status.json",
    "graph-errors/invalid-live-filter-100.json",
    "graph-errors/oauth-190-460.json",
    "graph-errors/throttled-80001.json",
    "graph-rest/fb-live-comments-empty-with-next.json",
    "graph-rest/fb-live-comments-page.json",
    "graph-rest/ig-media-comments-page.json",
    "instagram-webhooks/comments-comment-id.json",
    "instagram-webhooks/live-comments-from-media.json",
];

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_fixture_file_is_accounted_for() {
    let fb: BTreeSet<String> = set(RESTFB_FB_COMMENTS).union(&set(RESTFB_FB_IGNORED)).cloned().collect();
    assert_eq!(files_in(RESTFB_FB), fb);
    assert_eq!(
        files_in(RESTFB_IG),
        set(&["wh-comments-2021.json", "wh-comments.json", "wh-livecomments.json", "wh-mentions.json"])
    );
    assert_eq!(files_in(RESTFB_IG_GRAPH), set(&["comment.json", "comment_missing_user.json"]));
    assert_eq!(files_in("meta-payloads"), set(&["LICENSE.restfb", "README.md"]));
    for file in CURBSIDE_FILES {
        assert!(fixtures().join("curbside").join(file).is_file(), "{file}");
    }
    for dir in ["facebook-webhooks", "instagram-webhooks", "graph-errors", "graph-rest"] {
        let on_disk = files_in(&format!("curbside/{dir}")).len();
        let listed = CURBSIDE_FILES.iter().filter(|f| f.starts_with(&format!("{dir}/"))).count();
        assert_eq!(on_disk, listed, "curbside/{dir} has unlisted files");
    }
}

#[test]
fn every_restfb_facebook_webhook_parses_without_error() {
    for file in files_in(RESTFB_FB) {
        let n = notification(&format!("{RESTFB_FB}/{file}"));
        assert_eq!(n.object, WebhookObject::Page, "{file}");
        assert!(!n.changes.is_empty(), "{file}");
        assert!(n.notes.is_empty(), "{file}: {:?}", n.notes);
    }
}

#[test]
fn restfb_comment_files_yield_exactly_the_expected_comment() {
    for file in RESTFB_FB_COMMENTS {
        let n = notification(&format!("{RESTFB_FB}/{file}"));
        let Some(want) = restfb_comment(file) else { panic!("{file} has no expectation") };
        assert_eq!(n.changes.len(), 1, "{file}");
        assert_eq!(n.changes[0].change, Change::FacebookComment(want), "{file}");
    }
}

#[test]
fn restfb_comments_are_all_written_by_the_page_itself() {
    // Worth knowing before playing these through the server: the self-authored rule skips them.
    for file in RESTFB_FB_COMMENTS {
        let n = notification(&format!("{RESTFB_FB}/{file}"));
        let Change::FacebookComment(c) = &n.changes[0].change else { panic!("{file}") };
        assert!(c.is_from_page(), "{file}");
        assert!(c.is_top_level(), "{file}");
    }
}

#[test]
fn author_is_read_from_from_and_from_the_older_sender_fields_alike() {
    let from = notification(&format!("{RESTFB_FB}/feed-comment-add-211.json"));
    let sender = notification(&format!("{RESTFB_FB}/feed-comment-add-25.json"));
    assert_eq!(from.changes, sender.changes, "`from` and `sender_id`/`sender_name` give the same comment");
}

#[test]
fn a_removed_comment_has_no_message_and_no_created_time() {
    let n = notification(&format!("{RESTFB_FB}/feed-comment-remove-25.json"));
    let Change::FacebookComment(c) = &n.changes[0].change else { panic!("{n:?}") };
    assert_eq!((c.verb, c.message.as_deref(), c.created_time), (CommentVerb::Remove, None, None));
}

#[test]
fn restfb_non_comment_items_yield_only_ignored_changes() {
    for file in RESTFB_FB_IGNORED {
        let n = notification(&format!("{RESTFB_FB}/{file}"));
        assert_eq!(n.ignored_count(), n.changes.len(), "{file}: {:?}", n.changes);
    }
    let n = notification(&format!("{RESTFB_FB}/feed-two-entries-25.json"));
    let seen: Vec<_> = n.changes.iter().map(|c| (c.index, c.entry_index)).collect();
    assert_eq!(seen, vec![(0, 0), (1, 1)]);
    let mention = notification(&format!("{RESTFB_FB}/mention-comment-add.json"));
    assert_eq!(
        mention.changes[0].change,
        Change::Ignored { reason: "page field `mention` is not handled".into() }
    );
}

fn instagram(relative: &str) -> InstagramComment {
    let n = notification(relative);
    assert_eq!(n.object, WebhookObject::Instagram, "{relative}");
    assert_eq!(n.changes.len(), 1, "{relative}");
    match &n.changes[0].change {
        Change::InstagramComment(c) => c.clone(),
        other => panic!("{relative}: expected an Instagram comment, got {other:?}"),
    }
}

#[test]
fn restfb_instagram_comment_files_yield_instagram_comments() {
    let bare = InstagramComment {
        account_id: "0".into(),
        field: IgField::Comments,
        comment_id: "123456789".into(),
        author_id: None,
        username: None,
        text: "This is an example.".into(),
        media_id: None,
        parent_id: None,
        entry_time: 1519399307,
    };
    assert_eq!(instagram(&format!("{RESTFB_IG}/wh-comments.json")), bare);
    assert_eq!(
        instagram(&format!("{RESTFB_IG}/wh-livecomments.json")),
        InstagramComment { field: IgField::LiveComments, ..bare.clone() }
    );
    assert_eq!(
        instagram(&format!("{RESTFB_IG}/wh-comments-2021.json")),
        InstagramComment {
            author_id: Some("1234536447".into()),
            username: Some("testuser".into()),
            media_id: Some("76543987".into()),
            parent_id: Some("987654321".into()),
            ..bare
        }
    );
}

#[test]
fn restfb_instagram_mentions_are_ignored() {
    let n = notification(&format!("{RESTFB_IG}/wh-mentions.json"));
    assert_eq!(n.changes.len(), 1);
    assert_eq!(
        n.changes[0].change,
        Change::Ignored { reason: "instagram field `mentions` is not handled".into() }
    );
}

#[test]
fn restfb_instagram_graph_comments_parse_as_rest_comments() {
    let c = parse_rest_ig_comment(&read(&format!("{RESTFB_IG_GRAPH}/comment.json")))
        .unwrap_or_else(|e| panic!("comment.json: {e}"));
    assert_eq!(c.comment_id, "123456789");
    assert_eq!(c.text, "Great!");
    assert_eq!(c.created_at, Some(1_519_421_536_000));
    assert_eq!(c.author_id.as_deref(), Some("98765432123"), "from `user.id`");
    assert_eq!(c.username, None);
    assert_eq!(c.media_id.as_deref(), Some("987654321"));
    assert_eq!(c.hidden, Some(false));
    assert_eq!(c.replies.len(), 1);
    assert_eq!(c.replies[0].comment_id, "1234567891");
    assert_eq!(c.replies[0].text, "yeah");
    assert_eq!(c.replies[0].created_at, Some(1_519_489_986_000));
    assert_eq!(c.replies[0].parent_id.as_deref(), Some("123456789"), "a reply points at its comment");

    let c = parse_rest_ig_comment(&read(&format!("{RESTFB_IG_GRAPH}/comment_missing_user.json")))
        .unwrap_or_else(|e| panic!("comment_missing_user.json: {e}"));
    assert_eq!(c.comment_id, "17916477187142401");
    assert_eq!(c.text, "Nice");
    assert_eq!(c.username.as_deref(), Some("bincyshiona"));
    assert_eq!(c.author_id, None);
    assert_eq!(c.media_id.as_deref(), Some("17866467940233520"));
    assert_eq!(c.created_at, Some(1_524_557_652_000));
}

#[test]
fn live_video_status_changes_in_any_case_are_read() {
    let n = notification("curbside/facebook-webhooks/live-videos-status.json");
    let statuses: Vec<_> = n
        .changes
        .iter()
        .map(|c| match &c.change {
            Change::LiveVideoStatus(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let status = |id: &str, status| LiveVideoStatus {
        page_id: "25604775729".into(),
        live_video_id: id.into(),
        status,
    };
    assert_eq!(
        statuses,
        vec![
            status("10159659015335730", LiveStatus::Vod),
            status("4444444444", LiveStatus::LiveStopped),
            status("4444444444", LiveStatus::Live),
            status("4444444444", LiveStatus::Other("processing".into())),
        ]
    );
}

#[test]
fn a_2025_reply_points_at_its_parent_comment_and_the_live_video() {
    let n = notification("curbside/facebook-webhooks/feed-comment-reply-2025.json");
    let Change::FacebookComment(c) = &n.changes[0].change else { panic!("{n:?}") };
    assert_eq!(c.comment_id, "122131676912594941_1213590066982748");
    assert_eq!(c.parent_id.as_deref(), Some("122131676912594941_542072878449250"));
    assert!(!c.is_top_level());
    assert_eq!(c.video_id(), Some("122131676912594941"));
    assert_eq!((c.created_time, c.entry_time), (Some(1742667604), 1742667607));
    assert!(c.is_from_page());
}

const TEST_APP_SECRET: &[u8] = b"curbside-test-app-secret";
/// HMAC-SHA256 of the unicode fixture's bytes under `TEST_APP_SECRET`, computed with Python's `hmac`.
const UNICODE_FIXTURE_SIGNATURE: &str =
    "sha256=f8106848b173d74e2ef66737789e75ace911c0dd9e5dcba9453bbbc4935b3e59";

#[test]
fn escaped_unicode_is_signed_as_sent_and_parsed_unescaped() {
    let raw = read("curbside/facebook-webhooks/feed-comment-unicode-escapes.json");
    assert!(raw.is_ascii(), "the fixture must keep Meta's \\u escapes");
    assert_eq!(verify_signature(TEST_APP_SECRET, &raw, Some(UNICODE_FIXTURE_SIGNATURE)), Ok(()));

    let n = parse_notification(&raw).unwrap_or_else(|e| panic!("{e}"));
    let Change::FacebookComment(c) = &n.changes[0].change else { panic!("{n:?}") };
    assert_eq!(c.message.as_deref(), Some("Can I drink café au lait after my stént? 🙏 \"thanks\""));
    assert_eq!(c.author_name.as_deref(), Some("Renée Müller"));
    assert!(c.has_attachment);

    // The same document re-serialised (unescaped UTF-8) is different bytes, so it must not verify.
    let value: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{e}"));
    let reserialised = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(reserialised, raw);
    assert_eq!(
        verify_signature(TEST_APP_SECRET, &reserialised, Some(UNICODE_FIXTURE_SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn every_webhook_fixture_verifies_as_received_and_fails_once_reformatted() {
    let dirs = [RESTFB_FB, RESTFB_IG, "curbside/facebook-webhooks", "curbside/instagram-webhooks"];
    for dir in dirs {
        for file in files_in(dir) {
            let raw = read(&format!("{dir}/{file}"));
            let header = sign_body(TEST_APP_SECRET, &raw);
            assert_eq!(verify_signature(TEST_APP_SECRET, &raw, Some(&header)), Ok(()), "{file}");
            let value: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{e}"));
            let compact = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                verify_signature(TEST_APP_SECRET, &compact, Some(&header)),
                Err(SignatureError::Mismatch),
                "{file}"
            );
        }
    }
}

#[test]
fn include_values_off_is_ignored_with_a_reason_that_says_how_to_fix_it() {
    let n = notification("curbside/facebook-webhooks/changed-fields-only.json");
    assert_eq!(n.changes.len(), 2);
    for c in &n.changes {
        let Change::Ignored { reason } = &c.change else { panic!("{c:?}") };
        assert!(reason.contains("turn on Include Values"), "{reason}");
    }
}

#[test]
fn instagram_live_comment_with_from_and_media_is_read_in_full() {
    assert_eq!(
        instagram("curbside/instagram-webhooks/live-comments-from-media.json"),
        InstagramComment {
            account_id: "17841400000000000".into(),
            field: IgField::LiveComments,
            comment_id: "17865799348089039".into(),
            author_id: Some("1234536447".into()),
            username: Some("viewer1".into()),
            text: "hello!".into(),
            media_id: Some("17900000000000001".into()),
            parent_id: None,
            entry_time: 1767225600,
        }
    );
}

#[test]
fn instagram_comment_id_key_variant_is_read() {
    let c = instagram("curbside/instagram-webhooks/comments-comment-id.json");
    assert_eq!(c.comment_id, "17865799348089040");
    assert_eq!(c.parent_id.as_deref(), Some("17865799348089039"));
    assert_eq!(c.field, IgField::Comments);
}

#[test]
fn graph_error_fixtures_classify_as_documented() {
    let cases = [
        ("oauth-190-460.json", 190, Some(460), ErrorClass::Reauth),
        ("throttled-80001.json", 80001, Some(2494055), ErrorClass::Throttled),
        ("invalid-live-filter-100.json", 100, None, ErrorClass::InvalidRequest),
    ];
    for (file, code, subcode, class) in cases {
        let e = parse_graph_error(&read(&format!("curbside/graph-errors/{file}")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((e.code, e.subcode, e.class()), (code, subcode, class), "{file}");
        assert!(e.fbtrace_id.is_some(), "{file}");
        assert!(e.to_string().contains(&code.to_string()), "{file}");
    }
}

#[test]
fn graph_rest_pages_are_read_with_their_cursors() {
    let page = parse_rest_fb_comment_page(&read("curbside/graph-rest/fb-live-comments-page.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.comments.len(), 1);
    assert_eq!(page.comments[0].comment_id, "911936075671494_911936769004758");
    assert_eq!(page.comments[0].author_name.as_deref(), Some("Steph C."));
    assert_eq!(page.cursor_after.as_deref(), Some("QVFIUm"));
    assert!(!page.has_next());

    let empty =
        parse_rest_fb_comment_page(&read("curbside/graph-rest/fb-live-comments-empty-with-next.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(empty.comments.is_empty() && empty.has_next(), "an empty page can still have a next page");

    let ig = parse_rest_ig_comment_page(&read("curbside/graph-rest/ig-media-comments-page.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ig.comments.len(), 2);
    assert_eq!(ig.comments[0].username.as_deref(), Some("viewer1"));
    assert_eq!(ig.comments[1].text, "¿es seguro?");
    assert_eq!(ig.comments[1].created_at, Some(1_767_225_605_000));
    assert!(ig.skipped.is_empty());
}

#[test]
fn damaged_copies_of_every_fixture_never_panic() {
    // Truncations and byte flips of real bodies: each must be refused or parsed, never a panic.
    let dirs = [RESTFB_FB, RESTFB_IG, "curbside/facebook-webhooks", "curbside/instagram-webhooks"];
    for dir in dirs {
        for file in files_in(dir) {
            let raw = read(&format!("{dir}/{file}"));
            for cut in (0..raw.len()).step_by(7) {
                let _ = parse_notification(&raw[..cut]);
            }
            for at in (0..raw.len()).step_by(5) {
                let mut damaged = raw.clone();
                damaged[at] = damaged[at].wrapping_add(0x81);
                let _ = parse_notification(&damaged);
            }
        }
    }
}
