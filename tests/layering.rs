//! The stages only look forward: every `crate::` path in `src/` (use lines, multi-line
//! `use crate::{…}` groups and inline paths, tests inside `src/` included) is mapped to the
//! top-level module it names, and
//!
//! - a base module (`diagnostic`, `rules`, `model`, `shell`, `markdown`, `regular`) names
//!   only base modules;
//! - a stage (`load` → `check` → `plan` → `render` → `bundle`) names only base
//!   modules and earlier stages;
//! - the top (`diff`, `import`, `cli`, `sarif`, `lib.rs`) may name anything;
//! - no import cycle joins the base and stage modules.
//!
//! A `super::` chain never climbs to the crate root (inline modules such as `mod tests`
//! counted): such a path would name another module unseen, so it is refused too.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const BASE: &[&str] = &[
    "diagnostic",
    "rules",
    "model",
    "shell",
    "markdown",
    "regular",
];
const STAGES: &[&str] = &["load", "check", "plan", "render", "bundle"];
const TOP: &[&str] = &["diff", "import", "cli", "sarif", "lib", "main"];

/// Backward edges tolerated for a while, each with its reason in a comment: (file, module it
/// names). Empty now; an entry that no longer occurs fails the test, so the list can only
/// shrink.
const ALLOWLIST: &[(&str, &str)] = &[];

/// One `crate::` reference: where it is and the top-level item it names.
#[derive(Debug)]
struct Reference {
    file: String,
    line: usize,
    path: String,
    target: String,
}

fn rank(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == module)
}

fn is_base(module: &str) -> bool {
    BASE.contains(&module)
}

/// The rule `from` → `to` breaks, if any.
fn broken_rule(from: &str, to: &str) -> Option<String> {
    if from == to || TOP.contains(&from) {
        return None;
    }
    let order = STAGES.join(" → ");
    if is_base(from) {
        return (!is_base(to)).then(|| {
            format!(
                "{from} is a base module: it may name only base modules ({}), not {to}",
                BASE.join(", ")
            )
        });
    }
    let from_rank = rank(from)?;
    if is_base(to) {
        return None;
    }
    match rank(to) {
        Some(to_rank) if to_rank < from_rank => None,
        Some(_) => Some(format!(
            "{from} is an earlier stage than {to} ({order}): a stage names only base modules and earlier stages"
        )),
        None => Some(format!(
            "{from} is a stage and {to} is the top ({}): only the top names it",
            TOP.join(", ")
        )),
    }
}

/// The top-level module a file of `src/` belongs to: `src/check/dns.rs` → `check`,
/// `src/regular.rs` → `regular`, `src/lib.rs` → `lib`.
fn module_of(relative: &str) -> String {
    let rest = relative.strip_prefix("src/").unwrap_or(relative);
    let first = rest.split('/').next().unwrap_or(rest);
    first.strip_suffix(".rs").unwrap_or(first).to_string()
}

/// The text with comments, string and character literals blanked (newlines kept, so line
/// numbers hold): a path in a doc comment or a message is no import.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let closes = |k: usize| {
                chars.get(k) == Some(&'"') && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#'))
            };
            while j < chars.len() && !closes(j) {
                j += 1;
            }
            let end = (j + 1 + hashes).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or else a lifetime.
            let end = if next == Some('\\') {
                (i + 2..chars.len()).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(chars[i..=end].iter().map(|&c| blank(c)));
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every `crate::` path in the code: `crate::a::b` names `a`; `crate::{a::b, c}` names `a`
/// and `c`, each at its own line.
fn crate_paths(file: &str, code: &str) -> Vec<Reference> {
    let chars: Vec<char> = code.chars().collect();
    let line_at = |index: usize| chars[..index].iter().filter(|&&c| c == '\n').count() + 1;
    let ident_at = |mut k: usize| {
        while chars.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        let start = k;
        while chars.get(k).is_some_and(|&c| is_ident(c)) {
            k += 1;
        }
        (start, chars[start..k].iter().collect::<String>())
    };
    let mut found = Vec::new();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let preceded = i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == '$');
        if chars[i..i + needle.len()] != needle[..] || preceded {
            i += 1;
            continue;
        }
        let mut k = i + needle.len();
        while chars.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        if chars.get(k) == Some(&'{') {
            // A group: the first name of each item at depth one.
            let mut depth = 0;
            let mut item_start = true;
            while k < chars.len() {
                match chars[k] {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            item_start = true;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if depth == 1 && item_start && is_ident(c) => {
                        let (start, name) = ident_at(k);
                        if name != "self" {
                            found.push(Reference {
                                file: file.to_string(),
                                line: line_at(start),
                                path: format!("crate::{name}"),
                                target: name.clone(),
                            });
                        }
                        item_start = false;
                        k = start + name.chars().count();
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
        } else {
            let (start, name) = ident_at(k);
            let mut end = start + name.chars().count();
            while chars.get(end).is_some_and(|&c| is_ident(c) || c == ':') {
                end += 1;
            }
            if !name.is_empty() {
                found.push(Reference {
                    file: file.to_string(),
                    line: line_at(i),
                    path: chars[i..end].iter().collect(),
                    target: name,
                });
            }
        }
        i += needle.len();
    }
    found
}

struct Source {
    modules: BTreeSet<String>,
    references: Vec<Reference>,
    /// A `super::` chain that climbs to the crate root (or past it): a path out of the
    /// module that the `crate::` rules would not see.
    escapes: Vec<(String, usize)>,
}

fn read_source() -> Source {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = common::files_under(&root.join("src"), ".rs");
    let mut modules = BTreeSet::new();
    let mut references = Vec::new();
    let mut escapes = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        modules.insert(module_of(&relative));
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        let code = code_only(&text);
        for line in super_escapes(&relative, &code) {
            escapes.push((relative.clone(), line));
        }
        references.extend(crate_paths(&relative, &code));
    }
    Source {
        modules,
        references,
        escapes,
    }
}

/// How deep a file's module sits below the crate root: `src/lib.rs` 0, `src/cli.rs` and
/// `src/check/mod.rs` 1, `src/check/dns/names.rs` 3.
fn file_depth(relative: &str) -> usize {
    let rest = relative.strip_prefix("src/").unwrap_or(relative);
    let parts = rest.matches('/').count() + 1;
    match rest.rsplit('/').next() {
        Some("lib.rs" | "main.rs") if parts == 1 => 0,
        Some("mod.rs") => parts - 1,
        _ => parts,
    }
}

/// The lines where a `super::super::…` chain climbs to the crate root, counting the inline
/// modules (`mod tests { … }`) open at that point.
fn super_escapes(relative: &str, code: &str) -> Vec<usize> {
    let chars: Vec<char> = code.chars().collect();
    let depth = file_depth(relative);
    let mut found = Vec::new();
    let (mut braces, mut inline): (usize, Vec<usize>) = (0, Vec::new());
    let mut pending_mod = false;
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let word_start = i == 0 || !is_ident(chars[i - 1]);
        if c == '\n' {
            line += 1;
        } else if c == '{' {
            braces += 1;
            if pending_mod {
                inline.push(braces);
                pending_mod = false;
            }
        } else if c == '}' {
            if inline.last() == Some(&braces) {
                inline.pop();
            }
            braces = braces.saturating_sub(1);
        } else if c == ';' {
            pending_mod = false;
        } else if word_start && chars[i..].starts_with(&['m', 'o', 'd', ' ']) {
            pending_mod = true;
        } else if word_start && chars[i..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
            let mut climbs = 0;
            while chars[i..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                climbs += 1;
                i += "super::".len();
            }
            if climbs >= depth + inline.len() {
                found.push(line);
            }
            continue;
        }
        i += 1;
    }
    found
}

/// The module an item of the crate root belongs to: a module's own name, or `lib` for the
/// items of `lib.rs` (`crate::Options`, `crate::compile_file`).
fn target_module(modules: &BTreeSet<String>, name: &str) -> String {
    if modules.contains(name) && name != "lib" && name != "main" {
        name.to_string()
    } else {
        "lib".to_string()
    }
}

#[test]
fn the_parser_finds_every_form_of_path() {
    let code = code_only(
        "use crate::a::b;\nuse crate::{\n    c::{d, e},\n    self,\n    f,\n};\n\
         fn g() { crate::h::i(); let s = \"crate::no\"; } // crate::no\n\
         /* crate::no */ let c = '\"'; crate::j::k\n",
    );
    let found: Vec<(usize, String)> = crate_paths("x.rs", &code)
        .into_iter()
        .map(|r| (r.line, r.target))
        .collect();
    let expected: Vec<(usize, String)> = [(1, "a"), (3, "c"), (5, "f"), (7, "h"), (8, "j")]
        .into_iter()
        .map(|(l, t)| (l, t.to_string()))
        .collect();
    assert_eq!(found, expected);
    assert!(broken_rule("model", "load").is_some());
    assert!(broken_rule("plan", "render").is_some());
    assert!(broken_rule("render", "plan").is_none());
    assert!(broken_rule("check", "model").is_none());
    assert!(broken_rule("bundle", "cli").is_some());
    assert!(broken_rule("cli", "bundle").is_none());
}

#[test]
fn a_super_chain_to_the_crate_root_is_caught() {
    let rule = "src/check/storage/new.rs";
    assert_eq!(
        super_escapes(rule, "use super::users;\nuse super::super::Ctx;\n"),
        Vec::<usize>::new()
    );
    assert_eq!(
        super_escapes(rule, "use super::super::super::plan::Plan;\n"),
        [1]
    );
    assert_eq!(super_escapes("src/check/mod.rs", "use super::plan;\n"), [1]);
    assert_eq!(
        super_escapes("src/cli.rs", "mod tests {\n    use super::*;\n}\n"),
        Vec::<usize>::new()
    );
    assert_eq!(
        super_escapes(
            "src/cli.rs",
            "mod tests {\n    use super::super::plan;\n}\n"
        ),
        [2]
    );
}

#[test]
fn every_module_is_placed_in_the_order() {
    let source = read_source();
    let placed: BTreeSet<&str> = BASE.iter().chain(STAGES).chain(TOP).copied().collect();
    let unplaced: Vec<&String> = source
        .modules
        .iter()
        .filter(|m| !placed.contains(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add each to BASE, STAGES or TOP in tests/layering.rs): {unplaced:?}"
    );
}

#[test]
fn stages_only_look_forward() {
    let source = read_source();
    let mut used_allowances = BTreeSet::new();
    let mut broken = Vec::new();
    for r in &source.references {
        let from = module_of(&r.file);
        let to = target_module(&source.modules, &r.target);
        let Some(rule) = broken_rule(&from, &to) else {
            continue;
        };
        if let Some(entry) = ALLOWLIST
            .iter()
            .find(|(file, module)| *file == r.file && *module == to)
        {
            used_allowances.insert(*entry);
            continue;
        }
        broken.push(format!("{}:{}: `{}`: {rule}", r.file, r.line, r.path));
    }
    for (file, line) in &source.escapes {
        broken.push(format!(
            "{file}:{line}: this `super::` chain climbs to the crate root: write the path as `crate::…`, which the layering rules read"
        ));
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
    let stale: Vec<_> = ALLOWLIST
        .iter()
        .filter(|entry| !used_allowances.contains(*entry))
        .collect();
    assert!(
        stale.is_empty(),
        "allowed backward imports that no longer occur (remove them from ALLOWLIST): {stale:?}"
    );
}

#[test]
fn no_import_cycle_joins_base_and_stage_modules() {
    let source = read_source();
    // Module → modules it names, with the first place it does; allowed edges left out (they
    // are backward by definition, and go at merge).
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for r in &source.references {
        let from = module_of(&r.file);
        let to = target_module(&source.modules, &r.target);
        let layered = |m: &str| is_base(m) || rank(m).is_some();
        let allowed = ALLOWLIST.iter().any(|(f, m)| *f == r.file && *m == to);
        if from != to && layered(&from) && layered(&to) && !allowed {
            edges
                .entry(from)
                .or_default()
                .entry(to)
                .or_insert_with(|| format!("{}:{}", r.file, r.line));
        }
    }
    // Depth-first search; a grey module met again closes a cycle.
    fn visit(
        module: &str,
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        state: &mut BTreeMap<String, bool>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(module) {
            Some(true) => {
                let start = stack.iter().position(|m| m == module).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(module.to_string());
                return Some(cycle);
            }
            Some(false) => return None,
            None => {}
        }
        state.insert(module.to_string(), true);
        stack.push(module.to_string());
        for next in edges.get(module).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(module.to_string(), false);
        None
    }
    let mut state = BTreeMap::new();
    for module in edges.keys() {
        if let Some(cycle) = visit(module, &edges, &mut state, &mut Vec::new()) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} → {} ({})", w[0], w[1], edges[&w[0]][&w[1]]))
                .collect();
            panic!("import cycle:\n{}", steps.join("\n"));
        }
    }
}
