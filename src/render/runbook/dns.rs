//! The DNS steps: the plan's change list as steps, or, without a `dns` section, the manual
//! switch of the production names.

use super::{Role, Runbook, Step, code, sentence, step, text};
use crate::model::{Spec, Strategy};
use crate::plan::Plan;
use crate::plan::dns::{self as dns_plan, ChangeKind, DnsChange};
use crate::plan::rollout::{Phase, PhaseKind};
use crate::shell::Line;

/// DNS changes as runbook steps: one per record and kind, with its commands and check. The
/// record ids the commands use are registered with the lookups that find them.
pub(super) fn dns_steps(changes: &[DnsChange], book: &mut Runbook) -> Vec<Step> {
    changes
        .iter()
        .map(|c| {
            for (name, line) in dns_plan::change_lookups(c) {
                book.lookup(&name, line);
            }
            let (fqdn, ty, value) = (code(&c.fqdn), text(&c.record_type), code(&c.value));
            let title = match c.kind {
                ChangeKind::LowerTtl => {
                    format!("Lower the TTL of {fqdn} {ty} to {} s", c.ttl_after)
                }
                ChangeKind::RestoreTtl => {
                    format!("Restore the TTL of {fqdn} {ty} to {} s", c.ttl_after)
                }
                ChangeKind::Add => format!("Add {fqdn} {ty} {value}"),
                ChangeKind::Remove => format!("Remove {fqdn} {ty} {value}"),
                ChangeKind::Verify => format!("Verify that {fqdn} answers {value}"),
                ChangeKind::SetWeights if c.weights.is_empty() => {
                    format!("Switch off weighting for {fqdn}")
                }
                ChangeKind::SetWeights => format!(
                    "Weight {fqdn}: {}",
                    c.weights
                        .iter()
                        .map(|(v, w)| format!("{} {w}", code(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ChangeKind::AddPrivate => {
                    format!("Add the PrivateZone record {fqdn} {ty} {value}")
                }
                ChangeKind::RemovePrivate => {
                    format!("Remove the PrivateZone record {fqdn} {ty}")
                }
            };
            let mut detail = text(sentence(&c.reason));
            if c.wait_seconds > 0 {
                detail = format!(
                    "Wait at least {} s after the previous change. {detail}",
                    c.wait_seconds
                );
            }
            let source = match c.kind {
                ChangeKind::AddPrivate | ChangeKind::RemovePrivate => {
                    format!("dns.privateZone.records[{}]", c.name)
                }
                _ => format!("dns.records[{}]", c.name),
            };
            let expect = match c.kind {
                ChangeKind::Verify => format!(
                    "{} lists {value}",
                    code(c.commands.first().cloned().unwrap_or_default())
                ),
                ChangeKind::Add | ChangeKind::AddPrivate => {
                    "the command prints the new record's id and no error".to_string()
                }
                _ => "the command returns a RecordId and no error".to_string(),
            };
            let mut step = step(Role::Operations, title, source)
                .commands(c.commands.clone())
                .expect(expect);
            // `detail` is Markdown already: no sentence() over it.
            step.detail = detail;
            step
        })
        .collect()
}

/// Without a `dns` section the runbook still has the production names move, by hand, in
/// the phase where the strategy switches them.
pub(super) fn manual_dns_switch(plan: &Plan, phase: &Phase) -> bool {
    plan.dns.is_none()
        && plan.strategy != Strategy::DnsWeights
        && phase.kind
            == if crate::plan::rollout::moves_dns_first(plan.strategy) {
                PhaseKind::Entry
            } else {
                PhaseKind::Complete
            }
}

pub(super) fn manual_dns(spec: &Spec) -> (Vec<Step>, Vec<Step>) {
    let mut hosts: Vec<&str> = spec
        .services
        .iter()
        .flat_map(|s| s.routes.iter().map(|r| r.host.as_str()))
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    let (old, new) = (
        spec.source.entrypoint.address.to_string(),
        spec.target.entrypoint.address.to_string(),
    );
    let switch = |from: &str, to: &str, title: &str| {
        step(Role::Operations, format!("{title} {}", hosts.iter().map(code).collect::<Vec<_>>().join(", ")), "target.entrypoint.address")
            .detail(format!("The spec has no `dns` section: with your DNS provider, for each name add the answer {}, check it, then remove {} (never leave a name without an answer).", text(to), text(from)))
            .commands(hosts.iter().map(|h| Line::new("dig +short A").arg(h).build()))
            .expect(format!("each name answers {} only", text(to)))
    };
    (
        vec![switch(&old, &new, "Point at the new entrypoint:")],
        vec![switch(&new, &old, "Point back at the old entrypoint:")],
    )
}
