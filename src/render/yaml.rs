//! A small YAML emitter for manifests: 2-space indentation, keys sorted, and strings quoted
//! whenever a YAML 1.1 *or* 1.2 reader could take them for anything but that string.
//!
//! A YAML 1.2 reader takes `yes`, `on` or `1:20` as plain strings; kubectl's
//! reader (go-yaml, YAML 1.1) turns them into booleans and numbers. Quoting is decided
//! here, once, for every value: a spec value can never become a key, a document or a
//! different type.

use serde::Serialize;
use serde_json::Value;

/// Serializes any value as a YAML document (no `---`), ending in one newline.
pub fn to_string<T: Serialize>(value: &T) -> String {
    from_value(&serde_json::to_value(value).unwrap_or(Value::Null))
}

/// [`to_string`] for a value already serialized, so a manifest is serialized only once.
pub fn from_value(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out, false),
        Value::Array(items) if !items.is_empty() => write_seq(items, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

/// A value that fits on the line of its key or dash: a scalar or an empty collection.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        _ => String::new(),
    }
}

/// Writes a mapping at `width`. After a sequence dash (`after_dash`) the first key goes on
/// the dash's line.
fn write_map(
    map: &serde_json::Map<String, Value>,
    width: usize,
    out: &mut String,
    after_dash: bool,
) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !after_dash {
            indent(out, width);
        }
        push_string(out, key);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(inner, width + 2, out, false);
            }
            // Sequences sit at their key's indentation, as kubectl writes them.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(items, width, out);
            }
            Value::String(text) => {
                out.push(' ');
                push_string(out, text);
                out.push('\n');
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_seq(items: &[Value], width: usize, out: &mut String) {
    for item in items {
        indent(out, width);
        out.push_str("- ");
        match item {
            Value::Object(inner) if !inner.is_empty() => write_map(inner, width + 2, out, true),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, width + 2, out);
            }
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// YAML 1.1 words for booleans and null (go-yaml v2 reads these), and 1.2's.
const RESERVED: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "=",
    "<<",
];

/// A string as a plain scalar when that is unambiguous in YAML 1.1 and 1.2, else
/// double-quoted with escapes for everything not printable in both (see [`push_quoted`]).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// [`string`], appended to `out` without an intermediate allocation for plain scalars.
fn push_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

/// A double-quoted scalar. JSON's escapes are not enough: YAML 1.1 readers (PyYAML, go-yaml
/// v2, kubectl) take U+0085, U+2028 and U+2029 inside quotes for line breaks and fold them,
/// and YAML forbids DEL, C1 controls and U+FEFF/U+FFFE/U+FFFF raw; bidirectional controls
/// are escaped so that no reviewer reads a value other than the one it is.
fn push_quoted(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || crate::markdown::is_unsafe_char(c)
                || matches!(c, '\u{fffe}' | '\u{ffff}') =>
            {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Every reserved word is at most five bytes long: skip the list for longer strings.
    if (s.len() <= 5 && RESERVED.contains(&s)) || looks_numeric(s) {
        return false;
    }
    // Block-context plain scalars (the only kind written here): after a safe first
    // character, brackets, `*`, `:` and inner spaces are text; `: ` and ` #` are not.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_.-+@%=,()[]*: ".contains(c);
    let starts_ok = first.is_ascii_alphanumeric() || "/_.".contains(first);
    starts_ok
        && s.chars().all(allowed)
        && !s.ends_with([':', ' '])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains("  ")
}

/// Anything a YAML 1.1 or 1.2 reader could resolve to a number: digits, signs, dots,
/// exponents, `0x`/`0o`/`0b`, sexagesimal `1:20`, `.inf`, `.nan`, with `_` separators.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    if [".inf", ".nan", "inf", "nan", "infinity"]
        .iter()
        .any(|word| t.eq_ignore_ascii_case(word))
    {
        return true;
    }
    let first = match t.chars().next() {
        Some(c) => c,
        None => return !s.is_empty() && s.len() <= 1 && "+-".contains(s),
    };
    if !(first.is_ascii_digit() || first == '.') {
        return false;
    }
    // Starts like a number: quote it unless it clearly is a word (`1gi`, `4k8s`).
    t.chars()
        .all(|c| c.is_ascii_hexdigit() || "._:+-xXoObB".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_of_yaml_1_1_and_controls_are_escaped() {
        let hostile = "a\u{85}b\u{2028}c\u{2029}d\u{7f}e\u{1b}f\u{202e}g\u{feff}h\"\\";
        let written = string(hostile);
        assert_eq!(
            written,
            "\"a\\u0085b\\u2028c\\u2029d\\u007Fe\\u001Bf\\u202Eg\\uFEFFh\\\"\\\\\""
        );
        assert!(written.is_ascii());
        // Read back by a YAML 1.2 reader other than our loader.
        let options = serde_saphyr::options! { strict_booleans: true };
        let read: String = serde_saphyr::from_str_with_options(&written, options).unwrap();
        assert_eq!(read, hostile);
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "~",
            "null",
            "",
            "1",
            "1.0",
            "0x1F",
            "0o17",
            "012",
            "1:20",
            "1e3",
            ".5",
            ".inf",
            "-1",
            "+1",
            "- item",
            "a: b",
            "#x",
            "&a",
            "*a",
            "!t",
            "%d",
            "@x",
            "`x`",
            "'q'",
            "\"q\"",
            "{a}",
            "[a]",
            "a #b",
            "line\nbreak",
            " lead",
            "trail ",
            "key:",
            "1_000",
            "ab\tc",
            "=",
        ] {
            assert!(
                string(s).starts_with('"'),
                "{s:?} must be quoted, got {}",
                string(s)
            );
        }
    }

    #[test]
    fn ordinary_values_stay_plain() {
        for s in [
            "gateway",
            "registry.cn-hangzhou.aliyuncs.com/piggymetrics/gateway:2.1.0",
            "app.kubernetes.io/name",
            "/actuator/health",
            "500m",
            "2Gi",
            "cn-hangzhou-g",
            "RuntimeDefault",
            "d-bp1example0000000001",
            "services[gateway]",
            "services[*].routes on target.testDomain",
            "http://example.com/x",
        ] {
            assert_eq!(string(s), s);
        }
    }

    #[test]
    fn documents_nest_maps_and_sequences_kubectl_style() {
        let value = serde_json::json!({
            "a": {"b": [{"c": 1, "d": ["x", "yes"]}, "plain"], "e": {}},
            "f": [],
        });
        assert_eq!(
            to_string(&value),
            "a:\n  b:\n  - c: 1\n    d:\n    - x\n    - \"yes\"\n  - plain\n  e: {}\nf: []\n"
        );
    }
}
