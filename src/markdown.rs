//! Markdown escaping, by context, for every value that reaches a Markdown document: plain
//! text, inline code, a table cell, a fenced code block and a Mermaid label. The plan uses
//! [`code`] and [`text`] where it builds Markdown sentences around spec values; the template
//! environment applies [`text`] to every value a template prints unless a filter chose
//! another context.
//!
//! Whatever the value holds, the document's structure stays the one the template wrote: no
//! value opens a heading, a list, a link, an image, raw HTML or a code block, or closes one.
//! Escapes are added only where CommonMark (with GitHub's tables and strikethrough) could
//! read syntax, so ordinary values (`203.0.113.10`, `cn-hangzhou`, `25%`) stay as they are.

/// A value as plain Markdown text. The value may start a line (a list item's text, a
/// paragraph), so block syntax at its start is escaped too; line breaks and other control
/// characters are shown as escapes, leading spaces as entities (four would open a code block).
pub fn text(value: &str) -> String {
    escape(value, true)
}

/// `value` with a backslash before every character that could read as syntax; block
/// syntax too when the value may start a line.
fn escape(value: &str, may_start_a_line: bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let lead = if may_start_a_line {
        value.len() - value.trim_start_matches(' ').len()
    } else {
        0
    };
    for _ in 0..lead {
        out.push_str("&#32;");
    }
    let chars: Vec<char> = value[lead..].chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if is_unsafe_char(c) {
            push_escaped(&mut out, c);
            continue;
        }
        if needs_inline_escape(&chars, i) || (may_start_a_line && needs_block_escape(&chars, i)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `chars[i]` could be read as inline syntax (or break a table row) where it stands.
fn needs_inline_escape(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    let prev = i.checked_sub(1).map(|j| chars[j]);
    let next = chars.get(i + 1).copied();
    match c {
        // Code spans, emphasis, links, tables, strikethrough, and escapes themselves.
        '\\' | '`' | '*' | '[' | ']' | '|' | '~' => true,
        // `_` between two letters or digits can neither open nor close emphasis.
        '_' => {
            !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric))
        }
        // Raw HTML and autolinks start `<` then a letter, `/`, `!` or `?`; at the end of
        // the value, whatever follows it is unknown.
        '<' => !next.is_some_and(|n| n == ' ' || n == '=' || n.is_ascii_digit()),
        // Only `&name;`, `&#123;` or `&#x1f;` is an entity.
        '&' => starts_entity(&chars[i + 1..]),
        // `![` is an image; `[` is always escaped, so only a final `!` can meet one.
        '!' => next.is_none(),
        // GitHub links bare `scheme://` and `www.` addresses; an escape breaks the pattern.
        ':' => chars[i + 1..].starts_with(&['/', '/']),
        '.' => {
            i >= 3
                && chars[i - 3..i] == ['w', 'w', 'w']
                && (i == 3 || chars[i - 4].is_whitespace() || "*_~(".contains(chars[i - 4]))
        }
        _ => false,
    }
}

/// Whether `chars[i]` could start a block (a heading, a block quote, a list item, a
/// thematic break, a setext underline) were the value to start a line.
fn needs_block_escape(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    let only = |set: &[char]| chars.iter().all(|c| set.contains(c) || *c == ' ');
    match c {
        '#' | '>' => i == 0,
        '-' => i == 0 && (next.is_none_or(char::is_whitespace) || only(&['-'])),
        '+' => i == 0 && next.is_none_or(char::is_whitespace),
        '=' => i == 0 && only(&['=']),
        // `1.` or `1)` then a space, at the start, is an ordered list item.
        '.' | ')' => {
            (1..=9).contains(&i)
                && chars[..i].iter().all(char::is_ascii_digit)
                && next.is_none_or(char::is_whitespace)
        }
        _ => false,
    }
}

fn starts_entity(rest: &[char]) -> bool {
    let name = match rest.first() {
        Some('#') => &rest[1..],
        _ => rest,
    };
    let len = name
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    len > 0 && name.get(len) == Some(&';')
}

/// A value as a table cell: plain text (which escapes `|`), never an empty cell. A cell
/// holds inline content only, so what would start a block at the start of a line is left.
pub fn cell(value: &str) -> String {
    let out = escape(value, false);
    if out.is_empty() { "-".into() } else { out }
}

/// A value as inline code inside a table cell: GitHub's tables split on every `|` not
/// escaped, even inside a code span, and remove the backslash of `\|` there.
pub fn code_cell(value: &str) -> String {
    code(value).replace('|', "\\|")
}

/// A value as inline code: delimited by one backtick more than its longest run of
/// backticks, padded with a space where it starts or ends with one, control characters
/// and line breaks shown as escapes (a line break in a code span would still end a block).
pub fn code(value: &str) -> String {
    let mut body = String::with_capacity(value.len());
    for c in value.chars() {
        if is_unsafe_char(c) {
            push_escaped(&mut body, c);
        } else {
            body.push(c);
        }
    }
    if body.is_empty() {
        return "` `".into();
    }
    let ticks = "`".repeat(longest_run(&body, '`') + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

/// The fence for a code block holding `body`: at least three backticks, and more than any
/// run of backticks inside it, so that no line of the body can close it.
pub fn fence(body: &str) -> String {
    "`".repeat((longest_run(body, '`') + 1).max(3))
}

/// Characters that must never reach a document raw: control characters (ESC, BEL, NUL,
/// line breaks), and the Unicode line and paragraph separators and bidirectional controls
/// that make text read differently from what it is.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// `\n`, `\t`, `\u{1b}`: how a character is shown when it may not appear raw.
pub fn push_escaped(out: &mut String, c: char) {
    out.extend(c.escape_default());
}

/// A value with its unsafe characters shown as escapes and nothing else changed: for
/// terminals (diagnostics) and other places where Markdown syntax is harmless.
pub fn visible(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if is_unsafe_char(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as the text of a quoted Mermaid flowchart label (`p1["..."]`): Mermaid's own
/// entity codes for the characters that end the label or read as markup (`#quot;`, `#35;`),
/// line breaks and control characters as spaces.
pub fn mermaid_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in words(value) {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                '"' => out.push_str("#quot;"),
                '#' => out.push_str("#35;"),
                ';' => out.push_str("#59;"),
                '&' => out.push_str("#amp;"),
                '<' => out.push_str("#lt;"),
                '>' => out.push_str("#gt;"),
                '`' => out.push_str("#96;"),
                c => out.push(c),
            }
        }
    }
    out
}

/// A value as a Mermaid Gantt section or task name, which take no entity codes: the
/// characters that split a task (`:`), start a comment (`%%`, `#`) or read as markup become
/// spaces.
pub fn mermaid_gantt(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| {
            if matches!(
                c,
                '"' | ':' | ';' | '#' | '%' | '`' | '[' | ']' | '{' | '}' | '<' | '>' | '&'
            ) {
                ' '
            } else {
                c
            }
        })
        .collect();
    words(&cleaned).collect::<Vec<_>>().join(" ")
}

/// The words of a value, split at whitespace and at characters that may not appear raw.
fn words(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c.is_whitespace() || is_unsafe_char(c))
        .filter(|w| !w.is_empty())
}

fn longest_run(text: &str, of: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_neutralises_structure() {
        assert_eq!(text("# title"), "\\# title");
        assert_eq!(text("- item"), "\\- item");
        assert_eq!(text("+ item"), "\\+ item");
        assert_eq!(text("---"), "\\---");
        assert_eq!(text("==="), "\\===");
        assert_eq!(text("> quote"), "\\> quote");
        assert_eq!(text("1. item"), "1\\. item");
        assert_eq!(text("12) item"), "12\\) item");
        assert_eq!(text("a [link](x)"), "a \\[link\\](x)");
        assert_eq!(
            text("see http://x or www.x.io"),
            "see http\\://x or www\\.x.io"
        );
        assert_eq!(text("![i](x)"), "!\\[i\\](x)");
        assert_eq!(text("<img onerror=x>"), "\\<img onerror=x>");
        assert_eq!(text("a <"), "a \\<");
        assert_eq!(text("a\nb"), "a\\nb");
        assert_eq!(text("a\u{1b}[31m"), "a\\u{1b}\\[31m");
        assert_eq!(text("    code"), "&#32;&#32;&#32;&#32;code");
        assert_eq!(
            text("*a* _b_ `c` ~d~ | e"),
            "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~ \\| e"
        );
        assert_eq!(text("&amp; &#35; &#x1f;"), "\\&amp; \\&#35; \\&#x1f;");
        assert_eq!(text("a\\"), "a\\\\");
        assert_eq!(text("done!"), "done\\!");
    }

    #[test]
    fn text_leaves_ordinary_values_alone() {
        for value in [
            "203.0.113.10",
            "cn-hangzhou",
            "25%",
            "error rate < 1%",
            "p99 <= 300ms",
            "O&M engineer",
            "account_service",
            "-x",
            "a - b",
            "a # b",
            "a > b",
            "wave 1. canary",
            "Hello! world",
            "10.0.0.0/8",
            "10.0.0.1:80",
            "owner@example.com",
            "awww.x",
            "a-www.x",
        ] {
            assert_eq!(text(value), value);
        }
    }

    #[test]
    fn cells_escape_pipes_even_in_code() {
        assert_eq!(cell(""), "-");
        assert_eq!(cell("-"), "-");
        assert_eq!(cell("# 1. x"), "# 1. x");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn mermaid_labels_use_entity_codes() {
        assert_eq!(
            mermaid_label("say \"hi\" #1;\n<b>&`x`"),
            "say #quot;hi#quot; #35;1#59; #lt;b#gt;#amp;#96;x#96;"
        );
        assert_eq!(mermaid_gantt("wave: 50% #a\u{2028}b"), "wave 50 a b");
    }

    #[test]
    fn code_is_sized_to_the_longest_backtick_run() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code("a\nb"), "`a\\nb`");
        assert_eq!(code(""), "` `");
    }

    #[test]
    fn fences_outgrow_the_body() {
        assert_eq!(fence("echo hi"), "```");
        assert_eq!(fence("echo ````"), "`````");
    }
}
