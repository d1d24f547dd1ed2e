//! Reading YAML: parse errors put where they happened first (`file:line:column:`), with a
//! "did you mean" for a misspelt key. Every YAML file fauxauth reads goes through here.
//!
//! serde-saphyr parses (anchors, aliases, duplicate keys, its budget against hostile input) into
//! one tree, [`Node`], that keeps each node's place and each plain scalar's own text; the
//! typed value is then read from that tree by a deserializer of a few hundred lines here.
//! Reading every type straight from serde-saphyr's deserializer compiled its whole map and
//! option handling into each type read (650 KB of the image's binary for the configuration,
//! scenario and app file types); reading them from the tree costs each type only its visitor.
//! The tree reads scalars as serde-saphyr does: a plain scalar is whatever the field wants it
//! to be (`id: 12345` a string, `n: '3'` a number), its text exactly as written (`1.10` stays
//! `"1.10"` for a string).

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer as _, IntoDeserializer as _, Visitor};

/// Where a value starts in a file, its contents ignored: the field of a line index, a struct that
/// reads a file a second time only to learn on which line each checked part begins.
pub type Mark = serde_saphyr::Spanned<serde::de::IgnoredAny>;

/// Reads YAML `text` as a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let tree: serde_saphyr::Spanned<Raw> = serde_saphyr::from_str(text).map_err(Error::parse)?;
    let node = Node::from_raw(tree, text);
    T::deserialize(&node)
}

/// Why a text is not the value it should be: a message, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    /// Line and column, from 1.
    at: Option<(u64, u64)>,
}

impl Error {
    fn parse(e: serde_saphyr::Error) -> Self {
        let text = e.without_snippet().to_string();
        // The parser appends " at line L, column C"; the location is kept apart.
        let message = text
            .rfind(" at line ")
            .map_or(text.as_str(), |i| &text[..i]);
        Self {
            message: message.to_owned(),
            at: e.location().map(|l| (l.line(), l.column())),
        }
    }

    /// Puts the error at `node` unless a node inside it already took it.
    fn at(mut self, node: &Node) -> Self {
        self.at.get_or_insert((node.line, node.column));
        self
    }

    /// The line the error is on, if known.
    pub fn line(&self) -> Option<u64> {
        self.at.map(|(line, _)| line)
    }

    /// One line: `origin:line:column: message (did you mean ...?)`.
    pub fn describe(&self, origin: &str) -> String {
        let hint = suggestion(&self.message).unwrap_or_default();
        match self.at {
            Some((line, column)) => format!("{origin}:{line}:{column}: {}{hint}", self.message),
            None => format!("{origin}: {}{hint}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{} at line {line}, column {column}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self {
            message: message.to_string(),
            at: None,
        }
    }
}

/// "did you mean ...?" for serde's "unknown field `x`, expected one of `a`, `b`" messages (and
/// the same for unknown variants).
pub fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected ")?.1;
    expected
        .split(", ")
        .map(|c| c.trim_start_matches("one of ").trim_matches('`'))
        .map(|c| (strsim::jaro_winkler(unknown, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
}

/// A node as serde-saphyr gives it: typed scalars are read again from the text by their span.
#[derive(Debug)]
enum Raw {
    Null,
    Typed(Scalar),
    Str(String),
    Seq(Vec<serde_saphyr::Spanned<Raw>>),
    Map(Vec<(serde_saphyr::Spanned<Raw>, serde_saphyr::Spanned<Raw>)>),
}

/// What a plain scalar resolved to (YAML 1.2's core schema, as serde-saphyr resolves it).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scalar {
    Bool(bool),
    Int(i128),
    Float(f64),
}

impl<'de> de::Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;

        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Typed(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Typed(Scalar::Int(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Typed(Scalar::Int(v.into())))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(Raw::Typed(Scalar::Int(v)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
                i128::try_from(v)
                    .map(|v| Raw::Typed(Scalar::Int(v)))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Typed(Scalar::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Raw::Map(entries))
            }
        }

        deserializer.deserialize_any(RawVisitor)
    }
}

/// A YAML value with its place, and for a typed plain scalar its text as written.
#[derive(Debug)]
struct Node {
    kind: Kind,
    line: u64,
    column: u64,
}

#[derive(Debug)]
enum Kind {
    Null,
    /// A plain scalar that resolved to a boolean or a number, and its text.
    Typed(Scalar, String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn from_raw(raw: serde_saphyr::Spanned<Raw>, text: &str) -> Self {
        let serde_saphyr::Spanned {
            value,
            referenced,
            defined,
        } = raw;
        let kind = match value {
            Raw::Null => Kind::Null,
            Raw::Typed(scalar) => {
                // An alias's text is its anchor's.
                let span = defined.span();
                let written = span
                    .byte_offset()
                    .zip(span.byte_len())
                    .and_then(|(at, len)| text.get(at as usize..(at + len) as usize))
                    .map_or_else(|| scalar.to_string(), str::to_owned);
                Kind::Typed(scalar, written)
            }
            Raw::Str(s) => Kind::Str(s),
            Raw::Seq(items) => {
                Kind::Seq(items.into_iter().map(|i| Self::from_raw(i, text)).collect())
            }
            Raw::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Self::from_raw(k, text), Self::from_raw(v, text)))
                    .collect(),
            ),
        };
        Self {
            kind,
            line: referenced.line(),
            column: referenced.column(),
        }
    }

    /// What serde calls this node in "invalid type" messages.
    fn unexpected(&self) -> de::Unexpected<'_> {
        match &self.kind {
            Kind::Null => de::Unexpected::Unit,
            Kind::Typed(Scalar::Bool(b), _) => de::Unexpected::Bool(*b),
            Kind::Typed(Scalar::Int(i), _) => match i64::try_from(*i) {
                Ok(i) => de::Unexpected::Signed(i),
                Err(_) => de::Unexpected::Other("a large integer"),
            },
            Kind::Typed(Scalar::Float(f), _) => de::Unexpected::Float(*f),
            Kind::Str(s) => de::Unexpected::Str(s),
            Kind::Seq(_) => de::Unexpected::Seq,
            Kind::Map(_) => de::Unexpected::Map,
        }
    }

    fn invalid<'de, V: Visitor<'de>>(&self, visitor: &V) -> Error {
        <Error as de::Error>::invalid_type(self.unexpected(), visitor).at(self)
    }

    /// The scalar's text, for a field that wants a string: a plain scalar's as written.
    fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Typed(_, written) => Some(written),
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number a scalar stands for, for a field that wants a number (`'3'` is 3).
    fn number(&self) -> Option<Scalar> {
        match &self.kind {
            Kind::Typed(Scalar::Bool(_), _) => None,
            Kind::Typed(scalar, _) => Some(*scalar),
            Kind::Str(s) => {
                let s = s.trim();
                s.parse::<i128>()
                    .ok()
                    .map(Scalar::Int)
                    .or_else(|| s.parse::<f64>().ok().map(Scalar::Float))
            }
            _ => None,
        }
    }

    /// Visits a mapping's entries. An error the visitor raises between entries (a key it
    /// refuses once read) is put at the key it last read; one after the last (a field missing),
    /// at the mapping.
    fn visit_entries<'de, V: Visitor<'de>>(
        &'de self,
        entries: &'de [(Node, Node)],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let key = std::cell::Cell::new(None);
        visitor
            .visit_map(Entries {
                entries: entries.iter(),
                value: None,
                key: &key,
            })
            .map_err(|e| e.at(key.get().unwrap_or(self)))
    }

    fn visit_number<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value, Error> {
        match self.number() {
            Some(Scalar::Int(i)) => match (i64::try_from(i), u64::try_from(i)) {
                (Ok(i), _) => visitor.visit_i64(i),
                (_, Ok(u)) => visitor.visit_u64(u),
                _ => visitor.visit_i128(i),
            },
            Some(Scalar::Float(f)) => visitor.visit_f64(f),
            _ => Err(self.invalid(&visitor)),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
        }
    }
}

/// Numbers of every width, read as the scalar's number.
macro_rules! forward_numbers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.visit_number(visitor).map_err(|e| e.at(self))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Typed(Scalar::Bool(b), _) => visitor.visit_bool(*b),
            Kind::Typed(..) => self.visit_number(visitor),
            Kind::Str(s) => visitor.visit_str(s),
            Kind::Seq(items) => visitor.visit_seq(Items(items.iter())),
            Kind::Map(entries) => return self.visit_entries(entries, visitor),
        }
        .map_err(|e| e.at(self))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match &self.kind {
            Kind::Typed(Scalar::Bool(b), _) => Some(*b),
            Kind::Str(s) => s.trim().parse().ok(),
            _ => None,
        };
        match value {
            Some(b) => visitor.visit_bool::<Error>(b).map_err(|e| e.at(self)),
            None => Err(self.invalid(&visitor)),
        }
    }

    // Every number is read alike: the visitor takes what it can (`-1` is no u32).
    forward_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text() {
            Some(text) => visitor.visit_str::<Error>(text).map_err(|e| e.at(self)),
            None if matches!(self.kind, Kind::Null) => Err(de::Error::custom(
                "cannot deserialize null into string; use Option<String>",
            ))
            .map_err(|e: Error| e.at(self)),
            None => Err(self.invalid(&visitor)),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| e.at(self))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Null => visitor.visit_unit::<Error>().map_err(|e| e.at(self)),
            _ => Err(self.invalid(&visitor)),
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self).map_err(|e| e.at(self))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.kind {
            Kind::Seq(items) => visitor
                .visit_seq(Items(items.iter()))
                .map_err(|e| e.at(self)),
            _ => Err(self.invalid(&visitor)),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.kind {
            Kind::Map(entries) => self.visit_entries(entries, visitor),
            _ => Err(self.invalid(&visitor)),
        }
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.kind {
            // A unit variant by its name.
            Kind::Str(_) | Kind::Typed(..) => visitor.visit_enum(Variant {
                name: self,
                value: None,
            }),
            // Any variant as a map of one entry: `{ name: value }`.
            Kind::Map(entries) if entries.len() == 1 => visitor.visit_enum(Variant {
                name: &entries[0].0,
                value: Some(&entries[0].1),
            }),
            _ => Err(self.invalid(&visitor)),
        }
        .map_err(|e| e.at(self))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A sequence's items.
struct Items<'de>(std::slice::Iter<'de, Node>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(item).map_err(|e| e.at(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A mapping's entries.
struct Entries<'de, 'k> {
    entries: std::slice::Iter<'de, (Node, Node)>,
    value: Option<&'de Node>,
    /// The key last read; `None` once there are no more.
    key: &'k std::cell::Cell<Option<&'de Node>>,
}

impl<'de> de::MapAccess<'de> for Entries<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            self.key.set(None);
            return Ok(None);
        };
        self.key.set(Some(key));
        self.value = Some(value);
        seed.deserialize(key).map(Some).map_err(|e| e.at(key))
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .expect("serde asks for a value after its key");
        seed.deserialize(value).map_err(|e| e.at(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum's variant: its name, and its value for a variant that carries one.
struct Variant<'de> {
    name: &'de Node,
    value: Option<&'de Node>,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name = seed.deserialize(self.name).map_err(|e| e.at(self.name))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None => Ok(()),
            Some(value) => de::Deserialize::deserialize(value),
        }
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(value) => seed.deserialize(value),
            // `- drop_connection` for a variant that takes a value: as if given null.
            None => seed.deserialize(().into_deserializer()),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_seq(visitor),
            None => Err(self.name.invalid(&visitor)),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_map(visitor),
            None => Err(self.name.invalid(&visitor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let m = "unknown field `endpiont`, expected one of `endpoint`, `method`";
        assert_eq!(
            suggestion(m).as_deref(),
            Some(" (did you mean `endpoint`?)")
        );
        let m = "unknown variant `drop_conection`, expected one of `error`, `drop_connection`";
        assert_eq!(
            suggestion(m).as_deref(),
            Some(" (did you mean `drop_connection`?)")
        );
        assert_eq!(suggestion("unknown field `zzz`, expected `endpoint`"), None);
        assert_eq!(suggestion("invalid type"), None);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        id: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        on: Option<bool>,
        #[serde(default)]
        names: Vec<String>,
        #[serde(default)]
        then: Vec<Step>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Step {
        Drop,
        Delay(String),
        Error { code: u16 },
    }

    #[test]
    fn plain_scalars_are_what_the_field_wants_as_written() {
        let sample: Sample = from_str(
            "id: 0123\nversion: 1.10\ncount: '3'\non: 'true'\nnames: [1, true, 2.50, x]\n",
        )
        .unwrap();
        assert_eq!(sample.id, "0123");
        assert_eq!(sample.version.as_deref(), Some("1.10"));
        assert_eq!(sample.count, Some(3));
        assert_eq!(sample.on, Some(true));
        assert_eq!(sample.names, ["1", "true", "2.50", "x"]);
        // Aliases read their anchor's text; quoted and block scalars their contents.
        let sample: Sample =
            from_str("id: &a 007\nversion: *a\nnames:\n  - 'a: b'\n  - \"c\\td\"\n  - |\n    e\n")
                .unwrap();
        assert_eq!(sample.version.as_deref(), Some("007"));
        assert_eq!(sample.names, ["a: b", "c\td", "e\n"]);
    }

    #[test]
    fn enums_are_a_name_or_a_map_of_one_entry() {
        let sample: Sample =
            from_str("id: x\nthen: [drop, {delay: 2s}, {error: {code: 502}}]\n").unwrap();
        assert_eq!(
            sample.then,
            [
                Step::Drop,
                Step::Delay("2s".into()),
                Step::Error { code: 502 }
            ]
        );
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = |text: &str| from_str::<Sample>(text).unwrap_err().describe("f.yaml");
        assert_eq!(
            e("id: x\nnmaes: []\n"),
            "f.yaml:2:1: unknown field `nmaes`, expected one of `id`, `version`, `count`, `on`, \
             `names`, `then` (did you mean `names`?)"
        );
        assert_eq!(
            e("id: x\ncount: -1\n"),
            "f.yaml:2:8: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            e("id: x\nnames:\n  - a\n  - [b]\n"),
            "f.yaml:4:5: invalid type: sequence, expected a string"
        );
        assert_eq!(
            e("id:\n"),
            "f.yaml:1:3: cannot deserialize null into string; use Option<String>"
        );
        assert_eq!(e("version: x\n"), "f.yaml:1:1: missing field `id`");
        assert_eq!(
            e("id: x\nthen: [{wait: 1}]\n"),
            "f.yaml:2:9: unknown variant `wait`, expected one of `drop`, `delay`, `error`"
        );
        assert!(e("id: x\nid: y\n").starts_with("f.yaml:2:1: duplicate mapping key: id"));
        assert!(e("id: [x\n").starts_with("f.yaml:"));
    }
}
