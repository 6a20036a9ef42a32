//! Common health myths from a maintained list (English and Spanish), editable per organisation:
//! the built-in list (`data/myths.json`) plus an optional file from configuration. Advisory only:
//! a myth label tells the moderator there is something for the specialist to correct on air.

use curbside_domain::MythSource;
use serde::Deserialize;
use thiserror::Error;

/// One myth: every group must match (any of its phrases, each at the start of a word in the
/// folded text), e.g. `[["vaccin","vacun"],["autis"]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Myth {
    pub topic: String,
    pub all: Vec<Vec<String>>,
    /// Where the correction can be read (`{"name", "url"?}`): shown on the public transcript
    /// next to an answer that addressed the myth.
    #[serde(default)]
    pub source: Option<MythSource>,
    /// In an organisation's file: `true` removes the built-in myth with this topic.
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Error)]
pub enum MythListError {
    #[error("the myth list is not valid JSON: {0} (expected [{{\"topic\": \"…\", \"all\": [[\"phrase\", …], …]}}, …])")]
    Json(#[from] serde_json::Error),
    #[error("the myth {0:?} has an empty group: every group needs at least one phrase")]
    EmptyGroup(String),
}

/// The myths a screener looks for, with one automaton over every phrase so a comment is scanned
/// once however long the list grows.
#[derive(Debug, Clone)]
pub struct MythList {
    myths: Vec<Myth>,
    phrases: Vec<String>,
    automaton: Option<aho_corasick::AhoCorasick>,
}

impl MythList {
    /// The built-in list.
    pub fn builtin() -> MythList {
        // The built-in file is part of this crate and checked by its tests.
        #[allow(clippy::expect_used)]
        MythList::parse(include_str!("../data/myths.json")).expect("built-in myth list parses")
    }

    /// A list from JSON text (the built-in format).
    pub fn parse(json: &str) -> Result<MythList, MythListError> {
        let mut myths: Vec<Myth> = serde_json::from_str(json)?;
        for m in &mut myths {
            if m.all.is_empty() || m.all.iter().any(|g| g.iter().all(|p| p.trim().is_empty())) {
                return Err(MythListError::EmptyGroup(m.topic.clone()));
            }
            for group in &mut m.all {
                for phrase in group.iter_mut() {
                    *phrase = crate::text::fold(phrase.trim());
                }
            }
        }
        Ok(MythList::indexed(myths))
    }

    fn indexed(myths: Vec<Myth>) -> MythList {
        let mut phrases: Vec<String> = myths.iter().flat_map(|m| m.all.iter().flatten().cloned()).collect();
        phrases.sort();
        phrases.dedup();
        phrases.retain(|p| !p.is_empty());
        let automaton = aho_corasick::AhoCorasick::new(&phrases).ok();
        MythList { myths, phrases, automaton }
    }

    /// This list with an organisation's additions; a `disabled` entry removes a myth by topic.
    pub fn extended(self, org: MythList) -> MythList {
        let mut myths = self.myths;
        for m in org.myths {
            myths.retain(|b| !b.topic.eq_ignore_ascii_case(&m.topic));
            if !m.disabled {
                myths.push(m);
            }
        }
        MythList::indexed(myths)
    }

    pub fn len(&self) -> usize {
        self.myths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.myths.is_empty()
    }

    /// The topic of the first myth a folded comment repeats.
    pub fn detect(&self, folded: &str) -> Option<&str> {
        self.detect_myth(folded).map(|m| m.topic.as_str())
    }

    /// The first myth a folded comment repeats, with its correction source.
    pub fn detect_myth(&self, folded: &str) -> Option<&Myth> {
        // Which phrases occur at the start of a word, found in one pass.
        let present: std::collections::HashSet<&str> = match &self.automaton {
            Some(ac) => ac
                .find_overlapping_iter(folded)
                .filter(|m| starts_word(folded, m.start(), &self.phrases[m.pattern().as_usize()]))
                .map(|m| self.phrases[m.pattern().as_usize()].as_str())
                .collect(),
            None => self.phrases.iter().filter(|p| has_word_start(folded, p)).map(String::as_str).collect(),
        };
        if present.is_empty() {
            return None;
        }
        self.myths
            .iter()
            .filter(|m| !m.disabled)
            .find(|m| m.all.iter().all(|group| group.iter().any(|p| present.contains(p.as_str()))))
    }
}

/// Whether `phrase` occurs in `text` starting at a word boundary ("vaccin" in "vaccines", not
/// "air" in "hair").
fn has_word_start(text: &str, phrase: &str) -> bool {
    !phrase.is_empty() && text.match_indices(phrase).any(|(i, _)| starts_word(text, i, phrase))
}

fn starts_word(text: &str, at: usize, phrase: &str) -> bool {
    !phrase.starts_with(char::is_alphanumeric)
        || text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    #[test]
    fn builtin_myths_match_in_both_languages() {
        let list = MythList::builtin();
        assert_eq!(list.detect(&fold("do vaccines cause autism??")), Some("vaccines and autism"));
        assert_eq!(list.detect(&fold("¿las vacunas causan autismo?")), Some("vaccines and autism"));
        assert_eq!(
            list.detect(&fold("can i get antibiotics for my cold")),
            Some("antibiotics for viral infections")
        );
        assert_eq!(list.detect(&fold("when should my kid get the MMR")), None);
        assert_eq!(list.detect(&fold("my chair broke, is cancer contagious")), None);
    }

    #[test]
    fn an_organisation_adds_and_removes_myths() {
        let org = MythList::parse(
            r#"[{"topic":"garlic cures hypertension","all":[["garlic","ajo"],["blood pressure","presion"]]},
                {"topic":"vaccines and autism","all":[["x"]],"disabled":true}]"#,
        )
        .unwrap();
        let list = MythList::builtin().extended(org);
        assert_eq!(list.detect(&fold("garlic fixes blood pressure")), Some("garlic cures hypertension"));
        assert_eq!(list.detect(&fold("do vaccines cause autism")), None);
        assert!(MythList::parse("{").is_err());
        assert!(MythList::parse(r#"[{"topic":"t","all":[[]]}]"#).is_err());
    }
}
