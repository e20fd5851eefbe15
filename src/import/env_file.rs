//! Compose's `.env` format (docs.docker.com/compose/how-tos/environment-variables/
//! variable-interpolation/#env-file-syntax): `KEY=VALUE` lines, `#` comments, an optional
//! `export ` first; unquoted values end at ` #`; single quotes are literal; double quotes
//! take `\n`, `\t`, `\r`, `\\` and `\"`; unquoted and double-quoted values are interpolated
//! with the variables known so far.

use super::interpolate::{Variables, interpolate};

/// A line the parser could not read: its number (from 1) and why.
#[derive(Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub why: &'static str,
}

/// Reads an env file into `vars` (its values override earlier ones), interpolating with what
/// `vars` holds. Returns the lines it skipped.
pub fn read_into(text: &str, vars: &mut Variables) -> Vec<BadLine> {
    let mut bad = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            bad.push(BadLine {
                line: index + 1,
                why: "no `=`",
            });
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            bad.push(BadLine {
                line: index + 1,
                why: "not a variable name",
            });
            continue;
        }
        let value = value.trim_start();
        let parsed = match value.chars().next() {
            Some('\'') => match value[1..].find('\'') {
                Some(end) => value[1..1 + end].to_string(),
                None => {
                    bad.push(BadLine {
                        line: index + 1,
                        why: "an unclosed quote (values over several lines are not read)",
                    });
                    continue;
                }
            },
            Some('"') => match double_quoted(&value[1..]) {
                Some(unescaped) => interpolate(&unescaped, vars).text,
                None => {
                    bad.push(BadLine {
                        line: index + 1,
                        why: "an unclosed quote (values over several lines are not read)",
                    });
                    continue;
                }
            },
            _ => {
                let unquoted = match value.find(" #") {
                    Some(comment) => &value[..comment],
                    None => value,
                };
                interpolate(unquoted.trim_end(), vars).text
            }
        };
        vars.set(key, parsed);
    }
    bad
}

/// A double-quoted value's text up to its closing quote, with its escapes applied.
fn double_quoted(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_read_as_compose_reads_them() {
        let mut vars = Variables::new();
        let bad = read_into(
            "# comment\n\nA=1\nexport B=two # note\nC='$A lit'\nD=\"x\\ty $A\"\nE=v#not\nF=${A:-z}/${NOPE:-d}\nnot a line\n",
            &mut vars,
        );
        assert_eq!(vars.get("A"), Some("1"));
        assert_eq!(vars.get("B"), Some("two"));
        assert_eq!(vars.get("C"), Some("$A lit"));
        assert_eq!(vars.get("D"), Some("x\ty 1"));
        assert_eq!(vars.get("E"), Some("v#not"));
        assert_eq!(vars.get("F"), Some("1/d"));
        assert_eq!(
            bad,
            vec![BadLine {
                line: 9,
                why: "no `=`"
            }]
        );
    }
}
