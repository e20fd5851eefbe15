//! Stage 4, render: the plan as files. Human documents come from minijinja templates in
//! `templates/`, compiled into the binary; `--templates DIR` overrides any of them by name.
//! Templates are strict: an undefined variable is an error, never an empty string.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

pub mod dns;
pub mod manifests;
pub mod table;
pub mod tools;
pub mod yaml;

use crate::bundle::Files;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Spec;
use crate::plan::Plan;

/// The built-in templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
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
        env.add_filter("cell", cell);
        env.add_filter("thousands", thousands);
        env.add_filter("mermaid", |s: String| mermaid_text(&s));
        for (name, builtin) in TEMPLATES {
            let text = match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)
                    .map_err(|e| RenderError(format!("{}: {e}", path.display())))?,
                _ => (*builtin).to_string(),
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

/// Escapes a value for a Markdown table cell: no `|`, no line breaks.
fn cell(value: String) -> String {
    value
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
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
            rule: d.rule,
            message: d.message.clone(),
            path: d.path.clone(),
        })
        .collect();
    // Sorted by path, not position: the order must not depend on the file's layout.
    warnings.sort_by(|a, b| (&a.path, a.rule, &a.message).cmp(&(&b.path, b.rule, &b.message)));
    warnings
}

#[derive(Serialize)]
struct Context<'a> {
    version: &'static str,
    spec: &'a Spec,
    plan: &'a Plan,
    warnings: &'a [RecordedWarning],
    rule_levels: &'a BTreeMap<String, crate::config::RuleLevel>,
    files: Vec<String>,
    /// `manifests/<folder>/` → number of objects.
    manifest_folders: BTreeMap<String, usize>,
    /// The holds of the traffic phases, back to back, for the Mermaid Gantt chart.
    gantt: Vec<GanttTask>,
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
                section: mermaid_text(p.wave.as_deref().unwrap_or("rollout")),
                label: mermaid_text(&match p.weight {
                    Some(0) | None => format!("{} shadow", p.number),
                    Some(w) => format!("{} at {w} percent", p.number),
                }),
                id: format!("p{}", p.number),
                start,
                end: start + p.hold_seconds,
            };
            start = task.end;
            task
        })
        .collect()
}

/// Text safe inside Mermaid labels and task names: no quotes, colons, semicolons or `#`.
fn mermaid_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if matches!(
                c,
                '"' | ':' | ';' | '#' | '`' | '[' | ']' | '{' | '}' | '<' | '>'
            ) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Serialize)]
struct RunbookContext<'a> {
    spec: &'a Spec,
    book: &'a crate::plan::runbook::Runbook,
    previous: Option<String>,
    next: Option<String>,
}

/// Renders the bundle's files (all but `index.json`, which the bundle stage adds).
pub fn render(
    renderer: &Renderer,
    spec: &Spec,
    plan: &Plan,
    warnings: &[RecordedWarning],
    rule_levels: &BTreeMap<String, crate::config::RuleLevel>,
) -> Result<Files, RenderError> {
    let mut files = Files::new();
    let mut context = Context {
        version: env!("CARGO_PKG_VERSION"),
        spec,
        plan,
        warnings,
        rule_levels,
        files: Vec::new(),
        manifest_folders: BTreeMap::new(),
        gantt: gantt(plan),
    };
    let mut plan_json = serde_json::to_string_pretty(plan).unwrap_or_default();
    plan_json.push('\n');
    files.insert("plan.json", plan_json);
    dns::write(plan, &mut files);
    tools::write(spec, plan, &mut files)?;
    let phases = manifests::build(spec, plan);
    context.manifest_folders = phases
        .folders
        .iter()
        .map(|(folder, list)| (folder.clone(), list.len()))
        .collect();
    manifests::write(&phases, &mut files);
    files.insert(
        "reports/network.md",
        renderer.render("reports/network.md.j2", &context)?,
    );
    files.insert(
        "reports/sizing.md",
        renderer.render("reports/sizing.md.j2", &context)?,
    );
    for (i, book) in plan.runbooks.iter().enumerate() {
        let neighbour = |j: Option<usize>| {
            j.and_then(|j| plan.runbooks.get(j))
                .map(|b| b.phase.clone())
        };
        let runbook = RunbookContext {
            spec,
            book,
            previous: neighbour(i.checked_sub(1)),
            next: neighbour(Some(i + 1)),
        };
        files.insert(
            format!("runbooks/{}.md", book.phase),
            renderer.render("runbook.md.j2", &runbook)?,
        );
    }
    context.files = files
        .paths()
        .filter(|p| {
            !p.starts_with("manifests/")
                && !p.starts_with("runbooks/")
                && !p.starts_with("dns/octodns/")
        })
        .map(str::to_string)
        .collect();
    context.files.push("index.json".into());
    context.files.push("README.md".into());
    context.files.sort();
    files.insert(
        "README.md",
        renderer.render("bundle-readme.md.j2", &context)?,
    );
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_keeps_one_blank_line_and_one_final_newline() {
        assert_eq!(tidy("\n# a  \n\n\n\nb\n\n\n"), "# a\n\nb\n");
    }

    #[test]
    fn filters_escape_cells_and_group_digits() {
        assert_eq!(cell("a|b\nc".into()), "a\\|b c");
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
