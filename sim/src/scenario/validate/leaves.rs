//! Every number of a scenario with its field path, found by walking the scenario's `Serialize`
//! implementation: a field added to the schema is found without any list to update.

use std::fmt;

use serde::Serialize;
use serde::ser;

use crate::dist::Dist;

/// A number read from a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum LeafValue {
    /// A float (a plain `f64` field, or a parameter written as a number).
    Float(f64),
    /// An integer field.
    Int(i128),
    /// A parameter written as a distribution.
    Dist(Dist),
}

/// One number of a scenario and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberLeaf {
    /// Field path as validation reports it, e.g. `fleet[0].price_usd_per_gpu`,
    /// `demand.mix[1].duration.Hours` (a value inside an enum variant is named by the variant;
    /// the fields of a struct-like variant follow the field that holds it directly).
    pub path: String,
    /// Path as [`crate::scenario::ron_text`] finds it in scenario text (positional `.0` for the
    /// value of a variant).
    pub text_path: String,
    /// The value.
    pub value: LeafValue,
}

/// Every number in `value` (floats, integers and distributions), in serialization order.
pub fn number_leaves<T: Serialize + ?Sized>(value: &T) -> Vec<NumberLeaf> {
    let mut w = Walker::default();
    // The walker's serializer cannot fail.
    let _ = value.serialize(&mut w);
    w.out
}

#[derive(Debug)]
struct WalkError(String);

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WalkError {}

impl ser::Error for WalkError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        WalkError(msg.to_string())
    }
}

#[derive(Default)]
struct Walker {
    /// `(display segment, text segment)`, each with its leading `.` or `[`.
    stack: Vec<(String, String)>,
    out: Vec<NumberLeaf>,
}

impl Walker {
    fn path(&self, text: bool) -> String {
        let s: String = self
            .stack
            .iter()
            .map(|(d, t)| if text { t.as_str() } else { d.as_str() })
            .collect();
        s.strip_prefix('.').map(str::to_string).unwrap_or(s)
    }

    fn push(&mut self, value: LeafValue) {
        let (path, text_path) = (self.path(false), self.path(true));
        self.out.push(NumberLeaf {
            path,
            text_path,
            value,
        });
    }

    fn nested<T: Serialize + ?Sized>(
        &mut self,
        display: String,
        text: String,
        value: &T,
    ) -> Result<(), WalkError> {
        self.stack.push((display, text));
        let r = value.serialize(&mut *self);
        self.stack.pop();
        r
    }

    /// The floats inside a value (for the parameters of a distribution).
    fn floats<T: Serialize + ?Sized>(value: &T) -> Vec<f64> {
        number_leaves(value)
            .into_iter()
            .filter_map(|l| match l.value {
                LeafValue::Float(x) => Some(x),
                LeafValue::Int(i) => Some(i as f64),
                LeafValue::Dist(_) => None,
            })
            .collect()
    }
}

fn dist_from(variant: &str, v: &[f64]) -> Dist {
    let at = |i: usize| v.get(i).copied().unwrap_or(f64::NAN);
    match variant {
        "Fixed" => Dist::Fixed(at(0)),
        "Uniform" => Dist::Uniform(at(0), at(1)),
        "Triangular" => Dist::Triangular(at(0), at(1), at(2)),
        "Normal" => Dist::Normal(at(0), at(1)),
        "LogNormal" => Dist::LogNormal(at(0), at(1)),
        "Pert" => Dist::Pert(at(0), at(1), at(2)),
        "Exponential" => Dist::Exponential(at(0)),
        "Pareto" => Dist::Pareto(at(0), at(1)),
        _ => Dist::Discrete(
            v.chunks(2)
                .map(|c| (c[0], c.get(1).copied().unwrap_or(f64::NAN)))
                .collect(),
        ),
    }
}

/// Name serde gives the distribution enum.
const DIST: &str = "Dist";

/// A list, tuple, struct or variant being walked.
struct Compound<'a> {
    w: &'a mut Walker,
    index: usize,
    /// For a distribution written as a tuple variant: its name and the numbers so far.
    dist: Option<(&'static str, Vec<f64>)>,
    /// A list (`[i]`) rather than a tuple (`.i`).
    list: bool,
}

impl<'a> Compound<'a> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
        let i = self.index;
        self.index += 1;
        if let Some((_, nums)) = &mut self.dist {
            nums.extend(Walker::floats(value));
            return Ok(());
        }
        let seg = if self.list {
            format!("[{i}]")
        } else {
            format!(".{i}")
        };
        self.w.nested(seg.clone(), seg, value)
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        self.w.nested(format!(".{key}"), format!(".{key}"), value)
    }

    fn finish(self) -> Result<(), WalkError> {
        if let Some((variant, nums)) = self.dist {
            self.w.push(LeafValue::Dist(dist_from(variant, &nums)));
        }
        Ok(())
    }
}

/// The sequence-like serializers: every element is walked in order, then the sequence ends.
macro_rules! walk_elements {
    ($($trait:ident :: $method:ident),+) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = WalkError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
                self.element(value)
            }
            fn end(self) -> Result<(), WalkError> {
                self.finish()
            }
        }
    )+};
}

walk_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = WalkError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, _key: &T) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
        self.element(value)
    }
    fn end(self) -> Result<(), WalkError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = WalkError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), WalkError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = WalkError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), WalkError> {
        self.finish()
    }
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = WalkError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, _: bool) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), WalkError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), WalkError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), WalkError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), WalkError> {
        self.push(LeafValue::Int(v.into()));
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), WalkError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), WalkError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), WalkError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), WalkError> {
        self.push(LeafValue::Int(v.into()));
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), WalkError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), WalkError> {
        self.push(LeafValue::Float(v));
        Ok(())
    }
    fn serialize_char(self, _: char) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WalkError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        if name == DIST {
            let nums = Walker::floats(value);
            self.push(LeafValue::Dist(dist_from(variant, &nums)));
            return Ok(());
        }
        self.nested(format!(".{variant}"), ".0".into(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: true,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: false,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: false,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WalkError> {
        let dist = (name == DIST).then(|| (variant, Vec::new()));
        Ok(Compound {
            w: self,
            index: 0,
            dist,
            list: false,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: true,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: false,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WalkError> {
        Ok(Compound {
            w: self,
            index: 0,
            dist: None,
            list: false,
        })
    }
}
