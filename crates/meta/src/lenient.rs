//! Never-failing JSON field types shared by the webhook, Graph-error and polling parsers.
//! A wrong type in one field becomes a value the caller can name, not a serde error that loses the batch.
//!
//! serde_json aborts the whole document on the first type mismatch. One odd field in one change of a
//! 1000-change webhook must not cost the other 999, so every field we model is read through these
//! types: they accept any JSON value and remember what they saw. Containers we do not model are
//! skipped without allocating. The only errors left are the ones that make a body unusable: bad
//! syntax, truncation, and duplicate keys in a modelled object (rejected on purpose, because parsers
//! disagree on which duplicate wins).

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use thiserror::Error;

/// What went wrong while reading a body as JSON. Carries a position, never the offending text,
/// so it can be logged without leaking a comment.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} at line {line}, column {column}")]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum JsonErrorKind {
    #[error("JSON ends early")]
    Truncated,
    #[error("invalid JSON")]
    Syntax,
    /// Well-formed JSON that cannot be read as the expected document, e.g. a duplicate key.
    #[error("JSON does not fit the expected document")]
    Shape,
}

impl JsonError {
    pub(crate) fn from_serde(err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        // serde_json's own Display can quote input ("invalid type: string \"…\""), which may be a
        // patient's words. Keep only the category and the position.
        let kind = match err.classify() {
            Category::Eof => JsonErrorKind::Truncated,
            Category::Syntax => JsonErrorKind::Syntax,
            Category::Data | Category::Io => JsonErrorKind::Shape,
        };
        JsonError { kind, line: err.line(), column: err.column() }
    }
}

/// Checks UTF-8 up front: serde_json validates only the strings it decodes, not the ones it skips,
/// and a body that is partly binary is unusable however little of it we read.
pub(crate) fn utf8(body: &[u8]) -> Result<&str, std::str::Utf8Error> {
    std::str::from_utf8(body)
}

/// The JSON type of a value, named in reasons and notes instead of the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl JsonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        }
    }
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any JSON value: scalars kept, containers reduced to their kind.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    /// Every non-negative integer that fits a u64.
    UInt(u64),
    /// Negative integers only.
    Int(i64),
    /// Fractions, exponents, and integers too large for 64 bits (serde_json falls back to f64).
    Float(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl<'a> Scalar<'a> {
    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Scalar::Absent | Scalar::Null)
    }

    pub(crate) fn kind(&self) -> JsonKind {
        match self {
            Scalar::Absent | Scalar::Null => JsonKind::Null,
            Scalar::Bool(_) => JsonKind::Bool,
            Scalar::UInt(_) | Scalar::Int(_) | Scalar::Float(_) => JsonKind::Number,
            Scalar::Str(_) => JsonKind::String,
            Scalar::Array => JsonKind::Array,
            Scalar::Object => JsonKind::Object,
        }
    }

    /// A string field. Absent or null is `None`; any other type is an error naming the field.
    pub(crate) fn text(&self, field: &str) -> Result<Option<&str>, String> {
        match self {
            Scalar::Absent | Scalar::Null => Ok(None),
            Scalar::Str(s) => Ok(Some(s)),
            other => Err(wrong_type(field, "a string", other.kind())),
        }
    }

    /// A string field that must be there and non-empty, e.g. a comment id used as a dedupe key.
    /// Numbers are refused: a compound id like `123_456` is never a number, and a long numeric id
    /// may already have lost digits in a JavaScript encoder, which would break dedupe silently.
    pub(crate) fn required_text(&self, field: &str) -> Result<&str, String> {
        match self.text(field)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(format!("`{field}` is empty")),
            None => Err(format!("`{field}` is missing")),
        }
    }

    /// An object id (page, user, video, media): a string, or an unsigned integer as older Graph
    /// versions send `sender_id`. Empty strings count as absent.
    pub(crate) fn id(&self, field: &str) -> Result<Option<String>, String> {
        match self {
            Scalar::Absent | Scalar::Null => Ok(None),
            Scalar::Str(s) if s.is_empty() => Ok(None),
            Scalar::Str(s) => Ok(Some(s.clone().into_owned())),
            Scalar::UInt(n) => Ok(Some(n.to_string())),
            Scalar::Int(_) | Scalar::Float(_) => {
                Err(format!("`{field}` is a negative, fractional or out-of-range number"))
            }
            other => Err(wrong_type(field, "an id", other.kind())),
        }
    }

    /// A whole number that fits an i64 (unix seconds and the like).
    pub(crate) fn int(&self, field: &str) -> Result<Option<i64>, String> {
        match self {
            Scalar::Absent | Scalar::Null => Ok(None),
            Scalar::Int(n) => Ok(Some(*n)),
            Scalar::UInt(n) => {
                i64::try_from(*n).map(Some).map_err(|_| format!("`{field}` is a number out of range"))
            }
            Scalar::Float(_) => Err(format!("`{field}` is a fractional or out-of-range number")),
            other => Err(wrong_type(field, "a whole number", other.kind())),
        }
    }

    pub(crate) fn bool(&self, field: &str) -> Result<Option<bool>, String> {
        match self {
            Scalar::Absent | Scalar::Null => Ok(None),
            Scalar::Bool(b) => Ok(Some(*b)),
            other => Err(wrong_type(field, "a boolean", other.kind())),
        }
    }
}

pub(crate) fn wrong_type(field: &str, expected: &str, found: JsonKind) -> String {
    format!("`{field}` is {found}, expected {expected}")
}

/// Echoes a platform-chosen name (a field, item, verb or status) into a reason only when it looks
/// like an identifier, so a reason can never carry free text.
pub(crate) fn ident(value: &str) -> Cow<'_, str> {
    let looks_like_ident = !value.is_empty()
        && value.len() <= 40
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if looks_like_ident {
        Cow::Borrowed(value)
    } else {
        Cow::Borrowed("(unrecognised value)")
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Scalar::Int(v), Scalar::UInt))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Scalar::Object)
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A field that should hold an object of type `T`.
#[derive(Debug, Default)]
pub(crate) enum Object<T> {
    #[default]
    Absent,
    Null,
    Wrong(JsonKind),
    Present(T),
}

impl<T> Object<T> {
    /// `Ok(None)` when absent or null, an error naming the field when it is another type.
    pub(crate) fn optional(self, field: &str) -> Result<Option<T>, String> {
        match self {
            Object::Absent | Object::Null => Ok(None),
            Object::Wrong(kind) => Err(wrong_type(field, "an object", kind)),
            Object::Present(t) => Ok(Some(t)),
        }
    }

    pub(crate) fn required(self, field: &str) -> Result<T, String> {
        self.optional(field)?.ok_or_else(|| format!("`{field}` is missing"))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor::<Object<T>>::new())
    }
}

/// A field that should hold an array of `T`.
#[derive(Debug, Default)]
pub(crate) enum Array<T> {
    #[default]
    Absent,
    Null,
    Wrong(JsonKind),
    Present(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Array<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor::<Array<T>>::new())
    }
}

/// What `Object` and `Array` have in common: one expected container, and a record of anything else.
trait Shape<'de>: Sized {
    fn wrong(kind: JsonKind) -> Self;
    fn null() -> Self;
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        drain_map(map)?;
        Ok(Self::wrong(JsonKind::Object))
    }
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        drain_seq(seq)?;
        Ok(Self::wrong(JsonKind::Array))
    }
}

impl<'de, T: Deserialize<'de>> Shape<'de> for Object<T> {
    fn wrong(kind: JsonKind) -> Self {
        Object::Wrong(kind)
    }
    fn null() -> Self {
        Object::Null
    }
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object::Present)
    }
}

impl<'de, T: Deserialize<'de>> Shape<'de> for Array<T> {
    fn wrong(kind: JsonKind) -> Self {
        Array::Wrong(kind)
    }
    fn null() -> Self {
        Array::Null
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<T>()? {
            items.push(item);
        }
        Ok(Array::Present(items))
    }
}

struct ShapeVisitor<S>(std::marker::PhantomData<S>);

impl<S> ShapeVisitor<S> {
    fn new() -> Self {
        ShapeVisitor(std::marker::PhantomData)
    }
}

impl<'de, S: Shape<'de>> Visitor<'de> for ShapeVisitor<S> {
    type Value = S;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<S, E> {
        Ok(S::wrong(JsonKind::Bool))
    }
    fn visit_i64<E>(self, _: i64) -> Result<S, E> {
        Ok(S::wrong(JsonKind::Number))
    }
    fn visit_u64<E>(self, _: u64) -> Result<S, E> {
        Ok(S::wrong(JsonKind::Number))
    }
    fn visit_f64<E>(self, _: f64) -> Result<S, E> {
        Ok(S::wrong(JsonKind::Number))
    }
    fn visit_str<E>(self, _: &str) -> Result<S, E> {
        Ok(S::wrong(JsonKind::String))
    }
    fn visit_unit<E>(self) -> Result<S, E> {
        Ok(S::null())
    }
    fn visit_none<E>(self) -> Result<S, E> {
        Ok(S::null())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<S, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S, A::Error> {
        S::from_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S, A::Error> {
        S::from_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(borrow)]
        a: Scalar<'a>,
        #[serde(borrow)]
        o: Object<Inner<'a>>,
        #[serde(borrow)]
        l: Array<Scalar<'a>>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        id: Scalar<'a>,
    }

    fn probe(json: &str) -> Probe<'_> {
        match serde_json::from_str(json) {
            Ok(p) => p,
            Err(e) => panic!("probe failed: {e}"),
        }
    }

    #[test]
    fn every_json_type_is_accepted_and_remembered_in_a_scalar_field() {
        assert_eq!(probe(r#"{"a":true}"#).a, Scalar::Bool(true));
        assert_eq!(probe(r#"{"a":-3}"#).a, Scalar::Int(-3));
        assert_eq!(probe(r#"{"a":18446744073709551615}"#).a, Scalar::UInt(u64::MAX));
        assert_eq!(probe(r#"{"a":1e3}"#).a, Scalar::Float(1000.0));
        assert_eq!(probe(r#"{"a":"x"}"#).a, Scalar::Str(Cow::Borrowed("x")));
        assert_eq!(probe(r#"{"a":null}"#).a, Scalar::Null);
        assert_eq!(probe(r#"{"a":[1,{"b":[]}]}"#).a, Scalar::Array);
        assert_eq!(probe(r#"{"a":{"b":[1,2]}}"#).a, Scalar::Object);
        assert_eq!(probe(r#"{}"#).a, Scalar::Absent);
    }

    #[test]
    fn escaped_strings_are_decoded_and_plain_ones_borrowed() {
        let p = probe(r#"{"a":"caf\u00e9"}"#);
        assert!(matches!(p.a, Scalar::Str(Cow::Owned(ref s)) if s == "café"));
        let p = probe(r#"{"a":"plain"}"#);
        assert!(matches!(p.a, Scalar::Str(Cow::Borrowed("plain"))));
    }

    #[test]
    fn a_container_of_the_wrong_kind_is_recorded_not_fatal() {
        assert!(matches!(probe(r#"{"o":"x"}"#).o, Object::Wrong(JsonKind::String)));
        assert!(matches!(probe(r#"{"o":[1]}"#).o, Object::Wrong(JsonKind::Array)));
        assert!(matches!(probe(r#"{"o":null}"#).o, Object::Null));
        assert!(matches!(probe(r#"{"l":{"x":1}}"#).l, Array::Wrong(JsonKind::Object)));
        assert!(matches!(probe(r#"{"l":[1,"a"]}"#).l, Array::Present(ref v) if v.len() == 2));
    }

    #[test]
    fn duplicate_keys_in_a_modelled_object_reject_the_document() {
        let err = serde_json::from_str::<Probe<'_>>(r#"{"a":1,"a":2}"#).err();
        assert!(err.is_some());
    }

    #[test]
    fn ids_accept_strings_and_unsigned_integers_only() {
        assert_eq!(Scalar::UInt(1234567890321).id("x"), Ok(Some("1234567890321".to_owned())));
        assert_eq!(Scalar::Str("12".into()).id("x"), Ok(Some("12".to_owned())));
        assert_eq!(Scalar::Str("".into()).id("x"), Ok(None));
        assert!(Scalar::Float(1e30).id("x").is_err());
        assert!(Scalar::Int(-1).id("x").is_err());
        assert!(Scalar::Bool(true).id("x").is_err());
    }

    #[test]
    fn required_text_refuses_numbers_and_empty_strings() {
        assert!(Scalar::UInt(5).required_text("comment_id").is_err());
        assert!(Scalar::Str("".into()).required_text("comment_id").is_err());
        assert!(Scalar::Absent.required_text("comment_id").is_err());
        assert_eq!(Scalar::Str("1_2".into()).required_text("comment_id"), Ok("1_2"));
    }

    #[test]
    fn ident_hides_anything_that_is_not_an_identifier() {
        assert_eq!(ident("live_comments"), "live_comments");
        assert_eq!(ident("call me at 555 0100"), "(unrecognised value)");
        assert_eq!(ident(&"a".repeat(41)), "(unrecognised value)");
    }

    #[test]
    fn json_errors_carry_a_position_and_never_the_input() {
        let Err(err) = serde_json::from_str::<Probe<'_>>(r#"{"a":"secret words"#) else {
            panic!("truncated JSON parsed");
        };
        let e = JsonError::from_serde(&err);
        assert_eq!(e.kind, JsonErrorKind::Truncated);
        assert!(!e.to_string().contains("secret"));
    }
}
