//! How each shell variable of a runbook gets its value: the lookups and guards the steps
//! register, and the first step that sets them all, in the order the commands need them.

use std::collections::BTreeMap;

use super::{Role, Runbook, step};
use crate::shell;

/// How a variable of a runbook gets its value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Id {
    /// `NAME=$(lookup)`: the upstream output names it exactly.
    Lookup(String),
    /// Only the operator knows it: a line that stops with this help until it is set, after
    /// the command (if any) that lists what to choose from.
    Guard(String, Option<String>),
}

impl Runbook {
    pub(super) fn lookup(&mut self, name: &str, line: String) {
        self.set(name, Id::Lookup(line));
    }
    pub(super) fn guard(&mut self, name: &str, help: String) {
        self.set(name, Id::Guard(help, None));
    }
    pub(super) fn guard_after(&mut self, name: &str, help: String, hint: String) {
        self.set(name, Id::Guard(help, Some(hint)));
    }
    /// The first way to set `name` wins; a different one is a second id under that name.
    fn set(&mut self, name: &str, id: Id) {
        match self.ids.get(name) {
            None => {
                self.ids.insert(name.to_string(), id);
            }
            Some(first) if *first != id && !self.collisions.iter().any(|c| c == name) => {
                self.collisions.push(name.to_string());
            }
            Some(_) => {}
        }
    }
    /// The variables that stand for two different ids (none, unless the generator has a bug).
    pub fn collisions(&self) -> &[String] {
        &self.collisions
    }
}

/// The shell variables a command line reads (`$NAME`, `${NAME…}`; upper case, as the
/// runbooks name them), outside single quotes and comments.
pub fn references(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'\\' if !single => i += 1,
            b'#' if !single && !double && (i == 0 || bytes[i - 1] == b' ') => break,
            b'$' if !single => {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let len = bytes[start.min(bytes.len())..]
                    .iter()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
                    .count();
                if len > 0 && !bytes[start].is_ascii_digit() {
                    names.push(line[start..start + len].to_string());
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// The variable a line sets (`NAME=…`) or guards (`: "${NAME:?…}"`), if any.
pub fn defines(line: &str) -> Option<String> {
    let name_len = |s: &str| {
        s.bytes()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
            .count()
    };
    if let Some(rest) = line.strip_prefix(": \"${") {
        let n = name_len(rest);
        return (n > 0 && rest[n..].starts_with(":?")).then(|| rest[..n].to_string());
    }
    let n = name_len(line);
    (n > 0 && line[n..].starts_with('=')).then(|| line[..n].to_string())
}

/// Puts first the step that sets every variable the runbook reads before a line of its own
/// sets it: lookups (after the variables they read), then a line showing each, then the
/// guards for what only the operator knows.
pub(super) fn set_ids(book: &mut Runbook) {
    let mut set: Vec<String> = Vec::new();
    let mut needed: Vec<String> = Vec::new();
    for line in book
        .steps
        .iter()
        .chain(&book.rollback)
        .chain(&book.gate_checks)
        .flat_map(|s| &s.commands)
    {
        // A guard defines what it reads; an assignment reads before it sets.
        let defined = defines(line);
        let guard = line.starts_with(": ");
        if guard && let Some(name) = &defined {
            set.push(name.clone());
        }
        for name in references(line) {
            if !set.contains(&name) && !needed.contains(&name) {
                needed.push(name);
            }
        }
        if !guard && let Some(name) = defined {
            set.push(name);
        }
    }
    find_created_again(book);
    if needed.is_empty() && book.collisions.is_empty() {
        return;
    }
    // Each in the order the runbook needs it, after what its own lines read.
    fn add(
        name: &str,
        ids: &BTreeMap<String, Id>,
        done: &mut Vec<String>,
        lines: &mut Vec<String>,
        shows: &mut Vec<String>,
    ) {
        if done.iter().any(|d| d == name) {
            return;
        }
        done.push(name.to_string());
        match ids.get(name) {
            Some(Id::Lookup(line)) => {
                for dependency in references(line) {
                    add(&dependency, ids, done, lines, shows);
                }
                lines.push(line.clone());
                shows.push(shell::show(name));
            }
            Some(Id::Guard(help, hint)) => {
                if let Some(hint) = hint {
                    for dependency in references(hint) {
                        add(&dependency, ids, done, lines, shows);
                    }
                    lines.push(hint.clone());
                }
                lines.push(shell::guard(name, help));
            }
            None => lines.push(shell::guard(name, &format!("set {name} first"))),
        }
    }
    let (mut lines, mut shows, mut done) = (Vec::new(), Vec::new(), Vec::new());
    for name in &needed {
        add(name, &book.ids, &mut done, &mut lines, &mut shows);
    }
    let stop = (!book.collisions.is_empty()).then(|| shell::collision_guard(&book.collisions));
    let commands: Vec<String> = stop.into_iter().chain(lines).chain(shows).collect();
    let first = step(Role::Operations, "Set the ids this phase uses", "-")
        .detail("In the shell you run this phase from, and again in any new shell: each id comes from the lookup that finds it exactly, or, where no lookup can, from you (each `: \"${NAME:?…}\"` line stops with what to set until it is set). The later commands use these variables")
        .commands(commands)
        .expect("every lookup prints its id and no line stops with a message");
    book.steps.insert(0, first);
}

/// A rollback step that reads an id a step of the runbook created (a zone, a record) starts
/// with the lookup that finds it again, so that it also works from a new shell; where the
/// thing was never created, the line that shows it stops: there is nothing to undo.
fn find_created_again(book: &mut Runbook) {
    let created: Vec<String> = book
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .filter_map(|line| defines(line).filter(|_| !line.starts_with(": ")))
        .collect();
    for step in &mut book.rollback {
        let mut found: Vec<String> = Vec::new();
        let (mut lines, mut shows) = (Vec::new(), Vec::new());
        fn add(
            name: &str,
            ids: &BTreeMap<String, Id>,
            created: &[String],
            found: &mut Vec<String>,
            lines: &mut Vec<String>,
            shows: &mut Vec<String>,
        ) {
            if found.iter().any(|f| f == name) || !created.iter().any(|c| c == name) {
                return;
            }
            if let Some(Id::Lookup(line)) = ids.get(name) {
                found.push(name.to_string());
                for dependency in references(line) {
                    add(&dependency, ids, created, found, lines, shows);
                }
                lines.push(line.clone());
                shows.push(shell::show(name));
            }
        }
        let mut own: Vec<String> = Vec::new();
        for line in &step.commands {
            for name in references(line) {
                if !own.contains(&name) {
                    add(
                        &name, &book.ids, &created, &mut found, &mut lines, &mut shows,
                    );
                }
            }
            own.extend(defines(line));
        }
        if !lines.is_empty() {
            lines.append(&mut shows);
            lines.append(&mut step.commands);
            step.commands = lines;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_skip_single_quotes_and_comments() {
        assert_eq!(
            references(r#"a "$X" '$Y' ${Z:?m} $low   # $W"#),
            vec!["X".to_string(), "Z".to_string()]
        );
        assert_eq!(defines("X=$(a)"), Some("X".into()));
        assert_eq!(defines(": \"${X:?help}\""), Some("X".into()));
        assert_eq!(defines("echo X=1"), None);
    }
}
