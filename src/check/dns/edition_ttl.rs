//! `dns/edition-ttl`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::dns::ttl_floor;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsEditionTtl,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "TTLs are within the edition's range: free and personal from 600 s, enterprise-standard from 60 s, enterprise-ultimate from 1 s (Alibaba Cloud DNS's TTL documentation; no edition counts as free).",
    rationale: "A TTL below the edition's floor is refused or silently raised, and the cutover is slower than planned.",
    bad: "edition: free\nttl: { normal: 600, cutover: 60 }",
    good: "edition: enterprise-standard\nttl: { normal: 600, cutover: 60 }",
    source: "Alibaba Cloud DNS editions",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(dns) = &spec.dns else {
        return;
    };
    let ttl = &dns.ttl;
    let floor = ttl_floor(dns.edition);
    let edition = dns
        .edition
        .map_or("free edition (no edition given)".to_string(), |e| {
            format!("{} edition", <&str>::from(e))
        });
    let at = root().dns().ttl();
    for (field, value, path) in [
        ("cutover", ttl.cutover, at.cutover()),
        ("normal", ttl.normal, at.normal()),
    ] {
        if value < floor {
            out.push(
                ctx.warning(
                    RULE.id,
                    path,
                    format!("under {floor} s"),
                    format!("Alibaba Cloud DNS's {edition} accepts TTLs from {floor} s: the {field} TTL of {value} s would be refused or raised"),
                )
                .help("use a TTL the edition accepts, or an edition that allows shorter TTLs (enterprise-standard: 60 s, enterprise-ultimate: 1 s)"),
            );
        }
    }
}
