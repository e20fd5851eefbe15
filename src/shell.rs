//! Shell quoting for the commands a bundle's runbooks and DNS change list hold: an operator
//! pastes them into a production shell, so every value from the spec is one word, whatever
//! it contains.

/// `value` as one POSIX shell word: bare when it holds only characters no shell treats
/// specially, else single-quoted, with each `'` written as `'\''`.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b',' | b'@' | b'+' | b'%' | b'=')
        })
        // A leading `=` or `~`-like prefix is special in some shells (zsh `=cmd`).
        && !value.starts_with('=');
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The name of the shell variable that holds a cloud id found at run time, such as
/// `VSG_ID_BLOG` for `("vsg-id", "blog")`: upper case letters, digits and `_`.
///
/// `parts[0]` is the generator's own kind (`vsg-id`); the rest are raw values from the spec.
/// Distinct inputs get distinct names, so one lookup never serves two ids: the readable form
/// (each run of other characters as `_`) is exact only when every raw value is a lowercase
/// word and only the last may hold single `-` (a label) or single `.` between digits (an
/// IPv4 address); any other input gets `__` and a hash of the raw parts, and `__` never
/// appears in an exact name.
pub fn variable(parts: &[&str]) -> String {
    let mut name = parts
        .iter()
        .map(|part| readable(part))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    let raw = parts.get(1..).unwrap_or_default();
    let exact = raw.iter().enumerate().all(|(i, part)| {
        if i + 1 == raw.len() {
            is_label(part) || is_dotted_digits(part)
        } else {
            is_word(part)
        }
    });
    if !exact {
        name.push_str("__");
        name.push_str(&digest(parts));
    }
    name
}

/// A part in upper case, with `@` as `APEX` and each run of other characters as one `_`.
fn readable(part: &str) -> String {
    let mut out = String::new();
    for c in part.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if c == '@' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push_str("APEX_");
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Lowercase letters and digits only.
fn is_word(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Lowercase words joined by single `-`, with at least one letter (so never digits only).
fn is_label(part: &str) -> bool {
    part.split('-').all(is_word) && part.bytes().any(|b| b.is_ascii_lowercase())
}

/// Digits joined by single `.`.
fn is_dotted_digits(part: &str) -> bool {
    part.split('.')
        .all(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Ten hex digits of FNV-1a (64 bit) over the parts, each ended by a byte UTF-8 never holds.
fn digest(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts
        .iter()
        .flat_map(|p| p.bytes().chain(std::iter::once(0xff)))
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:010X}", hash >> 24)
}

/// The variable a stop line reads when two different ids got one variable name: a bug of
/// the generator, so the commands stop before they use either.
pub const COLLISION: &str = "CUTOVER_VARIABLE_COLLISION";

/// The line that stops a runbook or change list whose `names` each stand for two ids.
pub fn collision_guard(names: &[String]) -> String {
    guard(
        COLLISION,
        &format!(
            "two different ids share the variable {}: a cutover bug, report it and do not run these commands",
            names.join(", ")
        ),
    )
}

/// One command line, built word by word: the generator's own program names and flags go in
/// as they are ([`Line::lit`]), every value through [`quote`] ([`Line::arg`], [`Line::opt`],
/// [`Line::json`]), every id found at run time as a double-quoted variable ([`Line::var`]).
#[derive(Clone, Debug)]
pub struct Line(String);

/// A piece of one shell word: literal text (quoted) or a variable (`"$NAME"`).
#[derive(Clone, Copy, Debug)]
pub enum Piece<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// One word made of literal text and variables, such as `/clusters/"$CLUSTER_ID"`.
pub fn word(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(text) => quote(text),
            Piece::Var(name) => format!("\"${name}\""),
        })
        .collect()
}

impl Line {
    /// Starts with the generator's own words (a program and its subcommand), never a value.
    pub fn new(words: &str) -> Line {
        Line(words.to_string())
    }
    /// The generator's own words (flags), never a value.
    pub fn lit(mut self, words: &str) -> Line {
        self.0.push(' ');
        self.0.push_str(words);
        self
    }
    /// A value as one word.
    pub fn arg(mut self, value: impl AsRef<str>) -> Line {
        self.0.push(' ');
        self.0.push_str(&quote(value.as_ref()));
        self
    }
    /// A flag and its value.
    pub fn opt(self, flag: &str, value: impl AsRef<str>) -> Line {
        self.lit(flag).arg(value)
    }
    /// A flag and a variable.
    pub fn opt_var(self, flag: &str, name: &str) -> Line {
        self.lit(flag).var(name)
    }
    /// A variable as one word.
    pub fn var(mut self, name: &str) -> Line {
        self.0.push_str(&format!(" \"${name}\""));
        self
    }
    /// A word of literal text and variables.
    pub fn word(mut self, pieces: &[Piece]) -> Line {
        self.0.push(' ');
        self.0.push_str(&word(pieces));
        self
    }
    /// A JSON value (built with serde_json, never by hand) as one word.
    pub fn json(self, value: &serde_json::Value) -> Line {
        let text = serde_json::to_string(value).unwrap_or_default();
        self.arg(text)
    }
    /// The output of `inner` as one word: `"$(inner)"`.
    pub fn subst(mut self, inner: Line) -> Line {
        self.0.push_str(&format!(" \"$({})\"", inner.0));
        self
    }
    /// `self | next`.
    pub fn pipe(mut self, next: Line) -> Line {
        self.0.push_str(" | ");
        self.0.push_str(&next.0);
        self
    }
    /// A trailing `# comment`, one line whatever the text holds.
    pub fn comment(mut self, text: &str) -> Line {
        self.0.push_str("   # ");
        self.0.push_str(&one_line(text));
        self
    }
    /// `self && next`.
    pub fn and(mut self, next: Line) -> Line {
        self.0.push_str(" && ");
        self.0.push_str(&next.0);
        self
    }
    /// `( self )`: a subshell, so a `cd` stays inside it.
    pub fn subshell(self) -> Line {
        Line(format!("({})", self.0))
    }
    /// `NAME=$(command)`.
    pub fn assign(name: &str, command: Line) -> Line {
        Line(format!("{name}=$({})", command.0))
    }
    pub fn build(self) -> String {
        self.0
    }
}

impl From<Line> for String {
    fn from(line: Line) -> String {
        line.0
    }
}

/// `jq` with `--arg` values (quoted) and a filter of the generator's own.
pub fn jq(flags: &str, args: &[(&str, &str)], filter: &str) -> Line {
    let mut line = Line::new("jq").lit(flags);
    for (name, value) in args {
        line = line.lit("--arg").lit(name).arg(value);
    }
    line.arg(filter)
}

/// `jq` that prints the one id the stream `list` yields (nulls left out), or prints nothing
/// and fails with "found N <what>, expected exactly one": the `${NAME:?}` after the lookup
/// then stops, so a lookup never yields `null`, nothing, or two ids joined by a newline.
pub fn jq_one(args: &[(&str, &str)], list: &str, what: &str) -> Line {
    jq(
        "-er",
        args,
        &format!(
            "[{list} | values | tostring] | if length == 1 then .[0] else error(\"found \\(length) {what}, expected exactly one\") end"
        ),
    )
}

/// `jq` that prints the id field a create call answers with, or nothing (and fails) when the
/// answer has none, such as an error.
pub fn jq_field(field: &str) -> Line {
    jq("-er", &[], &format!("{field} | values | tostring"))
}

/// A line that stops with `help` when `name` is empty or unset: `: "${NAME:?help}"`.
pub fn guard(name: &str, help: &str) -> String {
    format!(": \"${{{name}:?{}}}\"", in_parameter_word(help))
}

/// A line that shows what a lookup found, and stops when it found nothing.
pub fn show(name: &str) -> String {
    format!("echo \"{name}=${{{name}:?not found: check the lookup above}}\"")
}

/// A line that shows what a lookup found, or `note` when it found nothing (a record that
/// exists only later), without stopping.
pub fn show_or(name: &str, note: &str) -> String {
    format!("echo \"{name}=${{{name}:-{}}}\"", in_parameter_word(note))
}

/// Text for the word of `"${NAME:?word}"`: one line, nothing the shell expands there, and
/// no `'` (shown as `’`).
fn in_parameter_word(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        match c {
            '\\' | '$' | '`' | '"' | '}' => {
                out.push('\\');
                out.push(c);
            }
            // bash still pairs single quotes there, even inside the double quotes.
            '\'' => out.push('\u{2019}'),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line: line breaks and other control characters shown as escapes.
fn one_line(text: &str) -> String {
    crate::markdown::visible(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("cn-hangzhou"), "cn-hangzhou");
        assert_eq!(quote("oss://bk/prefix"), "oss://bk/prefix");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(
            quote("oss://bk;touch${IFS}/tmp/x;"),
            "'oss://bk;touch${IFS}/tmp/x;'"
        );
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(id)"), "'$(id)'");
        assert_eq!(quote("=ls"), "'=ls'");
    }

    #[test]
    fn variable_names_are_shell_names() {
        assert_eq!(variable(&["vsg-id", "blog"]), "VSG_ID_BLOG");
        assert_eq!(
            variable(&["record-id", "www", "a", "203.0.113.10"]),
            "RECORD_ID_WWW_A_203_0_113_10"
        );
        assert_eq!(variable(&["vsg-id", "api-x"]), "VSG_ID_API_X");
        assert!(variable(&["record-id", "@", "a"]).starts_with("RECORD_ID_APEX_A__"));
        assert_eq!(variable(&["1x"]), "_1X");
    }

    #[test]
    fn distinct_inputs_get_distinct_names() {
        let groups: &[&[&[&str]]] = &[
            &[
                &["vsg-id", "a-b"],
                &["vsg-id", "a.b"],
                &["vsg-id", "a_b"],
                &["vsg-id", "A-B"],
            ],
            &[
                &["vsg-id", "api-x"],
                &["vsg-id", "api--x"],
                &["vsg-id", "api-x-"],
            ],
            &[
                &["record-id", "@", "a", "1.2.3.4"],
                &["record-id", "apex", "a", "1.2.3.4"],
                &["record-id", "APEX", "a", "1.2.3.4"],
            ],
            &[
                &["record-id", "a-b", "a", "1.2.3.4"],
                &["record-id", "a.b", "a", "1.2.3.4"],
            ],
            &[&["x", "a-b", "c"], &["x", "a", "b-c"], &["x", "a", "b.c"]],
            &[&["x", "1-2"], &["x", "1.2"], &["x", "1_2"]],
        ];
        for group in groups {
            let names: std::collections::BTreeSet<String> =
                group.iter().map(|parts| variable(parts)).collect();
            assert_eq!(names.len(), group.len(), "{names:?}");
        }
        // Exhaustively over short values from an alphabet that holds every separator.
        let alphabet = ['a', '1', '-', '.', '_', '@', 'A'];
        let mut values = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = values
                .iter()
                .filter(|v| v.len() == values.last().map_or(0, String::len))
                .flat_map(|v| alphabet.iter().map(move |c| format!("{v}{c}")))
                .collect();
            values.extend(longer);
        }
        let mut seen = std::collections::BTreeMap::new();
        for a in &values {
            for b in ["a", "1", "a-1", "1.1"] {
                let parts = ["k", a.as_str(), b];
                if let Some(other) = seen.insert(variable(&parts), parts) {
                    assert_eq!(other, parts, "{} is shared", variable(&parts));
                }
            }
        }
    }

    #[test]
    fn lines_quote_values_and_keep_variables_whole() {
        let line = Line::new("aliyun cs")
            .lit("DELETE")
            .word(&[Piece::Lit("/clusters/"), Piece::Var("CLUSTER_ID")])
            .opt("--Name", "a b")
            .comment("x\n$(id)")
            .build();
        assert_eq!(
            line,
            "aliyun cs DELETE /clusters/\"$CLUSTER_ID\" --Name 'a b'   # x\\n$(id)"
        );
        assert_eq!(
            guard("X", "see \"$Y\" `z` }"),
            ": \"${X:?see \\\"\\$Y\\\" \\`z\\` \\}}\""
        );
    }
}
