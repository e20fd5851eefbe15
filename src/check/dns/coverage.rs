//! `dns/coverage`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::dns::fqdn;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsCoverage,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Every routed production host inside the zone is one of the records that move, and every record that moves is served by a route.",
    rationale: "A routed host whose record does not move keeps sending its clients to the old cluster until it is decommissioned.",
    bad: "routes: [{ host: shop.example.com }]\ndns: { zone: example.com, records: [{ name: www, type: A }] }",
    good: "dns: { zone: example.com, records: [{ name: shop, type: A }] }",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        return;
    };
    // Moving records that no route serves: after the switch they answer with the new
    // ingress, which has nothing for them. (A record whose host a route serves only in part
    // is `RuleId::RolloutUnroutedPaths`'s, which says where the other paths go: the
    // catch-all. Reported once, there.)
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
                    RULE.id,
                    root().dns().records().at(i).name(),
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
                        RULE.id,
                        root().services().at(i).routes().at(j).host(),
                        "not among dns.records",
                        format!("`{host}` is in the zone `{}` but is not a record that moves", dns.zone),
                    )
                    .label(ctx.span(root().dns().records()), "the moving records")
                    .help(format!("add `{{ name: \"{}\", type: A }}` to dns.records, or route the service on a host that moves", if host == dns.zone { "@".to_string() } else { host.trim_end_matches(&format!(".{}", dns.zone)).to_string() })),
                );
            }
        }
    }
}
