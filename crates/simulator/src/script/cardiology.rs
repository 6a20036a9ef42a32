//! Builds "Heart health: your questions answered": 20 minutes of stream time, a warm-up burst
//! of greetings, questions that pick up after two minutes, spam bursts, one emergency near minute
//! 10, one crisis near minute 13, goodbyes in the last two minutes.
//!
//! Everything comes from the seeded generator in a fixed order, so a seed fixes the script. Exact
//! shares (10% poll-only, 4% webhook-only, 4% redelivered) are counted, not sampled, so every seed
//! has them.

use super::lines::{self, PhiLine};
use super::{
    CommentKey, CommentKind, Delivery, Script, ScriptComment, ScriptEvent, ScriptItem, Viewer, WebhookStyle,
};
use crate::rng::Rng;
use curbside_domain::Platform;
use std::collections::BTreeSet;
use std::time::Duration;

const TITLE: &str = "Heart health: your questions answered";
const DURATION_SECONDS: u64 = 20 * 60;
/// Nothing is said after this, so the last comments reach the product before the broadcast ends.
const LAST_COMMENT_SECONDS: u64 = 1_170;
/// Instagram comments only polling finds must come early enough for a 3 s poller at 20× speed
/// (one wall second is 20 stream seconds) to see them before the media goes off air.
const IG_POLL_ONLY_BEFORE_SECONDS: u64 = 1_080;
const REGULARS: usize = 15;

const POLL_ONLY_SHARE: f64 = 0.10;
const WEBHOOK_ONLY_SHARE: f64 = 0.04;
const REDELIVERED_SHARE: f64 = 0.04;

struct Draft {
    at_ms: u64,
    platform: Platform,
    comment: ScriptComment,
    /// Must be delivered by webhook and polling: emergencies, and comments later edited, hidden
    /// or removed (so the expected end state is unambiguous).
    pinned: bool,
}

struct EventDraft {
    at_ms: u64,
    platform: Platform,
    event: ScriptEvent,
}

struct Builder {
    rng: Rng,
    drafts: Vec<Draft>,
    events: Vec<EventDraft>,
    fb_viewers: Vec<Viewer>,
    ig_viewers: Vec<Viewer>,
}

pub(super) fn build(seed: u64) -> Script {
    let mut b = Builder::new(seed);
    b.greetings();
    b.questions();
    b.private_details_and_advice();
    b.emergency_and_crisis();
    b.spam();
    b.chatter_and_goodbyes();
    b.edits_and_double_posts();
    b.replies();
    b.finish(seed)
}

impl Builder {
    fn new(seed: u64) -> Builder {
        let mut rng = Rng::new(seed);
        let fb_viewers = (0..90).map(|i| fb_viewer(&mut rng, i)).collect();
        let mut handles = BTreeSet::new();
        let ig_viewers = (0..70).map(|i| ig_viewer(&mut rng, i, &mut handles)).collect();
        Builder { rng, drafts: Vec::new(), events: Vec::new(), fb_viewers, ig_viewers }
    }

    fn seconds(&mut self, from: u64, to: u64) -> u64 {
        self.rng.range(from * 1_000, to * 1_000)
    }

    /// Facebook carries a little more of the audience than Instagram.
    fn platform(&mut self) -> Platform {
        if self.rng.chance(0.6) {
            Platform::Facebook
        } else {
            Platform::Instagram
        }
    }

    fn other(platform: Platform) -> Platform {
        match platform {
            Platform::Facebook => Platform::Instagram,
            _ => Platform::Facebook,
        }
    }

    /// A third of comments come from a few regulars; the rest from anyone.
    fn viewer(&mut self, platform: Platform) -> Viewer {
        let pool = match platform {
            Platform::Instagram => &self.ig_viewers,
            _ => &self.fb_viewers,
        };
        let index = if self.rng.chance(0.35) { self.rng.index(REGULARS) } else { self.rng.index(pool.len()) };
        pool.get(index).cloned().unwrap_or_else(|| Viewer::new("0", "viewer"))
    }

    fn add(
        &mut self,
        at_ms: u64,
        platform: Platform,
        author: Viewer,
        text: &str,
        kind: CommentKind,
    ) -> CommentKey {
        let key = CommentKey(self.drafts.len());
        let mut comment = ScriptComment::new(key, author, text, kind);
        comment.spanish = is_spanish(text);
        self.drafts.push(Draft {
            at_ms: at_ms.min(LAST_COMMENT_SECONDS * 1_000),
            platform,
            comment,
            pinned: false,
        });
        key
    }

    fn draft(&mut self, key: CommentKey) -> &mut Draft {
        &mut self.drafts[key.0]
    }

    fn event(&mut self, at_ms: u64, key: CommentKey, event: ScriptEvent) {
        let platform = self.drafts[key.0].platform;
        self.drafts[key.0].pinned = true;
        self.events.push(EventDraft { at_ms, platform, event });
    }

    fn greetings(&mut self) {
        let mut greetings: Vec<&str> = lines::GREETINGS.to_vec();
        self.rng.shuffle(&mut greetings);
        for (i, text) in greetings.into_iter().enumerate() {
            // Most arrive in the first two and a half minutes; a few latecomers say hello later.
            let at = if i < 30 { self.seconds(0, 150) } else { self.seconds(150, 900) };
            let platform = self.platform();
            let author = self.viewer(platform);
            self.add(at, platform, author, text, CommentKind::Greeting);
        }
    }

    fn questions(&mut self) {
        for topic in lines::TOPICS {
            let first_at = self.seconds(120, 1_000);
            let first_platform = self.platform();
            let mut asked: Vec<(&str, bool)> = topic.lines.iter().map(|l| (*l, false)).collect();
            asked.extend(topic.spanish.iter().map(|l| (*l, true)));
            for (i, (line, spanish)) in asked.into_iter().enumerate() {
                let (at, platform, kind) = if i == 0 {
                    (first_at, first_platform, CommentKind::Question)
                } else {
                    // The same question again, usually on the other platform, a few minutes on.
                    let at = first_at + self.rng.range(20_000, 240_000);
                    let platform =
                        if self.rng.chance(0.6) { Builder::other(first_platform) } else { first_platform };
                    (at, platform, CommentKind::Rephrase)
                };
                let text = if spanish { line.to_owned() } else { self.casual(line) };
                let author = self.viewer(platform);
                let key = self.add(at, platform, author, &text, kind);
                self.draft(key).comment.topic = Some(topic.key.to_owned());
            }
        }
        for line in lines::SINGLE_QUESTIONS {
            let at = self.seconds(120, 1_080);
            let platform = self.platform();
            let author = self.viewer(platform);
            let text = if is_spanish(line) { (*line).to_owned() } else { self.casual(line) };
            self.add(at, platform, author, &text, CommentKind::Question);
        }
    }

    /// Viewers type questions loosely: an opener, no capital, a missing or doubled `?`.
    fn casual(&mut self, line: &str) -> String {
        let opener = self.rng.pick(lines::QUESTION_OPENERS).copied().unwrap_or("");
        let mut text =
            if opener.is_empty() { line.to_owned() } else { format!("{opener}{}", lower_first(line)) };
        if opener.is_empty() && self.rng.chance(0.25) {
            text = lower_first(&text);
        }
        if text.ends_with('?') {
            if self.rng.chance(0.2) {
                text.pop();
            } else if self.rng.chance(0.1) {
                text.push('?');
            }
        }
        text
    }

    fn private_details_and_advice(&mut self) {
        let mut phi: Vec<(&PhiLine, Option<Platform>)> = lines::PHI.iter().map(|l| (l, None)).collect();
        phi.extend(lines::IG_PHI.iter().map(|l| (l, Some(Platform::Instagram))));
        for (line, platform) in phi {
            let at = self.seconds(180, 1_050);
            let platform = platform.unwrap_or_else(|| self.platform());
            let author = self.viewer(platform);
            let key = self.add(at, platform, author, line.text, CommentKind::Phi);
            let comment = &mut self.draft(key).comment;
            comment.phi = true;
            comment.personal_advice = line.advice;
        }
        for line in lines::PERSONAL_ADVICE {
            let at = self.seconds(180, 1_050);
            let platform = self.platform();
            let author = self.viewer(platform);
            let key = self.add(at, platform, author, line, CommentKind::PersonalAdvice);
            self.draft(key).comment.personal_advice = true;
        }
    }

    fn emergency_and_crisis(&mut self) {
        let at = self.seconds(575, 595);
        let author = self.viewer(Platform::Facebook);
        let emergency = self.add(at, Platform::Facebook, author, lines::EMERGENCY, CommentKind::Emergency);
        self.draft(emergency).comment.emergency = true;
        self.draft(emergency).pinned = true;
        for (i, line) in lines::EMERGENCY_REPLIES.iter().enumerate() {
            let delay = if i == 0 { self.rng.range(12_000, 25_000) } else { self.rng.range(30_000, 60_000) };
            let author = self.viewer(Platform::Facebook);
            let reply = self.add(at + delay, Platform::Facebook, author, line, CommentKind::Reply);
            self.draft(reply).comment.reply_to = Some(emergency);
        }

        let at = self.seconds(780, 800);
        let author = self.viewer(Platform::Instagram);
        let crisis = self.add(at, Platform::Instagram, author, lines::CRISIS, CommentKind::Crisis);
        let comment = &mut self.draft(crisis).comment;
        comment.crisis = true;
        comment.emergency = true;
        self.draft(crisis).pinned = true;
    }

    fn spam(&mut self) {
        let bots_fb = [
            Viewer::new("100094417730021", "Natural Heart Cure"),
            Viewer::new("100091126650374", "Jessica Invests"),
        ];
        let bots_ig = [
            Viewer::new("7310048826651093", "cardio.miracle.drops"),
            Viewer::new("7310048826651187", "crypto_queen_882"),
        ];
        let mut keys = Vec::new();
        for (i, line) in lines::SPAM.iter().enumerate() {
            // Two bot bursts (one bot, several posts in seconds), the rest scattered.
            let (at, platform) = match i {
                0..=2 => (self.seconds(240, 260), Platform::Facebook),
                3..=6 => (
                    self.seconds(700, 720),
                    if i % 2 == 1 { Platform::Facebook } else { Platform::Instagram },
                ),
                _ => {
                    let at = self.seconds(300, 1_100);
                    (at, self.platform())
                }
            };
            let author = match (platform, i) {
                (Platform::Instagram, _) => bots_ig[i % 2].clone(),
                (_, 0..=2) => bots_fb[0].clone(),
                _ => bots_fb[i % 2].clone(),
            };
            let key = self.add(at, platform, author, line, CommentKind::Spam);
            self.draft(key).comment.spam = true;
            keys.push((key, at, platform));
        }
        // The Page's moderators clean up in Meta's own tools: the first burst removed and hidden,
        // the second burst's Facebook posts hidden.
        for (n, (key, at, platform)) in keys.into_iter().enumerate() {
            if platform != Platform::Facebook {
                continue;
            }
            match n {
                0 | 1 => {
                    let when = at + self.rng.range(20_000, 60_000);
                    self.event(when, key, ScriptEvent::Remove { key });
                }
                2 | 3 | 5 => {
                    let when = at + self.rng.range(15_000, 45_000);
                    self.event(when, key, ScriptEvent::Hide { key });
                }
                _ => {}
            }
        }
    }

    fn edits_and_double_posts(&mut self) {
        for pair in lines::EDITS {
            let at = self.seconds(200, 1_000);
            let author = self.viewer(Platform::Facebook);
            let key = self.add(at, Platform::Facebook, author, pair.original, CommentKind::Question);
            let comment = &mut self.draft(key).comment;
            comment.phi = pair.phi_after;
            comment.personal_advice = pair.advice_after;
            let when = at + self.rng.range(20_000, 90_000);
            self.event(when, key, ScriptEvent::Edit { key, text: pair.edited.to_owned() });
        }
        for (i, line) in lines::DOUBLE_POSTS.iter().enumerate() {
            let at = self.seconds(300, 1_000);
            let author = self.viewer(Platform::Facebook);
            self.add(at, Platform::Facebook, author.clone(), line, CommentKind::Question);
            let again = at + self.rng.range(2_000, 5_000);
            let second = self.add(again, Platform::Facebook, author, line, CommentKind::DoublePost);
            // The first viewer notices and deletes the duplicate.
            if i == 0 {
                let when = again + self.rng.range(20_000, 40_000);
                self.event(when, second, ScriptEvent::Remove { key: second });
            }
        }
        // A viewer regrets posting a phone number and deletes the comment.
        if let Some(key) = self.find_text("text me at 555-0129") {
            self.move_to_facebook(key);
            let when = self.drafts[key.0].at_ms + self.rng.range(60_000, 120_000);
            self.event(when, key, ScriptEvent::Remove { key });
        }
        // A moderator hides a real question by mistake and shows it again a minute later.
        if let Some(key) = self.find_text("Is walking enough exercise") {
            self.move_to_facebook(key);
            let at = self.drafts[key.0].at_ms;
            let hide = at + self.rng.range(20_000, 40_000);
            self.event(hide, key, ScriptEvent::Hide { key });
            let unhide = hide + self.rng.range(40_000, 80_000);
            self.event(unhide, key, ScriptEvent::Unhide { key });
        }
        // A viewer whose screen froze deletes the complaint once it works again.
        if let Some(key) = self.find_text("Screen is frozen") {
            self.move_to_facebook(key);
            let when = self.drafts[key.0].at_ms + self.rng.range(30_000, 50_000);
            self.event(when, key, ScriptEvent::Remove { key });
        }
    }

    fn move_to_facebook(&mut self, key: CommentKey) {
        let author = self.viewer(Platform::Facebook);
        let draft = &mut self.drafts[key.0];
        draft.platform = Platform::Facebook;
        draft.comment.author = author;
    }

    fn find_text(&self, fragment: &str) -> Option<CommentKey> {
        // Questions may have been made casual (lowercased, an opener added): compare loosely.
        let fragment = fragment.to_lowercase();
        self.drafts.iter().find(|d| d.comment.text.to_lowercase().contains(&fragment)).map(|d| d.comment.key)
    }

    fn replies(&mut self) {
        let parents: Vec<CommentKey> = self
            .drafts
            .iter()
            .filter(|d| {
                matches!(
                    d.comment.kind,
                    CommentKind::Question | CommentKind::Rephrase | CommentKind::PersonalAdvice
                ) && d.comment.reply_to.is_none()
                    && d.at_ms < 1_000_000
            })
            .map(|d| d.comment.key)
            .collect();
        let mut pool: Vec<&str> = lines::REPLIES.to_vec();
        for _ in 0..20 {
            if let Some(line) = self.rng.pick(lines::REPLIES) {
                pool.push(line);
            }
        }
        for line in pool {
            let Some(&parent) = self.rng.pick(&parents) else { return };
            let (parent_at, platform, parent_author) = {
                let d = &self.drafts[parent.0];
                (d.at_ms, d.platform, d.comment.author.name.clone())
            };
            let at = parent_at + self.rng.range(10_000, 180_000);
            let author = self.viewer(platform);
            // Instagram Live has no threads: viewers answer with an @mention.
            let text = match platform {
                Platform::Instagram => format!("@{parent_author} {}", lower_first(line)),
                _ => line.to_owned(),
            };
            let key = self.add(at, platform, author, &text, CommentKind::Reply);
            if platform == Platform::Facebook {
                self.draft(key).comment.reply_to = Some(parent);
            } else {
                self.draft(key).comment.phi = true;
            }
        }
    }

    fn chatter_and_goodbyes(&mut self) {
        // Every line once, and the short ones again from other viewers ("❤️", "Great info").
        let mut chatter: Vec<&str> = lines::CHATTER.to_vec();
        for _ in 0..15 {
            if let Some(line) = self.rng.pick(lines::CHATTER) {
                chatter.push(line);
            }
        }
        for line in chatter {
            let at = self.seconds(60, 1_140);
            let platform = self.platform();
            let author = self.viewer(platform);
            self.add(at, platform, author, line, CommentKind::Chatter);
        }
        for line in lines::GOODBYES {
            let at = self.seconds(1_100, LAST_COMMENT_SECONDS);
            let platform = self.platform();
            let author = self.viewer(platform);
            self.add(at, platform, author, line, CommentKind::Goodbye);
        }
    }

    fn finish(mut self, seed: u64) -> Script {
        let total = self.drafts.len();
        let share = |p: f64| (total as f64 * p).round() as usize;
        let parents: BTreeSet<CommentKey> = self.drafts.iter().filter_map(|d| d.comment.reply_to).collect();

        // Delivery: exact counts over shuffled candidates.
        let mut deliveries = vec![Delivery::Both; total];
        let mut candidates: Vec<usize> = (0..total).filter(|&i| !self.drafts[i].pinned).collect();
        self.rng.shuffle(&mut candidates);
        let poll_only: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let d = &self.drafts[i];
                d.platform == Platform::Facebook || d.at_ms < IG_POLL_ONLY_BEFORE_SECONDS * 1_000
            })
            .take(share(POLL_ONLY_SHARE))
            .collect();
        for &i in &poll_only {
            deliveries[i] = Delivery::PollOnly;
        }
        let webhook_only: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| !poll_only.contains(i) && !parents.contains(&CommentKey(*i)))
            .take(share(WEBHOOK_ONLY_SHARE))
            .collect();
        for &i in &webhook_only {
            deliveries[i] = Delivery::WebhookOnly;
        }
        // Taken from the other end of the shuffle, so retries are independent of the webhook-only picks.
        let redelivered: BTreeSet<usize> = candidates
            .iter()
            .rev()
            .copied()
            .filter(|&i| deliveries[i] != Delivery::PollOnly)
            .take(share(REDELIVERED_SHARE))
            .collect();

        let mut script = Script::new(TITLE, Duration::from_secs(DURATION_SECONDS));
        script.seed = seed;
        let mut items: Vec<(u64, usize, ScriptItem)> = Vec::new();
        for (i, draft) in std::mem::take(&mut self.drafts).into_iter().enumerate() {
            let style = self.style(draft.platform);
            let redeliver_after =
                redelivered.contains(&i).then(|| Duration::from_millis(self.rng.range(3_000, 30_000)));
            items.push((
                draft.at_ms,
                i,
                ScriptItem {
                    at: Duration::from_millis(draft.at_ms),
                    platform: draft.platform,
                    delivery: deliveries[i],
                    style,
                    redeliver_after,
                    event: ScriptEvent::Comment(draft.comment),
                },
            ));
        }
        for (n, event) in std::mem::take(&mut self.events).into_iter().enumerate() {
            // The restfb fixtures for edits and hides use the old sender form; use it half the time.
            let style =
                if self.rng.chance(0.5) { WebhookStyle::LegacySender } else { WebhookStyle::Standard };
            items.push((
                event.at_ms.min(LAST_COMMENT_SECONDS * 1_000),
                total + n,
                ScriptItem {
                    at: Duration::from_millis(event.at_ms.min(LAST_COMMENT_SECONDS * 1_000)),
                    platform: event.platform,
                    delivery: Delivery::Both,
                    style,
                    redeliver_after: None,
                    event: event.event,
                },
            ));
        }
        items.sort_by_key(|(at, order, _)| (*at, *order));
        for (_, _, item) in items {
            script.push(item);
        }
        script
    }

    fn style(&mut self, platform: Platform) -> WebhookStyle {
        match platform {
            Platform::Instagram if self.rng.chance(0.04) => WebhookStyle::IgCommentIdKey,
            Platform::Instagram => WebhookStyle::Standard,
            _ => {
                let roll = self.rng.below(100);
                match roll {
                    0..=5 => WebhookStyle::LegacySender,
                    6..=30 => WebhookStyle::WithPost,
                    _ => WebhookStyle::Standard,
                }
            }
        }
    }
}

fn fb_viewer(rng: &mut Rng, i: usize) -> Viewer {
    let first = rng.pick(lines::FIRST_NAMES).copied().unwrap_or("Pat");
    let last = rng.pick(lines::LAST_NAMES).copied().unwrap_or("Lee");
    let name = if rng.chance(0.2) { format!("{first} {}.", &last[..1]) } else { format!("{first} {last}") };
    // 15-digit ids, unique per viewer (the step is larger than the random part).
    let id = 100_089_000_000_000u64 + i as u64 * 7_919_113 + rng.below(7_000_000);
    Viewer::new(id.to_string(), name)
}

fn ig_viewer(rng: &mut Rng, i: usize, taken: &mut BTreeSet<String>) -> Viewer {
    let first = rng.pick(lines::FIRST_NAMES).copied().unwrap_or("pat").to_lowercase();
    let last = rng.pick(lines::LAST_NAMES).copied().unwrap_or("lee").to_lowercase();
    let shape = rng.pick(lines::HANDLE_SHAPES).copied().unwrap_or("{f}.{l}");
    let number = format!("{:02}", rng.below(100));
    let mut handle = shape.replace("{f}", &first).replace("{l}", &last).replace("{n}", &number);
    if !taken.insert(handle.clone()) {
        handle = format!("{handle}_{i}");
        taken.insert(handle.clone());
    }
    // 16-digit Instagram-scoped ids.
    let id = 6_745_000_000_000_000u64 + i as u64 * 10_000_019 + rng.below(10_000_000);
    Viewer::new(id.to_string(), handle)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep "I", "AFib", "EKG" and other capitalised words as they are.
        Some(c) if chars.clone().next().is_some_and(|n| n.is_lowercase()) && c != 'I' => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

fn is_spanish(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "¿",
        "¡",
        "Hola",
        "hola",
        "Buenas",
        "Gracias",
        "gracias",
        "Saludos",
        "Muy ",
        "Excelente",
        "Mi ",
        "Soy ",
        "Tomo ",
        "Gana ",
        "Sí,",
        "Muchas",
        "No se",
        "Hasta",
        "escríbeme",
        "Van a",
    ];
    MARKERS.iter().any(|m| text.contains(m))
}
