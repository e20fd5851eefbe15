//! Stage 1, load: read a spec file (YAML or TOML, by extension) into the typed model, keeping
//! where every value sits so that later diagnostics can point at it.
//!
//! Input is untrusted: the file size, the number of values, the nesting depth and alias
//! expansion are all bounded, and every problem ends in a diagnostic, never a panic.

pub mod configs;
pub mod de;
pub mod node;
mod toml;
mod yaml;

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Format, Severity, SourceFile, Span, did_you_mean};
use crate::model::{Spec, placeholder};
use crate::regular::Links;
use crate::rules::RuleId;
use de::{DeError, DeErrorKind};
pub use node::SourceMap;

pub struct Limits {
    pub max_bytes: u64,
    pub max_nodes: usize,
    pub max_alias_nodes: usize,
    pub max_depth: usize,
}

/// (The alias budget appears in a message as "100,000": keep the two in step.)
pub const LIMITS: Limits = Limits {
    max_bytes: 16 * 1024 * 1024,
    max_nodes: 1_000_000,
    max_alias_nodes: 100_000,
    max_depth: 128,
};

/// A loaded spec: the model, the file it came from, and where each value sits.
#[derive(Debug)]
pub struct Loaded {
    pub spec: Spec,
    pub source: Arc<SourceFile>,
    pub map: SourceMap,
}

/// Why loading failed: the file's content (diagnostics, exit 1) or reading it (exit 2).
#[derive(Debug)]
pub enum LoadError {
    Diagnostics(Vec<Diagnostic>),
    Io(String),
}

/// A problem found while parsing, before the model exists.
#[derive(Debug)]
pub enum LoadProblem {
    Syntax {
        span: Span,
        message: String,
    },
    Empty,
    MultipleDocuments {
        span: Span,
    },
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    AliasLimit {
        span: Span,
    },
    TooDeep {
        span: Span,
    },
    TooLarge {
        span: Span,
        what: String,
    },
}

/// The format of a spec or config file, from its extension.
pub fn format_of(path: &Path) -> Result<Format, LoadError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Ok(Format::Yaml),
        Some("toml") => Ok(Format::Toml),
        _ => Err(LoadError::Io(format!(
            "{}: the spec's extension must be .yaml, .yml or .toml (it decides the format)",
            path.display()
        ))),
    }
}

/// Reads a text file within the size limit; refuses binary content and invalid UTF-8 with a
/// diagnostic, and drops a leading byte-order mark.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let name = path.display().to_string();
    // Only a regular file (a link to one is fine): a FIFO or device is refused at once
    // instead of blocking the run.
    let bytes = crate::regular::read(path, Links::Follow, Some(LIMITS.max_bytes + 1))
        .map_err(|e| LoadError::Io(format!("{}: {e}", name.escape_debug())))?;
    let format = format_of(path).unwrap_or(Format::Yaml);
    if bytes.len() as u64 > LIMITS.max_bytes {
        let source = SourceFile::new(name, String::new(), format);
        return Err(LoadError::Diagnostics(vec![
            Diagnostic::new(
                RuleId::SpecTooLarge,
                Severity::Error,
                &source,
                format!(
                    "the file is larger than {} MiB",
                    LIMITS.max_bytes / 1024 / 1024
                ),
            )
            .help("a spec is a few hundred kilobytes at most; check that this is the right file"),
        ]));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The lossy text has the same bytes up to the bad one, so `at` still fits.
            let source = SourceFile::new(name, lossy, format);
            return Err(LoadError::Diagnostics(vec![
                Diagnostic::new(
                    RuleId::SpecEncoding,
                    Severity::Error,
                    &source,
                    "the file is not valid UTF-8",
                )
                .label(Span::new(at, at + 1), "this byte is not UTF-8")
                .help("save the file as UTF-8"),
            ]));
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if let Some(at) = text.find('\0') {
        let source = SourceFile::new(name, text.replace('\0', " "), format);
        return Err(LoadError::Diagnostics(vec![
            Diagnostic::new(
                RuleId::SpecEncoding,
                Severity::Error,
                &source,
                "the file contains a NUL character",
            )
            .label(Span::new(at, at + 1), "NUL")
            .help("a spec is text; this looks like a binary file or a broken encoding"),
        ]));
    }
    Ok(text)
}

/// Parses a YAML file other than a spec (a compose file) into the spanned tree, with the
/// same limits and diagnostics as a spec.
pub fn parse_yaml_tree(source: &Arc<SourceFile>) -> Result<node::Node, Vec<Diagnostic>> {
    if let Some(at) = source.text.find('\0') {
        return Err(vec![
            Diagnostic::new(
                RuleId::SpecEncoding,
                Severity::Error,
                source,
                "the file contains a NUL character",
            )
            .label(Span::new(at, at + 1), "NUL")
            .help("this looks like a binary file"),
        ]);
    }
    yaml::parse(&source.text)
        .map_err(|problems| problems.into_iter().map(|p| problem(source, p)).collect())
}

/// Parses YAML into plain data (YAML 1.2 core types): for reading bundles back.
pub fn parse_yaml_value(text: &str) -> Option<serde_json::Value> {
    yaml::parse(text).ok().map(|node| to_json(&node))
}

fn to_json(node: &node::Node) -> serde_json::Value {
    use node::{NodeKind, ScalarKind};
    use serde_json::Value;
    match &node.kind {
        NodeKind::Scalar { text, kind } => match kind {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool => Value::Bool(text.eq_ignore_ascii_case("true")),
            ScalarKind::Int => node::parse_int(text)
                .and_then(|i| i64::try_from(i).ok())
                .map_or_else(|| Value::String(text.clone()), Value::from),
            ScalarKind::Float => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(text.clone()), Value::Number),
            ScalarKind::Str => Value::String(text.clone()),
        },
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

/// Reads and parses a spec file into the model.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let format = format_of(path)?;
    let text = read_text(path)?;
    let source = SourceFile::new(path.display().to_string(), text, format);
    load_source(source)
}

/// Parses spec text already read (used by `load` and by tests).
pub fn load_source(source: Arc<SourceFile>) -> Result<Loaded, LoadError> {
    load_source_partial(source).map_err(|(error, _)| error)
}

/// A spec that did not load, read as far as it could be: the values that could not be read
/// are neutral stand-ins, and `unreadable` names the parts of the spec that hold them (in
/// the form diagnostics display paths), so that the checks can judge everything else.
#[derive(Debug)]
pub struct Partial {
    pub loaded: Loaded,
    pub unreadable: Vec<String>,
}

impl Partial {
    /// Whether a check's diagnostic at `path` may follow from a stand-in value.
    pub fn touches(&self, path: &str) -> bool {
        self.unreadable.iter().any(|part| {
            path == part
                || path
                    .strip_prefix(part.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }
}

/// Reads and parses a spec file; when its values do not all read, also what could be read.
pub fn load_partial(path: &Path) -> Result<Loaded, (LoadError, Option<Box<Partial>>)> {
    let format = format_of(path).map_err(|e| (e, None))?;
    let text = read_text(path).map_err(|e| (e, None))?;
    load_source_partial(SourceFile::new(path.display().to_string(), text, format))
}

/// [`load_source`], keeping the partly read spec when only values were wrong (not the syntax).
pub fn load_source_partial(
    source: Arc<SourceFile>,
) -> Result<Loaded, (LoadError, Option<Box<Partial>>)> {
    let parsed = match source.format {
        Format::Yaml => yaml::parse(&source.text),
        Format::Toml => toml::parse(&source.text),
    };
    let root = parsed.map_err(|problems| {
        let diagnostics = problems.into_iter().map(|p| problem(&source, p)).collect();
        (LoadError::Diagnostics(diagnostics), None)
    })?;
    let map = SourceMap::build(&root);
    let (spec, errors) = de::from_tree_recovering::<Spec>(&root);
    if errors.is_empty()
        && let Some(spec) = spec
    {
        return Ok(Loaded { spec, source, map });
    }
    let unreadable: Vec<String> = errors
        .iter()
        .filter_map(|e| e.location.as_ref())
        .map(|l| unreadable_part(&map.display(&l.path)))
        .collect();
    let diagnostics = errors
        .into_iter()
        .map(|e| deserialize_error(&source, &map, e))
        .collect();
    // A whole section missing or unreadable leaves too little to judge the rest by.
    let partial = spec
        .filter(|_| unreadable.iter().all(|part| part.contains(['.', '['])))
        .map(|spec| {
            Box::new(Partial {
                loaded: Loaded {
                    spec,
                    source: source.clone(),
                    map,
                },
                unreadable,
            })
        });
    Err((LoadError::Diagnostics(diagnostics), partial))
}

/// The part of the spec a check must not judge after a value in it failed to read: the
/// list item it sits in (`services[web]`), or its section (`target.network`).
fn unreadable_part(path: &str) -> String {
    if let Some(end) = path.find(']') {
        return path[..=end].to_string();
    }
    match path.match_indices('.').nth(1) {
        Some((second_dot, _)) => path[..second_dot].to_string(),
        None => path.to_string(),
    }
}

fn problem(source: &Arc<SourceFile>, problem: LoadProblem) -> Diagnostic {
    let d = |rule, message: String| Diagnostic::new(rule, Severity::Error, source, message);
    match problem {
        LoadProblem::Syntax { span, message } => d(
            // The TOML parser reports duplicate keys as syntax errors; they are ours to name.
            if message.contains("duplicate key") {
                RuleId::SpecDuplicateKey
            } else {
                RuleId::SpecSyntax
            },
            format!(
                "the spec is not valid {}: {message}",
                match source.format {
                    Format::Yaml => "YAML",
                    Format::Toml => "TOML",
                }
            ),
        )
        .label(span, "here")
        .help("fix the syntax at this position; `cutover schema` describes the format"),
        LoadProblem::Empty => d(RuleId::SpecEmpty, "the spec is empty".into())
            .help("start from examples/minimal.yaml, or run `cutover schema` for the format"),
        LoadProblem::MultipleDocuments { span } => d(
            RuleId::SpecMultipleDocuments,
            "the file holds more than one YAML document".into(),
        )
        .label(span, "a second document starts here")
        .help("put each migration in a file of its own"),
        LoadProblem::DuplicateKey { key, first, second } => d(
            RuleId::SpecDuplicateKey,
            format!("the key `{key}` appears twice"),
        )
        .label(second, "written again here")
        .label(first, "first written here")
        .help("keep one of them"),
        LoadProblem::AliasLimit { span } => d(
            RuleId::SpecAliasLimit,
            "YAML aliases expand to more than 100,000 values".to_string(),
        )
        .label(span, "expansion stopped at this alias")
        .help("write the values out, or use fewer nested aliases"),
        LoadProblem::TooDeep { span } => d(
            RuleId::SpecTooLarge,
            format!("the spec nests deeper than {} levels", LIMITS.max_depth),
        )
        .label(span, "too deep from here")
        .help("a spec nests a handful of levels; check that this is the right file"),
        LoadProblem::TooLarge { span, what } => {
            d(RuleId::SpecTooLarge, format!("the spec holds {what}"))
                .label(span, "stopped here")
                .help("a spec holds a few thousand values at most; split it per migration")
        }
    }
}

fn deserialize_error(source: &Arc<SourceFile>, map: &SourceMap, error: DeError) -> Diagnostic {
    let location = error.location.clone();
    let (span, key_span, path) = match &location {
        Some(l) => (l.span, l.key_span.unwrap_or(l.span), l.path.clone()),
        None => (Span::default(), Span::default(), String::new()),
    };
    let display = map.display(&path);
    let d = |rule, message: String| {
        Diagnostic::new(rule, Severity::Error, source, message).path(display.clone())
    };
    // `port: TODO`: the importer's placeholder where a number, address or choice belongs.
    let written = source.text.get(span.start..span.end).unwrap_or("");
    if matches!(
        error.kind,
        DeErrorKind::Invalid { .. } | DeErrorKind::UnknownVariant { .. }
    ) && !written.contains(['\n', ':', '{', '['])
        && placeholder::holds_placeholder(written)
    {
        return d(
            RuleId::ImportPlaceholder,
            format!(
                "`{display}` is still a placeholder (`{}`)",
                placeholder::TOKEN
            ),
        )
        .label(span, "a placeholder")
        .help(placeholder::HELP);
    }
    match error.kind {
        DeErrorKind::UnknownField { field, expected } => {
            let help = match did_you_mean(&field, expected.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("the fields here are {}", de::list(expected)),
            };
            let at = if display.contains('.') {
                format!(" in `{}`", &display[..display.rfind('.').unwrap_or(0)])
            } else {
                String::new()
            };
            d(
                RuleId::SpecUnknownField,
                format!("unknown field `{field}`{at}"),
            )
            .label(key_span, "not a field of this section")
            .help(help)
        }
        DeErrorKind::UnknownVariant { variant, expected } => {
            let help = match did_you_mean(&variant, expected.iter().copied()) {
                Some(near) => format!(
                    "did you mean `{near}`? The choices are {}",
                    de::list(expected)
                ),
                None => format!("the choices are {}", de::list(expected)),
            };
            d(
                RuleId::SpecType,
                format!("`{variant}` is not a valid value for `{display}`"),
            )
            .label(span, "unknown value")
            .help(help)
        }
        DeErrorKind::MissingField { field } => {
            let where_ = if display.is_empty() {
                "the spec".to_string()
            } else {
                format!("`{display}`")
            };
            let label_span = if path.is_empty() {
                Span::new(0, 0)
            } else {
                key_span
            };
            d(
                RuleId::SpecMissingField,
                format!("{where_} is missing the required field `{field}`"),
            )
            .path(join_display(&display, field))
            .label(label_span, format!("`{field}` is required here"))
            .help(format!(
                "add `{field}:`; `cutover schema` or examples/piggymetrics.yaml shows its form"
            ))
        }
        DeErrorKind::Invalid { message } => {
            // The value types say how to write them after ": write "; that part is the help.
            let (what, help) = match message.split_once(": write ") {
                Some((what, how)) => (what.to_string(), format!("write {how}")),
                None => (message.clone(), type_help(&message)),
            };
            let label = match what.strip_prefix("expected ") {
                Some(rest) => format!("expected {}", rest.split(", found").next().unwrap_or(rest)),
                None => "invalid value".to_string(),
            };
            let message = if display.is_empty() {
                what
            } else {
                format!("`{display}`: {what}")
            };
            d(RuleId::SpecType, message).label(span, label).help(help)
        }
    }
}

fn join_display(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn type_help(message: &str) -> String {
    let expected = message
        .strip_prefix("expected ")
        .map(|rest| rest.split(", found").next().unwrap_or(rest));
    match expected {
        Some("an integer") => "write a whole number, such as `3`".into(),
        Some("a number") => "write a number, such as `3` or `2.5`".into(),
        Some("true or false") => "write `true` or `false`".into(),
        Some("a string") => "write a value after the colon".into(),
        Some("a list") => "write a list: `[a, b]`, or one `- item` per line".into(),
        Some("a mapping") => "write this section as `key: value` fields".into(),
        _ if message.contains("out of range") => "use a value within the range".into(),
        _ => "see `cutover schema` or examples/piggymetrics.yaml for the field's form".into(),
    }
}
