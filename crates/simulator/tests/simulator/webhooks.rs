//! Webhook bodies sent over HTTP, verified and parsed with `curbside_meta` as Curbside will.

use crate::support::Receiver;
use curbside_meta::{
    parse_notification, verify_signature, Change, CommentVerb, IgField, LiveStatus, Notification,
    SignatureError, WebhookObject,
};
use curbside_simulator::{
    AuthorForm, FeedComment, IgComment, IgIdKey, WebhookBody, WebhookChange, WebhookSender, MAX_BATCH,
};

const SECRET: &[u8] = b"5f2b6c8e9a0d4e1f7a3b2c6d8e9f0a1b";
const PAGE: &str = "104857600123456";
const POST: &str = "104857600123456_1203994851056745";
const IG_USER: &str = "17841405822304914";
const MEDIA: &str = "18034567890123456";

fn comment(n: u32) -> FeedComment {
    FeedComment::add(
        POST,
        format!("1203994851056745_{n}"),
        "552524095105158",
        "Steph C.",
        format!("¿Qué tal? {n}"),
        1_767_225_600,
    )
}

async fn send_and_parse(receiver: &Receiver, sender: &WebhookSender, body: &WebhookBody) -> Notification {
    let before = receiver.received().len();
    let outcome = sender.send(body).await.expect("delivered");
    assert_eq!(outcome.status, 200);
    let received = receiver.received();
    assert_eq!(received.len(), before + 1);
    let delivery = &received[before];
    assert_eq!(delivery.content_type.as_deref(), Some("application/json"));
    verify_signature(SECRET, &delivery.body, delivery.signature.as_deref()).expect("signature verifies");
    assert_eq!(delivery.body.as_ref(), body.to_bytes().as_slice(), "the exact bytes that were signed");
    parse_notification(&delivery.body).expect("curbside_meta parses it")
}

#[tokio::test]
async fn every_feed_variant_parses_and_verifies() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(receiver.url.clone(), SECRET);
    let changes = vec![
        WebhookChange::Feed(comment(1)),
        WebhookChange::Feed(comment(2).with_form(AuthorForm::FromWithPost).reply_to("1203994851056745_1")),
        WebhookChange::Feed(comment(3).with_form(AuthorForm::SenderId)),
        WebhookChange::Feed(comment(4).with_verb(CommentVerb::Edited).with_message("edited text")),
        WebhookChange::Feed(comment(5).with_verb(CommentVerb::Remove)),
        WebhookChange::Feed(comment(6).with_verb(CommentVerb::Hide).with_form(AuthorForm::SenderId)),
        WebhookChange::Feed(comment(7).with_verb(CommentVerb::Unhide)),
        WebhookChange::live_video_status("1203994857723411", "live"),
        WebhookChange::live_video_status("1203994857723411", "live_stopped"),
        WebhookChange::live_video_status("1203994857723411", "vod"),
        WebhookChange::Raw {
            field: "feed".into(),
            value: serde_json::json!({"item": "reaction", "verb": "add"}),
        },
    ];
    let body = WebhookBody::page().with_entry(PAGE, 1_767_225_601, changes);
    let n = send_and_parse(&receiver, &sender, &body).await;
    assert_eq!(n.object, WebhookObject::Page);
    assert_eq!(n.changes.len(), 11);
    let fb: Vec<_> = n
        .changes
        .iter()
        .filter_map(|c| match &c.change {
            Change::FacebookComment(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        fb.iter().map(|c| c.verb).collect::<Vec<_>>(),
        [
            CommentVerb::Add,
            CommentVerb::Add,
            CommentVerb::Add,
            CommentVerb::Edited,
            CommentVerb::Remove,
            CommentVerb::Hide,
            CommentVerb::Unhide
        ]
    );
    assert!(fb.iter().all(|c| c.author_id.as_deref() == Some("552524095105158") && c.post_id == POST));
    assert_eq!(fb[0].message.as_deref(), Some("¿Qué tal? 1"));
    assert!(fb[0].is_top_level() && !fb[1].is_top_level());
    assert_eq!(fb[0].video_id(), Some("1203994851056745"));
    assert_eq!(fb[2].author_name.as_deref(), Some("Steph C."), "sender_name is read");
    assert_eq!(fb[3].message.as_deref(), Some("edited text"));
    assert_eq!((fb[4].message.as_deref(), fb[4].created_time), (None, None));
    let statuses: Vec<LiveStatus> = n
        .changes
        .iter()
        .filter_map(|c| match &c.change {
            Change::LiveVideoStatus(s) => Some(s.status.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [LiveStatus::Live, LiveStatus::LiveStopped, LiveStatus::Vod]);
    assert_eq!(n.ignored_count(), 1);
}

#[tokio::test]
async fn instagram_variants_parse_and_verify() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(receiver.url.clone(), SECRET);
    let body = WebhookBody::instagram()
        .with_entry(
            IG_USER,
            1_767_225_600,
            vec![WebhookChange::Instagram(IgComment::live(
                MEDIA,
                "17865799348089039",
                "1234536447",
                "viewer1",
                "hello!",
            ))],
        )
        .with_entry(
            IG_USER,
            1_767_225_605,
            vec![
                WebhookChange::Instagram(
                    IgComment::live(MEDIA, "17865799348089040", "1234536448", "viewer2", "@viewer1 same")
                        .reply_to("17865799348089039"),
                ),
                WebhookChange::Instagram(
                    IgComment::live(MEDIA, "17865799348089041", "1234536449", "viewer3", "id key variant")
                        .with_id_key(IgIdKey::CommentId),
                ),
                WebhookChange::Instagram(
                    IgComment::live(MEDIA, "17865799348089042", "1234536449", "viewer3", "feed")
                        .as_feed_comment(),
                ),
            ],
        );
    let json: serde_json::Value = serde_json::from_slice(&body.to_bytes()).expect("json");
    let value = &json["entry"][0]["changes"][0]["value"];
    assert_eq!(value["from"]["self_ig_scoped_id"], "1234536447");
    assert_eq!(value["media"]["media_product_type"], "LIVE");
    assert_eq!(json["entry"][0]["changes"][0]["field"], "live_comments");
    assert!(json["entry"][1]["changes"][1]["value"].get("id").is_none());

    let n = send_and_parse(&receiver, &sender, &body).await;
    let ig: Vec<_> = n
        .changes
        .iter()
        .filter_map(|c| match &c.change {
            Change::InstagramComment(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ig.len(), 4);
    assert_eq!((ig[0].field, ig[0].entry_time), (IgField::LiveComments, 1_767_225_600));
    assert_eq!(ig[0].media_id.as_deref(), Some(MEDIA));
    assert_eq!(ig[1].parent_id.as_deref(), Some("17865799348089039"));
    assert_eq!(ig[2].comment_id, "17865799348089041");
    assert_eq!(ig[3].field, IgField::Comments);
    assert!(!ig[0].is_from_account());
}

#[tokio::test]
async fn a_full_batch_is_one_body_and_more_is_split() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(receiver.url.clone(), SECRET);
    let mut body = WebhookBody::page();
    for n in 0..MAX_BATCH as u32 {
        body.push(PAGE, 1_767_225_600, WebhookChange::Feed(comment(n)));
    }
    let n = send_and_parse(&receiver, &sender, &body).await;
    assert_eq!(n.changes.len(), 1000);
    body.push(PAGE, 1_767_225_601, WebhookChange::Feed(comment(1000)));
    let parts = body.split(MAX_BATCH);
    assert_eq!(parts.iter().map(WebhookBody::change_count).collect::<Vec<_>>(), [1000, 1]);
}

#[tokio::test]
async fn raw_bytes_and_bad_signatures_go_out_as_given() {
    let receiver = Receiver::start().await;
    receiver.answer_with(401);
    let sender = WebhookSender::new(receiver.url.clone(), SECRET);
    let raw = br#"{"object":"page","entry":[{"id":"1","time":1,"changes":[]}]}"#;

    let unsigned = sender.send_with_signature(&raw[..], None).await.expect("sent");
    assert_eq!(unsigned.status, 401, "the receiver's status comes back");
    let forged = sender.send_with_signature(&raw[..], Some("sha256=00")).await.expect("sent");
    assert!(forged.latency.as_secs() < 5);
    sender.send_bytes(&raw[..]).await.expect("sent");

    let received = receiver.received();
    assert_eq!(received[0].signature, None);
    assert_eq!(
        verify_signature(SECRET, &received[1].body, received[1].signature.as_deref()),
        Err(SignatureError::Malformed("the digest is not 64 hex characters"))
    );
    assert_eq!(verify_signature(SECRET, &received[2].body, received[2].signature.as_deref()), Ok(()));
    assert_eq!(received[2].body.as_ref(), raw);
}

#[test]
fn bodies_are_escaped_like_meta_so_only_raw_byte_verification_works() {
    let body = WebhookBody::page().with_entry(PAGE, 1, vec![WebhookChange::Feed(comment(9))]);
    let bytes = body.to_bytes();
    assert!(bytes.is_ascii());
    let text = String::from_utf8(bytes.clone()).expect("ascii");
    assert!(text.contains(r"\u00bfQu\u00e9 tal? 9"), "{text}");
    // Re-serialising changes the bytes, and with them the signature.
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&bytes).expect("json"))
            .expect("bytes");
    let signature = curbside_meta::sign_body(SECRET, &bytes);
    assert_eq!(verify_signature(SECRET, &reserialised, Some(&signature)), Err(SignatureError::Mismatch));
}
