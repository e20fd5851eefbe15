//! `cutover diff` and `cutover verify`: compare two bundles (or what two specs compile to)
//! object by object, DNS change by DNS change and runbook step by runbook step, so that a
//! pull request shows what a spec change does to the migration.
//!
//! Objects are matched by phase position, kind, namespace and name rather than by file path,
//! so a step whose weight changes (and whose folder is renamed with it) reads as the objects
//! that changed, not as a folder removed and another added.

mod plan_view;
mod sides;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::io::{self, Read as _};
use std::sync::{Mutex, PoisonError};

use crate::bundle::{self, Files};
use crate::regular::{self, Links};
use crate::render::{Digest, FileSink, Sink};
use crate::{Failure, Options};
use plan_view::{PlanView, RunbookView, position_of};
pub use sides::{Differing, load_sides, reads_bytes};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    fn sign(self) -> &'static str {
        match self {
            Status::Added => "+",
            Status::Removed => "-",
            Status::Changed => "~",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// One changed item: an object, a DNS change or a runbook step.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub status: Status,
    /// What it is: `Ingress piggymetrics/gateway-canary`, `DNS 06-entry change 1`.
    pub item: String,
    /// Where it is in the new bundle (or the old one, when removed).
    pub location: String,
    /// Where it was, when the location changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    pub fields: Vec<FieldChange>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// Phases whose folder name changed (`12-frontends-25` → `12-frontends-30`).
    pub renamed_phases: Vec<(String, String)>,
    pub objects: Vec<Change>,
    pub dns: Vec<Change>,
    pub runbook_steps: Vec<Change>,
    /// Every file that differs, by path (`+` added, `-` removed, `~` changed).
    pub files: Vec<(Status, String)>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// What `cutover verify` found: how many files the spec compiles to, and those of the
/// bundle that differ from them.
pub struct Verdict {
    pub files: usize,
    pub stale: Vec<(Status, String)>,
}

/// Compiles `spec` against the bundle in `dir`: each file is compared with the one on disk
/// as it is rendered, and nothing is held but the names of the files that differ. With
/// `first_only`, the compile stops at the first difference (only the exit code is wanted).
pub fn verify(
    spec: &Path,
    dir: &Path,
    options: &Options,
    first_only: bool,
) -> Result<Verdict, Failure> {
    // The spec's errors come first (as when the bundle is missing too); then the listing,
    // which refuses a link, FIFO or device anywhere in the bundle before any file in it is
    // opened. It is not kept through the compile (100,000 paths at 5,000 services): the
    // folder is listed again at the end for the files the spec does not make.
    let checked = crate::check_file(spec, options)?;
    if crate::diagnostic::has_errors(&checked.diagnostics) {
        return Err(Failure::Spec(checked.diagnostics));
    }
    let listed = |dir| bundle::list_files(dir).map_err(|e| Failure::Io(e.to_string()));
    drop(listed(dir)?);
    let against = Against {
        root: dir,
        first_only,
        stale: Mutex::default(),
    };
    let streamed = crate::compile_checked_to(checked, options, &against)?;
    let mut stale = against
        .stale
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // Under first_only, one difference is the answer: the folder is not listed for more.
    if !first_only || stale.is_empty() {
        stale.extend(
            listed(dir)?
                .into_iter()
                .filter(|path| !streamed.digests.contains_key(path))
                .map(|path| (Status::Added, path)),
        );
    }
    stale.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Verdict {
        files: streamed.digests.len(),
        stale,
    })
}

/// The bundle on disk as a [`Sink`]: each rendered file is compared with the file at its
/// path as it is written.
struct Against<'a> {
    root: &'a Path,
    first_only: bool,
    stale: Mutex<Vec<(Status, String)>>,
}

impl Against<'_> {
    fn record(&self, status: Status, path: &str) {
        let mut stale = crate::render::lock(&self.stale);
        stale.push((status, path.to_string()));
    }
}

impl Sink for Against<'_> {
    fn open(&self, path: &str) -> io::Result<Box<dyn FileSink + '_>> {
        let full = self.root.join(path);
        let file = match regular::open(&full, Links::Refuse) {
            Ok((file, _)) => file,
            Err(error) => {
                // The listing before the compile proved the bundle holds files and folders
                // only: nothing there (or a file where a folder should be), or a folder
                // where the file should be, is a missing file.
                let missing = std::fs::symlink_metadata(&full).map_or(true, |meta| meta.is_dir());
                if !missing {
                    return Err(error);
                }
                self.record(Status::Removed, path);
                return Ok(Box::new(Compared::new(self, path, None)));
            }
        };
        Ok(Box::new(Compared::new(self, path, Some(file))))
    }

    fn done(&self) -> bool {
        self.first_only && !crate::render::lock(&self.stale).is_empty()
    }
}

/// One rendered file, compared byte for byte with the file on disk as it is written.
struct Compared<'a> {
    against: &'a Against<'a>,
    path: String,
    /// None: the bundle lacks the file (already recorded).
    on_disk: Option<io::BufReader<std::fs::File>>,
    same: bool,
    chunk: Vec<u8>,
}

impl<'a> Compared<'a> {
    /// A file to compare with the one on disk, or none when the bundle lacks it.
    fn new(against: &'a Against<'a>, path: &str, on_disk: Option<std::fs::File>) -> Self {
        Compared {
            against,
            path: path.to_string(),
            same: on_disk.is_some(),
            on_disk: on_disk.map(|file| io::BufReader::with_capacity(64 * 1024, file)),
            chunk: Vec::new(),
        }
    }
}

impl io::Write for Compared<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let (true, Some(on_disk)) = (self.same, self.on_disk.as_mut()) {
            self.chunk.resize(buf.len(), 0);
            match on_disk.read_exact(&mut self.chunk) {
                Ok(()) => self.same = self.chunk == buf,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => self.same = false,
                Err(e) => return Err(e),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FileSink for Compared<'_> {
    fn finish(mut self: Box<Self>, _digest: &Digest) -> io::Result<()> {
        let Some(mut on_disk) = self.on_disk.take() else {
            return Ok(());
        };
        // Equal so far: the file on disk must end here too.
        if self.same && on_disk.read(&mut [0])? != 0 {
            self.same = false;
        }
        if !self.same {
            self.against.record(Status::Changed, &self.path);
        }
        Ok(())
    }
}

/// The diff of two whole bundles (tests, and tools that hold both).
pub fn diff(old: &Files, new: &Files) -> Diff {
    compare_sides(&Differing::between(old, new), &Differing::between(new, old))
}

/// The diff of two sides as [`load_sides`] keeps them: each side's files that differ from
/// the other's.
pub fn compare_sides(old: &Differing, new: &Differing) -> Diff {
    let renamed = phase_renames(old.plan.as_ref(), new.plan.as_ref());
    // A renamed phase folder is reported once; inside the items, the old names are read as
    // the new ones so that only real changes show.
    let rename = |mut items: BTreeMap<String, Item>| {
        if !renamed.is_empty() {
            for item in items.values_mut() {
                rename_in(&mut item.value, &renamed);
            }
        }
        items
    };
    Diff {
        files: file_differences(old, new),
        objects: compare(&rename(objects(old)), &objects(new)),
        dns: compare(&rename(dns_changes(old)), &dns_changes(new)),
        runbook_steps: runbook_changes(old.plan.as_ref(), new.plan.as_ref(), &rename),
        renamed_phases: renamed,
    }
}

/// What a diff reads of `dns/changes.json`: each phase's changes, compared as JSON.
#[derive(Default, Deserialize)]
struct DnsChangesView {
    #[serde(default, deserialize_with = "object_items")]
    phases: Vec<DnsPhaseView>,
}

#[derive(Deserialize)]
struct DnsPhaseView {
    #[serde(default, deserialize_with = "string_or_none")]
    phase: Option<String>,
    #[serde(default, deserialize_with = "list_or_empty")]
    changes: Vec<Value>,
    #[serde(default, deserialize_with = "list_or_empty")]
    rollback: Vec<Value>,
}

/// A view of a JSON tree that is an object; any other tree has nothing to read.
fn from_object<T: serde::de::DeserializeOwned + Default>(value: Value) -> Option<T> {
    if !value.is_object() {
        return Some(T::default());
    }
    T::deserialize(value).ok()
}

/// A list of anything; a value that is no list reads as empty.
fn list_or_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items,
        _ => Vec::new(),
    })
}

/// The items of a list that are objects, as `T` (whose fields all read leniently).
fn object_items<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(list_or_empty(deserializer)?
        .into_iter()
        .filter(Value::is_object)
        .filter_map(|item| T::deserialize(item).ok())
        .collect())
}

/// A string, or `None` for a value of any other kind.
fn string_or_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        _ => None,
    })
}

/// Phase ids by position in each plan: the pairs that differ.
fn phase_renames(old: Option<&PlanView>, new: Option<&PlanView>) -> Vec<(String, String)> {
    let ids = |plan: Option<&PlanView>| -> Vec<String> {
        plan.map(|plan| plan.phases.iter().flatten().cloned().collect())
            .unwrap_or_default()
    };
    ids(old)
        .into_iter()
        .zip(ids(new))
        .filter(|(a, b)| a != b && position(a) == position(b))
        .collect()
}

/// Replaces every whole phase id in the strings of `value` (`manifests/12-frontends-25` →
/// `manifests/12-frontends-30`).
fn rename_in(value: &mut Value, renamed: &[(String, String)]) {
    match value {
        Value::String(text) => {
            for (old, new) in renamed {
                if text.contains(old.as_str()) {
                    *text = text.replace(&format!("{old}/"), &format!("{new}/"));
                    if text.ends_with(old.as_str()) {
                        let cut = text.len() - old.len();
                        text.replace_range(cut.., new);
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_in(v, renamed)),
        Value::Object(map) => map.values_mut().for_each(|v| rename_in(v, renamed)),
        _ => {}
    }
}

/// An item to compare: its identity key, how to name it, where it is, and its content.
struct Item {
    name: String,
    location: String,
    value: Value,
}

fn compare(old: &BTreeMap<String, Item>, new: &BTreeMap<String, Item>) -> Vec<Change> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changes = Vec::new();
    for key in keys {
        match (old.get(key), new.get(key)) {
            // Equal values have no field changes: skip flattening them.
            (Some(a), Some(b)) if a.value == b.value && a.location == b.location => {}
            (Some(a), Some(b)) => {
                let fields = field_changes(&a.value, &b.value);
                if !fields.is_empty() {
                    changes.push(Change {
                        status: Status::Changed,
                        item: b.name.clone(),
                        location: b.location.clone(),
                        was: (a.location != b.location).then(|| a.location.clone()),
                        fields,
                    });
                }
            }
            (None, Some(b)) => changes.push(Change {
                status: Status::Added,
                item: b.name.clone(),
                location: b.location.clone(),
                was: None,
                fields: Vec::new(),
            }),
            (Some(a), None) => changes.push(Change {
                status: Status::Removed,
                item: a.name.clone(),
                location: a.location.clone(),
                was: None,
                fields: Vec::new(),
            }),
            (None, None) => {}
        }
    }
    changes
}

/// The number a phase folder starts with: `12-frontends-25` → `12`.
fn position(folder: &str) -> &str {
    folder.split('-').next().unwrap_or(folder)
}

fn parse_yaml(bytes: &[u8]) -> Option<Value> {
    // Our own loader reads what our emitter writes, as the same JSON-like data.
    let text = std::str::from_utf8(bytes).ok()?;
    crate::load::parse_yaml_value(text)
}

fn objects(side: &Differing) -> BTreeMap<String, Item> {
    let mut items = BTreeMap::new();
    for (path, content) in &side.files {
        let Some(content) = content else {
            continue;
        };
        let Some(rest) = path.strip_prefix("manifests/") else {
            continue;
        };
        // A copied config file is data for the generator, not an object (its change still
        // shows among the files).
        if crate::render::manifests::is_config_file(path) {
            continue;
        }
        let Some((folder, file)) = rest.rsplit_once('/') else {
            continue;
        };
        if file == "kustomization.yaml" {
            continue;
        }
        let Some(value) = parse_yaml(content) else {
            continue;
        };
        let kind = value["kind"].as_str().unwrap_or("?").to_string();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        let namespace = value["metadata"]["namespace"].as_str().map(str::to_string);
        let (role, phase) = match folder.strip_prefix("rollback/") {
            Some(phase) => ("rollback", phase),
            None => ("forward", folder),
        };
        let qualified = match &namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name.clone(),
        };
        let key = format!("{}/{role}/{kind}/{qualified}", position(phase));
        items.insert(
            key,
            Item {
                name: format!("{kind} {qualified}"),
                location: format!("manifests/{folder}"),
                value,
            },
        );
    }
    items
}

fn dns_changes(side: &Differing) -> BTreeMap<String, Item> {
    let mut items = BTreeMap::new();
    let Some(view) = side
        .files
        .get("dns/changes.json")
        .and_then(Option::as_ref)
        .and_then(|b| serde_json::from_slice(b).ok())
        .and_then(from_object::<DnsChangesView>)
    else {
        return items;
    };
    for group in view.phases {
        let phase = group.phase.as_deref().unwrap_or("?");
        for (list, changes) in [("changes", group.changes), ("rollback", group.rollback)] {
            for (i, change) in changes.into_iter().enumerate() {
                let label = if list == "changes" {
                    "change"
                } else {
                    "rollback change"
                };
                // A change stays JSON (it is compared field by field); its label reads
                // three of its fields.
                items.insert(
                    format!("{}/{list}/{i:04}", position(phase)),
                    Item {
                        name: format!(
                            "DNS {label} {}: {} {} {}",
                            i + 1,
                            change["kind"].as_str().unwrap_or("?"),
                            change["fqdn"].as_str().unwrap_or("?"),
                            change["value"].as_str().unwrap_or("")
                        ),
                        location: format!("dns/changes.json phase {phase}"),
                        value: change,
                    },
                );
            }
        }
    }
    items
}

/// The steps that changed, runbook by runbook (matched by position): a runbook whose steps
/// are the same text on both sides is not parsed.
fn runbook_changes(
    old: Option<&PlanView>,
    new: Option<&PlanView>,
    rename: &dyn Fn(BTreeMap<String, Item>) -> BTreeMap<String, Item>,
) -> Vec<Change> {
    let (old, new) = (
        old.map(PlanView::by_position).unwrap_or_default(),
        new.map(PlanView::by_position).unwrap_or_default(),
    );
    let positions: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut changes = Vec::new();
    for position in positions {
        let (a, b) = (old.get(position).copied(), new.get(position).copied());
        if let (Some(a), Some(b)) = (a, b)
            && a.same_steps(b)
        {
            continue;
        }
        changes.extend(compare(&rename(runbook_steps(a)), &runbook_steps(b)));
    }
    changes
}

fn runbook_steps(book: Option<&RunbookView>) -> BTreeMap<String, Item> {
    let mut items = BTreeMap::new();
    let Some(book) = book else {
        return items;
    };
    let phase = book.phase.as_deref().unwrap_or("?");
    let (steps, rollback) = book.steps();
    for (list, steps) in [("steps", steps), ("rollback", rollback)] {
        for (i, step) in steps.into_iter().enumerate() {
            let label = if list == "steps" {
                format!("{}", i + 1)
            } else {
                format!("R{}", i + 1)
            };
            items.insert(
                format!("{}/{list}/{i:04}", position_of(Some(phase))),
                Item {
                    name: format!("step {label}: {}", step["title"].as_str().unwrap_or("?")),
                    location: format!("runbooks/{phase}.md"),
                    value: step,
                },
            );
        }
    }
    items
}

/// Every leaf that differs, by path (`spec.rules[0].host`,
/// `metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]`).
fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(old, String::new(), &mut a);
    flatten(new, String::new(), &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldChange {
            path: k.clone(),
            old: a.get(k).cloned(),
            new: b.get(k).cloned(),
        })
        .collect()
}

fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let plain = key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                let child = match (path.is_empty(), plain) {
                    (true, true) => key.clone(),
                    (false, true) => format!("{path}.{key}"),
                    (_, false) => {
                        format!("{path}[{}]", serde_json::to_string(key).unwrap_or_default())
                    }
                };
                flatten(inner, child, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                flatten(inner, format!("{path}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(path, leaf.clone());
        }
    }
}

fn show(value: &Option<Value>) -> String {
    match value {
        None => "(none)".into(),
        Some(Value::String(s)) => serde_json::to_string(s).unwrap_or_default(),
        Some(other) => other.to_string(),
    }
}

fn counts(changes: &[Change]) -> String {
    let count = |s: Status| changes.iter().filter(|c| c.status == s).count();
    format!(
        "{} changed, {} added, {} removed",
        count(Status::Changed),
        count(Status::Added),
        count(Status::Removed)
    )
}

/// The summary line: what differs, by kind.
pub fn summary(diff: &Diff) -> String {
    if diff.is_empty() {
        return "no differences".into();
    }
    format!(
        "objects: {}; DNS changes: {}; runbook steps: {}; files: {}",
        counts(&diff.objects),
        counts(&diff.dns),
        counts(&diff.runbook_steps),
        diff.files.len()
    )
}

pub fn render_text(diff: &Diff, brief: bool) -> String {
    let mut out = format!("cutover diff: {}\n", summary(diff));
    if !diff.renamed_phases.is_empty() {
        out.push_str("\nPhases renamed\n");
        for (old, new) in &diff.renamed_phases {
            out.push_str(&format!("~ {old} -> {new}\n"));
        }
    }
    for (title, changes) in [
        ("Objects", &diff.objects),
        ("DNS changes", &diff.dns),
        ("Runbook steps", &diff.runbook_steps),
    ] {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        for change in changes {
            let was = change
                .was
                .as_ref()
                .map(|w| format!(", was {w}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{} {}  ({}{was})\n",
                change.status.sign(),
                change.item,
                change.location
            ));
            if !brief {
                for field in &change.fields {
                    out.push_str(&format!(
                        "    {}: {} -> {}\n",
                        field.path,
                        show(&field.old),
                        show(&field.new)
                    ));
                }
            }
        }
    }
    if !diff.files.is_empty() && !brief {
        out.push_str("\nFiles\n");
        for (status, path) in &diff.files {
            out.push_str(&format!("{} {path}\n", status.sign()));
        }
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a pull-request comment: a summary table, then the details folded.
pub fn render_markdown(diff: &Diff, brief: bool) -> String {
    let mut out = String::from("## cutover diff\n\n");
    if diff.is_empty() {
        out.push_str("No differences: the bundle is unchanged.\n");
        return out;
    }
    let count = |changes: &[Change], s: Status| changes.iter().filter(|c| c.status == s).count();
    out.push_str("| | Changed | Added | Removed |\n| --- | ---: | ---: | ---: |\n");
    for (title, changes) in [
        ("Kubernetes objects", &diff.objects),
        ("DNS changes", &diff.dns),
        ("Runbook steps", &diff.runbook_steps),
    ] {
        out.push_str(&format!(
            "| {title} | {} | {} | {} |\n",
            count(changes, Status::Changed),
            count(changes, Status::Added),
            count(changes, Status::Removed)
        ));
    }
    out.push_str(&format!("\n{} files differ.\n", diff.files.len()));
    for (old, new) in &diff.renamed_phases {
        out.push_str(&format!("\nPhase `{old}` is now `{new}`.\n"));
    }
    for (title, changes) in [
        ("Kubernetes objects", &diff.objects),
        ("DNS changes", &diff.dns),
        ("Runbook steps", &diff.runbook_steps),
    ] {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {title}\n\n"));
        for change in changes {
            let was = change
                .was
                .as_ref()
                .map(|w| format!(", was `{w}`"))
                .unwrap_or_default();
            out.push_str(&format!(
                "- `{}` {} (`{}`{was})\n",
                change.status.sign(),
                md_cell(&change.item),
                change.location
            ));
            if !brief && !change.fields.is_empty() {
                out.push_str("\n  | Field | Old | New |\n  | --- | --- | --- |\n");
                for field in &change.fields {
                    out.push_str(&format!(
                        "  | `{}` | `{}` | `{}` |\n",
                        md_cell(&field.path),
                        md_cell(&show(&field.old)),
                        md_cell(&show(&field.new))
                    ));
                }
                out.push('\n');
            }
        }
    }
    if !brief {
        out.push_str("\n<details><summary>Files</summary>\n\n");
        for (status, path) in &diff.files {
            out.push_str(&format!("- `{}` {path}\n", status.sign()));
        }
        out.push_str("\n</details>\n");
    }
    // One blank line between blocks, whatever the sections above left.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// Every file that differs between two bundles: for `cutover verify`, what a committed
/// bundle lacks (`-`), has in excess (`+`) or has different (`~`) from the spec's.
pub fn diff_files(expected: &Files, actual: &Files) -> Vec<(Status, String)> {
    file_differences(
        &Differing::between(expected, actual),
        &Differing::between(actual, expected),
    )
}

fn file_differences(old: &Differing, new: &Differing) -> Vec<(Status, String)> {
    let paths: BTreeSet<&str> = old
        .files
        .keys()
        .chain(new.files.keys())
        .map(String::as_str)
        .collect();
    paths
        .into_iter()
        .map(|path| {
            let status = match (old.files.contains_key(path), new.files.contains_key(path)) {
                (true, true) => Status::Changed,
                (true, false) => Status::Removed,
                _ => Status::Added,
            };
            (status, path.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(plan: &str, dns: &str) -> Files {
        let mut files = Files::new();
        files.insert("plan.json", plan);
        files.insert("dns/changes.json", dns);
        files
    }

    /// A hand-edited plan or change list: what is not of the expected shape is skipped, and
    /// of a duplicate key the last one counts (as when these files were read untyped).
    #[test]
    fn files_of_another_shape_are_read_leniently() {
        let old = side(
            r#"{"phases":[{"id":"01-a"},{"id":5},7,{},{"id":"03-c"}],
                "runbooks":[{"phase":"01-a","steps":[{"title":"one"},5],"rollback":{"a":1}},
                            7,{"phase":3,"steps":[{"title":"t"}]}]}"#,
            r#"{"phases":[3,{"phase":"06-entry","changes":[{"kind":"A","fqdn":"x.","value":"1"}],
                "rollback":"r"}]}"#,
        );
        let new = side(
            r#"{"phases":[{"id":"01-b"},{"id":"03-d"}],"runbooks":[{"phase":"01-a","phase":"01-b",
                "steps":[{"title":"one"},5]}]}"#,
            r#"{"phases":[{"phase":"06-entry","changes":[{"kind":"A","fqdn":"x.","value":"2"}]}]}"#,
        );
        let diff = diff(&old, &new);
        let renamed = [("01-a", "01-b"), ("03-c", "03-d")].map(|(a, b)| (a.into(), b.into()));
        assert_eq!(diff.renamed_phases, renamed);
        let steps: Vec<(Status, &str, &str)> = diff
            .runbook_steps
            .iter()
            .map(|c| (c.status, c.item.as_str(), c.location.as_str()))
            .collect();
        assert_eq!(steps, [(Status::Removed, "step 1: t", "runbooks/?.md")]);
        let dns: Vec<&str> = diff.dns.iter().map(|c| c.item.as_str()).collect();
        assert_eq!(dns, ["DNS change 1: A x. 2"]);
    }
}
