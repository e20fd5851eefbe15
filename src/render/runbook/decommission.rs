//! The decommission phase: confirm the drain, stop the DTS tasks, undeploy the old cluster
//! and purge the migration's backups.

use super::commands::{
    curl_line, dts_job_id, kubectl_apply, kubectl_rollback, old_slb, old_slb_variable, slb_at,
    stop_dts,
};

/// The new connections of the SLB whose id `slb_variable` holds, over the last day at
/// 5-minute points (288, under the 1,000 one answer holds).
fn new_connections_last_day(slb_variable: &str) -> String {
    Line::new("aliyun cms DescribeMetricList --Namespace acs_slb_dashboard --MetricName InstanceNewConnection --Period 300")
        .lit("--StartTime")
        .subst(Line::new("date -u -d").arg("-1 day").arg("+%Y-%m-%dT%H:%M:%SZ"))
        .lit("--Dimensions")
        .subst(Line::new("jq -cn --arg id").var(slb_variable).arg("[{instanceId: $id}]"))
        .build()
}
use super::{Role, Runbook, code, step, text};
use crate::model::rollout::{Router, router};
use crate::model::{Address, SourcePlatform, Spec, SyncMode};
use crate::plan::rollout::Phase;
use crate::render::manifests::routes;
use crate::rules::RuleId;
use crate::shell::Line;

/// The hosts whose catch-all routes (`rollout.unroutedPaths: legacy`) still send their
/// unlisted paths to the old cluster when the decommission starts.
fn catch_all_hosts(spec: &Spec, phase: &Phase) -> Vec<String> {
    if routes::catch_all_present(spec, &phase.before) {
        crate::model::hosts::catch_all_hosts(spec)
    } else {
        Vec::new()
    }
}

/// Istio: the JSON patches that remove the catch-all route (the last of each host's
/// VirtualService, checked by name first) and, for the rollback, add it back.
fn istio_catch_all_patches(spec: &Spec, phase: &Phase) -> (Vec<String>, Vec<String>) {
    let hosts = catch_all_hosts(spec, phase);
    let mut remove = Vec::new();
    let mut add = Vec::new();
    // Only Istio's routes are VirtualServices: no other router's objects are built here.
    let istio = router(spec.rollout.strategy, spec.rollout.controller) == Router::Istio;
    if !istio || hosts.is_empty() {
        return (remove, add);
    }
    for vs in routes::traffic_objects(spec, &phase.before)
        .into_iter()
        .filter(|m| m.kind == "VirtualService")
    {
        let value = vs.value();
        let covered = value["spec"]["hosts"].as_array().is_some_and(|h| {
            h.iter()
                .any(|h| h.as_str().is_some_and(|h| hosts.iter().any(|c| c == h)))
        });
        let count = value["spec"]["http"].as_array().map_or(0, Vec::len);
        if !covered || count == 0 {
            continue;
        }
        let last = format!("/spec/http/{}", count - 1);
        let patch = |ops: serde_json::Value| {
            Line::new("kubectl")
                .opt("-n", spec.namespace())
                .lit("patch virtualservice")
                .arg(&vs.name)
                .lit("--type=json")
                .lit("-p")
                .json(&ops)
                .build()
        };
        remove.push(patch(serde_json::json!([
            { "op": "test", "path": format!("{last}/name"), "value": routes::ISTIO_CATCH_ALL },
            { "op": "remove", "path": last },
        ])));
        add.push(patch(serde_json::json!([
            { "op": "add", "path": "/spec/http/-", "value": routes::istio_catch_all_json(spec) },
        ])));
    }
    (remove, add)
}

pub(super) fn decommission(
    spec: &Spec,
    plan: &crate::plan::Plan,
    phase: &Phase,
    book: &mut Runbook,
) {
    let region = &spec.target.region;
    let old = spec.source.entrypoint.address.to_string();
    book.steps.push(
        step(
            Role::Operations,
            "Confirm that the new cluster serves every request",
            "rollout",
        )
        .detail("The production hosts resolve to the new entrypoint only, and answer from it.")
        .commands(
            spec.services
                .iter()
                .flat_map(|s| s.routes.first())
                .take(1)
                .flat_map(|route| {
                    [
                        Line::new("dig +short A").arg(&route.host).build(),
                        curl_line(&route.host, &route.path, None, true),
                    ]
                }),
        )
        .expect(format!(
            "`dig` and curl's remote address show {}",
            text(spec.target.entrypoint.address.to_string())
        )),
    );
    let slb = old_slb(book, spec);
    let catch_all = catch_all_hosts(spec, phase);
    // Under `legacy` the catch-all still sends the unlisted paths to the old entrypoint:
    // the drain check must not mistake them for clients that have not moved.
    let catch_all_note = if catch_all.is_empty() {
        String::new()
    } else {
        format!(
            " The catch-all routes (`rollout.unroutedPaths: legacy`) still send the unlisted paths of {} from the new cluster to the old entrypoint ({}): the connections they make come from the new cluster's nodes, and stop only when this phase removes the catch-all with the legacy backend. Serve those paths on the new cluster first (a route for them), or accept that they get the new ingress's 404 from then on.",
            catch_all.iter().map(code).collect::<Vec<_>>().join(", "),
            code(routes::legacy_name(spec)),
        )
    };
    book.steps.push(
        step(Role::Operations, format!("Confirm that no traffic reaches the old entrypoint {}", code(&old)), "source.entrypoint.address")
            .detail(format!("Resolvers may keep an answer past its TTL (up to 48 hours): watch the old SLB's new connections drop to zero before going on (`{}`).{catch_all_note}", RuleId::DnsDrain))
            .commands([new_connections_last_day(slb)])
            .expect("no new connections on the old SLB for at least the last day"),
    );
    // A service the old cluster served at an address of its own (`legacy.address`) drains
    // there too.
    let own_addresses: std::collections::BTreeSet<Address> = spec
        .services
        .iter()
        .filter(|s| !s.routes.is_empty())
        .filter_map(|s| s.legacy.as_ref().and_then(|l| l.address))
        .filter(|a| *a != spec.source.entrypoint.address)
        .collect();
    for address in own_addresses {
        let variable = old_slb_variable(address);
        slb_at(book, spec, address, &variable, "SLBs with the old address");
        book.steps.push(
            step(Role::Operations, format!("Confirm that no traffic reaches the old address {}", code(address.to_string())), "services[].legacy.address")
                .detail("A service answered there on the old cluster: its clients drain as the entrypoint's do.")
                .commands([new_connections_last_day(&variable)])
                .expect("no new connections on that SLB for at least the last day"),
        );
    }
    // Before anything is deleted: a backup of every migrated store, checked.
    super::data::backups(spec, plan, book);
    if let Some(data) = &spec.data {
        for db in data.databases.iter().filter(|db| db.sync != SyncMode::Full) {
            let (job, _) = dts_job_id(book, region, db);
            book.steps.push(
                step(Role::Operations, format!("Stop and release the DTS task of {}", code(&db.name)), format!("data.databases[{}].sync", db.name))
                    .detail("Before the old services go: once stopped, nothing writes to the old database any more.")
                    .commands([stop_dts(region, &job)])
                    .expect("the task is Stopped; release it in the DTS console once the rollback window closes"),
            );
        }
    }
    let (remove_istio, add_istio) = istio_catch_all_patches(spec, phase);
    let mut delete = remove_istio;
    delete.extend(kubectl_apply(phase));
    if !delete.is_empty() {
        book.steps.push(
            step(
                Role::Operations,
                if catch_all.is_empty() {
                    "Remove the legacy backend and the canary routes"
                } else {
                    "Remove the legacy backend, the canary routes and the catch-all routes"
                },
                if catch_all.is_empty() {
                    "source.entrypoint"
                } else {
                    "source.entrypoint, rollout.unroutedPaths"
                },
            )
            .commands(delete)
            .expect("the objects are deleted"),
        );
    }
    let stack = spec.source.stack.as_deref().unwrap_or(&spec.metadata.name);
    let undeploy = match spec.source.platform {
        SourcePlatform::Swarm => vec![
            "docker stack ls   # on a manager node of the old cluster".to_string(),
            Line::new("docker stack rm").arg(stack).build(),
        ],
        SourcePlatform::Kubernetes => vec![
            Line::new("kubectl")
                .opt("--context", &spec.source.name)
                .lit("delete namespace")
                .arg(stack)
                .build(),
        ],
    };
    book.steps.push(
        step(Role::Operations, format!("Undeploy the old cluster {}", code(&spec.source.name)), "source.stack (default: metadata.name)")
            .detail("The last step that can be undone by redeploying the old stack: take a final backup of the old volumes and databases first.")
            .commands(undeploy)
            .expect("the old services are gone; keep the nodes until the rollback window closes"),
    );
    if let Some(data) = &spec.data {
        match &data.backups {
            // Listing and removing are two steps, and the removal asks ossutil's own question
            // (no `-f`): a `data.backups` that names live data is seen before it is gone.
            Some(backups) => {
                book.steps.push(
                    step(Role::Operations, format!("List the migration's backups in {}", code(backups)), "data.backups")
                        .detail("Read the listing: it must hold only the backups this migration made, nothing that a volume, an object store or an app still uses.")
                        .commands([Line::new("ossutil ls").arg(backups).build()])
                        .expect("only the migration's backups are listed"),
                );
                book.steps.push(
                    step(Role::Operations, format!("Delete the migration's backups in {} (cannot be undone)", code(backups)), "data.backups")
                        .detail(format!("Only once the rollback window has closed and the backups this runbook wrote are no longer needed: this deletes every object under {} for good, and it cannot be undone. Compare with the listing of the step before and run it only if that listing holds nothing else; ossutil asks once more before it deletes.", code(backups)))
                        .commands([Line::new("ossutil rm -r").arg(backups).build()])
                        .expect("`ossutil ls` lists nothing under the prefix"),
                );
            }
            None => book.notes.push("No backup location in the spec (`data.backups`): no migration backups to purge from OSS.".into()),
        }
    }
    if spec.target.test_domain.is_some() {
        book.notes.push("The test domain's routes (`-test` Ingresses or routes) stay: keep them for tests, or delete them with the test domain's DNS record.".into());
    }
    let mut recreate = kubectl_rollback(phase);
    recreate.extend(add_istio);
    if !recreate.is_empty() {
        book.rollback.push(
            step(Role::Operations, "Re-create the legacy backend", "source.entrypoint")
                .detail("Only before the old cluster is undeployed: afterwards there is nothing to go back to.")
                .commands(recreate)
                .expect("the legacy objects exist again"),
        );
    }
}

/// The L4 wave members: the old SLB stays their clients' front door, sending only to the
/// new nodes since `complete`; the old servers leave its listener's group.
pub(super) fn l4_old_servers(spec: &Spec, plan: &crate::plan::Plan, book: &mut Runbook) {
    let Some(last) = plan.phases.iter().rev().find(|p| !p.l4_backends.is_empty()) else {
        return;
    };
    for (b, recorded) in last.l4_backends.iter().zip(&plan.l4_decommission) {
        for (name, line) in crate::plan::l4::lookups(spec, b) {
            book.lookup(&name, line);
        }
        // The plan's record (plan.json).
        let mut commands = recorded.commands.clone();
        commands.push(crate::plan::l4::describe(spec, b));
        book.steps.push(
            step(
                Role::Operations,
                format!("Take the old servers of {} out of the old SLB", code(&b.service)),
                format!("services[{}].legacy", b.service),
            )
            .detail(format!(
                "The clients keep the old SLB's address {}: it stays, with the new nodes as its only backends for this listener.",
                code(b.old_slb.to_string())
            ))
            .commands(commands)
            .expect("the last command lists the new nodes only"),
        );
    }
}
