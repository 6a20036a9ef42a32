//! Free text typed by people (question wording, answers, reasons): trimmed, never empty where a
//! value is required, and bounded so one field cannot fill a page, a reply or the database.

use thiserror::Error;

/// How long a piece of staff-written text may be, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    pub field: &'static str,
    pub max_chars: usize,
    /// Whether line breaks (`\n`, `\r`) and tabs are allowed; other control characters (NUL,
    /// escape, …) never are.
    pub multiline: bool,
}

impl TextLimit {
    pub const TITLE: TextLimit = TextLimit { field: "title", max_chars: 200, multiline: false };
    pub const PUBLIC_TEXT: TextLimit = TextLimit { field: "public_text", max_chars: 1_000, multiline: true };
    pub const ANSWER: TextLimit = TextLimit { field: "text", max_chars: 8_000, multiline: true };
    pub const REASON: TextLimit = TextLimit { field: "reason", max_chars: 500, multiline: true };
    pub const DISCLAIMER: TextLimit = TextLimit { field: "disclaimer", max_chars: 2_000, multiline: true };
    pub const NAME: TextLimit = TextLimit { field: "name", max_chars: 200, multiline: false };
    pub const NOTE: TextLimit = TextLimit { field: "text", max_chars: 500, multiline: true };

    /// Checks `raw` (length in characters, no refused control character), trims it, and
    /// checks it is non-empty. The checks apply to the text as sent, so that they are exactly
    /// the schema's `maxLength` and `pattern` (see `crate::text::NON_SPACE`).
    pub fn required(self, raw: &str) -> Result<String, TextError> {
        self.check(raw)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty { field: self.field });
        }
        Ok(trimmed.to_owned())
    }

    /// Like [`TextLimit::required`], but an absent or blank value is `None`.
    pub fn optional(self, raw: Option<&str>) -> Result<Option<String>, TextError> {
        let Some(raw) = raw else { return Ok(None) };
        self.check(raw)?;
        Ok(Some(raw.trim().to_owned()).filter(|t| !t.is_empty()))
    }

    /// Whether `c` may appear in this field: no control character except, in multi-line
    /// fields, line breaks and tabs.
    pub fn allows(self, c: char) -> bool {
        !c.is_control() || (self.multiline && matches!(c, '\n' | '\r' | '\t'))
    }

    /// A JSON Schema `pattern` (ECMA-262 and Python syntax) that finds a character this field
    /// refuses: the schema says `"not": {"pattern": …}`.
    pub fn refused_pattern(self) -> &'static str {
        if self.multiline {
            r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
        } else {
            r"[\u0000-\u001f\u007f-\u009f]"
        }
    }

    fn check(self, raw: &str) -> Result<(), TextError> {
        if let Some(c) = raw.chars().find(|&c| !self.allows(c)) {
            return Err(TextError::ControlCharacter { field: self.field, code: c as u32 });
        }
        let chars = raw.chars().count();
        if chars > self.max_chars {
            return Err(TextError::TooLong { field: self.field, max: self.max_chars, actual: chars });
        }
        Ok(())
    }
}

/// A JSON Schema `pattern` (ECMA-262 and Python syntax) matching one character that is not
/// white space as Rust's `str::trim` sees it: a value matches it exactly when trimming leaves
/// something.
pub const NON_SPACE: &str = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("`{field}` must not be empty")]
    Empty { field: &'static str },
    #[error("`{field}` is {actual} characters long; at most {max} are allowed")]
    TooLong { field: &'static str, max: usize, actual: usize },
    #[error("`{field}` contains the control character U+{code:04X}; remove it (only plain text is allowed)")]
    ControlCharacter { field: &'static str, code: u32 },
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
    fn control_characters_are_refused_and_line_breaks_only_where_text_is_multi_line() {
        let err = TextLimit::TITLE.required("Heart\0 health").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`title` contains the control character U+0000; remove it (only plain text is allowed)"
        );
        assert!(TextLimit::NAME.required("Dr\u{1b}[31m Lee").is_err());
        assert!(TextLimit::TITLE.required("two\nlines").is_err());
        assert!(TextLimit::NAME.optional(Some("a\u{85}b")).is_err());
        assert_eq!(
            TextLimit::ANSWER.required("Line one.\r\n\tLine two."),
            Ok("Line one.\r\n\tLine two.".into())
        );
        assert!(TextLimit::ANSWER.required("bell\u{7}").is_err());
        // Checked as sent: a blank optional value with a refused character is refused too.
        assert!(TextLimit::REASON.optional(Some("\u{b}")).is_err());
    }

    #[test]
    fn the_length_counts_the_text_as_sent() {
        let padded = format!("{} ", "x".repeat(200));
        assert!(TextLimit::TITLE.required(&padded).is_err());
        assert!(TextLimit::TITLE.required(&"x".repeat(200)).is_ok());
    }

    #[test]
    fn non_space_matches_what_trim_keeps() {
        // Every white space character Rust trims is in the class's exclusions.
        let class = NON_SPACE;
        for c in (0u32..0x3001).filter_map(char::from_u32).filter(|c| c.is_whitespace()) {
            let escaped = format!("\\u{:04x}", c as u32);
            let listed = class.contains(&escaped)
                || matches!(c, '\t'..='\r' | ' ')
                || (0x2000..=0x200a).contains(&(c as u32));
            assert!(listed, "U+{:04X} is white space but not excluded", c as u32);
        }
    }

    #[test]
    fn blank_optional_text_is_none() {
        assert_eq!(TextLimit::REASON.optional(Some("   ")), Ok(None));
        assert_eq!(TextLimit::REASON.optional(None), Ok(None));
    }
}
