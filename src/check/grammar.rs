//! Grammars several rules share: the names and paths Kubernetes and URLs accept.

/// Whether `name` is a DNS-1123 label (Kubernetes object names, namespaces, ports).
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Whether `name` is a DNS-1123 subdomain (Secret and other object names).
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// A DNS name: labels of letters, digits and `-`, dot-separated, optionally `*.` first.
pub fn is_host(host: &str) -> bool {
    let host = host.strip_prefix("*.").unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An absolute path of RFC 3986 path characters (unreserved, percent-encoded, sub-delims,
/// `:`, `@`): no whitespace, quotes, backticks, backslashes or control characters.
pub fn is_http_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 2048 && path.bytes().all(is_url_path_byte)
}

/// A byte RFC 3986 allows in a path: unreserved, `%`, sub-delims, `:`, `@` and `/`.
pub fn is_url_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"/-_.~%!$&'()*+,;=:@".contains(&b)
}

/// Whether `key` is a valid ConfigMap or Secret key: letters, digits, `-`, `_` and `.`, at
/// most 253 characters, and not `.` or `..`.
pub fn is_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Kubernetes' IANA_SVC_NAME: at most 15 of `a-z0-9-`, a letter among them, no `--`, no `-`
/// at either end.
pub fn is_iana_service_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A Kubernetes label value's name part: at most 63 of `A-Za-z0-9-_.`, starting and ending
/// with a letter or digit (the empty value is allowed by [`is_label_value`] only).
fn is_qualified_name_part(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A Kubernetes label (or taint) key: `[prefix/]name`, the prefix a DNS-1123 subdomain.
pub fn is_label_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty() && is_dns_subdomain(prefix) && is_qualified_name_part(name)
        }
        None => is_qualified_name_part(key),
    }
}

/// A Kubernetes label (or taint) value: empty, or a name part.
pub fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_qualified_name_part(value)
}
