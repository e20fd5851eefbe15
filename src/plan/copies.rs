//! The data that keeps up until the last traffic phase: each object store copies with
//! ossimport's incremental mode from the data phase to a final pass at `complete`; each
//! disk that holds data has its copy method, a first pass while the old side serves and a
//! final pass at `complete` inside its freeze window; and where `data.backups` is set, the
//! decommission writes a backup of every migrated store there before anything is deleted.
//! Data only: the runbooks (`render::runbook::data`) print the commands.

use serde::Serialize;

use crate::model::{CopyMethod, DumpEngine, Spec};
use crate::plan::rollout::{Phase, PhaseKind};

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyPlan {
    pub object_stores: Vec<ObjectStoreCopy>,
    pub volumes: Vec<VolumeCopyPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backups: Option<BackupPlan>,
}

/// ossimport in incremental mode from `starts` until the final pass in `finalPass`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStoreCopy {
    pub name: String,
    /// `incremental` (ossimport's `isIncremental=true`).
    pub mode: &'static str,
    /// The interval as written (`1h`) and in seconds (`incrementalModeInterval`).
    pub interval: String,
    pub interval_seconds: u64,
    /// The phase that submits the incremental job (the data phase).
    pub starts: String,
    /// The phase that ends incremental mode with a last full scan (`complete`).
    pub final_pass: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeCopyPlan {
    pub storage: String,
    pub method: CopyMethod,
    /// The spec declares the method (`storage[].copy`); else the default (`rsync`).
    pub declared: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<DumpEngine>,
    /// The phase of the first pass, while the old side serves (none for `dump` and
    /// `snapshot`, which copy once, inside the freeze).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_pass: Option<String>,
    /// The phase of the final pass, with the writers stopped (`complete`).
    pub final_pass: String,
    /// The longest the writers stay stopped, as written (`30m`) and in seconds.
    pub freeze: String,
    pub freeze_seconds: u64,
    /// The services whose old and new workloads stop for the freeze.
    pub writers: Vec<String>,
}

/// Backups of every migrated store in `location`, written and checked in `phase` before it
/// deletes anything.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupPlan {
    pub location: String,
    pub phase: String,
    /// What is backed up: `databases/<name>`, `objectStores/<name>`, `storage/<name>`.
    pub items: Vec<String>,
}

fn phase_of(phases: &[Phase], kind: PhaseKind) -> Option<&Phase> {
    phases.iter().find(|p| p.kind == kind)
}

/// The last traffic phase: `complete`, else the last phase that moves traffic.
pub fn last_traffic_phase(phases: &[Phase]) -> Option<&Phase> {
    phase_of(phases, PhaseKind::Complete)
        .or_else(|| phases.iter().rev().find(|p| p.kind.moves_traffic()))
}

pub fn plan(spec: &Spec, phases: &[Phase]) -> CopyPlan {
    let data_phase = phase_of(phases, PhaseKind::Data).map(|p| p.id.clone());
    let Some(last) = last_traffic_phase(phases).map(|p| p.id.clone()) else {
        return CopyPlan::default();
    };
    let object_stores = spec
        .data
        .iter()
        .flat_map(|d| &d.object_stores)
        .map(|store| {
            let interval = store.incremental_interval();
            ObjectStoreCopy {
                name: store.name.clone(),
                mode: "incremental",
                interval: interval.as_str().to_string(),
                interval_seconds: interval.seconds(),
                starts: data_phase.clone().unwrap_or_default(),
                final_pass: last.clone(),
            }
        })
        .collect();
    let volumes = spec
        .storage
        .iter()
        .filter_map(|storage| {
            let copy = storage.copy_or_default()?;
            let freeze = copy.freeze();
            Some(VolumeCopyPlan {
                storage: storage.name.clone(),
                method: copy.method,
                declared: storage.copy.is_some(),
                engine: copy.engine,
                first_pass: match copy.method {
                    CopyMethod::Rsync => Some(last.clone()),
                    CopyMethod::Snapshot | CopyMethod::Dump => None,
                },
                final_pass: last.clone(),
                freeze: freeze.as_str().to_string(),
                freeze_seconds: freeze.seconds(),
                writers: writers(spec, &storage.name),
            })
        })
        .collect();
    let backups = spec
        .data
        .as_ref()
        .and_then(|d| d.backups.as_ref())
        .and_then(|location| {
            let phase = phase_of(phases, PhaseKind::Decommission)?;
            let data = spec.data.as_ref()?;
            let mut items: Vec<String> = data
                .databases
                .iter()
                .filter(|db| !db.shared_instance)
                .map(|db| format!("databases/{}", db.name))
                .collect();
            items.extend(
                data.object_stores
                    .iter()
                    .map(|s| format!("objectStores/{}", s.name)),
            );
            items.extend(
                spec.storage
                    .iter()
                    .filter(|s| s.copy_or_default().is_some())
                    .map(|s| format!("storage/{}", s.name)),
            );
            Some(BackupPlan {
                location: location.clone(),
                phase: phase.id.clone(),
                items,
            })
        });
    CopyPlan {
        object_stores,
        volumes,
        backups,
    }
}

/// The services that mount `storage`.
pub fn writers(spec: &Spec, storage: &str) -> Vec<String> {
    spec.services
        .iter()
        .filter(|s| s.volumes.iter().any(|v| v.storage == storage))
        .map(|s| s.name.clone())
        .collect()
}
