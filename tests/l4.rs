//! L4 services in waves (issue 15, item 2): examples/broker.yaml moves a TCP broker at its old
//! SLB's vServer group, step by step, with rollbacks; the plan's commands are the runbook's.

mod common;

use std::path::Path;

use cutover::model::Protocol;
use cutover::plan::rollout::PhaseKind;

const BROKER: &str = "examples/broker.yaml";

fn plan_of(path: &Path) -> cutover::plan::Plan {
    let loaded = cutover::load::load(path).unwrap_or_else(|_| panic!("loads"));
    common::plan(&loaded.spec)
}

fn runbook(files: &cutover::bundle::Files, phase: &str) -> String {
    files
        .iter()
        .find(|(p, _)| p.starts_with("runbooks/") && p.contains(phase))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

#[test]
fn the_broker_moves_in_a_wave_of_its_own_with_the_weights_per_step() {
    let plan = plan_of(Path::new(BROKER));
    let steps: Vec<_> = plan
        .phases
        .iter()
        .filter(|p| p.wave.as_deref() == Some("broker"))
        .collect();
    assert_eq!(
        steps.iter().map(|p| p.weight).collect::<Vec<_>>(),
        [Some(10), Some(50), Some(100)]
    );
    for phase in &steps {
        assert_eq!(phase.kind, PhaseKind::Step);
        assert_eq!(phase.services, ["broker"]);
        let b = &phase.l4_backends[0];
        assert_eq!(b.service, "broker");
        assert_eq!(
            b.share_hundredths,
            phase.weight.unwrap() * 100,
            "{}",
            phase.id
        );
        assert_eq!(
            (b.old_servers, b.node_port, b.listener_port),
            (3, 30672, 5672)
        );
        assert_eq!(b.old_slb.to_string(), "10.0.1.20");
        assert!(!b.commands.is_empty(), "{}", phase.id);
        // Nothing to apply in the cluster: the old SLB moves it.
        assert_eq!(phase.forward, cutover::plan::rollout::Action::None);
    }
    // Before its wave the broker is all old; at complete the new nodes take it all.
    let web = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("web-10"))
        .unwrap();
    assert_eq!(web.l4_backends[0].new_weight, 0);
    assert!(web.l4_backends[0].commands.is_empty());
    let complete = plan
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::Complete)
        .unwrap();
    let b = &complete.l4_backends[0];
    assert_eq!((b.old_weight, b.new_weight), (0, 100));
}

#[test]
fn each_rollback_restores_the_previous_weights_and_the_first_removes_the_new_nodes() {
    let plan = plan_of(Path::new(BROKER));
    let mut previous: Option<(u32, u32)> = None;
    for phase in plan
        .phases
        .iter()
        .filter(|p| p.wave.as_deref() == Some("broker"))
    {
        let b = &phase.l4_backends[0];
        match previous {
            None => {
                assert!(b.commands[1].starts_with("aliyun slb AddVServerGroupBackendServers"));
                assert!(b.rollback[0].starts_with("aliyun slb RemoveVServerGroupBackendServers"));
                assert!(b.rollback[0].contains("--arg port 30672"));
                assert!(b.rollback[1].contains("--arg weight 100"));
            }
            Some((old, new)) => {
                assert!(b.commands[1].starts_with("aliyun slb SetVServerGroupAttribute"));
                assert!(
                    b.rollback[0].contains(&format!("--arg weight {old} ")),
                    "{}",
                    phase.id
                );
                assert!(
                    b.rollback[1].contains(&format!("--arg weight {new} ")),
                    "{}",
                    phase.id
                );
            }
        }
        previous = Some((b.old_weight, b.new_weight));
    }
}

/// Every L4 command plan.json records, forward and back, is in its phase's runbook, in
/// every example.
#[test]
fn l4_commands_in_the_plan_are_the_runbooks() {
    let mut checked = 0;
    for spec in common::example_specs(&["yaml"]) {
        let plan = plan_of(&spec);
        let files = common::compile(&spec).files;
        for phase in &plan.phases {
            let text = runbook(&files, &phase.id);
            for command in phase
                .l4_backends
                .iter()
                .flat_map(|b| b.commands.iter().chain(&b.rollback))
            {
                assert!(text.contains(command.as_str()), "{}: {command}", phase.id);
                checked += 1;
            }
        }
    }
    assert!(checked >= 6);
}

#[test]
fn the_brokers_service_is_a_node_port_with_the_specs_port_and_protocol() {
    let files = common::compile(Path::new(BROKER)).files;
    let (_, bytes) = files
        .iter()
        .find(|(p, _)| p.starts_with("manifests/04-deploy/") && p.contains("broker-nodeport-tcp"))
        .expect("the broker's NodePort Service");
    let service = common::yaml(bytes);
    assert_eq!(service["spec"]["type"], "NodePort");
    assert_eq!(service["spec"]["externalTrafficPolicy"], "Cluster");
    let port = &service["spec"]["ports"][0];
    assert_eq!(port["nodePort"], 30672);
    assert_eq!(port["port"], 5672);
    assert_eq!(port["protocol"], "TCP");
}

/// A UDP variant: the listener is looked up as a UDP one, and the Service speaks UDP.
#[test]
fn a_udp_member_moves_through_a_udp_listener() {
    let text = std::fs::read_to_string(BROKER)
        .unwrap()
        .replace("    port: 5672\n", "    port: 5672\n    protocol: udp\n")
        .replace("health: { tcp: true }", "health: { tcp: false }");
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "udp.yaml", &text);
    let plan = plan_of(&path);
    let step = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("broker-10"))
        .unwrap();
    assert_eq!(step.l4_backends[0].protocol, Protocol::Udp);
    let files = common::compile(&path).files;
    let book = runbook(&files, &step.id);
    assert!(
        book.contains("aliyun slb DescribeLoadBalancerUDPListenerAttribute"),
        "{book}"
    );
    let (_, bytes) = files
        .iter()
        .find(|(p, _)| p.starts_with("manifests/04-deploy/") && p.contains("broker-nodeport-udp"))
        .expect("the UDP NodePort Service");
    let service = common::yaml(bytes);
    assert_eq!(service["spec"]["ports"][0]["protocol"], "UDP");
    assert_eq!(service["spec"]["ports"][0]["nodePort"], 30672);
}

/// The abort's L4 lines: old servers at 100, then only the new nodes still in the group out.
#[test]
fn the_abort_lines_return_the_broker_to_its_old_servers() {
    let loaded = cutover::load::load(Path::new(BROKER)).unwrap_or_else(|_| panic!("loads"));
    let plan = common::plan(&loaded.spec);
    let step = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("broker-50"))
        .unwrap();
    let lines = cutover::plan::l4::abort_lines(&loaded.spec, &step.l4_backends);
    assert!(lines[0].starts_with("aliyun slb SetVServerGroupAttribute"));
    assert!(lines[0].contains("--arg weight 100"));
    assert!(lines[1].starts_with("JOINED_NODES_BROKER=$("));
    assert!(lines[2].contains("&& aliyun slb RemoveVServerGroupBackendServers"));
}
