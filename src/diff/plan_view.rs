//! What a diff reads of `plan.json`: the phase ids (to see a renamed phase folder) and each
//! runbook's steps. The rest, most of a large plan, is skipped as it is parsed.
//!
//! A bundle's plan may come from another cutover version or be edited by hand, so every
//! part is read leniently, as an untyped reading would: a list that is no list reads as
//! empty, an item that is no object is skipped, a field of another kind counts as absent,
//! and of a duplicate key the last one counts. These are views of their own, not `Plan`'s
//! types (`Plan` only serializes).
//!
//! A runbook's steps stay JSON text with their digest: a large plan's steps run to megabytes,
//! and a diff parses them only where the two sides' digests differ. A side read while the
//! other is known keeps the text only of the runbooks that differ from it ([`KeepSteps`]).
//! So a runbook whose steps are malformed inside (a lone surrogate escape, nesting past the
//! parser's depth limit) reads as having no steps, and the rest of the plan is still read;
//! of two runbooks at one position, the last one counts whole.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

/// The phase ids and runbooks of a plan.
#[derive(Debug, Default)]
pub struct PlanView {
    /// Each phase's id, in order (`None`: the phase has no id of text).
    pub phases: Vec<Option<String>>,
    pub runbooks: Vec<RunbookView>,
}

#[derive(Debug)]
pub struct RunbookView {
    pub phase: Option<String>,
    /// SHA-256 of its steps and rollback steps as written.
    digest: [u8; 32],
    /// The steps and rollback steps as written, unless dropped as equal to the other side's.
    lists: Option<Lists>,
}

#[derive(Debug, Default)]
struct Lists {
    steps: Option<Box<RawValue>>,
    rollback: Option<Box<RawValue>>,
}

/// Which runbooks keep their steps' text.
#[derive(Clone, Debug)]
pub enum KeepSteps {
    /// Every runbook's (both sides are at hand).
    All,
    /// None: only the digests are wanted (the other side is not read yet).
    None,
    /// Those whose digest differs from the other side's runbook at the same position (all
    /// of them when the other side has no plan).
    DifferingFrom(Option<RunbookDigests>),
}

/// Each runbook's digest by position, as [`PlanView::by_position`] pairs them.
#[derive(Clone, Debug, Default)]
pub struct RunbookDigests(BTreeMap<String, [u8; 32]>);

impl KeepSteps {
    fn keeps(&self, phase: Option<&str>, digest: &[u8; 32]) -> bool {
        match self {
            KeepSteps::All | KeepSteps::DifferingFrom(None) => true,
            KeepSteps::None => false,
            KeepSteps::DifferingFrom(Some(other)) => {
                other.0.get(position_of(phase)) != Some(digest)
            }
        }
    }
}

impl PlanView {
    /// The view of a plan's bytes; `None` when they are not JSON.
    pub fn from_slice(bytes: &[u8], keep: KeepSteps) -> Option<PlanView> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let view = ViewSeed(keep).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(view)
    }

    /// [`PlanView::from_slice`] as the plan streams in: it is never held whole.
    pub fn from_reader(reader: impl Read, keep: KeepSteps) -> Option<PlanView> {
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let view = ViewSeed(keep).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(view)
    }

    pub fn runbook_digests(&self) -> RunbookDigests {
        RunbookDigests(
            self.by_position()
                .into_iter()
                .map(|(position, book)| (position.to_string(), book.digest))
                .collect(),
        )
    }

    /// The runbook at each position (`01` of `01-prepare`); of two at one position, the last.
    pub fn by_position(&self) -> BTreeMap<&str, &RunbookView> {
        self.runbooks
            .iter()
            .map(|book| (position_of(book.phase.as_deref()), book))
            .collect()
    }
}

impl RunbookView {
    /// Whether two runbooks have the same steps, as written.
    pub fn same_steps(&self, other: &RunbookView) -> bool {
        self.digest == other.digest
    }

    /// The steps and the rollback steps, as JSON (a list that is no list reads as empty).
    /// A runbook whose text was dropped has none: it was equal to the other side's, and
    /// [`RunbookView::same_steps`] tells so first.
    pub fn steps(&self) -> (Vec<Value>, Vec<Value>) {
        let list = |raw: &Option<Box<RawValue>>| match raw
            .as_ref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
        {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        match &self.lists {
            Some(lists) => (list(&lists.steps), list(&lists.rollback)),
            None => (Vec::new(), Vec::new()),
        }
    }
}

/// The number a phase id starts with: `12-frontends-25` → `12`; `?` for none.
pub fn position_of(phase: Option<&str>) -> &str {
    let phase = phase.unwrap_or("?");
    phase.split('-').next().unwrap_or(phase)
}

/// Anything but what a visitor reads reads as its default: the scalars here, a list or
/// an object in the visitor's own `visit_seq`/`visit_map`.
macro_rules! scalars_read_as_default {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A string, or `None` for a value of any other kind.
fn string_or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        _ => None,
    })
}

/// The whole plan: an object with `phases` and `runbooks`; anything else is an empty plan.
struct ViewSeed(KeepSteps);

impl<'de> DeserializeSeed<'de> for ViewSeed {
    type Value = PlanView;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<PlanView, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ViewSeed {
    type Value = PlanView;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plan")
    }

    scalars_read_as_default!();

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<PlanView, A::Error> {
        skip_seq(seq)?;
        Ok(PlanView::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PlanView, A::Error> {
        let mut view = PlanView::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "phases" => view.phases = map.next_value_seed(Items(phase_id))?,
                "runbooks" => {
                    let keep = &self.0;
                    let read = |object: ObjectDe<'_, 'de>| runbook(object, keep);
                    view.runbooks = map.next_value_seed(Items(read))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(view)
    }
}

/// A list whose items that are objects are read by `read` (`None` skips one); anything
/// that is no list reads as empty.
struct Items<F>(F);

impl<'de, T, F> DeserializeSeed<'de> for Items<F>
where
    F: FnMut(ObjectDe<'_, 'de>) -> Result<Option<T>, String>,
{
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F> Visitor<'de> for Items<F>
where
    F: FnMut(ObjectDe<'_, 'de>) -> Result<Option<T>, String>,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    scalars_read_as_default!();

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        skip_map(map)?;
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Item(&mut self.0))? {
            items.extend(item);
        }
        Ok(items)
    }
}

/// One item of [`Items`]: an object is handed to the reader; anything else is skipped.
struct Item<'f, F>(&'f mut F);

impl<'de, T, F> DeserializeSeed<'de> for Item<'_, F>
where
    F: FnMut(ObjectDe<'_, 'de>) -> Result<Option<T>, String>,
{
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F> Visitor<'de> for Item<'_, F>
where
    F: FnMut(ObjectDe<'_, 'de>) -> Result<Option<T>, String>,
{
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    scalars_read_as_default!();

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        skip_seq(seq)?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        (self.0)(ObjectDe(&mut map, std::marker::PhantomData)).map_err(de::Error::custom)
    }
}

/// The entries of one object, for an item reader: each key with a way to read its value.
struct ObjectDe<'m, 'de>(
    &'m mut dyn ErasedMap<'de>,
    std::marker::PhantomData<&'de ()>,
);

/// The two things an item reader does with an object's entries, without its access type.
trait ErasedMap<'de> {
    fn key(&mut self) -> Result<Option<String>, String>;
    fn string_or_none(&mut self) -> Result<Option<String>, String>;
    fn raw(&mut self) -> Result<Box<RawValue>, String>;
    fn skip(&mut self) -> Result<(), String>;
}

impl<'de, A: MapAccess<'de>> ErasedMap<'de> for A {
    fn key(&mut self) -> Result<Option<String>, String> {
        self.next_key::<String>().map_err(|e| e.to_string())
    }
    fn string_or_none(&mut self) -> Result<Option<String>, String> {
        self.next_value_seed(StringOrNone)
            .map_err(|e| e.to_string())
    }
    fn raw(&mut self) -> Result<Box<RawValue>, String> {
        self.next_value::<Box<RawValue>>()
            .map_err(|e| e.to_string())
    }
    fn skip(&mut self) -> Result<(), String> {
        self.next_value::<IgnoredAny>()
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

struct StringOrNone;

impl<'de> DeserializeSeed<'de> for StringOrNone {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        string_or_none(deserializer)
    }
}

/// A phase's id.
fn phase_id(object: ObjectDe) -> Result<Option<Option<String>>, String> {
    let mut id = None;
    while let Some(key) = object.0.key()? {
        if key == "id" {
            id = object.0.string_or_none()?;
        } else {
            object.0.skip()?;
        }
    }
    Ok(Some(id))
}

/// A runbook: its phase, the digest of its steps, and their text when `keep` keeps it.
fn runbook(object: ObjectDe, keep: &KeepSteps) -> Result<Option<RunbookView>, String> {
    let mut phase = None;
    let mut lists = Lists::default();
    while let Some(key) = object.0.key()? {
        match key.as_str() {
            "phase" => phase = object.0.string_or_none()?,
            "steps" => lists.steps = Some(object.0.raw()?),
            "rollback" => lists.rollback = Some(object.0.raw()?),
            _ => object.0.skip()?,
        }
    }
    let mut hasher = Sha256::new();
    for list in [&lists.steps, &lists.rollback] {
        let text = list.as_ref().map_or("", |raw| raw.get());
        // Length first: the two texts cannot run into each other.
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    let digest: [u8; 32] = hasher.finalize().into();
    let lists = keep.keeps(phase.as_deref(), &digest).then_some(lists);
    Ok(Some(RunbookView {
        phase,
        digest,
        lists,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(text: &str, keep: KeepSteps) -> PlanView {
        PlanView::from_slice(text.as_bytes(), keep).expect("JSON")
    }

    #[test]
    fn reads_leniently_and_the_last_key_counts() {
        let plan = view(
            r#"{"phases":[{"id":"01-a"},{"id":5},7,{},{"id":"03-c","id":"03-d"}],
                "other":{"a":[1,2]},
                "runbooks":[{"phase":"01-a","steps":[{"title":"one"},5],"rollback":{"a":1}},
                            7,[1],{"phase":3,"steps":[{"title":"t"}]}]}"#,
            KeepSteps::All,
        );
        assert_eq!(
            plan.phases,
            [Some("01-a".into()), None, None, Some("03-d".into())]
        );
        assert_eq!(plan.runbooks.len(), 2);
        let (steps, rollback) = plan.runbooks[0].steps();
        assert_eq!(steps.len(), 2);
        assert!(rollback.is_empty(), "an object is no list");
        assert_eq!(plan.runbooks[1].phase, None);
        for other in ["[1,2]", "7", "null", r#"{"phases":{"a":1},"runbooks":"x"}"#] {
            let plan = view(other, KeepSteps::All);
            assert!(
                plan.phases.is_empty() && plan.runbooks.is_empty(),
                "{other}"
            );
        }
        assert!(PlanView::from_slice(b"{\"phases\":[} ", KeepSteps::All).is_none());
        assert!(PlanView::from_slice(b"{} x", KeepSteps::All).is_none());
    }

    #[test]
    fn keeps_the_text_only_of_runbooks_that_differ() {
        let old = view(
            r#"{"runbooks":[{"phase":"01-a","steps":[1]},{"phase":"02-b","steps":[2]}]}"#,
            KeepSteps::None,
        );
        assert!(old.runbooks.iter().all(|r| r.lists.is_none()));
        // The same steps at the same position (a renamed phase keeps its position).
        let new = view(
            r#"{"runbooks":[{"phase":"01-x","steps":[1]},{"phase":"02-b","steps":[3]},
                            {"phase":"03-c","steps":[]}]}"#,
            KeepSteps::DifferingFrom(Some(old.runbook_digests())),
        );
        let kept: Vec<bool> = new.runbooks.iter().map(|r| r.lists.is_some()).collect();
        assert_eq!(kept, [false, true, true]);
        assert!(new.runbooks[0].same_steps(&old.runbooks[0]));
        assert!(!new.runbooks[1].same_steps(&old.runbooks[1]));
        let streamed = PlanView::from_reader(
            &br#"{"runbooks":[{"phase":"02-b","steps":[3]}]}"#[..],
            KeepSteps::DifferingFrom(None),
        )
        .unwrap();
        assert!(streamed.runbooks[0].same_steps(&new.runbooks[1]));
        assert_eq!(streamed.runbooks[0].steps().0, [Value::from(3)]);
    }
}
