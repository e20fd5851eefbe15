//! DNS rules (seeds 000, 001; Alibaba Cloud DNS): valid names and values, TTLs the edition
//! accepts, and records that always keep an answer.

pub(super) mod names;
pub(super) mod test_domain;
pub(super) mod ttl_lead;
pub(super) mod edition_ttl;
pub(super) mod no_gap;
pub(super) mod coverage;
pub(super) mod drain;
pub(super) mod private_zone;

fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A domain name of at least two labels (RFC 1035, `_` allowed for service labels).
pub(super) fn is_domain(name: &str) -> bool {
    name.len() <= 253 && name.contains('.') && name.split('.').all(is_label)
}

/// `@`, `*`, or labels relative to the zone.
pub(super) fn is_record_name(name: &str) -> bool {
    name == "@"
        || name
            .strip_prefix("*.")
            .map_or(name == "*" || name.split('.').all(is_label), |rest| {
                rest.split('.').all(is_label)
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_reach_dns_commands_refuse_options() {
        for name in ["--help", "-rf", "-www", "www.-rf", "a\nb"] {
            assert!(!is_record_name(name), "{}", name.escape_debug());
            assert!(
                !is_domain(&format!("{name}.example")),
                "{}",
                name.escape_debug()
            );
        }
        for name in ["@", "*", "www", "*.api", "api.v2", "_dmarc"] {
            assert!(is_record_name(name), "{name}");
        }
    }
}
