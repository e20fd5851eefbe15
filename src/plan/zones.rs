//! The DNS work outside the production change list: the test domain's record (deploy) and
//! the PrivateZone's creation (data). The plan records the command lines, as it does for the
//! change list, so `plan.json` and the runbooks give the same ones.

use serde::Serialize;

use super::PhaseCommands;
use super::rollout::{Phase, PhaseKind};
use crate::model::Spec;
use crate::plan::dns::{private_zone_var, record_var};
use crate::shell::{self, Line};

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZonePlan {
    /// The test domain's A record, when the test domain sits in the managed zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_domain: Option<TestRecord>,
    /// The PrivateZone, created and bound to the cluster's VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_zone: Option<PhaseCommands>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestRecord {
    pub zone: String,
    pub name: String,
    pub value: String,
    /// The variable that holds the record's id.
    pub record_id: String,
    #[serde(flatten)]
    pub commands: PhaseCommands,
}

/// The TTL of the test domain's record: it never moves, so the normal default.
const TEST_TTL: &str = "600";

pub fn plan(spec: &Spec, phases: &[Phase]) -> ZonePlan {
    let phase_of = |kind: PhaseKind| {
        phases
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.id.clone())
            .unwrap_or_default()
    };
    ZonePlan {
        test_domain: test_record(spec, phase_of(PhaseKind::Deploy)),
        private_zone: private_zone(spec, phase_of(PhaseKind::Data)),
    }
}

fn test_record(spec: &Spec, phase: String) -> Option<TestRecord> {
    let test = spec.target.test_domain.as_ref()?;
    let dns = spec.dns.as_ref()?;
    let name = test.strip_suffix(&format!(".{}", dns.zone))?.to_string();
    let value = spec.target.entrypoint.address.to_string();
    let record_id = record_var(&name, "A", &value);
    let add = Line::new("aliyun alidns AddDomainRecord")
        .opt("--DomainName", &dns.zone)
        .opt("--RR", &name)
        .lit("--Type A")
        .opt("--Value", &value)
        .opt("--TTL", TEST_TTL)
        .pipe(shell::jq_field(".RecordId"));
    Some(TestRecord {
        zone: dns.zone.clone(),
        commands: PhaseCommands {
            phase,
            commands: vec![Line::assign(&record_id, add).build()],
            rollback_commands: vec![
                Line::new("aliyun alidns DeleteDomainRecord")
                    .opt_var("--RecordId", &record_id)
                    .build(),
            ],
        },
        name,
        value,
        record_id,
    })
}

/// The variable the PrivateZone commands read for the cluster's VPC (the data runbook sets
/// it from the cluster's own detail).
pub const VPC_VAR: &str = "VPC_ID";

fn private_zone(spec: &Spec, phase: String) -> Option<PhaseCommands> {
    // An existing zone (`create: false`) is verified in prepare, not created.
    let pz = spec
        .dns
        .as_ref()?
        .private_zone
        .as_ref()
        .filter(|pz| pz.create)?;
    let zone_id = private_zone_var(&pz.zone);
    Some(PhaseCommands {
        phase,
        commands: vec![
            Line::assign(
                &zone_id,
                Line::new("aliyun pvtz AddZone")
                    .opt("--ZoneName", &pz.zone)
                    .pipe(shell::jq_field(".ZoneId")),
            )
            .build(),
            Line::new("aliyun pvtz BindZoneVpc")
                .opt_var("--ZoneId", &zone_id)
                .opt("--Vpcs.1.RegionId", &spec.target.region)
                .opt_var("--Vpcs.1.VpcId", VPC_VAR)
                .build(),
        ],
        rollback_commands: Vec::new(),
    })
}
