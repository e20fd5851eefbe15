//! Issue 14's workloads: a service's own legacy backend reaches every router's routes and is
//! removed at decommission; a one-shot service is a Job its dependants wait for; published
//! ports are Services, never Ingresses.

mod common;

use std::path::Path;

use cutover::load;
use cutover::model::LegacyBackend;
use cutover::render::manifests::{self, Manifest, Phases};

fn phases_with_own_legacy(example: &str, port: u16) -> (Phases, String, Vec<String>) {
    let mut loaded = load::load(Path::new(example)).expect("the example loads");
    let routed: Vec<String> = loaded
        .spec
        .services
        .iter()
        .filter(|s| !s.routes.is_empty())
        .map(|s| s.name.clone())
        .collect();
    let own = routed[0].clone();
    let service = loaded
        .spec
        .services
        .iter_mut()
        .find(|s| s.name == own)
        .unwrap();
    service.legacy = Some(LegacyBackend {
        address: None,
        port: Some(port),
        backends: None,
    });
    let plan = common::plan(&loaded.spec);
    (
        manifests::build(&loaded.spec, &plan),
        own,
        routed[1..].to_vec(),
    )
}

fn named<'a>(list: &'a [Manifest], kind: &str, name: &str) -> Option<&'a Manifest> {
    list.iter().find(|m| m.kind == kind && m.name == name)
}

#[test]
fn a_service_with_its_own_legacy_port_gets_its_own_backend_under_every_router() {
    for (example, legacy_kinds) in [
        ("examples/minimal.yaml", &["Service", "EndpointSlice"][..]),
        ("examples/ack-nginx.yaml", &["Service", "EndpointSlice"][..]),
        ("examples/alb.yaml", &["Service", "EndpointSlice"][..]),
        (
            "examples/gateway-api.yaml",
            &["Service", "EndpointSlice"][..],
        ),
        (
            "examples/istio.yaml",
            &["ServiceEntry", "DestinationRule"][..],
        ),
    ] {
        let (phases, own, others) = phases_with_own_legacy(example, 5000);
        let own_legacy = format!("{own}-legacy");
        let deploy = &phases.folders["04-deploy"];
        let decommission = phases
            .folders
            .iter()
            .find(|(k, _)| k.ends_with("-decommission"))
            .map(|(_, v)| v)
            .expect("a decommission phase");
        for kind in legacy_kinds {
            assert!(
                named(deploy, kind, &own_legacy).is_some(),
                "{example}: {kind} {own_legacy} deployed"
            );
            assert!(
                named(decommission, kind, &own_legacy).is_some(),
                "{example}: {kind} {own_legacy} removed"
            );
        }
        let own_entry = named(deploy, legacy_kinds[0], &own_legacy).unwrap();
        assert!(
            own_entry.yaml().contains("5000"),
            "{example}: the own backend is on port 5000"
        );
        // The routes in the first traffic state send the legacy share of `own` there, and
        // the other services' share to the shared backend.
        let first_traffic = phases
            .folders
            .iter()
            .find(|(k, v)| {
                !k.starts_with("rollback/") && k.as_str() != "04-deploy" && !v.is_empty()
            })
            .map(|(_, v)| v)
            .unwrap();
        let all: Vec<&Manifest> = deploy.iter().chain(first_traffic.iter()).collect();
        let mentions = |needle: &str| all.iter().filter(|m| m.yaml().contains(needle)).count();
        assert!(
            mentions(&own_legacy) > legacy_kinds.len(),
            "{example}: a route of {own} reaches {own_legacy}"
        );
        if !others.is_empty() {
            let shared = deploy
                .iter()
                .find(|m| m.kind == legacy_kinds[0] && m.name.starts_with("legacy-"))
                .unwrap_or_else(|| panic!("{example}: the shared backend stays for {others:?}"));
            assert!(
                !shared.yaml().contains("5000"),
                "{example}: the shared backend keeps its port"
            );
        }
    }
}

#[test]
fn strategies_that_move_traffic_outside_the_cluster_have_no_legacy_backend() {
    for example in ["examples/dns-weights.yaml", "examples/client.yaml"] {
        let (phases, own, _) = phases_with_own_legacy(example, 5000);
        let own_legacy = format!("{own}-legacy");
        for list in phases.folders.values() {
            assert!(list.iter().all(|m| m.name != own_legacy), "{example}");
        }
    }
}

#[test]
fn the_job_runs_before_its_dependants_and_published_ports_are_not_ingresses() {
    let loaded = load::load(Path::new("examples/swarm-stack.yaml")).unwrap();
    let plan = common::plan(&loaded.spec);
    let phases = manifests::build(&loaded.spec, &plan);
    let deploy = &phases.folders["04-deploy"];
    let job = named(deploy, "Job", "db-migrate").expect("the one-shot service is a Job");
    let job = job.value();
    assert_eq!(
        job["spec"]["template"]["spec"]["restartPolicy"],
        "OnFailure"
    );
    assert!(named(deploy, "Deployment", "db-migrate").is_none());
    assert!(named(deploy, "Service", "db-migrate").is_none());
    assert!(named(deploy, "PodDisruptionBudget", "db-migrate").is_none());

    let worker = named(deploy, "Deployment", "worker").unwrap().value();
    let pod = &worker["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "cutover-job-waiter");
    let wait = &pod["initContainers"][0];
    assert_eq!(wait["command"][0], "kubectl");
    assert!(
        wait["command"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "job/db-migrate")
    );
    // Services that only wait for ports keep the default account.
    let vote = named(deploy, "Deployment", "vote").unwrap().value();
    assert!(vote["spec"]["template"]["spec"]["serviceAccountName"].is_null());

    let role = named(deploy, "Role", "cutover-job-waiter").unwrap().value();
    assert_eq!(role["rules"][0]["resources"][0], "jobs");
    assert_eq!(
        role["rules"][0]["verbs"],
        serde_json::json!(["get", "list", "watch"])
    );
    assert!(named(deploy, "RoleBinding", "cutover-job-waiter").is_some());
    assert!(named(deploy, "ServiceAccount", "cutover-job-waiter").is_some());

    let udp = named(deploy, "Service", "statsd-intranet-udp")
        .unwrap()
        .value();
    assert_eq!(udp["spec"]["type"], "LoadBalancer");
    assert_eq!(udp["spec"]["ports"][0]["protocol"], "UDP");
    assert_eq!(
        udp["metadata"]["annotations"]["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type"],
        "intranet"
    );
    for list in phases.folders.values() {
        assert!(
            list.iter()
                .filter(|m| m.kind == "Ingress")
                .all(|m| !m.name.starts_with("statsd")),
            "no Ingress for the UDP service"
        );
    }
    // The kubectl image moves with the others.
    assert!(
        plan.images
            .iter()
            .any(|m| m.source.starts_with("registry.k8s.io/kubectl:"))
    );
}

#[test]
fn the_kubectl_image_follows_the_cluster_version_from_1_28_on_unless_set() {
    let mut loaded = load::load(Path::new("examples/ack-nginx.yaml")).unwrap();
    let image = cutover::model::images::kubectl_image;
    loaded.spec.target.kubernetes_version = "1.31".into();
    assert_eq!(image(&loaded.spec), "registry.k8s.io/kubectl:v1.31.0");
    loaded.spec.target.kubernetes_version = "1.24".into();
    assert_eq!(image(&loaded.spec), "registry.k8s.io/kubectl:v1.28.0");
    let images = loaded
        .spec
        .images
        .as_mut()
        .expect("the example moves images");
    images.kubectl_image = Some("bitnami/kubectl:1.31".into());
    assert_eq!(image(&loaded.spec), "bitnami/kubectl:1.31");
}

#[test]
fn health_timings_become_probe_settings() {
    let mut loaded = load::load(Path::new("examples/minimal.yaml")).unwrap();
    let service = loaded
        .spec
        .services
        .iter_mut()
        .find(|s| s.health.is_some())
        .expect("a service with health");
    let name = service.name.clone();
    let health = service.health.as_mut().unwrap();
    health.interval = Some("20s".parse().unwrap());
    health.timeout = Some("4s".parse().unwrap());
    health.retries = Some(2);
    health.start_period = Some("90s".parse().unwrap());
    let plan = common::plan(&loaded.spec);
    let phases = manifests::build(&loaded.spec, &plan);
    let deployment = named(&phases.folders["04-deploy"], "Deployment", &name)
        .unwrap()
        .value();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let probe = |kind: &str| {
        let p = &container[kind];
        (
            p["periodSeconds"].as_i64().unwrap(),
            p["timeoutSeconds"].as_i64().unwrap(),
            p["failureThreshold"].as_i64().unwrap(),
        )
    };
    assert_eq!(probe("livenessProbe"), (20, 4, 2));
    assert_eq!(probe("readinessProbe"), (20, 4, 2));
    // 5 × 20s covers the 90s start period.
    assert_eq!(probe("startupProbe"), (20, 4, 5));
}
