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
pub fn variable(parts: &[&str]) -> String {
    let mut name = String::new();
    for part in parts {
        for c in part.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            };
            if !(c == '_' && (name.is_empty() || name.ends_with('_'))) {
                name.push(c);
            }
        }
        if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    while name.ends_with('_') {
        name.pop();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
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
        assert_eq!(variable(&["record-id", "@", "A"]), "RECORD_ID_A");
        assert_eq!(variable(&["1x"]), "_1X");
    }
}
