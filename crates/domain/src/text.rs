//! Free text typed by people (question wording, answers, reasons): trimmed, never empty where a
//! value is required, and bounded so one field cannot fill a page, a reply or the database.

use thiserror::Error;

/// How long a piece of staff-written text may be, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    pub field: &'static str,
    pub max_chars: usize,
}

impl TextLimit {
    pub const TITLE: TextLimit = TextLimit { field: "title", max_chars: 200 };
    pub const PUBLIC_TEXT: TextLimit = TextLimit { field: "public_text", max_chars: 1_000 };
    pub const ANSWER: TextLimit = TextLimit { field: "text", max_chars: 8_000 };
    pub const REASON: TextLimit = TextLimit { field: "reason", max_chars: 500 };
    pub const DISCLAIMER: TextLimit = TextLimit { field: "disclaimer", max_chars: 2_000 };
    pub const NAME: TextLimit = TextLimit { field: "name", max_chars: 200 };
    pub const NOTE: TextLimit = TextLimit { field: "text", max_chars: 500 };

    /// Trims `raw` and checks it is non-empty and within the limit.
    pub fn required(self, raw: &str) -> Result<String, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty { field: self.field });
        }
        self.check(trimmed)
    }

    /// Like [`TextLimit::required`], but an absent or blank value is `None`.
    pub fn optional(self, raw: Option<&str>) -> Result<Option<String>, TextError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => self.check(t).map(Some),
        }
    }

    fn check(self, trimmed: &str) -> Result<String, TextError> {
        let chars = trimmed.chars().count();
        if chars > self.max_chars {
            return Err(TextError::TooLong { field: self.field, max: self.max_chars, actual: chars });
        }
        Ok(trimmed.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("`{field}` must not be empty")]
    Empty { field: &'static str },
    #[error("`{field}` is {actual} characters long; at most {max} are allowed")]
    TooLong { field: &'static str, max: usize, actual: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed() {
        assert_eq!(TextLimit::ANSWER.required("  Oats help.  "), Ok("Oats help.".to_owned()));
    }

    #[test]
    fn blank_required_text_is_refused() {
        assert_eq!(TextLimit::ANSWER.required(" \n"), Err(TextError::Empty { field: "text" }));
    }

    #[test]
    fn overlong_text_names_the_limit() {
        let long = "x".repeat(1_001);
        let err = TextLimit::PUBLIC_TEXT.required(&long).unwrap_err();
        assert_eq!(err.to_string(), "`public_text` is 1001 characters long; at most 1000 are allowed");
    }

    #[test]
    fn blank_optional_text_is_none() {
        assert_eq!(TextLimit::REASON.optional(Some("   ")), Ok(None));
        assert_eq!(TextLimit::REASON.optional(None), Ok(None));
    }
}
