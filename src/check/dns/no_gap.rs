//! `dns/no-gap`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::RecordType;
use crate::model::dns::fqdn;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsNoGap,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A name never loses its last answer: the change list adds the new target, verifies, then removes the old (rollbacks re-add before they remove), and never changes TTL and value in one edit; a record whose type cannot take an entrypoint, or a PrivateZone record without a value, is refused.",
    rationale: "A gap drops traffic for as long as resolvers cache the empty answer.",
    bad: "records: [{ name: \"@\", type: AAAA }]   # IPv4 entrypoints",
    good: "records: [{ name: \"@\", type: A }]",
    source: "seeds 000, 001",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        return;
    };
    for (i, record) in dns.records.iter().enumerate() {
        let at = root().dns().records().at(i);
        if record.value.is_some() {
            continue; // names reports it
        }
        // A moving record's answers are the entrypoints: the type must fit both addresses.
        let fits = |address: &crate::model::Address| match record.kind {
            RecordType::A => address.0.is_ipv4(),
            RecordType::Aaaa => address.0.is_ipv6(),
            RecordType::Cname => false,
        };
        for (side, path) in [
            ("old", root().source().entrypoint().address()),
            ("new", root().target().entrypoint().address()),
        ] {
            let address = if side == "old" {
                &spec.source.entrypoint.address
            } else {
                &spec.target.entrypoint.address
            };
            if !fits(address) {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.kind(),
                        format!("{} record", <&str>::from(record.kind)),
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
        for (i, record) in private.records.iter().enumerate() {
            let at = root().dns().private_zone().records().at(i);
            if record.value.is_none() {
                out.push(
                    ctx.error(
                        RULE.id,
                        at.name(),
                        "no answer",
                        format!(
                            "PrivateZone record `{}` has no value: the apps would resolve nothing",
                            record.name
                        ),
                    )
                    .help("give it the value the apps should reach, such as the RDS endpoint"),
                );
            }
        }
    }
}
