//! Per service: a Deployment (or a StatefulSet with a headless Service), a ClusterIP
//! Service over all its ports, the LoadBalancer or NodePort Services of its published ports,
//! and a PodDisruptionBudget, with probes, resources, spread, init containers for
//! `dependsOn`, registry-rewritten images and least privilege (issue 16, the settings
//! [`crate::model::security::identity`] resolves): a non-root uid, fsGroup, a read-only root
//! filesystem with `emptyDir` writable paths, every capability dropped, RuntimeDefault
//! seccomp, and no service account token unless the service says `kubernetesApi: true`
//! (then a ServiceAccount of its own). A one-shot service is a Job instead (no Service, no
//! PodDisruptionBudget); its dependants wait for its completion through kubectl, under a
//! ServiceAccount that may only read Jobs, whose token only the waiting init container
//! sees.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapKeySelector, ConfigMapProjection, Container, ContainerPort,
    DownwardAPIProjection, DownwardAPIVolumeFile, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ExecAction, HTTPGetAction, KeyToPath, LocalObjectReference, Namespace, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ProjectedVolumeSource,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Service,
    ServiceAccount, ServiceAccountTokenProjection, ServicePort, ServiceSpec, Sysctl,
    TCPSocketAction, TopologySpreadConstraint, Volume, VolumeMount, VolumeProjection,
    VolumeResourceRequirements,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::storage::storage_class_name;
use super::{Manifest, meta};
use crate::model::images::{kubectl_image, target_image, waits_for_job, waits_for_jobs};
use crate::model::kubernetes::OLDEST_MINOR;
use crate::model::ports::main_port_name;
use crate::model::security::{Identity, identity, listens_below_1024};
use crate::model::{
    EnvValue, Protocol, Provisioning, PublishVia, ResourceList, Service as SpecService, Spec,
    StorageType,
};
use crate::plan::ports::{ADDRESS_TYPE_ANNOTATION, published_of};

pub const NAME_LABEL: &str = "app.kubernetes.io/name";

pub fn namespace(spec: &Spec) -> Manifest {
    let namespace = Namespace {
        metadata: meta(spec, spec.namespace(), false, "metadata.name".into()),
        ..Namespace::default()
    };
    Manifest::new(&namespace, spec.namespace())
}

/// The ServiceAccount, Role and RoleBinding of the pods that wait for a Job.
pub const JOB_WAITER: &str = "cutover-job-waiter";

/// One service's own objects: its workload, Services and PodDisruptionBudget.
pub fn service_objects(spec: &Spec, service: &SpecService) -> Vec<Manifest> {
    let mut out = Vec::new();
    {
        let source = format!("services[{}]", service.name);
        if service.one_shot {
            // Nothing connects to a Job: it has no Service, and no PodDisruptionBudget (a
            // drain may interrupt it; the Job's backoff runs it again).
            out.push(Manifest::new(&job(spec, service, &source), &service.name));
            return out;
        }
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
        for (name, object) in published_services(spec, service) {
            out.push(Manifest::new(&object, &name));
        }
        out.push(Manifest::new(&pdb(spec, service, &source), &service.name));
    }
    out
}

/// The objects the workloads share: the ServiceAccounts of services that talk to the API,
/// and the identity of the init containers that wait for Jobs.
pub fn shared_objects(spec: &Spec) -> Vec<Manifest> {
    let mut out = Vec::new();
    // The identity of a service that talks to the API: its own, so that the Role the
    // operator binds to it reaches no other pod.
    for service in spec.services.iter().filter(|s| s.kubernetes_api) {
        let account = ServiceAccount {
            metadata: object_meta(
                spec,
                service,
                &service.name,
                &format!("services[{}].kubernetesApi", service.name),
            ),
            ..ServiceAccount::default()
        };
        out.push(Manifest::new(&account, &service.name));
    }
    if waits_for_jobs(spec) {
        out.extend(job_waiter_objects(spec));
    }
    out
}

/// A one-shot service: a Job that runs its pod to completion once, retried on failure. No
/// TTL: a dependant that restarts later still finds the completed Job to wait for.
fn job(spec: &Spec, service: &SpecService, source: &str) -> Job {
    Job {
        metadata: object_meta(spec, service, &service.name, source),
        spec: Some(JobSpec {
            completions: Some(1),
            parallelism: Some(1),
            backoff_limit: Some(JOB_BACKOFF_LIMIT),
            template: pod_template(spec, service, source),
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// Failed runs before a Job gives up (Kubernetes' default is 6; a migration or seed job that
/// fails four times needs a person).
const JOB_BACKOFF_LIMIT: i32 = 4;

/// The identity of the init containers that wait for Jobs: it may read Jobs in the
/// namespace, nothing else.
fn job_waiter_objects(spec: &Spec) -> Vec<Manifest> {
    let source = || "services[*].dependsOn (one-shot services)".to_string();
    let account = ServiceAccount {
        metadata: meta(spec, JOB_WAITER, true, source()),
        ..ServiceAccount::default()
    };
    let role = Role {
        metadata: meta(spec, JOB_WAITER, true, source()),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["batch".into()]),
            resources: Some(vec!["jobs".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..PolicyRule::default()
        }]),
    };
    let binding = RoleBinding {
        metadata: meta(spec, JOB_WAITER, true, source()),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: JOB_WAITER.into(),
        },
        // The waiter's account, and the own accounts of the waiting services that talk to
        // the API (their pods run under those, with the token mounted).
        subjects: Some(
            std::iter::once(JOB_WAITER)
                .chain(
                    spec.services
                        .iter()
                        .filter(|s| s.kubernetes_api && waits_for_job(spec, s))
                        .map(|s| s.name.as_str()),
                )
                .map(|name| Subject {
                    kind: "ServiceAccount".into(),
                    name: name.into(),
                    namespace: Some(spec.namespace().to_string()),
                    ..Subject::default()
                })
                .collect(),
        ),
    };
    vec![
        Manifest::new(&account, JOB_WAITER),
        Manifest::new(&role, JOB_WAITER),
        Manifest::new(&binding, JOB_WAITER),
    ]
}

/// One port of a service as its container and Services name it.
struct PortOf {
    name: String,
    port: u16,
    protocol: Protocol,
}

/// The main port (named `http`, `tcp` or `udp`) and the extra ports, in spec order.
fn ports_of(service: &SpecService) -> Vec<PortOf> {
    let mut ports = vec![PortOf {
        name: port_name(service).to_string(),
        port: service.port,
        protocol: service.protocol,
    }];
    ports.extend(service.ports.iter().map(|p| PortOf {
        name: p.name.clone(),
        port: p.port,
        protocol: p.protocol,
    }));
    ports
}

/// The LoadBalancer and NodePort Services of a service's published ports (the plan groups
/// them: [`crate::plan::ports`]).
fn published_services(spec: &Spec, service: &SpecService) -> Vec<(String, Service)> {
    // An L4 wave member's NodePort is where the old SLB sends its share: `Cluster`, so that
    // every new node answers (a node without a pod forwards), and the share follows nodes ×
    // weight as the plan computes it. `Local` would keep the client's address but fail the
    // SLB's health check on nodes without a pod, and shrink the share with them.
    // Only a published service can be one (looking at the waves for it alone).
    let l4 = crate::model::ports::l4_port(service).is_some()
        && spec
            .rollout
            .waves
            .iter()
            .any(|w| w.services.contains(&service.name));
    published_of(service)
        .into_iter()
        .map(|published| {
            let mut metadata = object_meta(spec, service, &published.name, &published.source);
            if published.via == PublishVia::LoadBalancer {
                let address: &str = published.address.into();
                metadata
                    .annotations
                    .get_or_insert_with(BTreeMap::new)
                    .insert(ADDRESS_TYPE_ANNOTATION.to_string(), address.to_string());
            }
            let kind = match published.via {
                PublishVia::LoadBalancer => "LoadBalancer",
                PublishVia::NodePort => "NodePort",
            };
            let ports = published
                .ports
                .iter()
                .map(|p| ServicePort {
                    name: Some(p.name.clone()),
                    port: i32::from(p.port),
                    target_port: Some(IntOrString::String(p.name.clone())),
                    node_port: p.node_port.map(i32::from),
                    protocol: Some(published.protocol.kubernetes().into()),
                    ..ServicePort::default()
                })
                .collect();
            let object = Service {
                metadata,
                spec: Some(ServiceSpec {
                    type_: Some(kind.into()),
                    selector: Some(selector_labels(service)),
                    ports: Some(ports),
                    external_traffic_policy: (l4 && published.via == PublishVia::NodePort)
                        .then(|| "Cluster".to_string()),
                    ..ServiceSpec::default()
                }),
                ..Service::default()
            };
            (published.name, object)
        })
        .collect()
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

/// Where kubectl (client-go's in-cluster config) reads the pod's token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// How long the waiter's token is valid: the API's minimum, ten minutes, as long as the
/// wait; the kubelet renews it at 80% of that, and client-go rereads the file.
const WAITER_TOKEN_SECONDS: i64 = 600;

/// `net.ipv4.ip_unprivileged_port_start` is a namespaced sysctl in the kubelet's safe set
/// from Kubernetes 1.22 ("Using sysctls in a Kubernetes Cluster"), so every target version
/// cutover builds for accepts it without an unsafe-sysctl allowlist.
const UNPRIVILEGED_PORT_SYSCTL: &str = "net.ipv4.ip_unprivileged_port_start";
const _: () = assert!(OLDEST_MINOR >= 22, "the port sysctl is safe from 1.22");

/// The pod-internal volumes cutover adds beside the storage and `files` volumes: one
/// `emptyDir` per writable path and the job waiter's token. Names are `cutover-…`, numbered
/// from the spec's order and never one the pod already uses.
struct InternalVolumes {
    /// (volume name, mount path) of each writable path.
    writable: Vec<(String, String)>,
    /// The projected token of the init containers that wait for a Job, when the pod mounts
    /// no token of its own.
    token: Option<String>,
}

fn internal_volumes(spec: &Spec, service: &SpecService) -> InternalVolumes {
    let mut taken: std::collections::BTreeSet<String> = service
        .volumes
        .iter()
        .map(|v| v.storage.clone())
        .chain(super::config::volumes(service).into_iter().map(|v| v.name))
        .collect();
    let mut free = |base: String| {
        let mut name = base.clone();
        let mut n = 1;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.clone());
        name
    };
    let writable = identity(service)
        .writable_paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| (free(format!("cutover-writable-{i}")), path))
        .collect();
    let token = (waits_for_job(spec, service) && !service.kubernetes_api)
        .then(|| free("cutover-job-waiter-token".into()));
    InternalVolumes { writable, token }
}

/// The token, CA and namespace the kubelet would mount for the pod's ServiceAccount, as a
/// volume that only the containers which mount it see (the layout of the kubelet's own
/// `kube-api-access-*` volume).
fn token_volume(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        expiration_seconds: Some(WAITER_TOKEN_SECONDS),
                        audience: None,
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            mode: None,
                        }]),
                        optional: None,
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..DownwardAPIVolumeFile::default()
                        }]),
                    }),
                    ..VolumeProjection::default()
                },
            ]),
            default_mode: None,
        }),
        ..Volume::default()
    }
}

/// The pod's user, groups, seccomp profile and, for a service listening below 1024, the
/// sysctl that lets any user bind those ports.
fn pod_security(service: &SpecService, identity: &Identity) -> PodSecurityContext {
    PodSecurityContext {
        run_as_user: identity.user.map(i64::from),
        run_as_group: identity.group.map(i64::from),
        fs_group: identity.fs_group.map(i64::from),
        // A large disk is chowned once, not on every start.
        fs_group_change_policy: identity.fs_group.map(|_| "OnRootMismatch".to_string()),
        run_as_non_root: Some(identity.non_root),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        sysctls: listens_below_1024(service).then(|| {
            vec![Sysctl {
                name: UNPRIVILEGED_PORT_SYSCTL.into(),
                value: "0".into(),
            }]
        }),
        ..PodSecurityContext::default()
    }
}

fn pod_template(spec: &Spec, service: &SpecService, source: &str) -> PodTemplateSpec {
    let mut labels = super::common_labels(spec);
    labels.extend(selector_labels(service));
    let internal = internal_volumes(spec, service);
    let identity = identity(service);
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
    volumes.extend(internal.writable.iter().map(|(name, _)| Volume {
        name: name.clone(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }));
    volumes.extend(internal.token.as_deref().map(token_volume));
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
            containers: vec![main_container(spec, service, &identity, &internal)],
            init_containers: init_containers(spec, service, &internal),
            volumes: (!volumes.is_empty()).then_some(volumes),
            image_pull_secrets: pull_secrets,
            // A Job's pod restarts its container in place on failure; the Job's backoff
            // limit bounds the retries.
            restart_policy: Some(
                if service.one_shot {
                    "OnFailure"
                } else {
                    "Always"
                }
                .into(),
            ),
            service_account_name: if service.kubernetes_api {
                Some(service.name.clone())
            } else {
                waits_for_job(spec, service).then(|| JOB_WAITER.to_string())
            },
            // No container sees a token unless the service talks to the API; the job
            // waiter's init containers mount theirs themselves.
            automount_service_account_token: Some(service.kubernetes_api),
            security_context: Some(pod_security(service, &identity)),
            topology_spread_constraints: Some(spread(spec, service)),
            ..PodSpec::default()
        }),
    }
}

fn port_name(service: &SpecService) -> &'static str {
    main_port_name(service)
}

/// The named port the probes use: `health.port` when it names another TCP port of the
/// service, else the main port.
fn probe_port(service: &SpecService) -> IntOrString {
    let wanted = service.health.as_ref().and_then(|h| h.port);
    match wanted {
        Some(port) if port != service.port => service
            .ports
            .iter()
            .find(|p| p.port == port && p.protocol == Protocol::Tcp)
            .map_or(IntOrString::Int(i32::from(port)), |p| {
                IntOrString::String(p.name.clone())
            }),
        _ => IntOrString::String(port_name(service).into()),
    }
}

/// Probe settings from the health timings; without them, today's: liveness every 10s,
/// readiness every 5s, 3s timeout, 3 failures, and a startup budget of five minutes (slow
/// JVMs) before liveness may restart the pod.
struct ProbeTimings {
    liveness_period: i32,
    readiness_period: i32,
    timeout: i32,
    failures: i32,
    startup_period: i32,
    startup_failures: i32,
}

fn seconds(duration: Option<&crate::model::Duration>) -> Option<i32> {
    duration.map(|d| i32::try_from(d.seconds()).unwrap_or(i32::MAX).max(1))
}

fn probe_timings(service: &SpecService) -> ProbeTimings {
    let health = service.health.as_ref();
    let interval = seconds(health.and_then(|h| h.interval.as_ref()));
    let startup_period = interval.unwrap_or(10);
    let start_period = health
        .and_then(|h| h.start_period.as_ref())
        .map(|d| i32::try_from(d.seconds()).unwrap_or(i32::MAX));
    ProbeTimings {
        liveness_period: interval.unwrap_or(10),
        readiness_period: interval.unwrap_or(5),
        timeout: seconds(health.and_then(|h| h.timeout.as_ref())).unwrap_or(3),
        failures: health
            .and_then(|h| h.retries)
            .map_or(3, |r| i32::try_from(r).unwrap_or(i32::MAX).max(1)),
        startup_period,
        // failureThreshold × periodSeconds covers the start period, rounded up.
        startup_failures: start_period.map_or(30, |s| {
            (s.saturating_add(startup_period - 1) / startup_period).max(1)
        }),
    }
}

fn main_container(
    spec: &Spec,
    service: &SpecService,
    identity: &Identity,
    internal: &InternalVolumes,
) -> Container {
    let timings = probe_timings(service);
    let probe = |period: i32, failures: i32| {
        let health = service.health.as_ref();
        let (http_get, tcp_socket) = match health.and_then(|h| h.path.clone()) {
            Some(path) => (
                Some(HTTPGetAction {
                    path: Some(path),
                    port: probe_port(service),
                    ..HTTPGetAction::default()
                }),
                None,
            ),
            None => (
                None,
                Some(TCPSocketAction {
                    port: probe_port(service),
                    ..TCPSocketAction::default()
                }),
            ),
        };
        Probe {
            http_get,
            tcp_socket,
            period_seconds: Some(period),
            timeout_seconds: Some(timings.timeout),
            failure_threshold: Some(failures),
            ..Probe::default()
        }
    };
    // A Job's pod is not served, so it is not probed; a UDP port cannot be probed over TCP
    // or HTTP unless health.port names a TCP port.
    let probe_on_udp = service.protocol == Protocol::Udp
        && service
            .health
            .as_ref()
            .and_then(|h| h.port)
            .is_none_or(|p| p == service.port);
    let has_probes = !service.one_shot
        && !probe_on_udp
        && service
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
    mounts.extend(internal.writable.iter().map(|(name, path)| VolumeMount {
        name: name.clone(),
        mount_path: path.clone(),
        ..VolumeMount::default()
    }));
    Container {
        name: service.name.clone(),
        image: Some(target_image(spec, &service.image)),
        ports: Some(
            ports_of(service)
                .into_iter()
                .map(|p| ContainerPort {
                    name: Some(p.name),
                    container_port: i32::from(p.port),
                    protocol: Some(p.protocol.kubernetes().into()),
                    ..ContainerPort::default()
                })
                .collect(),
        ),
        env: (!env.is_empty()).then_some(env),
        resources: Some(resources(service)),
        startup_probe: has_probes.then(|| probe(timings.startup_period, timings.startup_failures)),
        liveness_probe: mount_probe(service, &timings)
            .or_else(|| has_probes.then(|| probe(timings.liveness_period, timings.failures))),
        readiness_probe: has_probes.then(|| probe(timings.readiness_period, timings.failures)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: Some(container_security(identity)),
        ..Container::default()
    }
}

/// The liveness probe of a service whose volumes ask for it (`volumes[].checkMount`): `ls -d --`
/// on each such mount path, run in the container (no shell: each path is one argument). A
/// lost ossfs (FUSE) mount answers "Transport endpoint is not connected" and a hung NFS
/// mount outlasts the timeout (exec probes honour `timeoutSeconds` since Kubernetes 1.20):
/// either fails the probe, the container restarts and the restarts show. It reads only the
/// mount point's own entry, not the bucket's listing, so it is cheap on OSS, and it needs
/// neither a writable root filesystem nor root (ossfs mounts with `allow_other`). The
/// health check stays the readiness (and startup) probe.
fn mount_probe(service: &SpecService, timings: &ProbeTimings) -> Option<Probe> {
    let paths: Vec<String> = service
        .volumes
        .iter()
        .filter(|v| v.check_mount)
        .map(|v| v.mount_path.clone())
        .collect();
    if paths.is_empty() || service.one_shot {
        return None;
    }
    // `--`: a path is never read as an option, whatever it starts with.
    let mut command = vec!["ls".to_string(), "-d".to_string(), "--".to_string()];
    command.extend(paths);
    Some(Probe {
        exec: Some(ExecAction {
            command: Some(command),
        }),
        period_seconds: Some(timings.liveness_period),
        timeout_seconds: Some(MOUNT_PROBE_TIMEOUT),
        failure_threshold: Some(timings.failures),
        ..Probe::default()
    })
}

/// Seconds `ls -d` on a mount path may take: a healthy mount answers from the kernel's or
/// ossfs's attribute cache at once; a hung one never does.
pub const MOUNT_PROBE_TIMEOUT: i32 = 5;

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

/// No privilege escalation, never privileged, a read-only root filesystem unless the spec
/// says otherwise, and every capability dropped but the ones the spec adds (warned:
/// `check::workload::capabilities`). A port below 1024 needs none: the pod's sysctl.
fn container_security(identity: &Identity) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(identity.read_only_root),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: (!identity.capabilities.is_empty()).then(|| {
                identity
                    .capabilities
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect()
            }),
        }),
        ..SecurityContext::default()
    }
}

/// One init container per dependency. A serving dependency: waits until its Service answers
/// on its port (TCP); a Service answers only once a pod is ready, so this is a readiness
/// wait. A one-shot dependency: waits until its Job has completed (`kubectl wait`; when it
/// gives up after the timeout it exits non-zero and the kubelet starts it again).
fn init_containers(
    spec: &Spec,
    service: &SpecService,
    internal: &InternalVolumes,
) -> Option<Vec<Container>> {
    let containers: Vec<Container> = service
        .depends_on
        .iter()
        .filter_map(|dep| spec.service(dep))
        .map(|dep| {
            let (image, command) = if dep.one_shot {
                (
                    kubectl_image(spec),
                    vec![
                        "kubectl".to_string(),
                        "wait".into(),
                        "--namespace".into(),
                        spec.namespace().to_string(),
                        "--for=condition=complete".into(),
                        format!("job/{}", dep.name),
                        "--timeout=10m".into(),
                    ],
                )
            } else {
                let script = format!(
                    "until nc -z -w 2 {name} {port}; do echo waiting for {name}:{port}; sleep 2; done",
                    name = dep.name,
                    port = dep.port
                );
                (
                    spec.helper_image().to_string(),
                    vec!["sh".into(), "-c".into(), script],
                )
            };
            Container {
                name: format!("wait-for-{}", dep.name),
                image: Some(target_image(spec, &image)),
                command: Some(command),
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
                // Only a Job's waiter talks to the API, with the token only it mounts.
                volume_mounts: internal.token.as_ref().filter(|_| dep.one_shot).map(|name| {
                    vec![VolumeMount {
                        name: name.clone(),
                        mount_path: SERVICE_ACCOUNT_DIR.into(),
                        read_only: Some(true),
                        ..VolumeMount::default()
                    }]
                }),
                // nc and kubectl write nothing they need: kubectl's discovery cache is best
                // effort (an unwritable one is logged at -v and fetched again).
                security_context: Some(SecurityContext {
                    allow_privilege_escalation: Some(false),
                    privileged: Some(false),
                    read_only_root_filesystem: Some(true),
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
            ports: Some(
                ports_of(service)
                    .into_iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: i32::from(p.port),
                        target_port: Some(IntOrString::String(p.name)),
                        protocol: Some(p.protocol.kubernetes().into()),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
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
