//! DNS rules (seeds 000, 001; Alibaba Cloud DNS): valid names and values, TTLs the edition
//! accepts, and records that always keep an answer.

use super::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::{RecordType, Strategy};
use crate::plan::dns::{edition_name, fqdn, ttl_floor, type_name};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        if spec.rollout.strategy == Strategy::DnsWeights {
            out.push(
                ctx.error("spec/missing-field", "rollout.strategy", "dns-weights", "the dns-weights strategy needs a `dns` section with the records to move")
                    .help("add `dns:` with the zone, the TTLs and the records (see examples/dns-weights.yaml)"),
            );
        }
        return;
    };
    if !is_domain(&dns.zone) {
        out.push(
            ctx.error(
                "dns/names",
                "dns.zone",
                "not a domain name",
                format!(
                    "the zone `{}` is not a valid domain name",
                    dns.zone.escape_debug()
                ),
            )
            .help("write the zone without a trailing dot, such as `example.com`"),
        );
    }
    for (i, record) in dns.records.iter().enumerate() {
        let at = |field: &str| format!("dns.records[{i}].{field}");
        if !is_record_name(&record.name) {
            out.push(
                ctx.error("dns/names", &at("name"), "not a record name", format!("`{}` is not a record name", record.name.escape_debug()))
                    .help("use `@` for the apex, or labels such as `www` or `api.v2` (letters, digits, `-`)"),
            );
        }
        if record.value.is_some() {
            out.push(
                ctx.error("dns/names", &at("value"), "a moving record takes the entrypoints", format!("`{}` moves from the old entrypoint to the new one: it takes no value", record.name))
                    .help("remove `value`; fixed records belong in the zone as they are, PrivateZone records under `privateZone`"),
            );
            continue;
        }
        // A moving record's answers are the entrypoints: the type must fit both addresses.
        let fits = |address: &crate::model::Address| match record.kind {
            RecordType::A => address.0.is_ipv4(),
            RecordType::Aaaa => address.0.is_ipv6(),
            RecordType::Cname => false,
        };
        for (side, path) in [
            ("old", "source.entrypoint.address"),
            ("new", "target.entrypoint.address"),
        ] {
            let address = if side == "old" {
                &spec.source.entrypoint.address
            } else {
                &spec.target.entrypoint.address
            };
            if !fits(address) {
                out.push(
                    ctx.error(
                        "dns/no-gap",
                        &at("type"),
                        format!("{} record", type_name(record.kind)),
                        format!(
                            "`{}` would be left with no {side} answer: {} record cannot point at {address}",
                            fqdn(&dns.zone, &record.name),
                            match record.kind {
                                RecordType::A => "an A",
                                RecordType::Aaaa => "an AAAA",
                                RecordType::Cname => "a CNAME",
                            }
                        ),
                    )
                    .label(ctx.span(path), format!("the {side} entrypoint"))
                    .help(match record.kind {
                        RecordType::Cname => "a moving record is A (IPv4 entrypoints) or AAAA (IPv6 entrypoints)".to_string(),
                        _ => format!("use type {} for this entrypoint", if address.0.is_ipv4() { "A" } else { "AAAA" }),
                    }),
                );
            }
        }
    }
    if let Some(private) = &dns.private_zone {
        if !is_domain(&private.zone) {
            out.push(
                ctx.error(
                    "dns/names",
                    "dns.privateZone.zone",
                    "not a domain name",
                    format!(
                        "the PrivateZone `{}` is not a valid domain name",
                        private.zone.escape_debug()
                    ),
                )
                .help("write the zone without a trailing dot, such as `internal.example.com`"),
            );
        }
        for (i, record) in private.records.iter().enumerate() {
            let at = |field: &str| format!("dns.privateZone.records[{i}].{field}");
            let Some(value) = &record.value else {
                out.push(
                    ctx.error(
                        "dns/no-gap",
                        &at("name"),
                        "no answer",
                        format!(
                            "PrivateZone record `{}` has no value: the apps would resolve nothing",
                            record.name
                        ),
                    )
                    .help("give it the value the apps should reach, such as the RDS endpoint"),
                );
                continue;
            };
            let valid = match record.kind {
                RecordType::A => value.parse::<std::net::Ipv4Addr>().is_ok(),
                RecordType::Aaaa => value.parse::<std::net::Ipv6Addr>().is_ok(),
                RecordType::Cname => is_domain(value.trim_end_matches('.')),
            };
            if !valid || !is_record_name(&record.name) {
                out.push(
                    ctx.error("dns/names", &at(if valid { "name" } else { "value" }), "invalid", format!("PrivateZone record `{}` {} `{value}` is not valid", record.name, type_name(record.kind)))
                        .help("an A record takes an IPv4 address, AAAA an IPv6 address, CNAME a host name"),
                );
            }
        }
    }
    let ttl = &dns.ttl;
    if ttl.cutover == 0 || ttl.normal > 86_400 || ttl.cutover > ttl.normal {
        out.push(
            ctx.error("dns/ttl-lead", "dns.ttl.cutover", "cutover TTL", format!("the cutover TTL ({} s) must be from 1 s up to the normal TTL ({} s, at most 86400)", ttl.cutover, ttl.normal))
                .label(ctx.span("dns.ttl.normal"), "normal TTL")
                .help("lower the TTL for the move: `ttl: { normal: 600, cutover: 60 }`"),
        );
    }
    let floor = ttl_floor(dns.edition);
    let edition = dns
        .edition
        .map_or("free edition (no edition given)".to_string(), |e| {
            format!("{} edition", edition_name(e))
        });
    for (field, value) in [("cutover", ttl.cutover), ("normal", ttl.normal)] {
        if value < floor {
            out.push(
                ctx.warning(
                    "dns/edition-ttl",
                    &format!("dns.ttl.{field}"),
                    format!("under {floor} s"),
                    format!("Alibaba Cloud DNS's {edition} accepts TTLs from {floor} s: the {field} TTL of {value} s would be refused or raised"),
                )
                .help("use a TTL the edition accepts, or an edition that allows shorter TTLs (enterprise-standard: 60 s, enterprise-ultimate: 1 s)"),
            );
        }
    }
    // Moving records that no route serves: after the switch they answer with the new
    // ingress, which has nothing for them.
    let routed: std::collections::BTreeSet<String> = spec
        .services
        .iter()
        .flat_map(|s| s.routes.iter().map(|r| r.host.to_ascii_lowercase()))
        .collect();
    for (i, record) in dns
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.value.is_none())
    {
        let name = fqdn(&dns.zone, &record.name);
        let served = routed.contains(&name)
            || routed.iter().any(|h| {
                h.strip_prefix("*.")
                    .is_some_and(|base| name.ends_with(&format!(".{base}")))
            });
        if !served && !name.starts_with("*.") {
            out.push(
                ctx.warning(
                    "dns/coverage",
                    &format!("dns.records[{i}].name"),
                    "no route serves it",
                    format!("`{name}` moves to the new entrypoint, but no service routes that host: its requests would get the new ingress's 404"),
                )
                .help(format!("add `{name}` to the routes of the service that answers it, or keep the record out of `dns.records`")),
            );
        }
    }
    // Routed production hosts whose DNS cutover does not move.
    let moving: Vec<String> = dns
        .records
        .iter()
        .filter(|r| r.value.is_none())
        .map(|r| fqdn(&dns.zone, &r.name))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (i, service) in spec.services.iter().enumerate() {
        for (j, route) in service.routes.iter().enumerate() {
            let host = route.host.to_ascii_lowercase();
            let in_zone = host == dns.zone || host.ends_with(&format!(".{}", dns.zone));
            if in_zone && !moving.contains(&host) && seen.insert(host.clone()) {
                out.push(
                    ctx.warning(
                        "dns/coverage",
                        &format!("services[{i}].routes[{j}].host"),
                        "not among dns.records",
                        format!("`{host}` is in the zone `{}` but is not a record that moves", dns.zone),
                    )
                    .label(ctx.span("dns.records"), "the moving records")
                    .help(format!("add `{{ name: \"{}\", type: A }}` to dns.records, or route the service on a host that moves", if host == dns.zone { "@".to_string() } else { host.trim_end_matches(&format!(".{}", dns.zone)).to_string() })),
                );
            }
        }
    }
}

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
fn is_domain(name: &str) -> bool {
    name.len() <= 253 && name.contains('.') && name.split('.').all(is_label)
}

/// `@`, `*`, or labels relative to the zone.
fn is_record_name(name: &str) -> bool {
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
