//! Stage 4, render: the plan as files. Human documents come from minijinja templates in
//! `templates/`, compiled into the binary; `--templates DIR` overrides any of them by name.
//! Templates are strict: an undefined variable is an error, never an empty string.
//!
//! Escaping is the environment's, so built-in and overriding templates get it alike: every
//! value a template prints is Markdown plain text ([`markdown::text`]) unless a filter
//! chose its context: `code` (inline code), `cell` (a table cell; `cell("code")` for code
//! in a cell), `text`, `fence` (the fence of a code block holding the value), `mermaid` and
//! `gantt` (Mermaid labels), or `markdown` for the fields that are Markdown already (the
//! runbook prose [`runbook`] builds around escaped spec values, and shell commands, which
//! are pasted and must reach their code block unchanged). Filters return safe strings, so nothing is
//! escaped twice; numbers and booleans print as they are.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};
use serde::Serialize;

pub mod dns;
mod files;
mod lazy;
pub mod manifests;
pub mod runbook;
pub mod table;
pub mod timeline;
pub mod tools;
pub mod yaml;

use crate::diagnostic::{Diagnostic, Severity};
use crate::markdown;
use crate::model::Spec;
use crate::plan::Plan;
use crate::regular::{self, Links};

pub(crate) use files::lock;
pub use files::{Digest, FileSink, Files, Hashing, Memory, Out, OutError, Sink};

/// The built-in templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("abort.md.j2", include_str!("../../templates/abort.md.j2")),
    (
        "bundle-readme.md.j2",
        include_str!("../../templates/bundle-readme.md.j2"),
    ),
    (
        "reports/network.md.j2",
        include_str!("../../templates/reports/network.md.j2"),
    ),
    (
        "runbook.md.j2",
        include_str!("../../templates/runbook.md.j2"),
    ),
    (
        "reports/sizing.md.j2",
        include_str!("../../templates/reports/sizing.md.j2"),
    ),
];

#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Compiled templates, built once per run.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// The built-in templates, each replaced by a file of the same name under `overrides`.
    pub fn new(overrides: Option<&Path>) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| RenderError(format!("template syntax: {e}")))?;
        env.set_syntax(syntax);
        install_markdown(&mut env);
        for (name, builtin) in TEMPLATES {
            // An override is a regular file (a FIFO or device there is an error, never a
            // hang or a silent fall-back to the built-in template); a missing one is fine.
            let text = match overrides.map(|dir| dir.join(name)) {
                Some(path) => match regular::read(&path, Links::Follow, None) {
                    Ok(bytes) => String::from_utf8(bytes)
                        .map_err(|_| RenderError(format!("{}: not UTF-8 text", path.display())))?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (*builtin).to_string(),
                    Err(e) => return Err(RenderError(format!("{}: {e}", path.display()))),
                },
                None => (*builtin).to_string(),
            };
            env.add_template_owned(*name, text)
                .map_err(|e| RenderError(format!("template {name}: {e}")))?;
        }
        Ok(Renderer { env })
    }

    fn render(&self, name: &str, context: &impl Serialize) -> Result<String, RenderError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| RenderError(format!("template {name}: {e}")))?;
        let text = template
            .render(minijinja::value::Serde(context))
            .map_err(|e| RenderError(format!("template {name}: {e:#}")))?;
        Ok(tidy(&text))
    }
}

/// The escape mode every template renders in, whatever its name.
const MARKDOWN: AutoEscape = AutoEscape::Custom(std::borrow::Cow::Borrowed("markdown"));

/// Markdown escaping for every printed value, and the filters that choose another context.
fn install_markdown(env: &mut Environment<'static>) {
    env.set_auto_escape_callback(|_| MARKDOWN);
    env.set_formatter(format_value);
    env.add_filter("text", |v: Value| safe(markdown::text(&plain(&v))));
    env.add_filter("code", |v: Value| safe(markdown::code(&plain(&v))));
    env.add_filter("cell", cell);
    env.add_filter("fence", fence);
    env.add_filter("markdown", |v: Value| safe(plain(&v)));
    env.add_filter("mermaid", |v: Value| {
        safe(markdown::mermaid_label(&plain(&v)))
    });
    env.add_filter("gantt", |v: Value| {
        safe(markdown::mermaid_gantt(&plain(&v)))
    });
    env.add_filter("thousands", thousands);
}

/// Prints a value: safe strings (what the filters return) as they are, numbers, booleans
/// and none as they are, everything else as Markdown plain text.
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    let raw = value.is_safe()
        || *state.auto_escape() == AutoEscape::None
        || matches!(
            value.kind(),
            ValueKind::Number | ValueKind::Bool | ValueKind::None | ValueKind::Undefined
        );
    let shown = if raw {
        value.to_string()
    } else {
        markdown::text(&value.to_string())
    };
    out.write_str(&shown).map_err(Error::from)
}

/// The text of a value: a string's own characters, anything else as minijinja prints it.
fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

fn safe(text: String) -> Value {
    Value::from_safe_string(text)
}

/// A value as a table cell: plain text, or inline code with `cell("code")`; `-` when empty
/// or none.
fn cell(value: Value, kind: Option<String>) -> Result<Value, Error> {
    let text = if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        plain(&value)
    };
    match kind.as_deref() {
        None | Some("text") => Ok(safe(markdown::cell(&text))),
        Some("code") if text.is_empty() => Ok(safe("-".into())),
        Some("code") => Ok(safe(markdown::code_cell(&text))),
        Some(other) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cell({other:?}): the kinds are \"text\" and \"code\""),
        )),
    }
}

/// The fence for a code block holding a value, or a list of lines.
fn fence(value: Value) -> Result<Value, Error> {
    let body = if value.kind() == ValueKind::Seq {
        value
            .try_iter()?
            .map(|line| plain(&line))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        plain(&value)
    };
    Ok(safe(markdown::fence(&body)))
}

/// `65536` as `65,536`.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One trailing newline, no trailing spaces, no runs of blank lines: stable Markdown.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A warning as the bundle records it: format-neutral (a spec path, no line numbers), so
/// YAML and TOML renderings of one spec give the same bundle.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedWarning {
    pub rule: &'static str,
    pub message: String,
    pub path: String,
}

pub fn recorded_warnings(diagnostics: &[Diagnostic]) -> Vec<RecordedWarning> {
    let mut warnings: Vec<RecordedWarning> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| RecordedWarning {
            rule: d.rule.as_str(),
            message: d.message.clone(),
            path: d.path.clone(),
        })
        .collect();
    // Sorted by path, not position: the order must not depend on the file's layout.
    warnings.sort_by(|a, b| (&a.path, a.rule, &a.message).cmp(&(&b.path, b.rule, &b.message)));
    warnings
}

/// What the README and the reports read: the plan only (`spec` is the plan's view of it).
#[derive(Serialize)]
struct Context<'a> {
    version: &'static str,
    spec: &'a crate::plan::view::SpecView,
    /// The plan, each field turned into template values only when a template reads it.
    plan: Value,
    warnings: &'a [RecordedWarning],
    /// Rule id → configured level (`allow`, `warn`, `deny`).
    rule_levels: &'a BTreeMap<String, String>,
    files: Vec<String>,
    /// `manifests/<folder>/` → number of objects.
    manifest_folders: BTreeMap<String, usize>,
    /// The holds of the traffic phases, back to back, for the Mermaid Gantt chart (names as
    /// they are: the template's `gantt` filter escapes them).
    gantt: Vec<GanttTask>,
    /// `reports/timeline.svg`, which the README embeds: its path and its alt text.
    timeline: timeline::Timeline,
}

#[derive(Serialize)]
struct GanttTask {
    section: String,
    label: String,
    id: String,
    start: u64,
    end: u64,
}

/// The traffic phases with a hold, one after another from 0 s.
fn gantt(plan: &Plan) -> Vec<GanttTask> {
    let mut start = 0;
    plan.phases
        .iter()
        .filter(|p| p.hold_seconds > 0)
        .map(|p| {
            let task = GanttTask {
                section: p.wave.clone().unwrap_or_else(|| "rollout".into()),
                label: match p.weight {
                    Some(0) | None => format!("{} shadow", p.number),
                    Some(w) => format!("{} at {w} percent", p.number),
                },
                id: format!("p{}", p.number),
                start,
                end: start + p.hold_seconds,
            };
            start = task.end;
            task
        })
        .collect()
}

/// What `templates/abort.md.j2` reads.
#[derive(Serialize)]
struct AbortContext<'a> {
    spec: &'a crate::plan::view::SpecView,
    book: &'a runbook::Runbook,
    abort: &'a crate::plan::abort::AbortPlan,
}

#[derive(Serialize)]
struct RunbookContext<'a> {
    /// The plan's view of the spec, as every template sees it.
    spec: &'a crate::plan::view::SpecView,
    book: &'a runbook::Runbook,
    previous: Option<String>,
    next: Option<String>,
}

/// `plan.json`: the plan, then the runbooks as its last key (the layout `cutover diff`
/// reads).
#[derive(Serialize)]
struct PlanJson<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    runbooks: &'a [runbook::Runbook],
}

/// Renders the bundle's files (all but `index.json`, which the bundle stage adds) into
/// `files`, each handed on as soon as it is rendered.
pub fn render(
    renderer: &Renderer,
    spec: &Spec,
    plan: &Arc<Plan>,
    warnings: &[RecordedWarning],
    rule_levels: &BTreeMap<String, String>,
    files: &Out,
) -> Result<(), RenderError> {
    let from_spec = render_from_spec(spec, plan, files)?;
    render_runbooks(renderer, plan, from_spec.runbooks, files)?;
    render_reports(
        renderer,
        plan,
        warnings,
        rule_levels,
        from_spec.manifest_folders,
        files,
    )
}

/// What [`render_from_spec`] leaves for the stages that read the plan only.
pub struct FromSpec {
    /// The number of objects in each manifest folder, for the README.
    pub manifest_folders: BTreeMap<String, usize>,
    /// The runbooks, built from the spec, written by [`render_runbooks`] once the spec is
    /// dropped.
    pub runbooks: Runbooks,
}

/// The phases' runbooks and the abort's.
pub struct Runbooks {
    phases: Vec<runbook::Runbook>,
    abort: Option<runbook::Runbook>,
}

/// The files that read the spec: manifests, DNS, tools and plan.json; and the runbooks,
/// built but not yet written.
pub fn render_from_spec(
    spec: &Spec,
    plan: &Arc<Plan>,
    files: &Out,
) -> Result<FromSpec, RenderError> {
    // The manifests first: the runbooks, built next, are not held while they are written.
    let manifest_folders = manifests::write(spec, plan, files);
    dns::write(plan, files);
    tools::write(spec, plan, files)?;
    let runbooks = runbook::build(spec, plan);
    // plan.json is the largest file: written as it is serialized, never held whole.
    files.insert_with("plan.json", |w| {
        serde_json::to_writer_pretty(
            &mut *w,
            &PlanJson {
                plan,
                runbooks: &runbooks,
            },
        )?;
        w.write_all(b"\n")
    });
    let abort = plan
        .abort
        .as_ref()
        .and_then(|_| runbook::abort::build(spec, plan));
    Ok(FromSpec {
        manifest_folders,
        runbooks: Runbooks {
            phases: runbooks,
            abort,
        },
    })
}

/// Writes the runbooks (their Markdown reads the plan and the steps built from the spec).
pub fn render_runbooks(
    renderer: &Renderer,
    plan: &Plan,
    runbooks: Runbooks,
    files: &Out,
) -> Result<(), RenderError> {
    let books = &runbooks.phases;
    for (i, book) in books.iter().enumerate() {
        let path = format!("runbooks/{}.md", book.phase);
        if files.stopped() {
            return Ok(());
        }
        if !files.wants(&path) {
            continue;
        }
        let neighbour = |j: Option<usize>| books.get(j?).map(|b| b.phase.clone());
        let runbook = RunbookContext {
            spec: &plan.spec,
            book,
            previous: neighbour(i.checked_sub(1)),
            next: neighbour(Some(i + 1)),
        };
        files.insert(path, renderer.render("runbook.md.j2", &runbook)?);
    }
    drop(runbooks.phases);
    if let (Some(abort), Some(book)) = (&plan.abort, &runbooks.abort) {
        let context = AbortContext {
            spec: &plan.spec,
            book,
            abort,
        };
        files.insert(
            abort.runbook.clone(),
            renderer.render("abort.md.j2", &context)?,
        );
    }
    Ok(())
}

/// The files that read the plan only (the timeline, the reports and the README), rendered
/// after those that read the spec, so that a compile may drop the spec first.
pub fn render_reports(
    renderer: &Renderer,
    plan: &Arc<Plan>,
    warnings: &[RecordedWarning],
    rule_levels: &BTreeMap<String, String>,
    manifest_folders: BTreeMap<String, usize>,
    files: &Out,
) -> Result<(), RenderError> {
    if files.stopped() {
        return Ok(());
    }
    let timeline = timeline::build(plan);
    files.insert(timeline.path, &timeline.svg);
    let mut context = Context {
        version: env!("CARGO_PKG_VERSION"),
        spec: &plan.spec,
        plan: lazy::Lazy::value(Arc::clone(plan)),
        warnings,
        rule_levels,
        files: Vec::new(),
        manifest_folders,
        gantt: gantt(plan),
        timeline,
    };
    // The reports are listed in the README: they are the last files but the README itself.
    let listed = |path: &str| {
        !path.starts_with("manifests/")
            && !path.starts_with("runbooks/")
            && !path.starts_with("dns/octodns/")
    };
    context.files =
        files.with_digests(|digests| digests.keys().filter(|p| listed(p)).cloned().collect());
    context.files.extend(
        ["reports/network.md", "reports/sizing.md", INDEX, README]
            .into_iter()
            .filter(|p| !context.files.iter().any(|f| f == p))
            .map(str::to_string)
            .collect::<Vec<_>>(),
    );
    context.files.sort();
    // A fresh lazy plan for each template: what one read is dropped before the next.
    for (path, template) in [
        ("reports/network.md", "reports/network.md.j2"),
        ("reports/sizing.md", "reports/sizing.md.j2"),
        (README, "bundle-readme.md.j2"),
    ] {
        if files.wants(path) {
            context.plan = lazy::Lazy::value(Arc::clone(plan));
            files.insert(path, renderer.render(template, &context)?);
        }
    }
    Ok(())
}

/// The bundle's own README and its index, which the bundle stage writes last.
const README: &str = "README.md";
const INDEX: &str = "index.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_keeps_one_blank_line_and_one_final_newline() {
        assert_eq!(tidy("\n# a  \n\n\n\nb\n\n\n"), "# a\n\nb\n");
    }

    fn render_str(template: &str, context: serde_json::Value) -> String {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        install_markdown(&mut env);
        env.add_template_owned("t.md.j2", template.to_string())
            .unwrap();
        Renderer { env }.render("t.md.j2", &context).unwrap()
    }

    #[test]
    fn every_printed_value_is_escaped_by_its_context() {
        let v = serde_json::json!({
            "s": "# h [l](http://x) <img src=x onerror=alert(1)> a`b | *c*",
            "n": 42, "b": true, "list": ["x`", "y"], "empty": "",
        });
        let out = render_str(
            "{{ s }}\n{{ s | code }}\n| {{ s | cell }} | {{ s | cell(\"code\") }} | {{ empty | cell }} |\n\
             {{ n }} {{ b }} {{ n | code }}\n{{ list | fence }}\n{{ s | markdown }}\n",
            v.clone(),
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "\\# h \\[l\\](http\\://x) \\<img src=x onerror=alert(1)> a\\`b \\| \\*c\\*"
        );
        assert_eq!(
            lines[1],
            "``# h [l](http://x) <img src=x onerror=alert(1)> a`b | *c*``"
        );
        assert!(
            lines[2]
                .ends_with("``# h [l](http://x) <img src=x onerror=alert(1)> a`b \\| *c*`` | - |")
        );
        assert_eq!(lines[3], "42 True `42`", "as minijinja prints them");
        assert_eq!(lines[4], "```");
        assert_eq!(lines[5], v["s"].as_str().unwrap());
    }

    #[test]
    fn concatenations_and_builtin_filters_are_escaped_too() {
        let out = render_str(
            "{{ a ~ b }} {{ a | upper }} {{ a | e }}\n",
            serde_json::json!({ "a": "[x]", "b": "(y)" }),
        );
        assert_eq!(out, "\\[x\\](y) \\[X\\] \\[x\\]\n");
    }

    #[test]
    fn filters_group_digits() {
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(512), "512");
    }

    #[test]
    fn undefined_variables_fail_the_render() {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template("t", "{{ missing }}").unwrap();
        let r = Renderer { env };
        assert!(r.render("t", &serde_json::json!({})).is_err());
    }
}
