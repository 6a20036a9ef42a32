//! Spam and abuse: blocked words (configurable), link spam, promotion, and one author repeating
//! the same comment (the author's earlier comments come in as input: this module has no history).

use crate::text::{fold, words};
use regex::Regex;
use std::sync::LazyLock;

fn re(p: &str) -> Regex {
    crate::text::pattern(p)
}

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"https?://|www\.|\b[a-z0-9\-]+\.(?:com|net|io|ly|me|co|info|biz|xyz|click|link|shop|store|site|online)\b|bit\.ly|t\.me/|wa\.me/",
    )
});
static PROMO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"check\s+(?:out\s+)?my\s+(?:profile|page|bio|channel|link|store)|link\s+in\s+(?:my\s+)?bio|dm\s+(?:me|us)\s+(?:for|to)|inbox\s+me|follow\s+(?:me|my\s+page|for\s+follow)|f4f|sub4sub|earn\s+\$?\d|make\s+\$?\d+\s*(?:k|/\s*day|a\s+day|per\s+day|daily|weekly)|work\s+from\s+home|crypto|bitcoin|\bbtc\b|forex|binary\s+options|investment\s+(?:platform|opportunity|manager)|giveaway|promo\s+code|discount\s+code|use\s+code|free\s+(?:iphone|gift\s*card|followers)|click\s+(?:the\s+)?(?:link|here)|limited\s+offer|buy\s+now|order\s+now|weight\s+loss\s+(?:secret|pill|gummies)|lose\s+\d+\s*(?:lbs|pounds|kg)\s+in|miracle\s+(?:cure|pill)|onlyfans|casino|betting|sugar\s+daddy|whatsapp\s*(?:me|\+|:)|sigueme|siganme|visita\s+mi\s+(?:perfil|pagina)|gana\s+(?:dinero|\$)|ganar\s+dinero|inversion\s+(?:segura|garantizada)|escribeme\s+al\s+(?:privado|whatsapp)|oferta\s+limitada|haz\s+clic|compra\s+ya|bajar\s+de\s+peso\s+rapido|criptomoneda|best\s+prices?|cheap\s+(?:meds|pills|viagra|followers)|mejores\s+precios",
    )
});

/// How a session or organisation tunes spam screening.
#[derive(Debug, Clone, Default)]
pub struct SpamRules {
    /// Words or phrases that mark a comment as spam or abuse (folded; matched as whole words).
    pub blocked: Vec<String>,
}

impl SpamRules {
    pub fn new(blocked: impl IntoIterator<Item = String>) -> SpamRules {
        SpamRules { blocked: blocked.into_iter().map(|w| fold(w.trim())).filter(|w| !w.is_empty()).collect() }
    }
}

/// How many of the author's earlier comments in this session repeat the text before it counts
/// as spam (the third identical comment is flagged).
pub const REPEAT_LIMIT: usize = 2;

/// How alike two comments of one author must be to count as the same comment.
pub const REPEAT_SIMILARITY: f64 = 0.7;

/// The spam reason for a folded comment, if any. `author_earlier` are the folded texts of the
/// same author's earlier comments in the session.
pub fn detect(folded: &str, rules: &SpamRules, author_earlier: &[&str]) -> Option<String> {
    let ws: Vec<&str> = words(folded).collect();
    for b in &rules.blocked {
        let hit = if b.contains(' ') { folded.contains(b.as_str()) } else { ws.contains(&b.as_str()) };
        if hit {
            return Some("blocked word".into());
        }
    }
    let links = LINK.find_iter(folded).count();
    let promo = PROMO.is_match(folded);
    if promo {
        return Some(if links > 0 { "link spam".into() } else { "promotion".into() });
    }
    if links >= 2 || (links == 1 && ws.len() <= 4) {
        return Some("link spam".into());
    }
    if !ws.is_empty() {
        // Comments of very different lengths cannot be the same comment: skip fingerprinting them.
        let len = folded.len();
        let repeats = author_earlier
            .iter()
            .filter(|t| t.len() * 2 >= len && len * 2 >= t.len())
            .filter(|t| crate::duplicate::similarity(folded, t) >= REPEAT_SIMILARITY)
            .count();
        if repeats >= REPEAT_LIMIT {
            return Some(format!("same comment posted {} times by one author", repeats + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spam(t: &str) -> Option<String> {
        detect(&fold(t), &SpamRules::new(["idiot".to_owned(), "buy followers".to_owned()]), &[])
    }

    #[test]
    fn promotion_links_and_blocked_words_are_spam() {
        assert_eq!(spam("earn $500 a day from home check my profile"), Some("promotion".into()));
        assert_eq!(spam("www.cheap-meds.biz"), Some("link spam".into()));
        assert_eq!(spam("you are an IDIOT"), Some("blocked word".into()));
        assert_eq!(spam("gana dinero desde casa, escríbeme al whatsapp"), Some("promotion".into()));
    }

    #[test]
    fn one_author_repeating_is_spam_on_the_third_time() {
        let rules = SpamRules::default();
        let earlier = ["answer me!!", "answer me"];
        assert_eq!(detect(&fold("ANSWER ME"), &rules, &earlier[..1]), None);
        assert_eq!(
            detect(&fold("ANSWER ME"), &rules, &earlier),
            Some("same comment posted 3 times by one author".into())
        );
    }

    #[test]
    fn ordinary_questions_and_a_single_health_link_are_not_spam() {
        assert_eq!(spam("what does cholesterol do to arteries"), None);
        assert_eq!(spam("I read on cdc.gov that adults need a tetanus shot every 10 years, true?"), None);
        assert_eq!(spam("THIS IS SO HELPFUL THANK YOU 🙏🙏"), None);
    }
}
