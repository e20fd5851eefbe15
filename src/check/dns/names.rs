//! `dns/names`: what it demands and why are in [`RULE`].

use super::{is_domain, is_record_name};
use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::RecordType;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsNames,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some(
        "zone and record names reach the DNS commands of the runbook, where an invalid one is an option (`-rf`) or changes the wrong record",
    ),
    summary: "Zone and record names are valid (RFC 1035, `@` for the apex, `*` wildcards); moving records take the entrypoints (no `value`); PrivateZone values fit their type.",
    rationale: "The DNS provider refuses invalid records in the middle of the cutover.",
    bad: "records: [{ name: \"my host\", type: A }]",
    good: "records: [{ name: www, type: A }]",
    source: "RFC 1035",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        return;
    };
    if !is_domain(&dns.zone) {
        out.push(
            ctx.error(
                RULE.id,
                root().dns().zone(),
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
        let at = root().dns().records().at(i);
        if !is_record_name(&record.name) {
            out.push(
                ctx.error(RULE.id, at.name(), "not a record name", format!("`{}` is not a record name", record.name.escape_debug()))
                    .help("use `@` for the apex, or labels such as `www` or `api.v2` (letters, digits, `-`)"),
            );
        }
        if record.value.is_some() {
            out.push(
                ctx.error(RULE.id, at.value(), "a moving record takes the entrypoints", format!("`{}` moves from the old entrypoint to the new one: it takes no value", record.name))
                    .help("remove `value`; fixed records belong in the zone as they are, PrivateZone records under `privateZone`"),
            );
        }
    }
    if let Some(private) = &dns.private_zone {
        if !is_domain(&private.zone) {
            out.push(
                ctx.error(
                    RULE.id,
                    root().dns().private_zone().zone(),
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
            let at = root().dns().private_zone().records().at(i);
            let Some(value) = &record.value else {
                continue; // no_gap reports it
            };
            let valid = match record.kind {
                RecordType::A => value.parse::<std::net::Ipv4Addr>().is_ok(),
                RecordType::Aaaa => value.parse::<std::net::Ipv6Addr>().is_ok(),
                RecordType::Cname => is_domain(value.trim_end_matches('.')),
            };
            if !valid || !is_record_name(&record.name) {
                out.push(
                    ctx.error(RULE.id, if valid { at.name() } else { at.value() }, "invalid", format!("PrivateZone record `{}` {} `{value}` is not valid", record.name, <&str>::from(record.kind)))
                        .help("an A record takes an IPv4 address, AAAA an IPv6 address, CNAME a host name"),
                );
            }
        }
    }
}
