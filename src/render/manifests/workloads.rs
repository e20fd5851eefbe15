//! Per service: a Deployment (or a StatefulSet with a headless Service), a ClusterIP
//! Service and a PodDisruptionBudget, with probes, resources, spread, init containers for
//! `dependsOn`, registry-rewritten images and a restrictive security context.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapKeySelector, Container, ContainerPort, EnvVar, EnvVarSource,
    HTTPGetAction, LocalObjectReference, Namespace, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecurityContext, Service, ServicePort, ServiceSpec, TCPSocketAction, TopologySpreadConstraint,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::storage::storage_class_name;
use super::{Manifest, meta};
use crate::model::images::target_image;
use crate::model::{
    EnvValue, Provisioning, ResourceList, Service as SpecService, Spec, StorageType,
};

pub const NAME_LABEL: &str = "app.kubernetes.io/name";

pub fn namespace(spec: &Spec) -> Manifest {
    let namespace = Namespace {
        metadata: meta(spec, spec.namespace(), false, "metadata.name".into()),
        ..Namespace::default()
    };
    Manifest::new(&namespace, spec.namespace())
}

pub fn objects(spec: &Spec) -> Vec<Manifest> {
    let mut out = Vec::new();
    for service in &spec.services {
        let source = format!("services[{}]", service.name);
        if service.stateful {
            out.push(Manifest::new(
                &stateful_set(spec, service, &source),
                &service.name,
            ));
            let headless = headless_name(service);
            out.push(Manifest::new(
                &service_object(spec, service, &source, &headless, true),
                &headless,
            ));
        } else {
            out.push(Manifest::new(
                &deployment(spec, service, &source),
                &service.name,
            ));
        }
        out.push(Manifest::new(
            &service_object(spec, service, &source, &service.name, false),
            &service.name,
        ));
        out.push(Manifest::new(&pdb(spec, service, &source), &service.name));
    }
    out
}

pub fn headless_name(service: &SpecService) -> String {
    format!("{}-headless", service.name)
}

fn selector_labels(service: &SpecService) -> BTreeMap<String, String> {
    BTreeMap::from([(NAME_LABEL.to_string(), service.name.clone())])
}

fn object_meta(spec: &Spec, service: &SpecService, name: &str, source: &str) -> ObjectMeta {
    let mut metadata = meta(spec, name, true, source.to_string());
    if let Some(labels) = metadata.labels.as_mut() {
        labels.extend(selector_labels(service));
    }
    metadata
}

fn deployment(spec: &Spec, service: &SpecService, source: &str) -> Deployment {
    Deployment {
        metadata: object_meta(spec, service, &service.name, source),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas(service)),
            selector: LabelSelector {
                match_labels: Some(selector_labels(service)),
                ..LabelSelector::default()
            },
            template: pod_template(spec, service, source),
            // A ReadWriteOnce disk attaches to one pod: the old pod must let go of it
            // before the new one starts, or the rollout hangs on a multi-attach error.
            strategy: mounts_disk(spec, service).then(|| DeploymentStrategy {
                type_: Some("Recreate".into()),
                ..DeploymentStrategy::default()
            }),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn stateful_set(spec: &Spec, service: &SpecService, source: &str) -> StatefulSet {
    StatefulSet {
        metadata: object_meta(spec, service, &service.name, source),
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas(service)),
            service_name: Some(headless_name(service)),
            selector: LabelSelector {
                match_labels: Some(selector_labels(service)),
                ..LabelSelector::default()
            },
            template: pod_template(spec, service, source),
            volume_claim_templates: claim_templates(spec, service),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn mounts_disk(spec: &Spec, service: &SpecService) -> bool {
    service
        .volumes
        .iter()
        .filter_map(|v| spec.storage(&v.storage))
        .any(|s| s.kind == StorageType::Disk)
}

fn replicas(service: &SpecService) -> i32 {
    i32::try_from(service.replicas).unwrap_or(i32::MAX)
}

/// Whether a volume of this service is a per-replica claim (a dynamic disk on a
/// StatefulSet) rather than a shared claim.
fn is_claim_template(spec: &Spec, service: &SpecService, storage_name: &str) -> bool {
    service.stateful
        && spec.storage(storage_name).is_some_and(|s| {
            s.kind == StorageType::Disk && s.provisioning != Some(Provisioning::Static)
        })
}

fn claim_templates(spec: &Spec, service: &SpecService) -> Option<Vec<PersistentVolumeClaim>> {
    let templates: Vec<PersistentVolumeClaim> = service
        .volumes
        .iter()
        .filter(|v| is_claim_template(spec, service, &v.storage))
        .filter_map(|v| spec.storage(&v.storage))
        .map(|storage| PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(storage.name.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                storage_class_name: Some(storage_class_name(spec, storage)),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_string(),
                        Quantity(storage.size.to_string()),
                    )])),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        })
        .collect();
    (!templates.is_empty()).then_some(templates)
}

fn pod_template(spec: &Spec, service: &SpecService, source: &str) -> PodTemplateSpec {
    let mut labels = super::common_labels(spec);
    labels.extend(selector_labels(service));
    let mut volumes: Vec<Volume> = service
        .volumes
        .iter()
        .filter(|v| !is_claim_template(spec, service, &v.storage))
        .map(|v| Volume {
            name: v.storage.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: v.storage.clone(),
                read_only: v.read_only.then_some(true),
            }),
            ..Volume::default()
        })
        .collect();
    volumes.extend(super::config::volumes(service));
    let pull_secrets = spec
        .images
        .as_ref()
        .and_then(|i| i.pull_secret.as_ref())
        .map(|name| vec![LocalObjectReference { name: name.clone() }]);
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                super::SOURCE_ANNOTATION.to_string(),
                source.to_string(),
            )])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![main_container(spec, service)],
            init_containers: init_containers(spec, service),
            volumes: (!volumes.is_empty()).then_some(volumes),
            image_pull_secrets: pull_secrets,
            restart_policy: Some("Always".into()),
            security_context: Some(PodSecurityContext {
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..SeccompProfile::default()
                }),
                ..PodSecurityContext::default()
            }),
            topology_spread_constraints: Some(spread(spec, service)),
            ..PodSpec::default()
        }),
    }
}

fn port_name(service: &SpecService) -> &'static str {
    let http =
        !service.routes.is_empty() || service.health.as_ref().is_some_and(|h| h.path.is_some());
    if http { "http" } else { "tcp" }
}

fn main_container(spec: &Spec, service: &SpecService) -> Container {
    let port = i32::from(service.port);
    let probe = |period: i32, failures: i32| {
        let health = service.health.as_ref();
        let (http_get, tcp_socket) = match health.and_then(|h| h.path.clone()) {
            Some(path) => (
                Some(HTTPGetAction {
                    path: Some(path),
                    port: IntOrString::String(port_name(service).into()),
                    ..HTTPGetAction::default()
                }),
                None,
            ),
            None => (
                None,
                Some(TCPSocketAction {
                    port: IntOrString::String(port_name(service).into()),
                    ..TCPSocketAction::default()
                }),
            ),
        };
        Probe {
            http_get,
            tcp_socket,
            period_seconds: Some(period),
            timeout_seconds: Some(3),
            failure_threshold: Some(failures),
            ..Probe::default()
        }
    };
    let has_probes = service
        .health
        .as_ref()
        .is_some_and(|h| h.path.is_some() || h.tcp == Some(true));
    let env: Vec<EnvVar> = service
        .env
        .iter()
        .map(|(name, value)| env_var(name, value))
        .collect();
    let mut mounts: Vec<VolumeMount> = service
        .volumes
        .iter()
        .map(|v| VolumeMount {
            name: v.storage.clone(),
            mount_path: v.mount_path.clone(),
            read_only: v.read_only.then_some(true),
            ..VolumeMount::default()
        })
        .collect();
    mounts.extend(super::config::mounts(service));
    Container {
        name: service.name.clone(),
        image: Some(target_image(spec, &service.image)),
        ports: Some(vec![ContainerPort {
            name: Some(port_name(service).into()),
            container_port: port,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        env: (!env.is_empty()).then_some(env),
        resources: Some(resources(service)),
        // Startup allows five minutes (slow JVMs) before liveness may restart the pod.
        startup_probe: has_probes.then(|| probe(10, 30)),
        liveness_probe: has_probes.then(|| probe(10, 3)),
        readiness_probe: has_probes.then(|| probe(5, 3)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: Some(container_security(service.port < 1024)),
        ..Container::default()
    }
}

/// A variable: its written value, or a reference to a Secret's or config's key (kustomize
/// rewrites a config's name to the generated ConfigMap's).
fn env_var(name: &str, value: &EnvValue) -> EnvVar {
    let value_from = match value {
        EnvValue::Plain(_) => None,
        EnvValue::Secret { secret, key } => Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.clone(),
                key: key.clone(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
        EnvValue::Config { config, key } => Some(EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: config.clone(),
                key: key.clone(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    };
    EnvVar {
        name: name.to_string(),
        value: value.plain().map(str::to_string),
        value_from,
    }
}

fn resource_map(list: Option<&ResourceList>) -> Option<BTreeMap<String, Quantity>> {
    let list = list?;
    let mut map = BTreeMap::new();
    if let Some(cpu) = &list.cpu {
        map.insert("cpu".to_string(), Quantity(cpu.to_string()));
    }
    if let Some(memory) = &list.memory {
        map.insert("memory".to_string(), Quantity(memory.to_string()));
    }
    (!map.is_empty()).then_some(map)
}

fn resources(service: &SpecService) -> ResourceRequirements {
    let resources = service.resources.as_ref();
    ResourceRequirements {
        requests: resource_map(resources.and_then(|r| r.requests.as_ref())),
        limits: resource_map(resources.and_then(|r| r.limits.as_ref())),
        ..ResourceRequirements::default()
    }
}

/// No privilege escalation, every capability dropped but the few that ordinary images'
/// entrypoints need when they start as root and step down (chown a data directory, then
/// gosu/su-exec to a user): those do not break, and nothing else is granted.
fn container_security(low_port: bool) -> SecurityContext {
    let mut add: Vec<String> = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    if low_port {
        add.push("NET_BIND_SERVICE".into());
    }
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: Some(add),
        }),
        ..SecurityContext::default()
    }
}

/// One init container per dependency: waits until the dependency's Service answers on its
/// port (TCP), so the pod starts only when what it needs is up.
fn init_containers(spec: &Spec, service: &SpecService) -> Option<Vec<Container>> {
    let containers: Vec<Container> = service
        .depends_on
        .iter()
        .filter_map(|dep| spec.service(dep))
        .map(|dep| {
            let script = format!(
                "until nc -z -w 2 {name} {port}; do echo waiting for {name}:{port}; sleep 2; done",
                name = dep.name,
                port = dep.port
            );
            Container {
                name: format!("wait-for-{}", dep.name),
                image: Some(target_image(spec, spec.helper_image())),
                command: Some(vec!["sh".into(), "-c".into(), script]),
                resources: Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([
                        ("cpu".to_string(), Quantity("10m".into())),
                        ("memory".to_string(), Quantity("16Mi".into())),
                    ])),
                    limits: Some(BTreeMap::from([
                        ("cpu".to_string(), Quantity("100m".into())),
                        ("memory".to_string(), Quantity("64Mi".into())),
                    ])),
                    ..ResourceRequirements::default()
                }),
                security_context: Some(SecurityContext {
                    allow_privilege_escalation: Some(false),
                    privileged: Some(false),
                    run_as_non_root: Some(true),
                    run_as_user: Some(65534),
                    capabilities: Some(Capabilities {
                        drop: Some(vec!["ALL".into()]),
                        add: None,
                    }),
                    ..SecurityContext::default()
                }),
                ..Container::default()
            }
        })
        .collect();
    (!containers.is_empty()).then_some(containers)
}

/// Spread over zones (hard when the cluster has several) and over nodes (soft).
fn spread(spec: &Spec, service: &SpecService) -> Vec<TopologySpreadConstraint> {
    let selector = || {
        Some(LabelSelector {
            match_labels: Some(selector_labels(service)),
            ..LabelSelector::default()
        })
    };
    let zone_policy = if spec.target.zones.len() > 1 {
        "DoNotSchedule"
    } else {
        "ScheduleAnyway"
    };
    vec![
        TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "topology.kubernetes.io/zone".into(),
            when_unsatisfiable: zone_policy.into(),
            label_selector: selector(),
            ..TopologySpreadConstraint::default()
        },
        TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "kubernetes.io/hostname".into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            label_selector: selector(),
            ..TopologySpreadConstraint::default()
        },
    ]
}

fn service_object(
    spec: &Spec,
    service: &SpecService,
    source: &str,
    name: &str,
    headless: bool,
) -> Service {
    Service {
        metadata: object_meta(spec, service, name, source),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            cluster_ip: headless.then(|| "None".to_string()),
            selector: Some(selector_labels(service)),
            ports: Some(vec![ServicePort {
                name: Some(port_name(service).into()),
                port: i32::from(service.port),
                target_port: Some(IntOrString::String(port_name(service).into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            // A StatefulSet's peers find each other before they are ready.
            publish_not_ready_addresses: headless.then_some(true),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// Keeps a majority up during voluntary disruptions. With one or two replicas a majority
/// would block every node drain, so one pod may go instead.
fn pdb(spec: &Spec, service: &SpecService, source: &str) -> PodDisruptionBudget {
    let (min_available, max_unavailable) = if service.replicas >= 3 {
        (Some(IntOrString::Int(replicas(service) / 2 + 1)), None)
    } else {
        (None, Some(IntOrString::Int(1)))
    };
    PodDisruptionBudget {
        metadata: object_meta(spec, service, &service.name, source),
        spec: Some(PodDisruptionBudgetSpec {
            min_available,
            max_unavailable,
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(service)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}
