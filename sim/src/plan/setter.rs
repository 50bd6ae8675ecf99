//! Setting fields of a parsed scenario by field path, without parsing its text again.
//!
//! Every field of the schema is settable, numeric or structured: the scenario is serialized
//! into a tree of values that keeps field and variant names ([`Node`]), the value text is put at
//! the path as it is written (`fleet[0].gpus`, `energy.tariff`, `pricing.policy.0`; the paths of
//! [`crate::scenario::ron_text`]), and the scenario is deserialized back from the tree. The value
//! text is read by the RON parser, with the scenario file's options, at the moment the schema
//! asks for the field's type: a value is read exactly as it would be written in the file.
//!
//! The setter answers `None` where it cannot set a value, or where the tree would not give back
//! the scenario it came from: callers then take the text route (splice the text and parse it),
//! whose messages name what is wrong.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

use crate::scenario::Scenario;

/// A value of the tree: a serialized scenario with names kept, and value texts set at paths.
#[derive(Clone, Debug)]
enum Node<'t> {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    Unit,
    None,
    Some(Box<Node<'t>>),
    UnitStruct,
    NewtypeStruct(Box<Node<'t>>),
    Seq(Vec<Node<'t>>),
    Map(Vec<(Node<'t>, Node<'t>)>),
    Struct(Vec<(String, Node<'t>)>),
    UnitVariant(&'static str),
    NewtypeVariant(&'static str, Box<Node<'t>>),
    TupleVariant(&'static str, Vec<Node<'t>>),
    StructVariant(&'static str, Vec<(String, Node<'t>)>),
    /// A value as written, read when the schema asks for its type.
    Text(&'t str),
}

#[derive(Debug)]
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error(msg.to_string())
    }
}

/// The scenario `base` with each `(path, value text)` of `settings` set in turn, or `None` where
/// a path does not lead to a field of the tree, a value is not accepted, or `source_text` (the
/// text `base` was parsed from) enables RON extensions of its own. The result is not validated.
pub fn set_fields(
    base: &Scenario,
    source_text: &str,
    settings: &[(String, String)],
) -> Option<Scenario> {
    Settable::new(base, source_text)?.set(settings)
}

/// A parsed scenario ready to have fields set, prepared once for all its variants.
pub(crate) struct Settable {
    tree: Node<'static>,
}

impl Settable {
    /// The tree of `base`, or `None` where it cannot be trusted to give back `base` with values
    /// set in it (see [`set_fields`]).
    pub(crate) fn new(base: &Scenario, source_text: &str) -> Option<Self> {
        if enables_extensions(source_text) {
            // Extensions enabled in the file would apply to its values too.
            return None;
        }
        let tree = base.serialize(TreeSerializer).ok()?;
        // A tree that does not give back the scenario cannot be trusted with a value set in it.
        let back = Scenario::deserialize(tree.clone()).ok()?;
        (format!("{back:?}") == format!("{base:?}")).then_some(Settable { tree })
    }

    /// The scenario with `settings` set in turn (see [`set_fields`]).
    pub(crate) fn set(&self, settings: &[(String, String)]) -> Option<Scenario> {
        let mut tree: Node<'_> = self.tree.clone();
        for (path, value) in settings {
            // Extensions enabled by a value would apply to it alone; in the file they are an error.
            if enables_extensions(value) {
                return None;
            }
            set_at(&mut tree, path, value)?;
        }
        Scenario::deserialize(tree).ok()
    }
}

/// Whether `text` may hold a RON attribute (`#![enable(...)]`): a `#` followed by a `!`.
fn enables_extensions(text: &str) -> bool {
    text.match_indices('#')
        .any(|(i, _)| text[i + 1..].trim_start().starts_with('!'))
}

/// Split a path into `(name, index)` segments as [`crate::scenario::ron_text`] does.
fn segments(path: &str) -> Option<Vec<(&str, Option<usize>)>> {
    path.split('.')
        .map(|seg| match seg.split_once('[') {
            None if !seg.is_empty() => Some((seg, None)),
            Some((name, rest)) => rest
                .strip_suffix(']')
                .and_then(|n| n.parse::<usize>().ok())
                .map(|i| (name, Some(i))),
            None => None,
        })
        .collect()
}

/// The value inside any `Some`.
fn unwrap_some<'n, 't>(mut node: &'n mut Node<'t>) -> &'n mut Node<'t> {
    while let Node::Some(inner) = node {
        node = inner;
    }
    node
}

fn set_at<'t>(root: &mut Node<'t>, path: &str, value: &'t str) -> Option<()> {
    let segs = segments(path)?;
    let mut current = root;
    for (n, (name, index)) in segs.iter().enumerate() {
        let last = n + 1 == segs.len() && index.is_none();
        let node = unwrap_some(current);
        // A segment that names the value's variant (`Hours` in `duration.Hours`, as messages
        // name such a value) leads into the variant: its one value, or its fields or positions.
        let names_variant = index.is_none()
            && matches!(node, Node::NewtypeVariant(v, _) | Node::TupleVariant(v, _)
                | Node::StructVariant(v, _) if v == name);
        if names_variant {
            let one = matches!(node, Node::TupleVariant(_, items) if items.len() == 1);
            current = match (one, node) {
                (_, Node::NewtypeVariant(_, inner)) => inner,
                (true, Node::TupleVariant(_, items)) => &mut items[0],
                (_, other) => other,
            };
            continue;
        }
        if let Ok(pos) = name.parse::<usize>() {
            // A position in a tuple or the value of a tuple-like variant.
            current = match node {
                Node::Seq(items) | Node::TupleVariant(_, items) => items.get_mut(pos)?,
                Node::NewtypeVariant(_, inner) | Node::NewtypeStruct(inner) if pos == 0 => inner,
                _ => return None,
            };
        } else {
            let fields = match node {
                Node::Struct(fields) | Node::StructVariant(_, fields) => fields,
                _ => return None,
            };
            let at = match fields.iter().position(|(k, _)| k == name) {
                Some(at) => at,
                // A field left out of the tree (an absent optional value) is added; whether the
                // schema has it is checked when the tree is read back.
                None if last => {
                    fields.push((name.to_string(), Node::Text(value)));
                    return Some(());
                }
                None => return None,
            };
            current = &mut fields[at].1;
            if let Some(i) = index {
                current = match unwrap_some(current) {
                    Node::Seq(items) => items.get_mut(*i)?,
                    _ => return None,
                };
            }
        }
    }
    *current = Node::Text(value);
    Some(())
}

/// Serializes any value into a [`Node`].
struct TreeSerializer;

/// A sequence, tuple, map or struct being serialized.
struct Collect {
    variant: Option<&'static str>,
    items: Vec<Node<'static>>,
    entries: Vec<(Node<'static>, Node<'static>)>,
    fields: Vec<(String, Node<'static>)>,
    key: Option<Node<'static>>,
}

impl Collect {
    fn new(variant: Option<&'static str>) -> Self {
        Collect {
            variant,
            items: Vec::new(),
            entries: Vec::new(),
            fields: Vec::new(),
            key: None,
        }
    }
}

impl ser::Serializer for TreeSerializer {
    type Ok = Node<'static>;
    type Error = Error;
    type SerializeSeq = Collect;
    type SerializeTuple = Collect;
    type SerializeTupleStruct = Collect;
    type SerializeTupleVariant = Collect;
    type SerializeMap = Collect;
    type SerializeStruct = Collect;
    type SerializeStructVariant = Collect;

    fn serialize_bool(self, v: bool) -> Result<Node<'static>, Error> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node<'static>, Error> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node<'static>, Error> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node<'static>, Error> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node<'static>, Error> {
        Ok(Node::I64(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Node<'static>, Error> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node<'static>, Error> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node<'static>, Error> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node<'static>, Error> {
        Ok(Node::U64(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Node<'static>, Error> {
        Ok(Node::F64(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Node<'static>, Error> {
        Ok(Node::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Node<'static>, Error> {
        Ok(Node::Char(v))
    }
    fn serialize_str(self, v: &str) -> Result<Node<'static>, Error> {
        Ok(Node::Str(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node<'static>, Error> {
        Ok(Node::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Node<'static>, Error> {
        Ok(Node::None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Node<'static>, Error> {
        Ok(Node::Some(Box::new(v.serialize(TreeSerializer)?)))
    }
    fn serialize_unit(self) -> Result<Node<'static>, Error> {
        Ok(Node::Unit)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Node<'static>, Error> {
        Ok(Node::UnitStruct)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Node<'static>, Error> {
        Ok(Node::UnitVariant(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Node<'static>, Error> {
        Ok(Node::NewtypeStruct(Box::new(v.serialize(TreeSerializer)?)))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Node<'static>, Error> {
        Ok(Node::NewtypeVariant(
            variant,
            Box::new(v.serialize(TreeSerializer)?),
        ))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Collect, Error> {
        Ok(Collect::new(None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Collect, Error> {
        Ok(Collect::new(None))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Collect, Error> {
        Ok(Collect::new(None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Collect, Error> {
        Ok(Collect::new(Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Collect, Error> {
        Ok(Collect::new(None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Collect, Error> {
        Ok(Collect::new(None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Collect, Error> {
        Ok(Collect::new(Some(variant)))
    }
}

impl ser::SerializeSeq for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.items.push(v.serialize(TreeSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Node<'static>, Error> {
        Ok(Node::Seq(self.items))
    }
}

impl ser::SerializeTuple for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node<'static>, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node<'static>, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node<'static>, Error> {
        Ok(Node::TupleVariant(self.variant.unwrap_or(""), self.items))
    }
}

impl ser::SerializeMap for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.key = Some(k.serialize(TreeSerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error("a map value without its key".into()))?;
        self.entries.push((key, v.serialize(TreeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node<'static>, Error> {
        Ok(Node::Map(self.entries))
    }
}

impl ser::SerializeStruct for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.fields
            .push((name.to_string(), v.serialize(TreeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node<'static>, Error> {
        Ok(Node::Struct(self.fields))
    }
}

impl ser::SerializeStructVariant for Collect {
    type Ok = Node<'static>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, name, v)
    }
    fn end(self) -> Result<Node<'static>, Error> {
        Ok(Node::StructVariant(self.variant.unwrap_or(""), self.fields))
    }
}

/// Read a value text with the scenario file's RON options, as the schema asks for it.
macro_rules! text_or {
    ($self:ident, $visitor:ident, $method:ident ( $($arg:expr),* ), $otherwise:expr) => {
        match $self {
            Node::Text(text) => {
                let mut d = ron::Deserializer::from_str_with_options(text, &crate::problems::ron_options())
                    .map_err(|e| Error(e.to_string()))?;
                let v = de::Deserializer::$method(&mut d, $($arg,)* $visitor)
                    .map_err(|e| Error(e.to_string()))?;
                d.end().map_err(|e| Error(e.to_string()))?;
                Ok(v)
            }
            node => $otherwise(node),
        }
    };
}

macro_rules! any {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, Error> {
            text_or!(self, visitor, $method(), |n: Node<'t>| n.any(visitor))
        })*
    };
}

impl<'t> Node<'t> {
    /// The node as the data model would describe it without a type to guide it (an enum value
    /// as a map of its variant name to its content, as self-describing formats do).
    fn any<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Bool(v) => visitor.visit_bool(v),
            Node::I64(v) => visitor.visit_i64(v),
            Node::U64(v) => visitor.visit_u64(v),
            Node::F64(v) => visitor.visit_f64(v),
            Node::Char(v) => visitor.visit_char(v),
            Node::Str(v) => visitor.visit_string(v),
            Node::Bytes(v) => visitor.visit_byte_buf(v),
            Node::Unit | Node::UnitStruct => visitor.visit_unit(),
            Node::None => visitor.visit_none(),
            Node::Some(v) => visitor.visit_some(*v),
            Node::NewtypeStruct(v) => visitor.visit_newtype_struct(*v),
            Node::Seq(items) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter()))
            }
            Node::Map(entries) => {
                visitor.visit_map(de::value::MapDeserializer::new(entries.into_iter()))
            }
            Node::Struct(fields) => visitor.visit_map(de::value::MapDeserializer::new(
                fields.into_iter().map(|(k, v)| (Node::Str(k), v)),
            )),
            Node::UnitVariant(name) => visitor.visit_str(name),
            Node::NewtypeVariant(name, v) => visitor.visit_map(de::value::MapDeserializer::new(
                std::iter::once((Node::Str(name.into()), *v)),
            )),
            Node::TupleVariant(name, items) => visitor.visit_map(de::value::MapDeserializer::new(
                std::iter::once((Node::Str(name.into()), Node::Seq(items))),
            )),
            Node::StructVariant(name, fields) => {
                visitor.visit_map(de::value::MapDeserializer::new(std::iter::once((
                    Node::Str(name.into()),
                    Node::Struct(fields),
                ))))
            }
            Node::Text(_) => Err(Error("a value text read without a type".into())),
        }
    }
}

impl<'t> IntoDeserializer<'t, Error> for Node<'t> {
    type Deserializer = Node<'t>;
    fn into_deserializer(self) -> Node<'t> {
        self
    }
}

impl<'t> de::Deserializer<'t> for Node<'t> {
    type Error = Error;

    any!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_option<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, Error> {
        text_or!(self, visitor, deserialize_option(), |n: Node<'t>| match n {
            Node::None => visitor.visit_none(),
            Node::Some(v) => visitor.visit_some(*v),
            other => visitor.visit_some(other),
        })
    }

    fn deserialize_unit_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        text_or!(self, visitor, deserialize_unit_struct(name), |n: Node<
            't,
        >| n
            .any(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        text_or!(
            self,
            visitor,
            deserialize_newtype_struct(name),
            |n: Node<'t>| match n {
                Node::NewtypeStruct(v) => visitor.visit_newtype_struct(*v),
                other => visitor.visit_newtype_struct(other),
            }
        )
    }

    fn deserialize_tuple<V: Visitor<'t>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        text_or!(self, visitor, deserialize_tuple(len), |n: Node<'t>| n
            .any(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        text_or!(
            self,
            visitor,
            deserialize_tuple_struct(name, len),
            |n: Node<'t>| n.any(visitor)
        )
    }

    fn deserialize_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        text_or!(
            self,
            visitor,
            deserialize_struct(name, fields),
            |n: Node<'t>| n.any(visitor)
        )
    }

    fn deserialize_enum<V: Visitor<'t>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        text_or!(
            self,
            visitor,
            deserialize_enum(name, variants),
            |n: Node<'t>| match n {
                Node::UnitVariant(v) => visitor.visit_enum(Variant(v, Node::Unit)),
                Node::NewtypeVariant(v, inner) => visitor.visit_enum(Variant(v, *inner)),
                Node::TupleVariant(v, items) => visitor.visit_enum(Variant(v, Node::Seq(items))),
                Node::StructVariant(v, fields) =>
                    visitor.visit_enum(Variant(v, Node::Struct(fields))),
                other => other.any(visitor),
            }
        )
    }
}

/// An enum value being read: its variant name and content.
struct Variant<'t>(&'static str, Node<'t>);

impl<'t> de::EnumAccess<'t> for Variant<'t> {
    type Error = Error;
    type Variant = Node<'t>;
    fn variant_seed<S: DeserializeSeed<'t>>(self, seed: S) -> Result<(S::Value, Node<'t>), Error> {
        let name = seed.deserialize(de::value::StrDeserializer::<Error>::new(self.0))?;
        Ok((name, self.1))
    }
}

impl<'t> de::VariantAccess<'t> for Node<'t> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self {
            Node::Unit => Ok(()),
            _ => Err(Error("not a unit variant".into())),
        }
    }
    fn newtype_variant_seed<S: DeserializeSeed<'t>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'t>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.any(visitor)
    }
    fn struct_variant<V: Visitor<'t>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.any(visitor)
    }
}
