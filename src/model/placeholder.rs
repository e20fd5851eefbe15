//! The token `cutover import compose` writes wherever it had to guess or could not know, and
//! the test for it that the loader and the check `check::import::placeholder` share.

/// The placeholder token the importer writes.
pub const TOKEN: &str = "TODO";

/// Whether `text` holds the token as a word (not inside `TODOS` or `xTODO`).
pub fn holds_placeholder(text: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(TOKEN).any(|(at, _)| {
        !word(text[..at].chars().next_back()) && !word(text[at + TOKEN.len()..].chars().next())
    })
}

/// What to do about any placeholder, the loader's included.
pub const HELP: &str = "replace it with the real value; `cutover import compose` writes `TODO` wherever it had to guess or could not know";

#[cfg(test)]
mod tests {
    use super::holds_placeholder;

    #[test]
    fn the_token_counts_only_as_a_word() {
        for text in [
            "TODO",
            "app:TODO",
            "TODO-zone-1",
            "TODO.nas.aliyuncs.com",
            "a TODO b",
        ] {
            assert!(holds_placeholder(text), "{text}");
        }
        for text in ["", "todo", "TODOS", "XTODO", "TODO_X", "to-do", "ToDo"] {
            assert!(!holds_placeholder(text), "{text}");
        }
    }
}
