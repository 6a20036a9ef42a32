//! Screening inside the write path: the context a comment is screened in (the session's open
//! questions for duplicates, each author's earlier comments for repetition), the flags a
//! screening sets, and the approval guard's check for private information left in a wording.

use crate::Result;
use curbside_domain::{screening::span_text, Flag, Question, QuestionId, SessionId, SpanKind};
use curbside_screening::{DuplicateIndex, ScreenContext, Screened, Screener};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};

/// Flags that screening owns: recomputed whenever a question's text is screened again.
const SCREENING_FLAGS: [Flag; 6] =
    [Flag::Phi, Flag::Emergency, Flag::PersonalAdvice, Flag::Spam, Flag::DuplicateCandidate, Flag::Myth];

/// What a session's earlier comments tell screening, loaded once per session per write.
pub(crate) struct SessionContext {
    index: DuplicateIndex,
    by_author: HashMap<String, Vec<String>>,
}

impl SessionContext {
    /// Reads the session's open questions (not rejected or merged; `exclude` left out, for a
    /// question screened again) and its comments' authors.
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        session: SessionId,
        exclude: Option<QuestionId>,
    ) -> Result<SessionContext> {
        let rows = sqlx::query(
            "SELECT id, original_text FROM questions WHERE session_id = $1 \
             AND state NOT IN ('rejected', 'merged') ORDER BY id",
        )
        .bind(session.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut index = DuplicateIndex::new();
        for r in &rows {
            let id = QuestionId(r.try_get("id")?);
            if Some(id) != exclude {
                let text: String = r.try_get("original_text")?;
                index.add(id, &text);
            }
        }
        let rows = sqlx::query(
            "SELECT author_id, text FROM comments WHERE session_id = $1 AND author_id IS NOT NULL ORDER BY id",
        )
        .bind(session.0)
        .fetch_all(&mut *conn)
        .await?;
        let mut by_author: HashMap<String, Vec<String>> = HashMap::new();
        for r in &rows {
            by_author.entry(r.try_get("author_id")?).or_default().push(r.try_get("text")?);
        }
        Ok(SessionContext { index, by_author })
    }

    /// Screens one comment of `author`.
    pub(crate) fn screen(&self, screener: &Screener, text: &str, author: Option<&str>) -> Screened {
        let earlier: Vec<&str> = author
            .and_then(|a| self.by_author.get(a))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        screener.screen(text, &ScreenContext { earlier: Some(&self.index), author_earlier: &earlier })
    }

    /// Records a comment stored in this write, so later comments of the same batch see it.
    pub(crate) fn remember(&mut self, question: Option<QuestionId>, text: &str, author: Option<&str>) {
        if let Some(q) = question {
            self.index.add(q, text);
        }
        if let Some(a) = author {
            self.by_author.entry(a.to_owned()).or_default().push(text.to_owned());
        }
    }
}

/// `flags` with the screening flags replaced by those `screened` raises.
pub(crate) fn with_screening_flags(mut flags: BTreeSet<Flag>, screened: &Screened) -> BTreeSet<Flag> {
    flags.retain(|f| !SCREENING_FLAGS.contains(f));
    flags.extend(screened.screening.flags());
    flags
}

/// Letters and digits only, lower case: "555-201-3344" and "555 201 3344" compare equal.
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The kinds of private information still in `wording`: any span the detectors find in it, and
/// any detected span of the original comment that the wording repeats (however it is spaced).
pub(crate) fn private_info_in(wording: &str, q: &Question) -> Vec<SpanKind> {
    let mut kinds: Vec<SpanKind> = curbside_screening::phi::detect(wording).iter().map(|s| s.kind).collect();
    let squashed = squash(wording);
    for span in &q.screening.spans {
        let original = squash(&span_text(&q.original_text, span));
        if original.chars().count() >= 3 && squashed.contains(&original) {
            kinds.push(span.kind);
        }
    }
    let mut seen = Vec::new();
    kinds.retain(|k| {
        let fresh = !seen.contains(k);
        seen.push(*k);
        fresh
    });
    kinds
}
