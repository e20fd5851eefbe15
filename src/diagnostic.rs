//! Diagnostics: one type for every problem any stage finds, tied to spans in a source file.
//!
//! A diagnostic carries a stable rule id (see [`crate::rules`]), a severity, a message, one or
//! more labelled spans and a help line. Stages collect them all instead of stopping at the
//! first; the driver sorts them by position and renders them with miette.
//!
//! No control character of a spec reaches a terminal or a JSON or SARIF reader raw: every
//! message, label, help and file name is shown through [`markdown::visible`], and miette
//! reads the source through a copy whose unsafe characters have visible stand-ins of the
//! same UTF-8 length, so that every span stays where it was.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use serde::Serialize;

use crate::markdown;
use crate::rules::RuleId;

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// The format a spec or config file is written in, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

/// A file diagnostics can point into: its display name and its full text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub format: Format,
    /// `text` as a terminal may show it: see [`shown_source`].
    shown: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>, format: Format) -> Arc<Self> {
        let text = text.into();
        Arc::new(SourceFile {
            name: name.into(),
            shown: shown_source(&text),
            text,
            format,
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

/// Shows the file to miette under its name, so reports read `╭─[file:line:column]`.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .shown
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            markdown::visible(&self.name),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The source with every character that may not reach a terminal raw (ESC, BEL, NUL, a
/// lone CR, U+0085, U+2028, bidirectional controls) replaced by a visible stand-in of the
/// same UTF-8 length, so that byte spans into `text` hold for it too. Line feeds and tabs
/// stay; the CR of a CRLF line end becomes a space.
fn shown_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let shown = match c {
            '\n' | '\t' => c,
            '\r' if chars.peek() == Some(&'\n') => ' ',
            c if markdown::is_unsafe_char(c) => stand_in(c),
            c => c,
        };
        out.push(shown);
    }
    out
}

/// A visible character as long in UTF-8 as `c`.
fn stand_in(c: char) -> char {
    match c.len_utf8() {
        1 => '?',
        2 => '\u{bf}',
        3 => '\u{fffd}',
        _ => '\u{1f6ab}',
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A labelled span: what this part of the file has to do with the problem.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The rule it reports.
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary one: the position the diagnostic sorts and reports by.
    pub labels: Vec<Label>,
    pub help: String,
    /// The spec path of the offending value (`services[gateway].replicas`), format-neutral,
    /// so that the bundle records warnings the same way for YAML and TOML specs.
    pub path: String,
    /// The service the diagnostic is about, so that the service's `allow:` can silence it.
    pub service: Option<String>,
    pub source: Arc<SourceFile>,
}

impl Diagnostic {
    pub fn new(
        rule: RuleId,
        severity: Severity,
        source: &Arc<SourceFile>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            rule,
            severity,
            message: message.into(),
            labels: Vec::new(),
            help: String::new(),
            path: String::new(),
            service: None,
            source: Arc::clone(source),
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }

    /// Where the diagnostic points: 1-based line and column.
    pub fn line_col(&self) -> (usize, usize) {
        self.source.line_col(self.primary_span().start)
    }

    fn sort_key(&self) -> (String, usize, usize, &'static str, String) {
        let span = self.primary_span();
        (
            self.source.name.clone(),
            span.start,
            span.end,
            self.rule.as_str(),
            self.message.clone(),
        )
    }

    /// Renders the diagnostic as text: miette's graphical report, at the given width.
    pub fn render(&self, color: bool, width: usize) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false);
        let report = MietteView(self);
        let mut out = String::new();
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail; keep a plain fallback all the same.
            out = format!(
                "{}[{}]: {}\n",
                self.severity,
                self.rule,
                markdown::visible(&self.message)
            );
        }
        out
    }
}

/// Sorts diagnostics by file and position, and drops exact duplicates.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|a| a.sort_key());
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
}

pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Adapter that shows a [`Diagnostic`] to miette.
struct MietteView<'a>(&'a Diagnostic);

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&markdown::visible(&self.0.message))
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&markdown::visible(&self.0.message))
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.0.rule.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.0.help.is_empty() {
            None
        } else {
            Some(Box::new(markdown::visible(&self.0.help)))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.0.labels.is_empty() {
            None
        } else {
            Some(&*self.0.source as &dyn miette::SourceCode)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let text = &self.0.source.text;
        let labels = self.0.labels.iter().enumerate().map(move |(i, label)| {
            let start = floor_char_boundary(text, label.span.start.min(text.len()));
            let end = floor_char_boundary(text, label.span.end.min(text.len())).max(start);
            let span = SourceSpan::new(start.into(), end - start);
            let text = (!label.text.is_empty()).then(|| markdown::visible(&label.text));
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        });
        Some(Box::new(labels))
    }
}

/// Renders diagnostics for a person: each report (headed `file:line:column`), then a count.
pub fn render_human(diagnostics: &[Diagnostic], color: bool, width: usize) -> String {
    let mut out = String::new();
    for d in diagnostics {
        if d.labels.is_empty() {
            // Without a label miette shows no position; name the file at least.
            out.push_str(&format!("{}:\n", markdown::visible(&d.source.name)));
        }
        out.push_str(&d.render(color, width));
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    out.push_str(&format!(
        "{} error{}, {} warning{}\n",
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" }
    ));
    out
}

/// The machine-readable form of a diagnostic (`check --format json`).
#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub labels: Vec<JsonLabel>,
}

#[derive(Serialize)]
pub struct JsonLabel {
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub length: usize,
}

impl From<&Diagnostic> for JsonDiagnostic {
    fn from(d: &Diagnostic) -> Self {
        let (line, column) = d.line_col();
        JsonDiagnostic {
            rule: d.rule,
            severity: d.severity,
            message: markdown::visible(&d.message),
            help: markdown::visible(&d.help),
            file: markdown::visible(&d.source.name),
            line,
            column,
            path: markdown::visible(&d.path),
            labels: d
                .labels
                .iter()
                .map(|l| {
                    let (line, column) = d.source.line_col(l.span.start);
                    JsonLabel {
                        message: markdown::visible(&l.text),
                        line,
                        column,
                        offset: l.span.start,
                        length: l.span.end - l.span.start,
                    }
                })
                .collect(),
        }
    }
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// A diagnostic whose every text holds terminal and bidi control characters, for the tests
/// of each output format.
#[cfg(test)]
pub(crate) fn with_control_characters() -> Diagnostic {
    let text = "owner: \"\u{1b}[2J\u{7}\u{2028}boss\"\nname: x\n";
    let file = SourceFile::new("s\u{1b}.yaml", text, Format::Yaml);
    Diagnostic::new(
        RuleId::SpecValue,
        Severity::Error,
        &file,
        "bad \u{1b}[2J\u{7} value",
    )
    .label(Span::new(7, 20), "here \u{7}")
    .help("drop \u{85}\u{202e} them")
    .path("metadata.owner")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_closest_name() {
        assert_eq!(
            did_you_mean("podCIDR", ["podCidr", "serviceCidr", "vpc"]),
            Some("podCidr")
        );
        assert_eq!(did_you_mean("zzz", ["podCidr", "vpc"]), None);
    }

    #[test]
    fn line_and_column_count_characters() {
        let file = SourceFile::new("x.yaml", "a: 1\nnäme: é\n", Format::Yaml);
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(5), (2, 1));
        let e = file.text.find('é').unwrap();
        assert_eq!(file.line_col(e), (2, 7));
    }

    #[test]
    fn stand_ins_keep_every_byte_offset() {
        let text = "a: \u{1b}[31m\u{7}x\u{0}\u{85}\u{2028}\u{202e}é\r\nb: \ry\t\n";
        let shown = shown_source(text);
        assert_eq!(shown.len(), text.len());
        for (i, _) in text.char_indices() {
            assert!(shown.is_char_boundary(i), "offset {i}");
        }
        assert_eq!(shown, "a: ?[31m?x?\u{bf}\u{fffd}\u{fffd}é \nb: ?y\t\n");
    }

    #[test]
    fn reports_show_control_characters_escaped() {
        let d = with_control_characters();
        let human = render_human(std::slice::from_ref(&d), false, 100);
        let json = serde_json::to_string(&JsonDiagnostic::from(&d)).unwrap();
        for out in [&human, &json] {
            let bad: Vec<char> = out
                .chars()
                .filter(|c| markdown::is_unsafe_char(*c) && *c != '\n')
                .collect();
            assert!(bad.is_empty(), "{bad:?} in {out}");
        }
        assert!(human.contains("bad \\u{1b}[2J\\u{7} value"), "{human}");
        assert!(human.contains("?[2J?\u{fffd}boss"), "{human}");
        assert!(json.contains("drop \\\\u{85}\\\\u{202e} them"), "{json}");
    }
}
