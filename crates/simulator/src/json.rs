//! JSON bytes the way Meta sends webhooks: non-ASCII as `\uXXXX` escapes and `/` as `\/`.
//! The signature covers these exact bytes, so a receiver that re-serialises before verifying fails.

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use std::io::{self, Write};

/// Escapes what PHP's `json_encode` escapes by default; everything else is serde_json's.
struct MetaFormatter;

impl Formatter for MetaFormatter {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '/' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            if c == '/' {
                writer.write_all(b"\\/")?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serialises with Meta's escaping. Only for this crate's own plain data types, which cannot fail
/// to serialise into memory; should one ever fail, the result is an empty body that no receiver
/// accepts, which a test would notice at once.
pub(crate) fn to_meta_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = Serializer::with_formatter(&mut out, MetaFormatter);
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_and_slashes_are_escaped_like_meta() {
        let bytes = to_meta_bytes(&serde_json::json!({"m": "¿Qué tal? ❤️ 😀 https://x.example/a \"q\"\n"}));
        let text = String::from_utf8(bytes.clone()).expect("test input is valid");
        assert!(text.is_ascii(), "{text}");
        assert_eq!(
            text,
            r#"{"m":"\u00bfQu\u00e9 tal? \u2764\ufe0f \ud83d\ude00 https:\/\/x.example\/a \"q\"\n"}"#
        );
        let back: serde_json::Value = serde_json::from_slice(&bytes).expect("test input is valid");
        assert_eq!(back["m"], "¿Qué tal? ❤️ 😀 https://x.example/a \"q\"\n");
    }
}
