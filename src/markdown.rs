//! Markdown escaping, by context, for every value that reaches a Markdown document: plain
//! text, inline code, a table cell and a fenced code block. The plan uses [`code`] and
//! [`text`] where it builds Markdown sentences around spec values; the template environment
//! applies [`text`] to every value a template prints unless a filter chose another context.
//!
//! Whatever the value holds, the document's structure stays the one the template wrote: no
//! value opens a heading, a list, a link, an image, raw HTML or a code block, or closes one.

/// A value as plain Markdown text: every character that could start Markdown syntax is
/// backslash-escaped (CommonMark allows a backslash before any ASCII punctuation), line
/// breaks and other control characters are shown as escapes.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            // Inline syntax anywhere: emphasis, code, links, images, HTML, entities, tables,
            // strikethrough, headings and the backslash itself.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // Block syntax at the start of a value: list items, thematic breaks, setext
            // underlines, block quotes (`>` is escaped above).
            '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            // `1.` or `1)` then a space, at the start, is an ordered list item.
            '.' | ')'
                if i > 0
                    && chars[..i].iter().all(char::is_ascii_digit)
                    && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) =>
            {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe_char(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A value as a table cell: plain text (which escapes `|`), never an empty cell.
pub fn cell(value: &str) -> String {
    let out = text(value);
    if out.is_empty() { "-".into() } else { out }
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
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
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
        assert_eq!(text("1. item"), "1\\. item");
        assert_eq!(text("a [link](x)"), "a \\[link\\](x)");
        assert_eq!(text("<img onerror=x>"), "\\<img onerror=x\\>");
        assert_eq!(text("a\nb"), "a\\nb");
        assert_eq!(text("error rate < 1%"), "error rate \\< 1%");
        assert_eq!(text("203.0.113.1"), "203.0.113.1");
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
