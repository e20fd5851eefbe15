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

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use serde::Serialize;

use crate::load::configs::{ConfigFiles, key_of};
use crate::model::Spec;
use crate::plan::Plan;
use crate::plan::ingress::INGRESS_PATCH;
use crate::plan::rollout::{self, PhaseKind};
use crate::render::Files;

pub use custom::CustomResource;
pub use routes::ack_match_expression;

/// The annotation that names the spec path an object comes from.
pub const SOURCE_ANNOTATION: &str = "cutover.dev/source";

/// One object, serialized.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `false` for kustomize patches, which are not whole objects (the validators skip them).
    pub whole_object: bool,
    pub yaml: String,
    /// The object as compact JSON, to prove the YAML parses back to exactly it. A string, not
    /// a `serde_json::Value`: at 1,000 services the value trees were a third of the memory.
    json: String,
}

impl Manifest {
    pub fn new<T: Serialize + Kind>(object: &T, name: &str) -> Self {
        let value = serde_json::to_value(object).unwrap_or_default();
        Manifest {
            api_version: T::api_version().to_string(),
            kind: T::kind().to_string(),
            name: name.to_string(),
            whole_object: true,
            yaml: crate::render::yaml::from_value(&value),
            json: value.to_string(),
        }
    }

    /// The object as data.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.json).unwrap_or_default()
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
pub fn write_config_files(spec: &Spec, plan: &Plan, configs: &ConfigFiles, files: &mut Files) {
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
                    bytes.clone(),
                );
            }
        }
    }
}

pub fn rollback_folder(phase_id: &str) -> String {
    format!("rollback/{phase_id}")
}

pub fn build(spec: &Spec, plan: &Plan) -> Phases {
    let mut phases = Phases::default();
    // The phases are independent; at 1,000 services building them is most of a compile.
    // rayon spreads them over the cores (work stealing evens out the heavy phases) and
    // collects them in phase order.
    let built: Vec<_> = plan
        .phases
        .par_iter()
        .map(|phase| phase_objects(spec, phase))
        .collect();
    for (phase, (forward, rollback)) in plan.phases.iter().zip(built) {
        if !forward.is_empty() {
            phases.folders.insert(phase.id.clone(), forward);
        }
        if !rollback.is_empty() {
            phases.folders.insert(rollback_folder(&phase.id), rollback);
        }
    }
    // The NetworkPolicies arrive with the workloads (rolling the deploy back deletes them).
    if let Some(folder) = deploy_folder(plan)
        && let Some(objects) = phases.folders.get_mut(folder)
    {
        objects.extend(network_policy::objects(spec, &plan.network_policy));
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

/// The objects a phase applies (or deletes) and those its rollback applies.
///
/// A traffic phase: the objects it changes, in their new state, and the same objects in the
/// state before, plus the objects the state before has and the new one drops (the catch-all
/// at `complete` under `unroutedPaths: new`, which `routes::deletions` removes): applying the
/// first moves the traffic, applying the second rolls it back. (Objects the phase leaves as
/// they are stay out of both: a wave's step touches only the wave's routes, so the bundle
/// grows with the services times their own steps.)
fn phase_objects(spec: &Spec, phase: &rollout::Phase) -> (Vec<Manifest>, Vec<Manifest>) {
    match phase.kind {
        PhaseKind::Deploy => {
            let mut objects = vec![workloads::namespace(spec)];
            objects.extend(storage::objects(spec));
            objects.extend(secret_store::objects(spec));
            objects.extend(workloads::objects(spec));
            objects.extend(routes::test_routes(spec));
            if !rollout::moves_dns_first(spec.rollout.strategy) {
                objects.extend(routes::plain_production_routes(spec));
                objects.extend(routes::plain_catch_all(spec));
            }
            objects.extend(routes::legacy_objects(spec));
            objects.extend(routes::traffic_objects(spec, &phase.after));
            // Rolling back the deploy deletes what it created: its own folder.
            (objects, Vec::new())
        }
        kind if kind.moves_traffic() && phase.forward == rollout::Action::Apply => {
            // Build only the routes of services whose share moves (all of them when the
            // routes settle), then keep those whose manifest really differs.
            let settles = phase.before.settled != phase.after.settled;
            let moves = |name: &str| {
                settles || phase.before.services.get(name) != phase.after.services.get(name)
            };
            let (forward, rollback) = changed_objects(
                routes::traffic_objects_of(spec, &phase.before, moves),
                routes::traffic_objects_of(spec, &phase.after, moves),
            );
            if forward.is_empty() {
                // The runbook applies this folder: never leave it empty.
                (
                    routes::traffic_objects(spec, &phase.after),
                    routes::traffic_objects(spec, &phase.before),
                )
            } else {
                (forward, rollback)
            }
        }
        PhaseKind::Complete if !routes::restorations(spec, phase).is_empty() => {
            // dns-weights and client under `new`: `complete` deletes the catch-all by
            // command; its rollback re-creates it from here.
            (Vec::new(), routes::plain_catch_all(spec))
        }
        PhaseKind::Decommission => {
            // The legacy backend, the canary objects, inert since the move completed, and the
            // catch-all routes to the legacy backend where the settled state kept them.
            let mut objects = routes::legacy_objects(spec);
            objects.extend(
                routes::traffic_objects(spec, &phase.before)
                    .into_iter()
                    .filter(|m| m.name.ends_with("-canary") || m.name.ends_with("-catch-all")),
            );
            if routes::catch_all_present(spec, &phase.before) {
                objects.extend(routes::plain_catch_all(spec));
            }
            (objects, Vec::new())
        }
        _ => (Vec::new(), Vec::new()),
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
            Some(old) if old.yaml == manifest.yaml => {}
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

/// Adds `manifests/…` to the bundle's files.
pub fn write(phases: &Phases, files: &mut Files) {
    for (folder, manifests) in &phases.folders {
        let mut names = Vec::with_capacity(manifests.len());
        for manifest in manifests {
            let name = manifest.file_name();
            files.insert(format!("manifests/{folder}/{name}"), manifest.yaml.clone());
            names.push(name);
        }
        names.sort();
        let kustomization = Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: names,
            config_map_generator: phases.generators.get(folder).cloned().unwrap_or_default(),
        };
        files.insert(
            format!("manifests/{folder}/kustomization.yaml"),
            to_yaml(&kustomization),
        );
    }
    for (path, patch) in &phases.patches {
        files.insert(path.clone(), patch.yaml.clone());
    }
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
