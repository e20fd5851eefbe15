//! The one-step abort, replayed: for every example, after each phase from deploy on (and
//! after each single DNS change, mid-phase), the abort is applied to a model of where the
//! move stands (the traffic state, the zone as the DNS change list leaves it, the old SLB's
//! groups) and must leave every share on the old cluster and every record at its old value
//! only, with no name ever unanswered; run twice, it leaves the same. `manifests/abort/`
//! is the routes of the all-old state with their legacy backends, and the runbook gives the
//! plan's own commands, whose guards really skip what is back already (run with stubs).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cutover::plan::Plan;
use cutover::plan::abort::{AbortPlan, OLD_WEIGHT};
use cutover::plan::dns::{ChangeKind, DnsChange, DnsPlan, Zone};
use cutover::plan::rollout::{PhaseKind, Share, TrafficState};
use cutover::render::manifests::routes;

fn examples() -> Vec<PathBuf> {
    common::example_specs(&["yaml"])
}

fn plan_of(path: &Path) -> (cutover::model::Spec, Plan) {
    let loaded = cutover::load::load(path).unwrap_or_else(|_| panic!("{} loads", path.display()));
    let plan = common::plan(&loaded.spec);
    (loaded.spec, plan)
}

fn abort_of(plan: &Plan, path: &Path) -> AbortPlan {
    plan.abort
        .clone()
        .unwrap_or_else(|| panic!("{}: the plan has an abort", path.display()))
}

/// The abort's DNS changes on a zone: "add if absent", "remove if present", as the commands
/// check; no moving name is ever left without an answer.
fn apply_abort_dns(zone: &mut Zone, dns: &DnsPlan, changes: &[DnsChange], context: &str) {
    for change in changes {
        let key = (change.name.clone(), change.record_type.clone());
        let present = zone
            .sets
            .get(&key)
            .is_some_and(|s| s.answers.contains_key(&change.value));
        match change.kind {
            ChangeKind::Remove if !present => {}
            ChangeKind::Add if present => {}
            _ => zone
                .apply(change)
                .unwrap_or_else(|e| panic!("{context}: {e}")),
        }
        for r in &dns.records {
            let set = zone.sets.get(&(r.name.clone(), r.record_type.clone()));
            assert!(
                set.is_some_and(|s| !s.answers.is_empty()),
                "{context}: {} has no answer after the abort's {:?}",
                r.fqdn,
                change.kind
            );
        }
    }
}

fn assert_old_only(zone: &Zone, dns: &DnsPlan, context: &str) {
    for r in &dns.records {
        let set = &zone.sets[&(r.name.clone(), r.record_type.clone())];
        let answers: Vec<&String> = set.answers.keys().collect();
        assert_eq!(
            answers,
            [&r.old],
            "{context}: {} answers the old entrypoint only",
            r.fqdn
        );
        assert!(
            set.answers.values().all(Option::is_none),
            "{context}: {} is unweighted again",
            r.fqdn
        );
    }
}

#[test]
fn from_every_phase_and_every_dns_change_the_abort_puts_every_record_back() {
    let mut replays = 0;
    for path in examples() {
        let (_, plan) = plan_of(&path);
        let Some(dns) = &plan.dns else { continue };
        let abort = abort_of(&plan, &path);
        assert!(
            abort.dns.len() >= dns.records.len() * 3,
            "{}",
            path.display()
        );
        // The commands carry the guards the model assumes.
        for change in &abort.dns {
            for command in &change.commands {
                match change.kind {
                    ChangeKind::Add => assert!(
                        command
                            .contains("length == 0' >/dev/null && aliyun alidns AddDomainRecord"),
                        "{command}"
                    ),
                    ChangeKind::Remove => assert!(
                        command.contains("| xargs -r -n 1 aliyun alidns DeleteDomainRecord"),
                        "{command}"
                    ),
                    _ => {}
                }
            }
        }
        let mut zone = Zone::initial(dns);
        let mut states = vec![("before the move".to_string(), zone.clone())];
        for phase in &dns.phases {
            for (i, change) in phase.changes.iter().enumerate() {
                zone.apply(change).unwrap();
                states.push((
                    format!("{} after change {}", phase.phase, i + 1),
                    zone.clone(),
                ));
            }
        }
        for (at, state) in states {
            let context = format!("{}: abort at {at}", path.display());
            let mut zone = state;
            apply_abort_dns(&mut zone, dns, &abort.dns, &context);
            assert_old_only(&zone, dns, &context);
            let once = zone.clone();
            apply_abort_dns(&mut zone, dns, &abort.dns, &format!("{context}, again"));
            assert_eq!(zone, once, "{context}: a second run changes nothing");
            replays += 1;
        }
    }
    assert!(replays > 20, "{replays}");
}

/// The old SLB's group of one service, as the model sees it.
#[derive(Clone, Debug, PartialEq)]
struct Group {
    old_weight: u32,
    /// The new nodes' weight, when they are in the group.
    new: Option<u32>,
}

/// Replays a service's abort commands on its group, by what each command does.
fn apply_slb(group: &mut Group, commands: &[String], old_servers: &str) {
    for command in commands {
        if command.starts_with("aliyun slb SetVServerGroupAttribute")
            && command.contains(&format!("\"${old_servers}\""))
        {
            let weight = command
                .split("--arg weight ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|w| w.parse().ok())
                .expect("a weight");
            group.old_weight = weight;
        } else if command.contains("aliyun slb RemoveVServerGroupBackendServers") {
            // Guarded: only the new nodes found in the group.
            assert!(command.contains("length > 0' >/dev/null &&"), "{command}");
            group.new = None;
        } else if command.contains("AddVServerGroupBackendServers") {
            panic!("the abort never adds a server: {command}");
        }
    }
}

#[test]
fn from_every_phase_the_abort_puts_every_share_back_on_the_old_cluster() {
    let mut replays = 0;
    for path in examples() {
        let (spec, plan) = plan_of(&path);
        let abort = abort_of(&plan, &path);
        let deploy = plan
            .phases
            .iter()
            .position(|p| p.kind == PhaseKind::Deploy)
            .unwrap();
        assert_eq!(abort.from_phase, plan.phases[deploy].id);
        // The all-old state, built here from the spec.
        // Every routed service, and every L4 wave member.
        let l4 = cutover::model::ports::l4_members(&spec);
        let routed: BTreeMap<String, Share> = spec
            .services
            .iter()
            .filter(|s| !s.routes.is_empty() || l4.iter().any(|(m, _)| m.name == s.name))
            .map(|s| (s.name.clone(), Share::default()))
            .collect();
        let all_old = TrafficState {
            dns_on_new: true,
            settled: false,
            services: routed,
        };
        for k in deploy..plan.phases.len() {
            let phase = &plan.phases[k];
            let context = format!("{}: abort after {}", path.display(), phase.id);
            // The traffic state: the routes of the abort folder replace the phase's.
            let state = if abort.folder.is_some() {
                abort.state.clone()
            } else {
                phase.after.clone()
            };
            if abort.folder.is_some() {
                assert_eq!(state, all_old, "{context}");
                assert!(
                    state.services.values().all(|s| s.weight == 0 && !s.mirror),
                    "{context}: every share on the old cluster"
                );
            }
            // The old SLB: the groups as the phases left them, then the abort.
            let mut groups: BTreeMap<String, Group> = BTreeMap::new();
            for p in &plan.phases[..=k] {
                let weights = p
                    .slb_backends
                    .iter()
                    .map(|b| (&b.service, b.old_weight, b.new_weight));
                let l4 = p
                    .l4_backends
                    .iter()
                    .map(|b| (&b.service, b.old_weight, b.new_weight));
                for (service, old_weight, new_weight) in weights.chain(l4) {
                    let group = groups.entry(service.clone()).or_insert(Group {
                        old_weight: 100,
                        new: None,
                    });
                    group.old_weight = old_weight;
                    if new_weight > 0 || group.new.is_some() {
                        group.new = Some(new_weight);
                    }
                }
            }
            let slb: BTreeMap<&str, _> = abort
                .slb
                .iter()
                .chain(&abort.l4)
                .map(|s| (s.service.as_str(), s))
                .collect();
            for (service, group) in &mut groups {
                let abort_slb = slb
                    .get(service.as_str())
                    .unwrap_or_else(|| panic!("{context}: no abort for {service}"));
                let old = cutover::plan::slb::slb_vars(service).old_servers;
                for _ in 0..2 {
                    apply_slb(group, &abort_slb.commands, &old);
                    assert_eq!(
                        *group,
                        Group {
                            old_weight: OLD_WEIGHT,
                            new: None
                        },
                        "{context}: {service}'s group holds the old servers only"
                    );
                }
            }
            // client: the old list only, for every host the phases list.
            let hosts: BTreeSet<&str> = plan.phases[..=k]
                .iter()
                .flat_map(|p| p.client_servers.iter().map(|c| c.host.as_str()))
                .collect();
            for host in hosts {
                let list = abort
                    .clients
                    .iter()
                    .find(|c| c.host == host)
                    .unwrap_or_else(|| panic!("{context}: no list for {host}"));
                assert_eq!(
                    list.servers,
                    [spec.source.entrypoint.address.to_string()],
                    "{context}"
                );
            }
            replays += 1;
        }
    }
    assert!(replays > 50, "{replays}");
}

#[test]
fn the_abort_folder_is_the_routes_of_the_all_old_state_with_their_legacy_backends() {
    for path in examples() {
        let (spec, plan) = plan_of(&path);
        let abort = abort_of(&plan, &path);
        let compiled = common::compile(&path);
        let in_folder: BTreeMap<String, String> = compiled
            .files
            .paths()
            .filter_map(|p| p.strip_prefix("manifests/abort/"))
            .filter(|name| *name != "kustomization.yaml")
            .map(|name| {
                let bytes = compiled
                    .files
                    .get(&format!("manifests/abort/{name}"))
                    .unwrap();
                (
                    name.to_string(),
                    String::from_utf8_lossy(bytes).into_owned(),
                )
            })
            .collect();
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        if cutover::plan::rollout::in_cluster_traffic(spec.rollout.strategy) {
            assert_eq!(abort.folder.as_deref(), Some("abort"), "{}", path.display());
            for m in routes::legacy_objects(&spec)
                .into_iter()
                .chain(routes::traffic_objects(&spec, &abort.state))
            {
                expected.insert(m.file_name(), m.yaml());
            }
            assert!(!expected.is_empty(), "{}", path.display());
            let kustomization = common::yaml(
                compiled
                    .files
                    .get("manifests/abort/kustomization.yaml")
                    .unwrap(),
            );
            let listed: Vec<String> = kustomization["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                listed,
                expected.keys().cloned().collect::<Vec<_>>(),
                "{}",
                path.display()
            );
        } else {
            assert_eq!(abort.folder, None, "{}", path.display());
        }
        assert_eq!(in_folder, expected, "{}", path.display());
        // The README links the runbook; the runbook exists.
        let readme = String::from_utf8_lossy(compiled.files.get("README.md").unwrap()).into_owned();
        assert!(readme.contains("(runbooks/abort.md)"), "{}", path.display());
        assert!(compiled.files.get("runbooks/abort.md").is_some());
    }
}

#[test]
fn the_runbook_gives_the_plans_commands_and_sets_every_variable_it_reads() {
    for path in examples() {
        let (spec, plan) = plan_of(&path);
        let abort = abort_of(&plan, &path);
        let book = cutover::render::runbook::abort::build(&spec, &plan).unwrap();
        let commands: Vec<&String> = book.steps.iter().flat_map(|s| &s.commands).collect();
        for planned in abort
            .slb
            .iter()
            .flat_map(|s| &s.commands)
            .chain(abort.dns.iter().flat_map(|c| &c.commands))
        {
            assert!(
                commands.contains(&planned),
                "{}: the runbook lacks the plan's {planned}",
                path.display()
            );
        }
        if let Some(folder) = &abort.folder {
            assert!(
                commands.contains(&&format!("kubectl apply -k manifests/{folder}")),
                "{}",
                path.display()
            );
        }
        let mut set: Vec<String> = Vec::new();
        for line in &commands {
            if line.starts_with(": ") {
                set.extend(cutover::render::runbook::defines(line));
            }
            for name in common::shell_reads(line) {
                assert!(
                    set.contains(&name),
                    "{}: {line} reads ${name} before it is set",
                    path.display()
                );
            }
            set.extend(cutover::render::runbook::defines(line));
        }
        assert!(book.collisions().is_empty());
    }
}

/// Runs `script` in bash with stub `aliyun` and `kubectl` that log their arguments and
/// answer the describe calls with `describe`; returns the log.
fn run_stubbed(script: &str, describe: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let answer = dir.path().join("describe.json");
    std::fs::write(&answer, describe).unwrap();
    let stub = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\ncase \"$2\" in Describe*) cat '{}';; esac\n",
        log.display(),
        answer.display()
    );
    let path = dir.path().join("aliyun");
    std::fs::write(&path, stub).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .env("VSG_ID_API", "rsp-1")
        .env("NEW_NODE_IDS", "[\"i-new1\",\"i-new2\"]")
        .env("OLD_SERVER_IDS_API", "[\"i-old1\"]")
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("syntax"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&log).unwrap_or_default()
}

#[test]
fn the_guards_skip_what_is_back_already() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("jq is not installed: skipped");
        return;
    }
    let (_, plan) = plan_of(Path::new("examples/slb-weights.yaml"));
    let abort = plan.abort.unwrap();
    let dns = abort.dns.clone();
    let record = |value: &str, id: &str| {
        format!(
            "{{\"DomainRecords\":{{\"Record\":[{{\"RR\":\"@\",\"Type\":\"A\",\"Value\":\"{value}\",\"RecordId\":\"{id}\"}}]}}}}"
        )
    };
    let add = &dns
        .iter()
        .find(|c| c.kind == ChangeKind::Add)
        .unwrap()
        .commands[0];
    let remove = &dns
        .iter()
        .find(|c| c.kind == ChangeKind::Remove)
        .unwrap()
        .commands[0];
    let (old, new) = (
        &plan.dns.as_ref().unwrap().records[0].old,
        &plan.dns.as_ref().unwrap().records[0].new,
    );
    // The old answer is there: nothing added. It is not: added.
    assert!(!run_stubbed(add, &record(old, "r-old")).contains("AddDomainRecord"));
    assert!(run_stubbed(add, &record(new, "r-new")).contains(&format!(
        "alidns AddDomainRecord --DomainName hello.example --RR @ --Type A --Value {old}"
    )));
    // The new answer is there: deleted by its id. It is not: nothing deleted.
    assert!(
        run_stubbed(remove, &record(new, "r-new"))
            .contains("alidns DeleteDomainRecord --RecordId r-new")
    );
    assert!(!run_stubbed(remove, &record(old, "r-old")).contains("DeleteDomainRecord"));
    // The SLB: new nodes in the group leave it, with their ports; none there, no call.
    let slb = abort.slb.iter().find(|s| s.service == "api").unwrap();
    let script = slb.commands.join("\n");
    let group = |servers: &[(&str, u16)]| {
        let list: Vec<String> = servers
            .iter()
            .map(|(id, port)| format!("{{\"ServerId\":\"{id}\",\"Port\":{port},\"Weight\":50}}"))
            .collect();
        format!(
            "{{\"BackendServers\":{{\"BackendServer\":[{}]}}}}",
            list.join(",")
        )
    };
    let log = run_stubbed(&script, &group(&[("i-old1", 80), ("i-new1", 30080)]));
    assert!(log.contains("slb SetVServerGroupAttribute --RegionId cn-hangzhou --VServerGroupId rsp-1 --BackendServers [{\"ServerId\":\"i-old1\",\"Weight\":\"100\"}]"), "{log}");
    assert!(log.contains("slb RemoveVServerGroupBackendServers --RegionId cn-hangzhou --VServerGroupId rsp-1 --BackendServers [{\"ServerId\":\"i-new1\",\"Port\":30080}]"), "{log}");
    let log = run_stubbed(&script, &group(&[("i-old1", 80)]));
    assert!(log.contains("SetVServerGroupAttribute"), "{log}");
    assert!(!log.contains("RemoveVServerGroupBackendServers"), "{log}");
}
