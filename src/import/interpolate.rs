//! Variable interpolation as `docker compose` does it (compose-spec `12-interpolation.md`):
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
//! `${VAR:+alt}`, `${VAR+alt}`, nested operands, and `$$` for a literal `$`. A `$` that does
//! not start a valid name or a brace is kept as written.
//!
//! It applies to each scalar value after the YAML is parsed, so a value can never bring YAML
//! structure in: `a: ${X}` with `X="b\nc: d"` is one string.
//!
//! A secret never passes through: a variable whose name is secret-shaped (`DB_PASSWORD`), or
//! whose value looks like a credential, is not substituted. The value keeps a bare
//! `${NAME}` reference instead (without its default, which may be a written secret too), and
//! the caller maps it onto a spec Secret.

use std::collections::BTreeMap;

use crate::check::credential::{find_credential, is_secret_name, is_written_secret};

/// The variables interpolation reads: the process environment over the env files, as
/// compose ranks them.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a variable, replacing an earlier value (later sources win).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether a variable holds a secret the spec must not get.
    pub fn is_secret(&self, name: &str) -> bool {
        let value = self.get(name).unwrap_or("");
        is_secret_name(name) || is_written_secret(name, value) || find_credential(value).is_some()
    }

    /// The secret values of the variables, to keep them out of comments as well.
    pub fn secret_values(&self) -> Vec<String> {
        self.values
            .iter()
            .filter(|(name, value)| !value.is_empty() && self.is_secret(name))
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// One scalar after interpolation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Interpolated {
    pub text: String,
    /// Secret variables kept as `${NAME}` references instead of their values.
    pub withheld: Vec<String>,
    /// Variables that were unset and had no default: compose substitutes an empty string.
    pub unset: Vec<String>,
    /// `${VAR:?err}` and `${VAR?err}` whose variable was unset (or empty): the name and the
    /// message. Compose stops; the import writes `TODO` in their place.
    pub required: Vec<(String, String)>,
    /// A `${` with no closing `}`, or nested deeper than the import reads: compose refuses
    /// the file; the import writes `TODO` in its place rather than a literal `${`.
    pub malformed: bool,
}

/// The text that stands in for a required variable nobody set.
pub const REQUIRED_PLACEHOLDER: &str = crate::model::placeholder::TOKEN;

/// Interpolates one scalar's text.
pub fn interpolate(text: &str, vars: &Variables) -> Interpolated {
    let mut out = Interpolated::default();
    let chars: Vec<char> = text.chars().collect();
    out.text = expand(&chars, vars, &mut out, 0);
    out
}

/// Nesting beyond this is kept as written: no real file nests that deep, and it bounds the
/// recursion on hostile input.
const MAX_DEPTH: usize = 8;

fn expand(chars: &[char], vars: &Variables, out: &mut Interpolated, depth: usize) -> String {
    let mut text = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            text.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                text.push('$');
                i += 2;
            }
            Some('{') if depth < MAX_DEPTH => match closing_brace(chars, i + 2) {
                Some(end) => {
                    text.push_str(&braced(&chars[i + 2..end], vars, out, depth));
                    i = end + 1;
                }
                None => {
                    // An unterminated `${`: compose refuses it; no literal `${` reaches a pod.
                    out.malformed = true;
                    text.push_str(REQUIRED_PLACEHOLDER);
                    i = chars.len();
                }
            },
            Some('{') => {
                // Nested deeper than MAX_DEPTH: not expanded, so not kept as a literal either.
                out.malformed = true;
                text.push_str(REQUIRED_PLACEHOLDER);
                i = closing_brace(chars, i + 2).map_or(chars.len(), |end| end + 1);
            }
            Some(&first) if first == '_' || first.is_ascii_alphabetic() => {
                let end = (i + 1..chars.len())
                    .find(|&j| !(chars[j] == '_' || chars[j].is_ascii_alphanumeric()))
                    .unwrap_or(chars.len());
                let name: String = chars[i + 1..end].iter().collect();
                text.push_str(&substitute(&name, vars, out));
                i = end;
            }
            _ => {
                text.push('$');
                i += 1;
            }
        }
    }
    text
}

/// The index of the `}` closing a `${` whose body starts at `start`, counting nested braces.
fn closing_brace(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, &c) in chars[start..].iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(start + offset),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The value of a variable, or its reference when it holds a secret.
fn substitute(name: &str, vars: &Variables, out: &mut Interpolated) -> String {
    if vars.is_secret(name) {
        out.withheld.push(name.to_string());
        return format!("${{{name}}}");
    }
    match vars.get(name) {
        Some(value) => value.to_string(),
        None => {
            out.unset.push(name.to_string());
            String::new()
        }
    }
}

/// `NAME`, `NAME:-word`, `NAME-word`, `NAME:?word`, `NAME?word`, `NAME:+word`, `NAME+word`.
fn braced(body: &[char], vars: &Variables, out: &mut Interpolated, depth: usize) -> String {
    let name_end = body
        .iter()
        .position(|&c| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(body.len());
    let name: String = body[..name_end].iter().collect();
    let valid_name = name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
    let rest = &body[name_end..];
    if !valid_name {
        // `${1}`, `${}`, `${VAR/a/b}`: not compose interpolation; kept as written.
        return format!("${{{}}}", body.iter().collect::<String>());
    }
    if rest.is_empty() {
        return substitute(&name, vars, out);
    }
    let (colon, op, word) = match rest {
        [':', op, word @ ..] => (true, *op, word),
        [op, word @ ..] => (false, *op, word),
        [] => return substitute(&name, vars, out),
    };
    if !matches!(op, '-' | '?' | '+') {
        return format!("${{{}}}", body.iter().collect::<String>());
    }
    // A secret variable is never read, whatever the operator: its reference stands in.
    if vars.is_secret(&name) {
        out.withheld.push(name.clone());
        return format!("${{{name}}}");
    }
    let value = vars.get(&name);
    let present = match value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        '-' if present => value.unwrap_or("").to_string(),
        '-' => expand(word, vars, out, depth + 1),
        '?' if present => value.unwrap_or("").to_string(),
        '?' => {
            let message = expand(word, vars, out, depth + 1);
            out.required.push((name, message));
            REQUIRED_PLACEHOLDER.to_string()
        }
        '+' if present => expand(word, vars, out, depth + 1),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        let mut v = Variables::new();
        for (k, val) in pairs {
            v.set(*k, *val);
        }
        v
    }

    fn text(input: &str, pairs: &[(&str, &str)]) -> String {
        interpolate(input, &vars(pairs)).text
    }

    #[test]
    fn every_compose_form_substitutes_as_compose_does() {
        let set = [("SET", "value"), ("EMPTY", "")];
        assert_eq!(text("${SET}", &set), "value");
        assert_eq!(text("$SET/x", &set), "value/x");
        assert_eq!(text("${UNSET:-d}", &set), "d");
        assert_eq!(text("${EMPTY:-d}", &set), "d");
        assert_eq!(text("${EMPTY-d}", &set), "");
        assert_eq!(text("${UNSET-d}", &set), "d");
        assert_eq!(text("${SET:+alt}", &set), "alt");
        assert_eq!(text("${EMPTY:+alt}", &set), "");
        assert_eq!(text("${EMPTY+alt}", &set), "alt");
        assert_eq!(text("${UNSET+alt}", &set), "");
        assert_eq!(text("${UNSET:-${SET:-x}}", &set), "value");
        assert_eq!(text("${UNSET:-${ALSO:-deep}}", &set), "deep");
        assert_eq!(text("$$SET $${SET}", &set), "$SET ${SET}");
        assert_eq!(text("cost: 5$ $1 ${1}", &set), "cost: 5$ $1 ${1}");
        assert_eq!(
            text("${AIRFLOW_PROJ_DIR:-.}/dags", &set),
            "./dags",
            "the Airflow sample's bind mount"
        );
    }

    #[test]
    fn a_required_variable_left_unset_is_reported_and_written_as_the_placeholder() {
        let result = interpolate("db:${HOST:?set the database host}", &Variables::new());
        assert_eq!(result.text, "db:TODO");
        assert_eq!(
            result.required,
            vec![("HOST".to_string(), "set the database host".to_string())]
        );
        let result = interpolate("${HOST?}", &vars(&[("HOST", "")]));
        assert_eq!(result.text, "");
        assert!(result.required.is_empty());
    }

    #[test]
    fn an_unset_variable_is_empty_and_reported() {
        let result = interpolate("a${NOPE}b", &Variables::new());
        assert_eq!(result.text, "ab");
        assert_eq!(result.unset, vec!["NOPE".to_string()]);
    }

    #[test]
    fn a_secret_variable_is_never_substituted() {
        let env = vars(&[
            ("DB_PASSWORD", "hunter2"),
            ("UPSTREAM", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
        ]);
        let result = interpolate("postgres://app:${DB_PASSWORD:-changeme}@db/app", &env);
        assert_eq!(result.text, "postgres://app:${DB_PASSWORD}@db/app");
        assert_eq!(result.withheld, vec!["DB_PASSWORD".to_string()]);
        let result = interpolate("$UPSTREAM", &env);
        assert_eq!(result.text, "${UPSTREAM}");
        assert!(!result.text.contains("ghp_"));
    }

    #[test]
    fn a_value_cannot_bring_structure_or_recurse_without_bound() {
        let env = vars(&[("X", "b\nc: d")]);
        assert_eq!(text("${X}", &[("X", "b\nc: d")]), "b\nc: d");
        assert_eq!(interpolate("${X}", &env).text.lines().count(), 2);
        let deep = format!("{}x{}", "${A:-".repeat(50), "}".repeat(50));
        let deep = interpolate(&deep, &Variables::new());
        assert!(deep.malformed && !deep.text.contains("${"), "{}", deep.text);
        assert_eq!(text("${VAR/a/b}", &[]), "${VAR/a/b}");
    }

    #[test]
    fn an_unclosed_brace_is_reported_and_written_as_the_placeholder() {
        // compose refuses the file; a literal `${` must not reach a pod's environment.
        let result = interpolate("redis://${REDIS_HOST", &Variables::new());
        assert_eq!(result.text, "redis://TODO");
        assert!(result.malformed);
        assert!(!interpolate("${SET}", &vars(&[("SET", "x")])).malformed);
        assert_eq!(text("${VAR/a/b}", &[]), "${VAR/a/b}");
    }
}
