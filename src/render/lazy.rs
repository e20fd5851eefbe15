//! A value the templates read field by field: a field is turned into a template value when
//! a template first reads it, not before. A report that reads two fields of the plan then
//! holds those two, not the whole plan again (at 5,000 services, the plan as template
//! values was the largest thing a compile held).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde::Serialize;
use serde::ser::{self, Impossible, SerializeStruct};

/// A struct whose fields are converted on first read, and kept for the render.
pub struct Lazy<T> {
    value: Arc<T>,
    read: Mutex<BTreeMap<&'static str, Value>>,
}

impl<T> Lazy<T> {
    pub fn new(value: Arc<T>) -> Self {
        Lazy {
            value,
            read: Mutex::default(),
        }
    }
}

impl<T> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<lazy struct>")
    }
}

impl<T: Serialize + Send + Sync + 'static> Object for Lazy<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = read.get(name) {
            return Some(value.clone());
        }
        let mut picker = Picker {
            wanted: Some(name),
            found: None,
            names: Vec::new(),
        };
        self.value.serialize(&mut picker).ok()?;
        let (field, value) = picker.found?;
        read.insert(field, value.clone());
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut picker = Picker {
            wanted: None,
            found: None,
            names: Vec::new(),
        };
        match self.value.serialize(&mut picker) {
            Ok(()) => Enumerator::Values(picker.names.into_iter().map(Value::from).collect()),
            Err(_) => Enumerator::Empty,
        }
    }
}

/// A serializer that reads one field of a struct (or only the names of its fields) and
/// skips the others without serializing them.
struct Picker<'a> {
    wanted: Option<&'a str>,
    found: Option<(&'static str, Value)>,
    names: Vec<&'static str>,
}

#[derive(Debug)]
struct NotAStruct;

impl fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a lazy value must be a struct")
    }
}

impl std::error::Error for NotAStruct {}

impl ser::Error for NotAStruct {
    fn custom<M: fmt::Display>(_: M) -> Self {
        NotAStruct
    }
}

impl SerializeStruct for &mut Picker<'_> {
    type Ok = ();
    type Error = NotAStruct;

    fn serialize_field<F: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &F,
    ) -> Result<(), NotAStruct> {
        self.names.push(key);
        if self.wanted == Some(key) {
            self.found = Some((key, Value::from(minijinja::value::Serde(value))));
        }
        Ok(())
    }

    fn end(self) -> Result<(), NotAStruct> {
        Ok(())
    }
}

/// Every other shape is refused: only a struct's fields are picked.
macro_rules! refuse {
    ($($name:ident($($arg:ty),*);)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<(), NotAStruct> { Err(NotAStruct) })*
    };
}

impl<'a, 'p> ser::Serializer for &'a mut Picker<'p> {
    type Ok = ();
    type Error = NotAStruct;
    type SerializeSeq = Impossible<(), NotAStruct>;
    type SerializeTuple = Impossible<(), NotAStruct>;
    type SerializeTupleStruct = Impossible<(), NotAStruct>;
    type SerializeTupleVariant = Impossible<(), NotAStruct>;
    type SerializeMap = Impossible<(), NotAStruct>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotAStruct>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NotAStruct> {
        Ok(self)
    }

    refuse! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<V: ?Sized + Serialize>(self, _: &V) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_newtype_struct<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &V,
    ) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_newtype_variant<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAStruct> {
        Err(NotAStruct)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAStruct> {
        Err(NotAStruct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        first_name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<u32>,
        list: Vec<u32>,
    }

    #[test]
    fn fields_read_as_the_whole_value_would_give_them() {
        let sample = Arc::new(Sample {
            first_name: "a`b".into(),
            absent: None,
            list: vec![1, 2],
        });
        let lazy = Value::from_object(Lazy::new(sample.clone()));
        let whole = Value::from(minijinja::value::Serde(&*sample));
        for key in ["firstName", "list", "absent", "nope"] {
            assert_eq!(
                lazy.get_attr(key).ok().filter(|v| !v.is_undefined()),
                whole.get_attr(key).ok().filter(|v| !v.is_undefined()),
                "{key}"
            );
        }
        let keys: Vec<String> = lazy.try_iter().unwrap().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["firstName", "list"]);
    }
}
