//! A scripted live Q&A: timed comments, edits, removals and hides on Facebook and Instagram,
//! each marked with how Meta delivers it (webhook, polling or both) and what it really is.
//!
//! [`Script::cardiology`] builds the ~20-minute "Heart health" session from a seed; the same seed
//! always gives the same script (content and timing never depend on the clock). Tests can also
//! build small scripts by hand with [`Script::new`], [`Script::add_comment`] and [`Script::add_event`].
//! Each comment carries its ground truth (kind, topic, flags) so end-to-end tests can check what
//! Curbside made of it.

mod cardiology;
mod lines;

use curbside_domain::Platform;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A comment's place in its script, stable across runs; the player turns it into a platform id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommentKey(pub usize);

/// A viewer: Facebook user (id and display name) or Instagram user (IG-scoped id and username).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Viewer {
    pub id: String,
    pub name: String,
}

impl Viewer {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Viewer {
        Viewer { id: id.into(), name: name.into() }
    }
}

/// What a comment is, for the tests' expectations and the demo's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommentKind {
    Greeting,
    /// The first time a question is asked.
    Question,
    /// A question already asked, in other words (maybe on the other platform, maybe in Spanish).
    Rephrase,
    /// Carries private details: a name, phone, email, date, record or member number, address.
    Phi,
    /// Asks for advice about the writer's own case.
    PersonalAdvice,
    /// A medical emergency happening now.
    Emergency,
    /// Suicidal intent with a plan and a time.
    Crisis,
    Spam,
    /// A viewer answering another (threaded on Facebook, an @mention on Instagram).
    Reply,
    Chatter,
    Goodbye,
    /// The same text posted again by the same viewer seconds later.
    DoublePost,
}

/// How Meta gets a scripted item to Curbside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Delivery {
    /// Webhook and the comments edge: the common case; Curbside must store it once.
    Both,
    /// Pushed by webhook, never returned by the comments edge (reference §8).
    WebhookOnly,
    /// Missing from the webhooks: only polling finds it.
    PollOnly,
}

/// Which payload variant the webhook for an item uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum WebhookStyle {
    /// Facebook `from{id,name}`, Instagram `id`.
    #[default]
    Standard,
    /// Facebook `from{id,name}` plus the 2025 embedded `post{…}`.
    WithPost,
    /// Facebook v2.5-era `sender_id` (number) / `sender_name`.
    LegacySender,
    /// Instagram `comment_id` instead of `id`.
    IgCommentIdKey,
}

/// A viewer's comment and its ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptComment {
    pub key: CommentKey,
    pub author: Viewer,
    pub text: String,
    /// A Facebook reply's parent (always a top-level comment of the same platform).
    pub reply_to: Option<CommentKey>,
    pub kind: CommentKind,
    /// Questions on the same topic are duplicates of each other.
    pub topic: Option<String>,
    // Flags describe the comment's final text, after any scripted edit.
    pub phi: bool,
    pub personal_advice: bool,
    pub emergency: bool,
    pub crisis: bool,
    pub spam: bool,
    pub spanish: bool,
}

impl ScriptComment {
    /// A plain comment with no flags; set fields directly for more.
    pub fn new(key: CommentKey, author: Viewer, text: impl Into<String>, kind: CommentKind) -> ScriptComment {
        ScriptComment {
            key,
            author,
            text: text.into(),
            reply_to: None,
            kind,
            topic: None,
            phi: false,
            personal_advice: false,
            emergency: false,
            crisis: false,
            spam: false,
            spanish: false,
        }
    }
}

/// Something that happens in the broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEvent {
    Comment(ScriptComment),
    /// The author edited the text (Facebook only: Instagram has no comment editing).
    Edit {
        key: CommentKey,
        text: String,
    },
    /// The author deleted it, or a moderator removed it in Meta's own tools.
    Remove {
        key: CommentKey,
    },
    /// A moderator hid it in Meta's own tools.
    Hide {
        key: CommentKey,
    },
    Unhide {
        key: CommentKey,
    },
}

impl ScriptEvent {
    /// The comment an edit, removal or hide is about.
    pub fn target(&self) -> CommentKey {
        match self {
            ScriptEvent::Comment(c) => c.key,
            ScriptEvent::Edit { key, .. }
            | ScriptEvent::Remove { key }
            | ScriptEvent::Hide { key }
            | ScriptEvent::Unhide { key } => *key,
        }
    }
}

/// One timed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptItem {
    /// Stream time since the broadcast started.
    pub at: Duration,
    pub platform: Platform,
    pub delivery: Delivery,
    pub style: WebhookStyle,
    /// Meta delivers the webhook again this long after the first time (a retry).
    pub redeliver_after: Option<Duration>,
    pub event: ScriptEvent,
}

impl ScriptItem {
    pub fn comment(&self) -> Option<&ScriptComment> {
        match &self.event {
            ScriptEvent::Comment(c) => Some(c),
            _ => None,
        }
    }
}

/// A whole session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub title: String,
    pub seed: u64,
    /// When the broadcast ends (`live_stopped`), in stream time.
    pub duration: Duration,
    items: Vec<ScriptItem>,
    next_key: usize,
}

impl Script {
    /// An empty script, to fill by hand.
    pub fn new(title: impl Into<String>, duration: Duration) -> Script {
        Script { title: title.into(), seed: 0, duration, items: Vec::new(), next_key: 0 }
    }

    /// The ~20-minute "Heart health: your questions answered" session, 250–400 comments.
    pub fn cardiology(seed: u64) -> Script {
        cardiology::build(seed)
    }

    /// Items in stream-time order (items at the same time keep the order they were added in).
    pub fn items(&self) -> &[ScriptItem] {
        &self.items
    }

    /// Adds a comment with the next key; returns the key.
    pub fn add_comment(
        &mut self,
        at: Duration,
        platform: Platform,
        delivery: Delivery,
        author: Viewer,
        text: impl Into<String>,
    ) -> CommentKey {
        let key = CommentKey(self.next_key);
        let comment = ScriptComment::new(key, author, text, CommentKind::Question);
        self.push(ScriptItem {
            at,
            platform,
            delivery,
            style: WebhookStyle::Standard,
            redeliver_after: None,
            event: ScriptEvent::Comment(comment),
        });
        key
    }

    /// Adds an event about a comment already in the script, delivered by webhook and polling.
    pub fn add_event(&mut self, at: Duration, platform: Platform, event: ScriptEvent) {
        self.push(ScriptItem {
            at,
            platform,
            delivery: Delivery::Both,
            style: WebhookStyle::Standard,
            redeliver_after: None,
            event,
        });
    }

    /// Adds any item; keys of added comments must be unique (the next [`Script::add_comment`]
    /// key skips past them).
    pub fn push(&mut self, item: ScriptItem) {
        if let ScriptEvent::Comment(c) = &item.event {
            self.next_key = self.next_key.max(c.key.0 + 1);
        }
        let position = self.items.partition_point(|i| i.at <= item.at);
        self.items.insert(position, item);
    }

    pub fn comments(&self) -> impl Iterator<Item = (&ScriptItem, &ScriptComment)> {
        self.items.iter().filter_map(|item| item.comment().map(|c| (item, c)))
    }

    pub fn comment(&self, key: CommentKey) -> Option<(&ScriptItem, &ScriptComment)> {
        self.comments().find(|(_, c)| c.key == key)
    }

    pub fn summary(&self) -> ScriptSummary {
        let mut s = ScriptSummary::default();
        let mut topics: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut topic_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for item in &self.items {
            match &item.event {
                ScriptEvent::Comment(c) => {
                    s.comments += 1;
                    match item.platform {
                        Platform::Instagram => s.instagram += 1,
                        _ => s.facebook += 1,
                    }
                    *s.by_kind.entry(c.kind).or_default() += 1;
                    *s.by_delivery.entry(item.delivery).or_default() += 1;
                    *s.by_style.entry(item.style).or_default() += 1;
                    s.phi += usize::from(c.phi);
                    s.personal_advice += usize::from(c.personal_advice);
                    s.emergencies += usize::from(c.emergency);
                    s.crises += usize::from(c.crisis);
                    s.spam += usize::from(c.spam);
                    s.spanish += usize::from(c.spanish);
                    s.threaded_replies += usize::from(c.reply_to.is_some());
                    s.redeliveries += usize::from(item.redeliver_after.is_some());
                    s.last_comment_at = s.last_comment_at.max(item.at);
                    if let Some(topic) = &c.topic {
                        topics.entry(topic).or_default().insert(item.platform.as_str());
                        *topic_counts.entry(topic).or_default() += 1;
                    }
                }
                ScriptEvent::Edit { .. } => s.edits += 1,
                ScriptEvent::Remove { .. } => s.removals += 1,
                ScriptEvent::Hide { .. } => s.hides += 1,
                ScriptEvent::Unhide { .. } => s.unhides += 1,
            }
        }
        s.topics_asked_more_than_once = topic_counts.values().filter(|&&n| n > 1).count();
        s.topics_on_both_platforms = topics.values().filter(|p| p.len() > 1).count();
        s
    }
}

/// Counts over a script, for tests and the demo's banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSummary {
    pub comments: usize,
    pub facebook: usize,
    pub instagram: usize,
    pub by_kind: BTreeMap<CommentKind, usize>,
    pub by_delivery: BTreeMap<Delivery, usize>,
    pub by_style: BTreeMap<WebhookStyle, usize>,
    pub phi: usize,
    pub personal_advice: usize,
    pub emergencies: usize,
    pub crises: usize,
    pub spam: usize,
    pub spanish: usize,
    pub threaded_replies: usize,
    pub redeliveries: usize,
    pub edits: usize,
    pub removals: usize,
    pub hides: usize,
    pub unhides: usize,
    pub topics_asked_more_than_once: usize,
    pub topics_on_both_platforms: usize,
    pub last_comment_at: Duration,
}

impl ScriptSummary {
    pub fn kind(&self, kind: CommentKind) -> usize {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }

    pub fn delivery(&self, delivery: Delivery) -> usize {
        self.by_delivery.get(&delivery).copied().unwrap_or(0)
    }
}
