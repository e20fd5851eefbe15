//! The traffic phases: routes, the old SLB's weights, the clients' server lists, and their
//! rollbacks.

use super::commands::{kubectl_apply, kubectl_in, kubectl_rollback, old_slb};
use super::{Role, Runbook, code, step, text};
use crate::model::{Spec, Strategy};
use crate::plan::Plan;
use crate::plan::l4::{self, L4Backends};
use crate::plan::rollout::{Phase, PhaseKind};
use crate::plan::slb::{SlbIds, describe_group, new_nodes_lookup, old_servers_lookup, slb_vars};
use crate::shell::Line;

pub(super) fn slb_ids(book: &mut Runbook, spec: &Spec, service: &str) -> SlbIds {
    let region = &spec.target.region;
    let slb = old_slb(book, spec);
    let SlbIds {
        group,
        new_nodes,
        old_servers,
    } = slb_vars(service);
    book.guard_after(
        &group,
        format!("set {group} to the VServerGroupId of the old SLB’s group that serves {service} (the line above lists the groups)"),
        Line::new("aliyun slb DescribeVServerGroups")
            .opt("--RegionId", region)
            .opt_var("--LoadBalancerId", slb)
            .build(),
    );
    let ids = SlbIds {
        group,
        new_nodes,
        old_servers,
    };
    book.lookup(ids.new_nodes, new_nodes_lookup(&ids));
    book.lookup(&ids.old_servers, old_servers_lookup(region, &ids));
    ids
}

pub(super) fn traffic(spec: &Spec, plan: &Plan, phase: &Phase, book: &mut Runbook) {
    let ns = spec.namespace();
    let region = &spec.target.region;
    let mut commands = kubectl_apply(phase);
    commands.extend(crate::render::manifests::routes::deletions(spec, phase));
    if !commands.is_empty() {
        book.steps.push(
            step(
                Role::Operations,
                format!("Apply the routes of {}", text(phase.title.to_lowercase())),
                phase
                    .wave
                    .as_ref()
                    .map_or("rollout".into(), |w| format!("rollout.waves[{w}]")),
            )
            .commands(
                // Only a phase that applies a folder can show it (a phase that only
                // deletes the catch-all has none).
                commands.into_iter().chain(
                    (phase.forward == crate::plan::rollout::Action::Apply).then(|| {
                        kubectl_in(ns)
                            .lit("get")
                            .opt("-k", format!("manifests/{}", phase.id))
                            .lit("-o yaml")
                            .pipe(Line::new("grep -E").arg("name:|weight|canary|mirror"))
                            .build()
                    }),
                ),
            )
            .expect(match phase.weight {
                Some(w) if phase.kind == PhaseKind::Step => format!(
                    "the routes send {w}% of the requests of {} to the new cluster",
                    text(phase.services.join(", "))
                ),
                _ => "the routes are as the folder says".to_string(),
            }),
        );
    }
    let previous_slb = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.number < phase.number && !p.slb_backends.is_empty());
    for slb in &phase.slb_backends {
        let before =
            previous_slb.and_then(|p| p.slb_backends.iter().find(|b| b.service == slb.service));
        let joined = before.is_some_and(|b| b.new_weight > 0);
        if slb.commands.is_empty() {
            continue;
        }
        let ids = slb_ids(book, spec, &slb.service);
        // The new nodes join the vServer group at their first share; later steps only
        // change the weights.
        // The plan's own record of these commands, so that plan.json and the runbook agree.
        let mut commands = slb.commands.clone();
        commands.push(describe_group(region, &ids.group));
        book.steps.push(
            step(Role::Operations, format!("Set the old SLB's weights for {}: {:.2}% new", code(&slb.service), f64::from(slb.share_hundredths) / 100.0), format!("services[{}]", slb.service))
                .detail(format!("Old servers weight {}, new nodes (NodePort {}) weight {}: with {} old and {} new servers the new cluster gets the share.", slb.old_weight, slb.node_port, slb.new_weight, slb.old_servers, slb.new_servers))
                .commands(commands)
                .expect("the last command shows these weights"),
        );
        // The plan's record of the undo, as for the forward commands.
        let mut rollback = slb.rollback.clone();
        rollback.push(describe_group(region, &ids.group));
        let (title, expect) = match before.filter(|_| joined) {
            Some(prev) => (
                format!("Set the old SLB's weights for {} back", code(&slb.service)),
                format!(
                    "old servers weight {}, new nodes weight {}",
                    prev.old_weight, prev.new_weight
                ),
            ),
            None => (
                format!(
                    "Take the new nodes out of the old SLB for {}",
                    code(&slb.service)
                ),
                "only the old servers remain, at weight 100".to_string(),
            ),
        };
        book.rollback.push(
            step(
                Role::Operations,
                title,
                format!("services[{}]", slb.service),
            )
            .commands(rollback)
            .expect(expect),
        );
    }
    l4_steps(spec, plan, phase, book);
    let previous_clients = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.number < phase.number && !p.client_servers.is_empty());
    let old_only = vec![spec.source.entrypoint.address.to_string()];
    for client in &phase.client_servers {
        let before = previous_clients
            .and_then(|p| p.client_servers.iter().find(|c| c.host == client.host))
            .map_or(&old_only, |b| &b.servers);
        if before == &client.servers {
            continue;
        }
        book.steps.push(
            step(
                Role::Developer,
                format!(
                    "Ship the server list for {}: {}",
                    code(&client.host),
                    text(client.servers.join(", "))
                ),
                "rollout.strategy",
            )
            .detail(format!("{}; release it off-peak.", text(&client.note)))
            .expect("the clients' telemetry shows the new list in use"),
        );
        book.rollback.push(
            step(Role::Developer, format!("Ship the previous server list for {}: {}", code(&client.host), text(before.join(", "))), "rollout.strategy")
                .detail("Release it at once: clients that already have the new list keep it until they update.")
                .expect("the clients use the previous list"),
        );
    }
    let mut rollback = kubectl_rollback(phase);
    // What the phase deleted and its rollback folder does not re-create (the catch-all
    // of dns-weights and client at `complete`).
    rollback.extend(crate::render::manifests::routes::restorations(spec, phase));
    if !rollback.is_empty() {
        book.rollback.push(
            step(
                Role::Operations,
                "Apply the state before this phase",
                "rollout",
            )
            .detail(text(&phase.rollback_summary))
            .commands(rollback)
            .expect("the routes are as in the previous phase"),
        );
    }
    if phase.kind == PhaseKind::Mirror {
        book.notes.push("Mirrored requests run on the new services and on everything they call: writes the new side makes (to databases synced both ways above all) happen twice. Mirror read-only paths, or point the new side's writes at a scratch copy while mirroring.".into());
    }
    if phase.kind == PhaseKind::Entry {
        book.notes.push("The new ingress still sends every request to the old cluster (the legacy backend); requests that carry the `rollout.match` go to the new services.".into());
    }
    if plan.strategy == Strategy::IngressCanary
        && spec.rollout.controller == Some(crate::model::Controller::AckNginx)
        && phase.weight.is_some_and(|w| w > 0)
    {
        book.notes.push("With ACK's annotations the match applies only while the weight is 0: from now on, matched requests follow the weights too.".into());
    }
}

/// The L4 services' weights on their old SLB: the plan's commands, then the group as it now
/// stands; the rollback gives the plan's rollback commands.
fn l4_steps(spec: &Spec, plan: &Plan, phase: &Phase, book: &mut Runbook) {
    let previous = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.number < phase.number && !p.l4_backends.is_empty());
    let mut moved = false;
    for b in &phase.l4_backends {
        if b.commands.is_empty() {
            continue;
        }
        moved = true;
        for (name, line) in l4::lookups(spec, b) {
            book.lookup(&name, line);
        }
        let before: Option<&L4Backends> =
            previous.and_then(|p| p.l4_backends.iter().find(|x| x.service == b.service));
        let joined = before.is_some_and(|x| x.new_weight > 0);
        let protocol: &str = b.protocol.into();
        let protocol = protocol.to_ascii_uppercase();
        let source = format!("services[{}].legacy", b.service);
        let describe = l4::describe(spec, b);
        book.steps.push(
            step(
                Role::Operations,
                format!(
                    "Set the old SLB's weights for {} ({protocol} {}): {:.2}% new",
                    code(&b.service),
                    b.listener_port,
                    f64::from(b.share_hundredths) / 100.0
                ),
                source.clone(),
            )
            .detail(format!(
                "An L4 service: its clients keep using the old SLB {}, whose {protocol} listener {} sends to the vServer group the lookups found; the new nodes serve it on NodePort {}. Old servers weight {}, new nodes weight {}: with {} old and {} new servers the new cluster gets the share of new connections.",
                code(b.old_slb.to_string()),
                b.listener_port,
                b.node_port,
                b.old_weight,
                b.new_weight,
                b.old_servers,
                b.new_servers
            ))
            .commands(b.commands.iter().cloned().chain([describe.clone()]))
            .expect("the last command shows these weights"),
        );
        let (title, expect) = match before.filter(|_| joined) {
            Some(prev) => (
                format!("Set the old SLB's weights for {} back", code(&b.service)),
                format!(
                    "old servers weight {}, new nodes weight {}",
                    prev.old_weight, prev.new_weight
                ),
            ),
            None => (
                format!(
                    "Take the new nodes out of the old SLB for {}",
                    code(&b.service)
                ),
                "only the old servers remain, at weight 100".to_string(),
            ),
        };
        book.rollback.push(
            step(Role::Operations, title, source)
                .commands(b.rollback.iter().cloned().chain([describe]))
                .expect(expect),
        );
    }
    if moved {
        book.notes.push("SLB weights steer new connections only: long-lived ones (a broker's AMQP or Kafka clients) stay on the server they reached until they reconnect, and a rollback does not move them back either. Watch the new side's connection count, and have the clients reconnect (a rolling restart) if the share must take effect at once.".into());
    }
    if !phase.l4_backends.is_empty() && (moved || phase.kind == PhaseKind::Complete) {
        book.notes.push(format!(
            "The L4 services ({}) keep the old SLB's address: their clients change nothing, and the old SLB stays their front door after the move, its old servers at weight 0. Decommission takes the old servers out of its vServer group; never delete that SLB or its listener.",
            text(
                phase
                    .l4_backends
                    .iter()
                    .map(|b| b.service.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ));
    }
}
