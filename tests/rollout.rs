//! The phase plan of every example: traffic only ever moves forward, every step's rollback is
//! the state (and the files) of the step before, and the first rollback sends every request
//! back to the old cluster.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cutover::plan::rollout::{Action, PhaseKind};
use cutover::{load, plan};

fn examples() -> Vec<PathBuf> {
    common::example_specs(&["yaml"])
}

fn plan_of(path: &Path) -> plan::Plan {
    let loaded = load::load(path).unwrap_or_else(|_| panic!("{} loads", path.display()));
    common::plan(&loaded.spec)
}

/// The files of a folder under `manifests/`, by name.
fn folder(files: &cutover::bundle::Files, folder: &str) -> BTreeMap<String, Vec<u8>> {
    let prefix = format!("manifests/{folder}/");
    files
        .iter()
        .filter_map(|(path, content)| {
            let rest = path.strip_prefix(&prefix)?;
            (!rest.contains('/')).then(|| (rest.to_string(), content.to_vec()))
        })
        .collect()
}

#[test]
fn there_is_an_example_for_every_strategy_and_controller() {
    let mut seen = std::collections::BTreeSet::new();
    for spec in examples() {
        let loaded = load::load(&spec).unwrap_or_else(|_| panic!("loads"));
        let rollout = &loaded.spec.rollout;
        seen.insert(format!(
            "{:?}/{:?}",
            rollout.strategy,
            rollout
                .controller
                .filter(|_| rollout.strategy == cutover::model::Strategy::IngressCanary)
        ));
    }
    for expected in [
        "SlbWeights/None",
        "DnsWeights/None",
        "IngressCanary/Some(GatewayApi)",
        "IngressCanary/Some(Nginx)",
        "IngressCanary/Some(Alb)",
        "IngressCanary/Some(AckNginx)",
        "Istio/None",
        "Client/None",
    ] {
        assert!(
            seen.contains(expected),
            "no example for {expected}: {seen:?}"
        );
    }
}

#[test]
fn traffic_only_moves_forward_and_ends_settled_on_the_new_cluster() {
    for spec in examples() {
        let plan = plan_of(&spec);
        let name = spec.display();
        let kinds: Vec<PhaseKind> = plan.phases.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds[..5],
            [
                PhaseKind::Prepare,
                PhaseKind::Data,
                PhaseKind::Images,
                PhaseKind::Deploy,
                PhaseKind::Verify
            ],
            "{name}"
        );
        assert_eq!(
            kinds[kinds.len() - 2..],
            [PhaseKind::Complete, PhaseKind::Decommission],
            "{name}"
        );
        assert!(
            plan.phases[0].before.all_old(),
            "{name} starts on the old cluster"
        );
        for pair in plan.phases.windows(2) {
            let (previous, phase) = (&pair[0], &pair[1]);
            assert_eq!(
                phase.before, previous.after,
                "{name}: {} starts where {} ended",
                phase.id, previous.id
            );
            for (service, share) in &phase.after.services {
                let before = phase.before.services[service];
                assert!(
                    share.weight >= before.weight,
                    "{name}: {service} moves back in {}",
                    phase.id
                );
            }
            assert!(
                phase.after.dns_on_new || !phase.before.dns_on_new,
                "{name}: DNS moves back in {}",
                phase.id
            );
        }
        let last = &plan.phases[plan.phases.len() - 1].after;
        assert!(last.settled && last.dns_on_new, "{name}");
        assert!(
            last.services.values().all(|s| s.weight == 100 && !s.mirror),
            "{name}"
        );
    }
}

#[test]
fn every_rollback_is_the_state_before_and_the_first_returns_all_traffic() {
    for spec in examples() {
        let plan = plan_of(&spec);
        let files = common::compile(&spec).files;
        let name = spec.display();
        let first = plan
            .phases
            .iter()
            .position(|p| p.kind.moves_traffic())
            .expect("a traffic phase");
        assert!(
            plan.phases[first].before.all_old(),
            "{name}: the first rollback sends every request to the old cluster"
        );
        // Each object's latest state, as the phases so far left it: the deploy's first.
        let deploy = plan
            .phases
            .iter()
            .find(|p| p.kind == PhaseKind::Deploy)
            .unwrap();
        let mut state = folder(&files, &deploy.id);
        for phase in plan.phases.iter().filter(|p| p.kind.moves_traffic()) {
            if phase.rollback != Action::Apply {
                continue;
            }
            let forward = folder(&files, &phase.id);
            let rollback = folder(&files, &format!("rollback/{}", phase.id));
            assert!(
                !forward.is_empty() && !rollback.is_empty(),
                "{name}: {}",
                phase.id
            );
            for (file, content) in rollback.iter().filter(|(f, _)| *f != "kustomization.yaml") {
                assert_eq!(
                    state.get(file),
                    Some(content),
                    "{name}: rollback/{}/{file} is not the object's state before the phase",
                    phase.id
                );
            }
            // A rollback restores exactly the objects the phase changed, and nothing else;
            // and the catch-all `complete` deletes under `unroutedPaths: new`.
            let names = |f: &BTreeMap<String, Vec<u8>>| f.keys().cloned().collect::<Vec<_>>();
            let restored: Vec<String> = names(&rollback)
                .into_iter()
                .filter(|f| !forward.contains_key(f))
                .collect();
            assert!(
                restored.iter().all(|f| f.ends_with("-catch-all.yaml"))
                    && (restored.is_empty() || phase.kind == PhaseKind::Complete),
                "{name}: {}: {restored:?}",
                phase.id
            );
            let forward_names = names(&forward);
            assert!(
                forward_names.iter().all(|f| rollback.contains_key(f)),
                "{name}: {}",
                phase.id
            );
            for (file, content) in forward {
                if file != "kustomization.yaml" {
                    state.insert(file, content);
                }
            }
        }
    }
}

#[test]
fn ack_nginx_weights_are_exact_and_the_match_is_ack_syntax() {
    let spec = Path::new("examples/ack-nginx.yaml");
    let plan = plan_of(spec);
    let files = common::compile(spec).files;
    let step = plan
        .phases
        .iter()
        .find(|p| p.wave.as_deref() == Some("api") && p.weight == Some(25))
        .unwrap();
    let ingress = String::from_utf8(folder(&files, &step.id)["ingress-api.yaml"].clone()).unwrap();
    assert!(
        ingress.contains("service-weight: \"api: 25, legacy-swarm-hello: 75\""),
        "{ingress}"
    );
    let deploy =
        String::from_utf8(folder(&files, "04-deploy")["ingress-api.yaml"].clone()).unwrap();
    assert!(
        deploy.contains(r#"service-match: "api: header(\"x-migration\", \"canary\")""#),
        "{deploy}"
    );
}

#[test]
fn the_sketch_header_match_renders_in_ack_syntax() {
    let condition = cutover::model::MatchCondition {
        name: "x-migration".into(),
        value: Some("canary".into()),
        pattern: None,
    };
    assert_eq!(
        cutover::render::manifests::ack_match_expression("header", &condition),
        r#"header("x-migration", "canary")"#
    );
    let regex = cutover::model::MatchCondition {
        name: "foo".into(),
        value: None,
        pattern: Some("^bar$".into()),
    };
    assert_eq!(
        cutover::render::manifests::ack_match_expression("header", &regex),
        r#"header("foo", /^bar$/)"#
    );
}

#[test]
fn mirror_phases_come_before_the_weights_of_their_wave() {
    let plan = plan_of(Path::new("examples/piggymetrics.yaml"));
    let frontends: Vec<(PhaseKind, Option<u32>)> = plan
        .phases
        .iter()
        .filter(|p| p.wave.as_deref() == Some("frontends"))
        .map(|p| (p.kind, p.weight))
        .collect();
    assert_eq!(
        frontends,
        [
            (PhaseKind::Mirror, Some(0)),
            (PhaseKind::Step, Some(5)),
            (PhaseKind::Step, Some(25)),
            (PhaseKind::Step, Some(100))
        ]
    );
    let mirror = plan
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::Mirror)
        .unwrap();
    assert!(mirror.after.services["gateway"].mirror);
    assert_eq!(mirror.after.services["gateway"].weight, 0);
}

#[test]
fn slb_weights_give_each_step_its_share() {
    let plan = plan_of(Path::new("examples/slb-weights.yaml"));
    for phase in plan.phases.iter().filter(|p| p.kind == PhaseKind::Step) {
        let wave = phase.wave.as_deref().unwrap();
        let backends = phase
            .slb_backends
            .iter()
            .find(|b| b.service == wave)
            .unwrap();
        assert_eq!(
            backends.share_hundredths,
            phase.weight.unwrap() * 100,
            "{}",
            phase.id
        );
        assert_eq!(backends.old_servers, 3);
        // The old servers' weights are set; the new nodes join the group at the service's
        // first share (AddVServerGroupBackendServers) and are set after that.
        let first_share = plan
            .phases
            .iter()
            .filter(|p| p.number < phase.number)
            .flat_map(|p| {
                p.slb_backends
                    .iter()
                    .filter(|b| b.service == backends.service)
            })
            .all(|b| b.new_weight == 0);
        let joins = if first_share {
            "aliyun slb AddVServerGroupBackendServers"
        } else {
            "aliyun slb SetVServerGroupAttribute"
        };
        if !backends.commands.is_empty() {
            assert!(backends.commands[0].starts_with("aliyun slb SetVServerGroupAttribute"));
            assert!(backends.commands[1].starts_with(joins), "{}", phase.id);
        }
    }
}

/// plan.json and the traffic runbooks give the same `aliyun slb` commands, phase by phase:
/// slb-weights' routed services, and the L4 services' weights and rollbacks.
#[test]
fn slb_weight_commands_in_the_plan_are_the_runbooks() {
    let mut checked = 0;
    for example in ["examples/slb-weights.yaml", "examples/broker.yaml"] {
        let compiled = common::compile(Path::new(example));
        let plan = plan_of(Path::new(example));
        for phase in &plan.phases {
            let runbook = compiled
                .files
                .iter()
                .find(|(p, _)| p.starts_with("runbooks/") && p.contains(&phase.id))
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let slb = phase.slb_backends.iter().flat_map(|b| &b.commands);
            let l4 = phase
                .l4_backends
                .iter()
                .flat_map(|b| b.commands.iter().chain(&b.rollback));
            for command in slb.chain(l4) {
                assert!(
                    runbook.contains(command.as_str()),
                    "{example} {}: {command}",
                    phase.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 6);
}

#[test]
fn dns_weights_hand_weighted_records_to_the_dns_stage() {
    let plan = plan_of(Path::new("examples/dns-weights.yaml"));
    let step = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("api-10"))
        .unwrap();
    let api = step
        .dns_weights
        .iter()
        .find(|d| d.host == "api.hello.example")
        .unwrap();
    assert_eq!((api.old_weight, api.new_weight), (Some(90), Some(10)));
    let web = step
        .dns_weights
        .iter()
        .find(|d| d.host == "hello.example")
        .unwrap();
    assert_eq!((web.old_weight, web.new_weight), (Some(100), None));
}

#[test]
fn the_plan_command_prints_a_table_within_100_columns() {
    for spec in examples() {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(["plan", spec.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0));
        let out = String::from_utf8(run.stdout).unwrap();
        for line in out.lines() {
            assert!(line.chars().count() <= 100, "{}: {line}", spec.display());
        }
        assert!(out.contains("decommission"));
    }
}
