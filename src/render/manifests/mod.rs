//! Kubernetes manifests, built as typed values (k8s-openapi for built-in kinds, own structs
//! for Gateway API and Istio) and serialized, never assembled as text: no spec value can
//! add a document or a key.
//!
//! Each phase folder under `manifests/` is a kustomization: one object per file, named
//! `<kind>-<name>.yaml`, listed in `kustomization.yaml`. The deploy folder's kustomization
//! also generates the spec's `configs` as ConfigMaps (`configMapGenerator`) from the files
//! copied under its `configs/<config>/` folder, which hold data, not manifests.

mod config;
pub mod copy;
mod custom;
mod network_policy;
pub mod routes;
pub mod secret_store;
mod storage;
mod workloads;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use serde::Serialize;

use crate::load::configs::{ConfigFiles, key_of};
use crate::model::{Service, Spec};
use crate::plan::Plan;
use crate::plan::ingress::INGRESS_PATCH;
use crate::plan::rollout::{self, PhaseKind};
use crate::render::Out;

pub use custom::CustomResource;
pub use routes::ack_match_expression;

/// The annotation that names the spec path an object comes from.
pub const SOURCE_ANNOTATION: &str = "cutover.dev/source";

/// One object, as data: its YAML is written only when a sink takes its file (the last
/// pass of a diff renders a few files of a bundle, not every object's text).
#[derive(Clone, Debug)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `false` for kustomize patches, which are not whole objects (the validators skip them).
    pub whole_object: bool,
    value: serde_json::Value,
}

impl Manifest {
    pub fn new<T: Serialize + Kind>(object: &T, name: &str) -> Self {
        Manifest {
            api_version: T::api_version().to_string(),
            kind: T::kind().to_string(),
            name: name.to_string(),
            whole_object: true,
            value: serde_json::to_value(object).unwrap_or_default(),
        }
    }

    /// The object as built.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// The file's text: YAML with 2-space indentation, keys sorted, every ambiguous string
    /// quoted.
    pub fn yaml(&self) -> String {
        crate::render::yaml::from_value(&self.value)
    }

    /// `<kind>-<name>.yaml`, lowercased kind.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// The apiVersion and kind of a type, for built-in and custom kinds alike.
pub trait Kind {
    fn api_version() -> &'static str;
    fn kind() -> &'static str;
}

impl<T: k8s_openapi::Resource> Kind for T {
    fn api_version() -> &'static str {
        T::API_VERSION
    }
    fn kind() -> &'static str {
        T::KIND
    }
}

/// YAML with 2-space indentation, keys sorted, every ambiguous string quoted.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    crate::render::yaml::to_string(value)
}

/// The manifests of the bundle, by folder under `manifests/`.
#[derive(Clone, Debug, Default)]
pub struct Phases {
    /// `04-deploy` (what a phase applies, or deletes) and `rollback/04-deploy` (what its
    /// rollback applies, or deletes): the plan says which action each takes.
    pub folders: BTreeMap<String, Vec<Manifest>>,
    /// Patches to objects the cluster already runs, applied with `kubectl patch`, by path
    /// in the bundle (not kustomizations: kustomize can only patch what it creates).
    pub patches: BTreeMap<String, Manifest>,
    /// The ConfigMaps each folder's kustomization generates (the deploy folder's configs).
    pub generators: BTreeMap<String, Vec<ConfigMapGenerator>>,
}

/// The folder, inside a phase folder, that holds the copied config files: data for the
/// generator, never manifests (`cutover diff` and the validators skip it).
pub const CONFIG_FOLDER: &str = "configs";

/// Where a config's file sits in the bundle, relative to its phase folder.
fn config_file(config: &str, key: &str) -> String {
    format!("{CONFIG_FOLDER}/{config}/{key}")
}

/// Whether a bundle path under `manifests/` is a copied config file rather than a manifest.
pub fn is_config_file(path: &str) -> bool {
    path.strip_prefix("manifests/")
        .is_some_and(|rest| rest.split('/').any(|part| part == CONFIG_FOLDER))
}

/// A kustomize `configMapGenerator` entry (kustomize's `GeneratorArgs`): the ConfigMap gets a
/// hash suffix of its content, and kustomize rewrites every reference to it in the same
/// kustomization (env `configMapKeyRef`, `configMap` volumes), so changed files roll the pods.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapGenerator {
    pub name: String,
    pub namespace: String,
    pub files: Vec<String>,
    pub options: GeneratorOptions,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorOptions {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

fn generators(spec: &Spec) -> Vec<ConfigMapGenerator> {
    spec.configs
        .iter()
        .map(|config| ConfigMapGenerator {
            name: config.name.clone(),
            namespace: spec.namespace().to_string(),
            files: config
                .files
                .iter()
                .map(|file| config_file(&config.name, key_of(file)))
                .collect(),
            options: GeneratorOptions {
                labels: common_labels(spec),
                annotations: BTreeMap::from([(
                    SOURCE_ANNOTATION.to_string(),
                    format!("configs[{}]", config.name),
                )]),
            },
        })
        .collect()
}

/// The id of the phase that deploys the workloads (its folder holds the configs).
fn deploy_folder(plan: &Plan) -> Option<&str> {
    plan.phases
        .iter()
        .find(|p| p.kind == PhaseKind::Deploy)
        .map(|p| p.id.as_str())
}

/// Copies each config's files, as the load stage read them, beside the deploy folder's
/// kustomization. (A file that was not read is a config-file rule error: no bundle.)
pub fn write_config_files(spec: &Spec, plan: &Plan, configs: &ConfigFiles, files: &Out) {
    let Some(folder) = deploy_folder(plan) else {
        return;
    };
    for config in &spec.configs {
        for file in &config.files {
            if let Some(Ok(bytes)) = configs.get(file) {
                files.insert(
                    format!(
                        "manifests/{folder}/{}",
                        config_file(&config.name, key_of(file))
                    ),
                    bytes,
                );
            }
        }
    }
}

pub fn rollback_folder(phase_id: &str) -> String {
    format!("rollback/{phase_id}")
}

/// The manifests of the bundle, by folder, built whole (the abort folder aside): for tests
/// and tools that look at the objects. The bundle itself is written by [`write`], a unit at
/// a time.
pub fn build(spec: &Spec, plan: &Plan) -> Phases {
    let mut phases = Phases::default();
    let routed = routes::routed_services(spec);
    let built: Vec<Vec<(String, Vec<Manifest>)>> = units(spec, plan, false)
        .par_iter()
        .map(|unit| {
            let mut objects = Vec::new();
            unit_objects(spec, plan, &routed, unit, &mut |folder, list| {
                objects.push((folder.to_string(), list));
            });
            objects
        })
        .collect();
    for (folder, objects) in built.into_iter().flatten() {
        if !objects.is_empty() {
            phases.folders.entry(folder).or_default().extend(objects);
        }
    }
    if let Some(folder) = deploy_folder(plan)
        && !spec.configs.is_empty()
    {
        phases
            .generators
            .insert(folder.to_string(), generators(spec));
    }
    if let Some(patch) = routes::ingress_controller_patch(plan) {
        phases.patches.insert(INGRESS_PATCH.to_string(), patch);
    }
    phases
}

/// A share of the manifest work: what one thread builds and writes at once. The deploy
/// folder is split by service, so that the memory a compile holds is that of a service's
/// objects, not of the bundle's largest folder.
enum Unit<'p> {
    /// The deploy folder's objects other than the services' own.
    DeployShared(&'p rollout::Phase),
    /// One service's own objects (workload, Services, PodDisruptionBudget).
    Service(&'p crate::model::Service),
    /// Some of the deploy folder's NetworkPolicies (one a service), by position in the plan.
    Policies(std::ops::Range<usize>),
    /// Any other phase: its folder and its rollback's.
    Phase(&'p rollout::Phase),
    /// `manifests/<abort folder>/`.
    Abort,
}

/// NetworkPolicies built in one unit: small enough to bound memory, large enough that the
/// units are not mostly overhead.
const POLICIES_A_UNIT: usize = 64;

fn units<'p>(spec: &'p Spec, plan: &'p Plan, with_abort: bool) -> Vec<Unit<'p>> {
    let mut units = Vec::new();
    for phase in &plan.phases {
        if phase.kind == PhaseKind::Deploy {
            units.push(Unit::DeployShared(phase));
            units.extend(spec.services.iter().map(Unit::Service));
            // The NetworkPolicies arrive with the workloads (rolling the deploy back
            // deletes them).
            let policies = plan.network_policy.policies.len();
            units.extend(
                (0..policies)
                    .step_by(POLICIES_A_UNIT)
                    .map(|start| Unit::Policies(start..policies.min(start + POLICIES_A_UNIT))),
            );
        } else {
            units.push(Unit::Phase(phase));
        }
    }
    if with_abort {
        units.push(Unit::Abort);
    }
    units
}

/// Hands the objects of one unit to `emit`, by folder, a group of services at a time
/// (`routed`: [`routes::routed_services`], listed once for every unit).
fn unit_objects(
    spec: &Spec,
    plan: &Plan,
    routed: &[&Service],
    unit: &Unit,
    emit: &mut dyn FnMut(&str, Vec<Manifest>),
) {
    let deploy = deploy_folder(plan);
    match unit {
        Unit::DeployShared(phase) => {
            deploy_shared_objects(spec, routed, &mut |objects| emit(&phase.id, objects));
            for group in routes::traffic_groups(spec, routed) {
                emit(
                    &phase.id,
                    routes::traffic_objects_in(spec, &phase.after, &group, |_| true),
                );
            }
        }
        Unit::Service(service) => {
            if let Some(folder) = deploy {
                emit(folder, workloads::service_objects(spec, service));
            }
        }
        Unit::Policies(positions) => {
            if let Some(folder) = deploy {
                let policies =
                    network_policy::objects_in(spec, &plan.network_policy, positions.clone());
                emit(folder, policies);
            }
        }
        Unit::Phase(phase) => phase_objects(spec, routed, phase, emit),
        // `manifests/abort/`: the routes of the all-old traffic state (every share 0, no
        // mirror, not settled), so that applying it from any phase sends every request to the
        // legacy backends, and those backends, so that it works once decommission deleted
        // them. Applying objects already as they are changes nothing: it is idempotent.
        Unit::Abort => {
            if let Some(abort) = &plan.abort
                && let Some(folder) = &abort.folder
            {
                routes::legacy_objects_by_groups(spec, &mut |group| emit(folder, group));
                for group in routes::traffic_groups(spec, routed) {
                    emit(
                        folder,
                        routes::traffic_objects_in(spec, &abort.state, &group, |_| true),
                    );
                }
            }
        }
    }
}

/// The deploy folder's objects but the services' own ([`workloads::service_objects`]) and
/// the traffic objects, handed to `emit` a group of services at a time where they are per
/// service.
fn deploy_shared_objects(spec: &Spec, routed: &[&Service], emit: &mut dyn FnMut(Vec<Manifest>)) {
    let mut objects = vec![workloads::namespace(spec)];
    objects.extend(storage::objects(spec));
    objects.extend(secret_store::objects(spec));
    objects.extend(workloads::shared_objects(spec));
    if !rollout::moves_dns_first(spec.rollout.strategy) {
        objects.extend(routes::plain_catch_all(spec));
    }
    emit(objects);
    routes::test_routes_by_groups(spec, routed, emit);
    if !rollout::moves_dns_first(spec.rollout.strategy) {
        for group in routed.chunks(routes::SERVICES_A_GROUP) {
            emit(routes::plain_production_routes(spec, group));
        }
    }
    routes::legacy_objects_by_groups(spec, emit);
}

/// The objects a phase applies (or deletes) and those its rollback applies.
///
/// A traffic phase: the objects it changes, in their new state, and the same objects in the
/// state before, plus the objects the state before has and the new one drops (the catch-all
/// at `complete` under `unroutedPaths: new`, which `routes::deletions` removes): applying the
/// first moves the traffic, applying the second rolls it back. (Objects the phase leaves as
/// they are stay out of both: a wave's step touches only the wave's routes, so the bundle
/// grows with the services times their own steps.)
fn phase_objects(
    spec: &Spec,
    routed: &[&Service],
    phase: &rollout::Phase,
    emit: &mut dyn FnMut(&str, Vec<Manifest>),
) {
    let rollback = rollback_folder(&phase.id);
    match phase.kind {
        // Built by units of its own (see [`Unit`]).
        PhaseKind::Deploy => {}
        kind if kind.moves_traffic() && phase.forward == rollout::Action::Apply => {
            // Build only the routes of services whose share moves (all of them when the
            // routes settle), then keep those whose manifest really differs; a group of
            // services at a time.
            let settles = phase.before.settled != phase.after.settled;
            let moves = |name: &str| {
                settles || phase.before.services.get(name) != phase.after.services.get(name)
            };
            let groups = routes::traffic_groups(spec, routed);
            let mut changed = false;
            for group in &groups {
                let (forward, back) = changed_objects(
                    routes::traffic_objects_in(spec, &phase.before, group, moves),
                    routes::traffic_objects_in(spec, &phase.after, group, moves),
                );
                changed |= !forward.is_empty();
                emit(&phase.id, forward);
                emit(&rollback, back);
            }
            if !changed {
                // The runbook applies this folder: never leave it empty.
                for group in &groups {
                    emit(
                        &phase.id,
                        routes::traffic_objects_in(spec, &phase.after, group, |_| true),
                    );
                    emit(
                        &rollback,
                        routes::traffic_objects_in(spec, &phase.before, group, |_| true),
                    );
                }
            }
        }
        PhaseKind::Complete if !routes::restorations(spec, phase).is_empty() => {
            // dns-weights and client under `new`: `complete` deletes the catch-all by
            // command; its rollback re-creates it from here.
            emit(&rollback, routes::plain_catch_all(spec));
        }
        PhaseKind::Decommission => {
            // The legacy backend, the canary objects, inert since the move completed, and the
            // catch-all routes to the legacy backend where the settled state kept them.
            routes::legacy_objects_by_groups(spec, &mut |group| emit(&phase.id, group));
            for group in routes::traffic_groups(spec, routed) {
                let inert = routes::traffic_objects_in(spec, &phase.before, &group, |_| true)
                    .into_iter()
                    .filter(|m| m.name.ends_with("-canary") || m.name.ends_with("-catch-all"))
                    .collect();
                emit(&phase.id, inert);
            }
            if routes::catch_all_present(spec, &phase.before) {
                emit(&phase.id, routes::plain_catch_all(spec));
            }
        }
        _ => {}
    }
}

fn changed_objects(before: Vec<Manifest>, after: Vec<Manifest>) -> (Vec<Manifest>, Vec<Manifest>) {
    let mut previous: BTreeMap<(String, String), Manifest> = before
        .into_iter()
        .map(|m| ((m.kind.clone(), m.name.clone()), m))
        .collect();
    let mut forward = Vec::new();
    let mut rollback = Vec::new();
    for manifest in after {
        let key = (manifest.kind.clone(), manifest.name.clone());
        match previous.remove(&key) {
            // The same data writes the same text.
            Some(old) if old.value == manifest.value => {}
            Some(old) => {
                rollback.push(old);
                forward.push(manifest);
            }
            None => forward.push(manifest),
        }
    }
    // What the new state drops: the rollback re-creates it.
    rollback.extend(previous.into_values());
    (forward, rollback)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    config_map_generator: Vec<ConfigMapGenerator>,
}

/// Writes `manifests/…` into the bundle's files, a unit at a time over the cores, and
/// returns the number of objects in each folder.
pub fn write(spec: &Spec, plan: &Plan, files: &Out) -> BTreeMap<String, usize> {
    let routed = routes::routed_services(spec);
    // The folders that get objects (a few dozen names): each gets a kustomization, even
    // when the sink declined every object in it.
    let folders: Mutex<BTreeSet<String>> = Mutex::default();
    units(spec, plan, true).par_iter().for_each(|unit| {
        unit_objects(spec, plan, &routed, unit, &mut |folder, manifests| {
            if !manifests.is_empty() {
                let mut folders = crate::render::lock(&folders);
                if !folders.contains(folder) {
                    folders.insert(folder.to_string());
                }
            }
            for manifest in manifests {
                if files.stopped() {
                    return;
                }
                files.insert_with(
                    format!("manifests/{folder}/{}", manifest.file_name()),
                    |w| w.write_all(manifest.yaml().as_bytes()),
                );
            }
        });
    });
    // Each folder's objects, read back from the digests rather than kept on the way (100,000
    // names at 5,000 services), one folder at a time. A file the sink declined is not among
    // them: the folder's kustomization is then declined too, or only known to differ (the
    // last pass of a diff, see `Sink::wants`), but it is there.
    let object_of = |path: &str| -> Option<(String, String)> {
        let (folder, name) = path.strip_prefix("manifests/")?.rsplit_once('/')?;
        (name != "kustomization.yaml" && !is_config_file(path))
            .then(|| (folder.to_string(), name.to_string()))
    };
    let folders = folders.into_inner().unwrap_or_else(PoisonError::into_inner);
    let deploy = deploy_folder(plan);
    let mut counts = BTreeMap::new();
    for folder in folders {
        let prefix = format!("manifests/{folder}/");
        let resources: Vec<String> = files.with_digests(|digests| {
            digests
                .range(prefix.clone()..)
                .take_while(|(path, _)| path.starts_with(&prefix))
                .filter_map(|(path, _)| object_of(path))
                .filter(|(of, _)| *of == folder)
                .map(|(_, name)| name)
                .collect()
        });
        counts.insert(folder.clone(), resources.len());
        let generators = if Some(folder.as_str()) == deploy && !spec.configs.is_empty() {
            generators(spec)
        } else {
            Vec::new()
        };
        let kustomization = Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources,
            config_map_generator: generators,
        };
        files.insert(
            format!("{prefix}kustomization.yaml"),
            to_yaml(&kustomization),
        );
    }
    if let Some(patch) = routes::ingress_controller_patch(plan) {
        files.insert(INGRESS_PATCH, patch.yaml());
    }
    counts
}

/// Metadata every object carries: its name, its namespace (for namespaced kinds), the
/// common labels, and the annotation naming the spec path it comes from.
pub fn meta(spec: &Spec, name: &str, namespaced: bool, source: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespaced.then(|| spec.namespace().to_string()),
        labels: Some(common_labels(spec)),
        annotations: Some(BTreeMap::from([(SOURCE_ANNOTATION.to_string(), source)])),
        ..ObjectMeta::default()
    }
}

pub fn common_labels(spec: &Spec) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "cutover".to_string(),
        ),
        (
            "app.kubernetes.io/part-of".to_string(),
            spec.metadata.name.clone(),
        ),
    ])
}

/// The kinds the bundle emits and the Kubernetes minor version from which each is served
/// at that apiVersion. cutover targets 1.24 and later, where all of them are served.
pub const SERVED_SINCE: &[(&str, &str, u32)] = &[
    ("v1", "Namespace", 0),
    ("v1", "Service", 0),
    ("v1", "PersistentVolume", 0),
    ("v1", "PersistentVolumeClaim", 0),
    ("v1", "ServiceAccount", 0),
    ("batch/v1", "Job", 21),
    ("rbac.authorization.k8s.io/v1", "Role", 8),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", 8),
    ("apps/v1", "Deployment", 9),
    ("apps/v1", "StatefulSet", 9),
    ("policy/v1", "PodDisruptionBudget", 21),
    ("storage.k8s.io/v1", "StorageClass", 6),
    ("networking.k8s.io/v1", "Ingress", 19),
    ("networking.k8s.io/v1", "NetworkPolicy", 7),
    ("discovery.k8s.io/v1", "EndpointSlice", 21),
];
