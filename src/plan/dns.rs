//! The DNS change list: every edit to the zone, in order, grouped by phase, each phase with
//! its reverse. Built so that the cutover invariants hold on the list itself:
//!
//! - the TTL of every moving record is lowered in the prepare phase, and the first value
//!   change waits at least one normal TTL after it;
//! - a name never loses its last answer: the new target is added, verified, and only then
//!   the old one removed (and every rollback re-adds before it removes);
//! - a TTL change and a value change are never one edit;
//! - the TTL is restored once the last value change is done.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rollout::{Phase, PhaseKind};
use crate::model::dns::fqdn;
use crate::model::{DnsRecord, Spec, Strategy};
use crate::shell::{self, Line};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Lower a record's TTL to the cutover TTL (value unchanged).
    LowerTtl,
    /// Add an answer (at the name's current TTL).
    Add,
    /// Check that the name answers with what it should; changes nothing.
    Verify,
    /// Set the weights of a name's weighted answers.
    SetWeights,
    /// Remove an answer.
    Remove,
    /// Raise a record's TTL back to the normal TTL (value unchanged).
    RestoreTtl,
    /// Add a PrivateZone record.
    AddPrivate,
    /// Remove a PrivateZone record.
    RemovePrivate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsChange {
    pub kind: ChangeKind,
    pub zone: String,
    /// The record name in the zone (`@` for the apex).
    pub name: String,
    pub fqdn: String,
    #[serde(rename = "type")]
    pub record_type: String,
    /// The answer this change concerns.
    pub value: String,
    /// TTL before and after (equal unless a TTL change).
    pub ttl_before: u32,
    pub ttl_after: u32,
    /// Weighted answers after the change: value → weight (set-weights only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, u32>,
    /// Seconds to wait after the previous change of the list before making this one.
    pub wait_seconds: u64,
    pub reason: String,
    /// Alibaba Cloud CLI commands (or the check to run), every value quoted; the ids only
    /// the cloud knows are shell variables, set as the plan's `lookup` says (or by the
    /// command that creates the record).
    pub commands: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseChanges {
    pub phase: String,
    pub changes: Vec<DnsChange>,
    /// The changes that undo this phase, in the order to make them.
    pub rollback: Vec<DnsChange>,
}

/// A record that moves from the old entrypoint to the new one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MovingRecord {
    pub name: String,
    pub fqdn: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub old: String,
    pub new: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsPlan {
    pub provider: &'static str,
    pub edition: Option<&'static str>,
    pub zone: String,
    pub ttl_normal: u32,
    pub ttl_cutover: u32,
    pub records: Vec<MovingRecord>,
    pub private_zone: Option<String>,
    pub phases: Vec<PhaseChanges>,
    /// The lines that set the variables the commands use (record and zone ids), each from
    /// the lookup that finds it exactly, then a line that shows each and stops on an empty one.
    pub lookup: Vec<String>,
}

/// The shell variable that holds the id of the public record `name` `kind` `value`: the
/// cloud assigns it, so the commands use `"$RECORD_ID_WWW_A_203_0_113_10"`, set by
/// [`record_lookup`] or by the command that adds the record.
pub fn record_var(name: &str, kind: &str, value: &str) -> String {
    shell::variable(&["record-id", name, &kind.to_ascii_lowercase(), value])
}

/// `RECORD_ID_…=$(…)`: the id of the record that answers `value`, exactly (DescribeDomainRecords
/// matches `RRKeyWord` and `ValueKeyWord` loosely; jq keeps the exact match).
pub fn record_lookup(zone: &str, name: &str, kind: &str, value: &str) -> String {
    let describe = Line::new("aliyun alidns DescribeDomainRecords")
        .opt("--DomainName", zone)
        .opt("--RRKeyWord", name)
        .opt("--Type", kind)
        .opt("--ValueKeyWord", value)
        .lit("--PageSize 100");
    let pick = shell::jq_one(
        &[("rr", name), ("type", kind), ("value", value)],
        ".DomainRecords.Record[] | select(.RR == $rr and .Type == $type and .Value == $value) | .RecordId",
        "records with that name, type and value (on every line)",
    );
    Line::assign(&record_var(name, kind, value), describe.pipe(pick)).build()
}

/// The variable that holds a PrivateZone's id.
pub fn private_zone_var(zone: &str) -> String {
    shell::variable(&["zone-id", zone])
}

/// `ZONE_ID_…=$(…)`: the id of the PrivateZone named `zone`.
pub fn private_zone_lookup(zone: &str) -> String {
    let describe = Line::new("aliyun pvtz DescribeZones")
        .opt("--Keyword", zone)
        .lit("--PageSize 100");
    let pick = shell::jq_one(
        &[("zone", zone)],
        ".Zones.Zone[] | select(.ZoneName == $zone) | .ZoneId",
        "PrivateZones of that name",
    );
    Line::assign(&private_zone_var(zone), describe.pipe(pick)).build()
}

/// The variable that holds the id of a PrivateZone record.
pub fn private_record_var(name: &str, kind: &str, value: &str) -> String {
    shell::variable(&["pvtz-record-id", name, &kind.to_ascii_lowercase(), value])
}

/// `PVTZ_RECORD_ID_…=$(…)`: the id of a PrivateZone record (needs the zone's variable).
pub fn private_record_lookup(zone: &str, name: &str, kind: &str, value: &str) -> String {
    let describe = Line::new("aliyun pvtz DescribeZoneRecords")
        .opt_var("--ZoneId", &private_zone_var(zone))
        .opt("--Keyword", name)
        .lit("--PageSize 100");
    let pick = shell::jq_one(
        &[("rr", name), ("type", kind), ("value", value)],
        ".Records.Record[] | select(.Rr == $rr and .Type == $type and .Value == $value) | .RecordId",
        "PrivateZone records with that name, type and value",
    );
    Line::assign(&private_record_var(name, kind, value), describe.pipe(pick)).build()
}

/// Every variable a change's commands may use, each with the line that sets it.
pub fn change_lookups(change: &DnsChange) -> Vec<(String, String)> {
    let (zone, name, ty) = (&change.zone, &change.name, &change.record_type);
    match change.kind {
        ChangeKind::AddPrivate | ChangeKind::RemovePrivate => vec![
            (private_zone_var(zone), private_zone_lookup(zone)),
            (
                private_record_var(name, ty, &change.value),
                private_record_lookup(zone, name, ty, &change.value),
            ),
        ],
        _ => std::iter::once(&change.value)
            .chain(change.weights.keys())
            .map(|value| {
                (
                    record_var(name, ty, value),
                    record_lookup(zone, name, ty, value),
                )
            })
            .collect(),
    }
}

/// Commands that create a record and keep its id: `VAR=$(… | jq -r .RecordId)`, then show it.
fn creating(var: &str, command: Line) -> Vec<String> {
    vec![
        Line::assign(var, command.pipe(shell::jq_field(".RecordId"))).build(),
        shell::show(var),
    ]
}

/// The command of a TTL change, an add or a remove (the forward list and its undo share it).
fn record_commands(
    kind: ChangeKind,
    zone: &str,
    name: &str,
    ty: &str,
    value: &str,
    ttl: u32,
) -> Vec<String> {
    match kind {
        ChangeKind::LowerTtl | ChangeKind::RestoreTtl => vec![
            Line::new("aliyun alidns UpdateDomainRecord")
                .opt_var("--RecordId", &record_var(name, ty, value))
                .opt("--RR", name)
                .opt("--Type", ty)
                .opt("--Value", value)
                .opt("--TTL", ttl.to_string())
                .build(),
        ],
        ChangeKind::Add => creating(
            &record_var(name, ty, value),
            Line::new("aliyun alidns AddDomainRecord")
                .opt("--DomainName", zone)
                .opt("--RR", name)
                .opt("--Type", ty)
                .opt("--Value", value)
                .opt("--TTL", ttl.to_string()),
        ),
        ChangeKind::Remove => vec![
            Line::new("aliyun alidns DeleteDomainRecord")
                .opt_var("--RecordId", &record_var(name, ty, value))
                .build(),
        ],
        ChangeKind::AddPrivate => creating(
            &private_record_var(name, ty, value),
            Line::new("aliyun pvtz AddZoneRecord")
                .opt_var("--ZoneId", &private_zone_var(zone))
                .opt("--Rr", name)
                .opt("--Type", ty)
                .opt("--Value", value)
                .opt("--Ttl", ttl.to_string()),
        ),
        ChangeKind::RemovePrivate => vec![
            Line::new("aliyun pvtz DeleteZoneRecord")
                .opt_var("--RecordId", &private_record_var(name, ty, value))
                .build(),
        ],
        ChangeKind::Verify | ChangeKind::SetWeights => Vec::new(),
    }
}

/// Switches weighting on or off for a name, then sets each answer's weight.
fn weight_commands(
    zone: &str,
    change: &DnsChange,
    weights: &BTreeMap<String, u32>,
    open: bool,
) -> Vec<String> {
    std::iter::once(
        Line::new("aliyun alidns SetDNSSLBStatus")
            .opt("--DomainName", zone)
            .opt("--SubDomain", &change.fqdn)
            .opt("--Type", &change.record_type)
            .lit(if open { "--Open true" } else { "--Open false" })
            .build(),
    )
    .chain(weights.iter().map(|(value, weight)| {
        Line::new("aliyun alidns UpdateDNSSLBWeight")
            .opt_var(
                "--RecordId",
                &record_var(&change.name, &change.record_type, value),
            )
            .opt("--Weight", weight.to_string())
            .build()
    }))
    .collect()
}

fn verify_command(ty: &str, fqdn: &str) -> String {
    Line::new("dig +short").arg(ty).arg(fqdn).build()
}

struct Lists<'a> {
    zone: &'a str,
    normal: u32,
    cutover: u32,
}

impl Lists<'_> {
    fn change(
        &self,
        kind: ChangeKind,
        record: &MovingRecord,
        value: &str,
        wait: u64,
        reason: &str,
    ) -> DnsChange {
        let (before, after) = match kind {
            ChangeKind::LowerTtl => (self.normal, self.cutover),
            ChangeKind::RestoreTtl => (self.cutover, self.normal),
            _ => (self.cutover, self.cutover),
        };
        let (name, ty, zone) = (&record.name, &record.record_type, self.zone);
        let commands = match kind {
            ChangeKind::Verify => vec![verify_command(ty, &record.fqdn)],
            _ => record_commands(kind, zone, name, ty, value, after),
        };
        DnsChange {
            kind,
            zone: zone.to_string(),
            name: name.clone(),
            fqdn: record.fqdn.clone(),
            record_type: ty.clone(),
            value: value.to_string(),
            ttl_before: before,
            ttl_after: after,
            weights: BTreeMap::new(),
            wait_seconds: wait,
            reason: reason.to_string(),
            commands,
        }
    }

    /// Weighted answers; with neither weight, weighting is switched off (one answer left).
    fn weights(
        &self,
        record: &MovingRecord,
        old: Option<u32>,
        new: Option<u32>,
        wait: u64,
    ) -> DnsChange {
        let mut weights = BTreeMap::new();
        for (value, weight) in [(&record.old, old), (&record.new, new)] {
            if let Some(weight) = weight {
                weights.insert(value.clone(), weight);
            }
        }
        let reason = match new {
            Some(share) => format!("{share}% of the answers point at the new entrypoint"),
            None => "one answer left: weighting off".to_string(),
        };
        let change = self.change(ChangeKind::SetWeights, record, &record.new, wait, &reason);
        let commands =
            weight_commands(self.zone, &change, &weights, old.is_some() || new.is_some());
        DnsChange {
            weights,
            commands,
            ..change
        }
    }
}

/// The undo of a list: the inverse of each change, in reverse order, so that a rollback
/// re-adds an answer before it removes one and keeps every name answering.
pub fn reverse(
    changes: &[DnsChange],
    before_weights: impl Fn(&DnsChange) -> BTreeMap<String, u32>,
) -> Vec<DnsChange> {
    let mut undone: Vec<DnsChange> = changes
        .iter()
        .rev()
        .map(|c| {
            let mut undo = c.clone();
            undo.wait_seconds = 0;
            undo.kind = match c.kind {
                ChangeKind::LowerTtl => ChangeKind::RestoreTtl,
                ChangeKind::RestoreTtl => ChangeKind::LowerTtl,
                ChangeKind::Add => ChangeKind::Remove,
                ChangeKind::Remove => ChangeKind::Add,
                ChangeKind::AddPrivate => ChangeKind::RemovePrivate,
                ChangeKind::RemovePrivate => ChangeKind::AddPrivate,
                other => other,
            };
            undo.ttl_before = c.ttl_after;
            undo.ttl_after = c.ttl_before;
            undo.reason = format!("undo of: {}", c.reason);
            if c.kind == ChangeKind::SetWeights {
                undo.weights = before_weights(c);
            }
            undo.commands = undo_commands(c, &undo);
            undo
        })
        .collect();
    // Lower the TTL first, re-add answers, restore weights, verify, then remove what the
    // phase added, and restore the TTL last: no name loses its last answer, and the weights
    // apply to answers that exist again. (The sort is stable: per kind, reverse order.)
    undone.sort_by_key(|c| match c.kind {
        ChangeKind::LowerTtl => 0,
        ChangeKind::Add | ChangeKind::AddPrivate => 1,
        ChangeKind::SetWeights => 2,
        ChangeKind::Verify => 3,
        ChangeKind::Remove | ChangeKind::RemovePrivate => 4,
        ChangeKind::RestoreTtl => 5,
    });
    // A verify checks the answer re-added for its name.
    let readded: BTreeMap<String, String> = undone
        .iter()
        .filter(|c| c.kind == ChangeKind::Add)
        .map(|c| (c.fqdn.clone(), c.value.clone()))
        .collect();
    for change in undone.iter_mut().filter(|c| c.kind == ChangeKind::Verify) {
        if let Some(value) = readded.get(&change.fqdn) {
            change.value = value.clone();
            change.reason = "the name answers with both entrypoints again".into();
        }
    }
    undone
}

fn undo_commands(forward: &DnsChange, undo: &DnsChange) -> Vec<String> {
    match undo.kind {
        ChangeKind::SetWeights => {
            weight_commands(&undo.zone, undo, &undo.weights, undo.weights.len() >= 2)
        }
        ChangeKind::Verify => forward.commands.clone(),
        kind => record_commands(
            kind,
            &undo.zone,
            &undo.name,
            &undo.record_type,
            &undo.value,
            undo.ttl_after,
        ),
    }
}

fn moving_records(spec: &Spec) -> Vec<MovingRecord> {
    let Some(dns) = &spec.dns else {
        return Vec::new();
    };
    dns.records
        .iter()
        .filter(|r| r.value.is_none())
        .map(|r| MovingRecord {
            name: r.name.clone(),
            fqdn: fqdn(&dns.zone, &r.name),
            record_type: <&str>::from(r.kind).to_string(),
            old: spec.source.entrypoint.address.to_string(),
            new: spec.target.entrypoint.address.to_string(),
        })
        .collect()
}

/// The phase in which each moving record switches (non-weighted strategies): the entry phase
/// where DNS moves first, else the complete phase.
fn switch_phase(strategy: Strategy) -> PhaseKind {
    if super::rollout::moves_dns_first(strategy) {
        PhaseKind::Entry
    } else {
        PhaseKind::Complete
    }
}

pub fn plan(spec: &Spec, phases: &[Phase]) -> Option<DnsPlan> {
    let dns = spec.dns.as_ref()?;
    let records = moving_records(spec);
    let lists = Lists {
        zone: &dns.zone,
        normal: dns.ttl.normal,
        cutover: dns.ttl.cutover,
    };
    let strategy = spec.rollout.strategy;
    let mut by_phase: Vec<PhaseChanges> = Vec::new();
    // Whether the first value change (which must wait a normal TTL) is still to come.
    let mut lead_pending = true;
    let mut lead = |wait_default: u64| {
        if lead_pending {
            lead_pending = false;
            u64::from(dns.ttl.normal)
        } else {
            wait_default
        }
    };
    // value → current weight, per record, to undo weight changes.
    let mut weights_now: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    let mut added: BTreeMap<String, bool> = BTreeMap::new();
    let verify_wait = u64::from(dns.ttl.cutover);
    let weighted = strategy == Strategy::DnsWeights;
    // Once the last value change is done, every moving record gets its normal TTL back
    // (nothing to restore when the cutover TTL is the normal one).
    let restore = |changes: &mut Vec<DnsChange>| {
        if dns.ttl.cutover < dns.ttl.normal {
            for r in &records {
                changes.push(lists.change(
                    ChangeKind::RestoreTtl,
                    r,
                    &r.new,
                    verify_wait,
                    "restore the normal TTL: the last change is done",
                ));
            }
        }
    };
    for phase in phases {
        let mut changes = Vec::new();
        let mut previous_weights: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        match phase.kind {
            PhaseKind::Prepare if dns.ttl.cutover < dns.ttl.normal => {
                for r in &records {
                    changes.push(lists.change(ChangeKind::LowerTtl, r, &r.old, 0, "lower the TTL, at least one normal TTL before the first change, so the move takes effect fast"));
                }
            }
            PhaseKind::Data => {
                if let Some(private) = &dns.private_zone {
                    for record in private.records.iter().filter(|r| r.value.is_some()) {
                        changes.push(private_add(&private.zone, record));
                    }
                }
            }
            kind @ (PhaseKind::Step | PhaseKind::Complete) if weighted => {
                for r in &records {
                    let Some(weights) = phase.dns_weights.iter().find(|w| w.host == r.fqdn) else {
                        continue;
                    };
                    let previous = phase_index_weights(phases, phase, &r.fqdn);
                    if (weights.old_weight, weights.new_weight) == previous {
                        continue;
                    }
                    previous_weights.insert(
                        r.fqdn.clone(),
                        weights_now.get(&r.fqdn).cloned().unwrap_or_default(),
                    );
                    let is_added = added.get(&r.fqdn).copied().unwrap_or(false);
                    if weights.new_weight.is_some() && !is_added {
                        add_beside(&lists, r, &mut changes, &mut lead, verify_wait);
                        added.insert(r.fqdn.clone(), true);
                    }
                    match (weights.old_weight, weights.new_weight) {
                        (Some(old), Some(new)) => {
                            changes.push(lists.weights(r, Some(old), Some(new), 0));
                            weights_now.insert(
                                r.fqdn.clone(),
                                BTreeMap::from([(r.old.clone(), old), (r.new.clone(), new)]),
                            );
                        }
                        (None, Some(_)) => {
                            changes.push(lists.change(
                                ChangeKind::Verify,
                                r,
                                &r.new,
                                0,
                                "the new entrypoint answers",
                            ));
                            changes.push(lists.change(
                                ChangeKind::Remove,
                                r,
                                &r.old,
                                0,
                                "remove the old entrypoint: every answer points at the new one",
                            ));
                            changes.push(lists.weights(r, None, None, 0));
                            weights_now.insert(r.fqdn.clone(), BTreeMap::new());
                        }
                        _ => {}
                    }
                }
                if kind == PhaseKind::Complete {
                    // Records no routed host moved (a `www` nobody routes) switch now.
                    for r in records
                        .iter()
                        .filter(|r| !added.get(&r.fqdn).copied().unwrap_or(false))
                    {
                        switch(&lists, r, &mut changes, &mut lead, verify_wait);
                    }
                    restore(&mut changes);
                }
            }
            // (dns-weights took its Step and Complete phases above.)
            kind if kind == switch_phase(strategy) => {
                for r in &records {
                    switch(&lists, r, &mut changes, &mut lead, verify_wait);
                }
                if kind == PhaseKind::Complete {
                    restore(&mut changes);
                }
            }
            PhaseKind::Complete => {
                restore(&mut changes);
            }
            _ => {}
        }
        if changes.is_empty() {
            continue;
        }
        let rollback = reverse(&changes, |c| {
            previous_weights.get(&c.fqdn).cloned().unwrap_or_default()
        });
        by_phase.push(PhaseChanges {
            phase: phase.id.clone(),
            changes,
            rollback,
        });
    }
    let lookup = lookups(dns, &records, &by_phase);
    Some(DnsPlan {
        provider: "alidns",
        edition: dns.edition.map(<&str>::from),
        zone: dns.zone.clone(),
        ttl_normal: dns.ttl.normal,
        ttl_cutover: dns.ttl.cutover,
        records,
        private_zone: dns.private_zone.as_ref().map(|p| p.zone.clone()),
        phases: by_phase,
        lookup,
    })
}

/// Every variable the change list uses, each set by its exact lookup, then shown.
///
/// A record the list itself adds (and the PrivateZone, created in the phase of its first
/// record) cannot be found before that phase: its lookup says so and its line shows "not
/// added yet" instead of stopping.
fn lookups(
    dns: &crate::model::Dns,
    records: &[MovingRecord],
    phases: &[PhaseChanges],
) -> Vec<String> {
    let mut added: BTreeMap<String, String> = BTreeMap::new();
    for phase in phases {
        for c in &phase.changes {
            let var = match c.kind {
                ChangeKind::Add => record_var(&c.name, &c.record_type, &c.value),
                ChangeKind::AddPrivate => {
                    added
                        .entry(private_zone_var(&c.zone))
                        .or_insert_with(|| phase.phase.clone());
                    private_record_var(&c.name, &c.record_type, &c.value)
                }
                _ => continue,
            };
            added.entry(var).or_insert_with(|| phase.phase.clone());
        }
    }
    let mut sets: Vec<(String, String)> = Vec::new();
    for r in records {
        for value in [&r.old, &r.new] {
            sets.push((
                record_var(&r.name, &r.record_type, value),
                record_lookup(&dns.zone, &r.name, &r.record_type, value),
            ));
        }
    }
    if let Some(private) = &dns.private_zone {
        sets.push((
            private_zone_var(&private.zone),
            private_zone_lookup(&private.zone),
        ));
        for record in private.records.iter().filter(|r| r.value.is_some()) {
            let (ty, value) = (
                <&str>::from(record.kind),
                record.value.clone().unwrap_or_default(),
            );
            sets.push((
                private_record_var(&record.name, ty, &value),
                private_record_lookup(&private.zone, &record.name, ty, &value),
            ));
        }
    }
    // The same variable from two different lookups would be two ids under one name.
    let mut seen = std::collections::BTreeMap::new();
    let mut collisions = Vec::new();
    sets.retain(|(var, line)| match seen.get(var) {
        None => {
            seen.insert(var.clone(), line.clone());
            true
        }
        Some(first) => {
            if first != line && !collisions.contains(var) {
                collisions.push(var.clone());
            }
            false
        }
    });
    let stop = (!collisions.is_empty()).then(|| shell::collision_guard(&collisions));
    // What exists now first, each shown and stopping when not found; then what a phase adds.
    let (later, now): (Vec<_>, Vec<_>) = sets
        .into_iter()
        .partition(|(var, _)| added.contains_key(var));
    let mut lines: Vec<String> = stop.into_iter().collect();
    lines.extend(now.iter().map(|(_, line)| line.clone()));
    lines.extend(now.iter().map(|(var, _)| shell::show(var)));
    for (var, line) in &later {
        let phase = added.get(var).map_or("", String::as_str);
        lines.push(
            Line::new(line)
                .comment(&format!("finds it only once phase {phase} has added it"))
                .build(),
        );
        lines.push(shell::show_or(
            var,
            &format!("not added yet: run again after phase {phase}"),
        ));
    }
    lines
}

/// The abort's DNS changes: every moving record back to its old answer only, from whatever
/// the list has done so far (nothing, half a switch, or all of it), each command safe to
/// run again: the old answer is added only where the name lacks it (at the cutover TTL, so
/// that a new attempt moves fast), verified, then every new answer that exists is removed;
/// for weighted names (`weighted`), weighting is switched off last (one answer left).
/// Add and Remove here mean "add if absent" and "remove if present": the commands check.
pub fn abort_changes(plan: &DnsPlan, weighted: bool) -> Vec<DnsChange> {
    let lists = Lists {
        zone: &plan.zone,
        normal: plan.ttl_normal,
        cutover: plan.ttl_cutover,
    };
    let mut adds = Vec::new();
    let mut verifies = Vec::new();
    let mut removes = Vec::new();
    let mut weights = Vec::new();
    for r in &plan.records {
        let mut add = lists.change(
            ChangeKind::Add,
            r,
            &r.old,
            0,
            "the old entrypoint answers again (added only where it is missing)",
        );
        add.commands = vec![add_if_absent(&plan.zone, r, &r.old, plan.ttl_cutover)];
        adds.push(add);
        verifies.push(lists.change(
            ChangeKind::Verify,
            r,
            &r.old,
            0,
            "the name answers with the old entrypoint",
        ));
        let mut remove = lists.change(
            ChangeKind::Remove,
            r,
            &r.new,
            0,
            "no answer points at the new entrypoint (removed only where present)",
        );
        remove.commands = vec![remove_if_present(&plan.zone, r, &r.new)];
        removes.push(remove);
        if weighted {
            weights.push(lists.weights(r, None, None, 0));
        }
    }
    // Every old answer back before any new one goes: no name is ever without an answer.
    adds.into_iter()
        .chain(verifies)
        .chain(removes)
        .chain(weights)
        .collect()
}

/// The records of `name` `kind` that answer `value`, exactly (jq keeps the exact match of
/// DescribeDomainRecords' loose keyword search), as a JSON stream of records.
fn describe_exact(zone: &str, r: &MovingRecord, value: &str) -> Line {
    Line::new("aliyun alidns DescribeDomainRecords")
        .opt("--DomainName", zone)
        .opt("--RRKeyWord", &r.name)
        .opt("--Type", &r.record_type)
        .opt("--ValueKeyWord", value)
        .lit("--PageSize 100")
}

const EXACT: &str =
    ".DomainRecords.Record[] | select(.RR == $rr and .Type == $type and .Value == $value)";

/// `AddDomainRecord`, run only when no record of the name answers `value` yet (`jq -e`
/// exits 0 only on `true`; a failed lookup adds nothing).
fn add_if_absent(zone: &str, r: &MovingRecord, value: &str, ttl: u32) -> String {
    let args = [
        ("rr", r.name.as_str()),
        ("type", r.record_type.as_str()),
        ("value", value),
    ];
    describe_exact(zone, r, value)
        .pipe(shell::jq("-e", &args, &format!("[{EXACT}] | length == 0")).lit(">/dev/null"))
        .and(
            Line::new("aliyun alidns AddDomainRecord")
                .opt("--DomainName", zone)
                .opt("--RR", &r.name)
                .opt("--Type", &r.record_type)
                .opt("--Value", value)
                .opt("--TTL", ttl.to_string()),
        )
        .build()
}

/// `DeleteDomainRecord` for each record of the name that answers `value`, none when there
/// is none (`xargs -r`).
fn remove_if_present(zone: &str, r: &MovingRecord, value: &str) -> String {
    let args = [
        ("rr", r.name.as_str()),
        ("type", r.record_type.as_str()),
        ("value", value),
    ];
    describe_exact(zone, r, value)
        .pipe(shell::jq("-r", &args, &format!("{EXACT} | .RecordId")))
        .pipe(Line::new(
            "xargs -r -n 1 aliyun alidns DeleteDomainRecord --RecordId",
        ))
        .build()
}

/// Add the new entrypoint beside the old one and verify that the name answers with both.
fn add_beside(
    lists: &Lists,
    r: &MovingRecord,
    changes: &mut Vec<DnsChange>,
    lead: &mut impl FnMut(u64) -> u64,
    verify_wait: u64,
) {
    changes.push(lists.change(
        ChangeKind::Add,
        r,
        &r.new,
        lead(0),
        "add the new entrypoint beside the old one",
    ));
    changes.push(lists.change(
        ChangeKind::Verify,
        r,
        &r.new,
        verify_wait,
        "the name answers with both entrypoints",
    ));
}

/// Add the new answer, verify, remove the old: the name always answers.
fn switch(
    lists: &Lists,
    r: &MovingRecord,
    changes: &mut Vec<DnsChange>,
    lead: &mut impl FnMut(u64) -> u64,
    verify_wait: u64,
) {
    add_beside(lists, r, changes, lead, verify_wait);
    changes.push(lists.change(
        ChangeKind::Remove,
        r,
        &r.old,
        0,
        "remove the old entrypoint once the new one answers",
    ));
}

/// The (old, new) weights of a host in the phase before `phase`.
fn phase_index_weights(phases: &[Phase], phase: &Phase, host: &str) -> (Option<u32>, Option<u32>) {
    phases
        .iter()
        .take_while(|p| p.number < phase.number)
        .filter_map(|p| p.dns_weights.iter().find(|w| w.host == host))
        .last()
        .map_or((Some(100), None), |w| (w.old_weight, w.new_weight))
}

fn private_add(zone: &str, record: &DnsRecord) -> DnsChange {
    let ty = <&str>::from(record.kind).to_string();
    let value = record.value.clone().unwrap_or_default();
    DnsChange {
        kind: ChangeKind::AddPrivate,
        zone: zone.to_string(),
        name: record.name.clone(),
        fqdn: fqdn(zone, &record.name),
        record_type: ty.clone(),
        value: value.clone(),
        ttl_before: 60,
        ttl_after: 60,
        weights: BTreeMap::new(),
        wait_seconds: 0,
        reason: "the apps keep this name while the database moves (PrivateZone)".into(),
        commands: record_commands(ChangeKind::AddPrivate, zone, &record.name, &ty, &value, 60),
    }
}

/// A zone as the change list leaves it: record sets by (name, type), each with its TTL and
/// answers (value → weight, `None` when unweighted). Used to write octoDNS states and, in
/// tests, to replay the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    pub sets: BTreeMap<(String, String), RecordSet>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSet {
    pub ttl: u32,
    pub answers: BTreeMap<String, Option<u32>>,
}

impl Zone {
    /// Before the move: every moving record answers with the old entrypoint, normal TTL.
    pub fn initial(plan: &DnsPlan) -> Zone {
        let mut zone = Zone::default();
        for r in &plan.records {
            zone.sets.insert(
                (r.name.clone(), r.record_type.clone()),
                RecordSet {
                    ttl: plan.ttl_normal,
                    answers: BTreeMap::from([(r.old.clone(), None)]),
                },
            );
        }
        zone
    }

    /// Applies one change of the public zone (PrivateZone changes leave it as it is).
    pub fn apply(&mut self, change: &DnsChange) -> Result<(), String> {
        let key = (change.name.clone(), change.record_type.clone());
        let missing = || format!("{} {} has no record set", change.name, change.record_type);
        match change.kind {
            ChangeKind::AddPrivate | ChangeKind::RemovePrivate | ChangeKind::Verify => {}
            ChangeKind::LowerTtl | ChangeKind::RestoreTtl => {
                let set = self.sets.get_mut(&key).ok_or_else(missing)?;
                set.ttl = change.ttl_after;
            }
            ChangeKind::Add => {
                let set = self.sets.entry(key).or_insert_with(|| RecordSet {
                    ttl: change.ttl_after,
                    answers: BTreeMap::new(),
                });
                set.answers.insert(change.value.clone(), None);
            }
            ChangeKind::Remove => {
                let set = self.sets.get_mut(&key).ok_or_else(missing)?;
                if set.answers.remove(&change.value).is_none() {
                    return Err(format!(
                        "{} {} does not answer {}",
                        change.name, change.record_type, change.value
                    ));
                }
                if set.answers.is_empty() {
                    self.sets.remove(&key);
                }
            }
            ChangeKind::SetWeights => {
                let set = self.sets.get_mut(&key).ok_or_else(missing)?;
                for (value, weight) in set.answers.iter_mut() {
                    *weight = change.weights.get(value).copied();
                }
            }
        }
        Ok(())
    }
}
