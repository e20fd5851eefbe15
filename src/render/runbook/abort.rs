//! `runbooks/abort.md`: from any phase, everything back on the old cluster in one runbook.
//!
//! The steps print the abort plan's own commands ([`crate::plan::abort::AbortPlan`], which
//! `plan.json` holds), in the order that keeps every request served: the old side takes the
//! requests first (routes at the new ingress, or the old SLB's group), then DNS goes back,
//! then the wait, then the checks.

use super::commands::{dts_job_id, kubectl_in, kustomize};
use super::traffic::slb_ids;
use super::{Role, Runbook, Step, code, step, text};
use crate::model::{Spec, Strategy, SyncMode};
use crate::plan::Plan;
use crate::plan::abort::{AbortPlan, SlbAbort};
use crate::plan::dns::{ChangeKind, DnsChange};
use crate::plan::slb::describe_group;
use crate::shell::Line;

/// The abort runbook, when the plan has an abort.
pub fn build(spec: &Spec, plan: &Plan) -> Option<Runbook> {
    let abort = plan.abort.as_ref()?;
    let mut book = Runbook {
        phase: "abort".into(),
        number: 0,
        title: "Abort: every request back on the old cluster".into(),
        changes: "every share of every wave back on the old cluster, DNS back to the old entrypoint, from whatever phase the move is in".into(),
        steps: Vec::new(),
        hold: None,
        gates: Vec::new(),
        gate_checks: Vec::new(),
        rollback: Vec::new(),
        notes: Vec::new(),
        ids: Default::default(),
        collisions: Vec::new(),
    };
    if let Some(folder) = &abort.folder {
        routes_step(spec, folder, &mut book);
    }
    for slb in &abort.slb {
        slb_step(spec, slb, &mut book);
    }
    for l4 in &abort.l4 {
        l4_step(spec, plan, l4, &mut book);
    }
    for client in &abort.clients {
        book.steps.push(
            step(
                Role::Developer,
                format!(
                    "Ship the old server list for {}: {}",
                    code(&client.host),
                    text(client.servers.join(", "))
                ),
                "source.entrypoint.address",
            )
            .detail("Release it at once, whatever list the clients have now: clients that already have it keep it")
            .expect("the clients' telemetry shows the old list in use"),
        );
    }
    if abort.dns.is_empty() {
        if plan.dns.is_none() && plan.strategy != Strategy::DnsWeights {
            let (_, back) = super::dns::manual_dns(spec);
            book.steps.extend(back);
        }
    } else {
        book.steps.extend(dns_steps(&abort.dns));
    }
    book.steps.push(wait_step(plan, abort));
    book.steps.push(check_step(spec, plan));
    data_steps(spec, &mut book);
    notes(spec, plan, abort, &mut book);
    super::ids::set_ids(&mut book);
    if let Some(first) = book
        .steps
        .first_mut()
        .filter(|s| s.title == "Set the ids this phase uses")
    {
        first.title = "Set the ids the abort uses".into();
    }
    Some(book)
}

fn routes_step(spec: &Spec, folder: &str, book: &mut Runbook) {
    book.steps.push(
        step(Role::Operations, format!("Send every request to the old cluster at the new ingress: apply {}", code(format!("manifests/{folder}/"))), "rollout")
            .detail("Instant at the ingress, from any phase: the folder holds the routes of the state before the first share (every canary weight 0, no mirror, the match only for requests that carry it) and the legacy backends they send to, re-created if the decommission phase has deleted them. Applying it again changes nothing")
            .commands([
                kustomize("apply", folder),
                kubectl_in(spec.namespace())
                    .lit("get")
                    .opt("-k", format!("manifests/{folder}"))
                    .lit("-o yaml")
                    .pipe(Line::new("grep -E").arg("name:|weight|canary|mirror"))
                    .build(),
            ])
            .expect("every canary weight is 0 and no route mirrors: the routes send every request to the legacy backend"),
    );
}

fn slb_step(spec: &Spec, slb: &SlbAbort, book: &mut Runbook) {
    let ids = slb_ids(book, spec, &slb.service);
    let mut commands = slb.commands.clone();
    commands.push(describe_group(&spec.target.region, &ids.group));
    book.steps.push(
        step(
            Role::Operations,
            format!(
                "Put the old SLB's group of {} back on the old servers",
                code(&slb.service)
            ),
            format!("services[{}]", slb.service),
        )
        .detail(format!("The old servers get weight {} first, then the new nodes found in the group leave it (none when none is there): the group never lacks a server that takes requests, and running it again changes nothing.", slb.old_weight))
        .commands(commands)
        .expect(format!(
            "the last command lists the old servers only, each at weight {}",
            slb.old_weight
        )),
    );
}

/// An L4 wave member's group back on its old servers, found from its old SLB's listener.
fn l4_step(spec: &Spec, plan: &Plan, slb: &SlbAbort, book: &mut Runbook) {
    let Some(backends) = plan
        .phases
        .iter()
        .rev()
        .find_map(|p| p.l4_backends.iter().find(|b| b.service == slb.service))
    else {
        return;
    };
    for (name, line) in crate::plan::l4::lookups(spec, backends) {
        book.lookup(&name, line);
    }
    // The plan's lines end with the group's description.
    let commands = slb.commands.clone();
    book.steps.push(
        step(
            Role::Operations,
            format!(
                "Put the old SLB's listener group of {} back on the old servers",
                code(&slb.service)
            ),
            format!("services[{}].legacy", slb.service),
        )
        .detail(format!("The old servers get weight {} first, then the new nodes found in the group leave it: new connections go to the old servers only; open ones stay where they are until the clients reconnect.", slb.old_weight))
        .commands(commands)
        .expect(format!(
            "the last command lists the old servers only, each at weight {}",
            slb.old_weight
        )),
    );
}

/// The abort's DNS changes as steps: one per kind, each over every record.
fn dns_steps(changes: &[DnsChange]) -> Vec<Step> {
    let kinds = [
        ChangeKind::Add,
        ChangeKind::Verify,
        ChangeKind::Remove,
        ChangeKind::SetWeights,
    ];
    kinds
        .iter()
        .filter_map(|kind| {
            let of_kind: Vec<&DnsChange> = changes.iter().filter(|c| c.kind == *kind).collect();
            let first = of_kind.first()?;
            let names = of_kind
                .iter()
                .map(|c| format!("{} {}", code(&c.fqdn), text(&c.record_type)))
                .collect::<Vec<_>>()
                .join(", ");
            let (title, detail, expect) = match kind {
                ChangeKind::Add => (
                    format!("Add the old answer {} where it is missing: {names}", code(&first.value)),
                    format!("At the cutover TTL ({} s). Each command adds the record only when no record of the name answers the old entrypoint: a name that still has it is left as it is.", first.ttl_after),
                    "each command prints a RecordId, or nothing where the answer was there".to_string(),
                ),
                ChangeKind::Verify => (
                    format!("Verify that every name answers the old entrypoint: {names}"),
                    "Before any new answer goes: no name is ever without an answer.".to_string(),
                    format!("each lists {}", code(&first.value)),
                ),
                ChangeKind::Remove => (
                    format!("Remove every answer {} that is left: {names}", code(&first.value)),
                    "Each command deletes the records of the name that answer the new entrypoint, and nothing where there are none.".to_string(),
                    "each command prints the RecordId it deleted, or nothing".to_string(),
                ),
                _ => (
                    format!("Switch off weighting: {names}"),
                    "One answer is left per name: weighting off, as before the move.".to_string(),
                    "each command returns no error (a name already unweighted may say so)".to_string(),
                ),
            };
            let mut s = step(Role::Operations, title, "dns.records")
                .commands(of_kind.iter().flat_map(|c| c.commands.clone()))
                .expect(expect);
            s.detail = detail;
            Some(s)
        })
        .collect()
}

fn wait_step(plan: &Plan, abort: &AbortPlan) -> Step {
    let detail = match (&abort.wait, &plan.dns) {
        (Some(wait), Some(_)) => {
            let first = wait
                .first_change
                .as_deref()
                .map_or("the first DNS change".to_string(), code);
            match &wait.restored_in {
                Some(restored) => format!(
                    "Resolvers may hold the new answer for up to its TTL: {} s (the cutover TTL) when you abort before phase {} restored the normal TTL, {} s (the normal TTL) from then on; before phase {first} no name pointed at the new entrypoint and there is nothing to wait for. The cutover TTL is the one that counts until the restore because every new answer was published at it: the first value change waited a normal TTL after the prepare phase lowered the TTL, so no resolver holds a new answer at the normal TTL. Wait {} s when unsure.",
                    wait.seconds,
                    code(restored),
                    wait.seconds_after_restore,
                    wait.longest(),
                ),
                None => format!(
                    "Resolvers may hold the new answer for up to {} s, the cutover TTL every new answer was published at (the first value change waited a normal TTL after the TTL was lowered); before phase {first} no name pointed at the new entrypoint and there is nothing to wait for.",
                    wait.seconds
                ),
            }
        }
        _ => "Resolvers may hold the new answer for up to the records' TTL at your DNS provider (the spec has no `dns` section): wait that long.".to_string(),
    };
    let keep = if abort.folder.is_some() {
        "the new ingress and the routes of the abort folder (they send what still arrives there to the old cluster)"
    } else {
        "the new entrypoint and the new cluster (what still arrives there is served by the new cluster until the resolvers let go)"
    };
    let mut commands = Vec::new();
    if abort.folder.is_some()
        && let Some(ingress) = &plan.ingress_controller
    {
        commands.push(
            kubectl_in(&ingress.namespace)
                .lit("logs")
                .arg(format!("deployment/{}", ingress.deployment))
                .lit("--since=5m")
                .pipe(Line::new("wc -l"))
                .build(),
        );
    }
    let mut s = step(Role::Operations, "Keep the new side in place while resolvers let go", "dns.ttl")
        .commands(commands)
        .expect("the count of requests the new ingress logs falls towards 0 (resolvers that ignore TTLs may keep a few for up to 48 hours)");
    s.detail = format!(
        "{detail} Until then, and until its traffic is gone, keep {keep}: remove nothing on the new side. The abort never deletes the new cluster."
    );
    if abort.folder.is_none() {
        s.expect = "the new entrypoint's traffic (its SLB's monitoring) falls towards 0".into();
    }
    s
}

fn check_step(spec: &Spec, plan: &Plan) -> Step {
    let old = spec.source.entrypoint.address.to_string();
    let mut commands: Vec<String> = Vec::new();
    match &plan.dns {
        Some(dns) => commands.extend(dns.records.iter().map(|r| {
            Line::new("dig +short")
                .arg(&r.record_type)
                .arg(&r.fqdn)
                .build()
        })),
        None => {
            let mut hosts: Vec<&str> = spec
                .services
                .iter()
                .flat_map(|s| s.routes.iter().map(|r| r.host.as_str()))
                .collect();
            hosts.sort_unstable();
            hosts.dedup();
            commands.extend(
                hosts
                    .iter()
                    .map(|h| Line::new("dig +short A").arg(h).build()),
            );
        }
    }
    let mut routes: Vec<(&str, &str)> = spec
        .services
        .iter()
        .flat_map(|s| s.routes.iter().map(|r| (r.host.as_str(), r.path.as_str())))
        .collect();
    routes.sort_unstable();
    routes.dedup_by(|a, b| a.0 == b.0);
    commands.extend(
        routes
            .iter()
            .map(|(host, path)| super::commands::curl_line(host, path, None, true)),
    );
    step(Role::Tester, "Check that every request is back on the old cluster", "source.entrypoint.address")
        .detail("From outside, once the wait is over: the names and the requests, one per host.")
        .commands(commands)
        .expect(format!(
            "every name answers {} only, and every request is answered from {} with the status it had before the move",
            code(&old),
            code(&old)
        ))
}

fn data_steps(spec: &Spec, book: &mut Runbook) {
    let Some(data) = &spec.data else {
        return;
    };
    let region = &spec.target.region;
    for db in data.databases.iter().filter(|d| !d.shared_instance) {
        let src = format!("data.databases[{}]", db.name);
        match db.sync {
            SyncMode::Bidirectional => {
                let (job, _) = dts_job_id(book, region, db);
                // The reverse direction carries the new side's writes to the old database.
                // https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedtsjobdetail
                let status = Line::new("aliyun dts DescribeDtsJobDetail")
                    .opt("--RegionId", region)
                    .opt_var("--DtsJobId", &job)
                    .lit("--SynchronizationDirection Reverse")
                    .pipe(Line::new("jq").arg("{Status, Delay}"))
                    .build();
                book.steps.push(
                    step(Role::Operations, format!("Check that the old database {} has the new side's writes", code(&db.name)), format!("{src}.sync"))
                        .detail("The two-way DTS sync keeps running through the abort: its reverse direction carries every write the new cluster took to the old database. Do not stop it; stop it only once the move is given up, after the delay is 0")
                        .commands([status])
                        .expect("`Status` is `Synchronizing` and `Delay` is near 0"),
                );
            }
            SyncMode::Incremental | SyncMode::Full => book.notes.push(format!(
                "Database {}: the sync runs one way (old to new), so writes the new cluster took since its first share are only in the new database: find and replay them on the old one.",
                code(&db.name)
            )),
        }
    }
}

fn notes(spec: &Spec, plan: &Plan, abort: &AbortPlan, book: &mut Runbook) {
    book.notes.push(format!(
        "The abort does not undo the phases before the traffic moved: the new cluster, its workloads, storage and images stay{}, the data keeps syncing, and the test domain keeps reaching the new cluster.",
        match &plan.dns {
            Some(dns) if dns.private_zone.is_some() => ", the PrivateZone records stay, the records keep the cutover TTL (the prepare phase's rollback restores the normal TTL)",
            Some(_) => ", the records keep the cutover TTL (the prepare phase's rollback restores the normal TTL)",
            None => "",
        }
    ));
    if abort.folder.is_some() && spec.rollout.match_rule.is_some() {
        book.notes.push("Requests that carry the `rollout.match` (the testers' header or cookie) still reach the new services, as in the entry phase: production requests do not carry it.".into());
    }
    let again = if abort.folder.is_some() {
        "To move again, start at the entry phase (DNS to the new ingress): the abort folder's routes are its state, so the wave steps follow as planned."
    } else {
        "To move again, start at the first wave step: the abort leaves the state before it."
    };
    book.notes.push(again.into());
}
