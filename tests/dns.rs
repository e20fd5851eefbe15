//! The DNS change lists, replayed against an in-memory zone: no moving name is ever without
//! an answer, the TTL was low for at least one normal TTL before every value change, a TTL
//! change is never a value change, the end state holds only the new targets at the normal
//! TTL, and every phase's rollback restores the zone exactly as it was before the phase.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cutover::plan::dns::{ChangeKind, DnsChange, DnsPlan, Zone};
use cutover::{load, plan};

fn specs_with_dns() -> Vec<PathBuf> {
    common::example_specs(&["yaml"])
        .into_iter()
        .chain(common::fixtures("ok"))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .contains("\ndns:")
        })
        .collect()
}

fn dns_plan(path: &Path) -> (plan::Plan, DnsPlan) {
    let loaded = load::load(path).unwrap_or_else(|_| panic!("{} loads", path.display()));
    let plan = common::plan(&loaded.spec);
    let dns = plan.dns.clone().expect("a dns plan");
    (plan, dns)
}

/// Replays changes, checking the invariants after each; returns the time it took.
struct Replay<'a> {
    dns: &'a DnsPlan,
    zone: Zone,
    now: u64,
    /// When each moving name's TTL was lowered.
    lowered: BTreeMap<String, u64>,
}

impl Replay<'_> {
    fn apply(&mut self, change: &DnsChange, context: &str) {
        self.now += change.wait_seconds;
        let is_ttl = matches!(change.kind, ChangeKind::LowerTtl | ChangeKind::RestoreTtl);
        let is_value = matches!(
            change.kind,
            ChangeKind::Add | ChangeKind::Remove | ChangeKind::SetWeights
        );
        if is_ttl {
            assert_ne!(
                change.ttl_before, change.ttl_after,
                "{context}: a TTL change changes the TTL"
            );
        } else {
            assert_eq!(
                change.ttl_before, change.ttl_after,
                "{context}: {:?} never changes the TTL",
                change.kind
            );
        }
        let moving = self
            .dns
            .records
            .iter()
            .any(|r| r.name == change.name && r.record_type == change.record_type);
        if is_value && moving {
            let key = (change.name.clone(), change.record_type.clone());
            let ttl = self.zone.sets.get(&key).map_or(change.ttl_after, |s| s.ttl);
            assert!(
                ttl <= self.dns.ttl_cutover,
                "{context}: {} changes value at TTL {ttl}",
                change.name
            );
            let since = self.lowered.get(&change.name).map(|t| self.now - t);
            assert!(
                since.is_some_and(|s| s >= u64::from(self.dns.ttl_normal)),
                "{context}: {} changes value {since:?} s after its TTL was lowered",
                change.name
            );
        }
        self.zone
            .apply(change)
            .unwrap_or_else(|e| panic!("{context}: {e}"));
        if change.kind == ChangeKind::LowerTtl {
            self.lowered.insert(change.name.clone(), self.now);
        }
        for record in &self.dns.records {
            let set = self
                .zone
                .sets
                .get(&(record.name.clone(), record.record_type.clone()));
            assert!(
                set.is_some_and(|s| !s.answers.is_empty()),
                "{context}: {} {} has no answer after {:?}",
                record.name,
                record.record_type,
                change.kind
            );
        }
    }
}

#[test]
fn every_change_list_keeps_every_name_answering_and_ends_on_the_new_targets() {
    let specs = specs_with_dns();
    assert!(specs.len() >= 4, "{specs:?}");
    for spec in specs {
        let (_, dns) = dns_plan(&spec);
        let mut replay = Replay {
            dns: &dns,
            zone: Zone::initial(&dns),
            now: 0,
            lowered: BTreeMap::new(),
        };
        if dns.ttl_cutover == dns.ttl_normal {
            // Nothing to lower: the TTL is already the cutover TTL.
            for record in &dns.records {
                replay.lowered.insert(record.name.clone(), 0);
            }
        }
        for phase in &dns.phases {
            for change in &phase.changes {
                replay.apply(change, &format!("{} {}", spec.display(), phase.phase));
            }
        }
        for record in &dns.records {
            let set = &replay.zone.sets[&(record.name.clone(), record.record_type.clone())];
            let answers: Vec<&String> = set.answers.keys().collect();
            assert_eq!(
                answers,
                [&record.new],
                "{}: {} ends on the new target only",
                spec.display(),
                record.name
            );
            assert_eq!(
                set.ttl,
                dns.ttl_normal,
                "{}: {} ends at the normal TTL",
                spec.display(),
                record.name
            );
        }
    }
}

#[test]
fn every_phase_rollback_restores_the_zone_before_the_phase_without_a_gap() {
    for spec in specs_with_dns() {
        let (_, dns) = dns_plan(&spec);
        let mut before = Zone::initial(&dns);
        for (i, phase) in dns.phases.iter().enumerate() {
            let mut replay = Replay {
                dns: &dns,
                zone: before.clone(),
                now: 0,
                lowered: BTreeMap::new(),
            };
            // The lead time is the forward list's concern; rollbacks move values at once.
            for record in &dns.records {
                replay.lowered.insert(record.name.clone(), 0);
            }
            replay.now = u64::from(dns.ttl_normal);
            let context = format!("{} {}", spec.display(), phase.phase);
            for change in &phase.changes {
                replay.zone.apply(change).unwrap();
            }
            let after = replay.zone.clone();
            for change in &phase.rollback {
                let ttl_only_undo =
                    matches!(change.kind, ChangeKind::LowerTtl | ChangeKind::RestoreTtl);
                if ttl_only_undo {
                    replay.zone.apply(change).unwrap();
                } else {
                    replay.apply(change, &format!("rollback of {context}"));
                }
            }
            assert_eq!(
                replay.zone, before,
                "{context}: the rollback restores the zone"
            );
            before = after;
            let _ = i;
        }
    }
}

#[test]
fn dns_weights_steps_set_the_plans_weights() {
    let (plan, dns) = dns_plan(Path::new("examples/dns-weights.yaml"));
    let step = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("api-10"))
        .unwrap();
    let changes = &dns
        .phases
        .iter()
        .find(|p| p.phase == step.id)
        .unwrap()
        .changes;
    let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Add, ChangeKind::Verify, ChangeKind::SetWeights]
    );
    assert_eq!(changes[0].fqdn, "api.hello.example");
    assert_eq!(
        changes[0].wait_seconds, 600,
        "the first value change waits one normal TTL"
    );
    assert_eq!(
        changes[2].weights,
        BTreeMap::from([
            ("203.0.113.10".to_string(), 90),
            ("203.0.113.20".to_string(), 10)
        ])
    );
    assert!(
        changes[2]
            .commands
            .iter()
            .any(|c| c.starts_with("aliyun alidns UpdateDNSSLBWeight"))
    );
    let last = plan
        .phases
        .iter()
        .find(|p| p.id.ends_with("api-100"))
        .unwrap();
    let kinds: Vec<ChangeKind> = dns
        .phases
        .iter()
        .find(|p| p.phase == last.id)
        .unwrap()
        .changes
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::Verify,
            ChangeKind::Remove,
            ChangeKind::SetWeights
        ],
        "the last answer left, weighting goes off"
    );
}

#[test]
fn private_zone_records_land_in_the_data_phase() {
    let (plan, dns) = dns_plan(Path::new("examples/piggymetrics.yaml"));
    let data = plan
        .phases
        .iter()
        .find(|p| p.kind == cutover::plan::rollout::PhaseKind::Data)
        .unwrap();
    let changes = &dns
        .phases
        .iter()
        .find(|p| p.phase == data.id)
        .unwrap()
        .changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::AddPrivate);
    // The record's id is kept in the variable its removal reads.
    assert!(
        changes[0].commands[0].starts_with("PVTZ_RECORD_ID_")
            && changes[0].commands[0].contains("=$(aliyun pvtz AddZoneRecord --ZoneId \"$ZONE_ID_"),
        "{}",
        changes[0].commands[0]
    );
}

#[test]
fn every_id_a_change_reads_is_set_by_the_lists_lookups() {
    for spec in common::example_specs(&["yaml"]) {
        let loaded = cutover::load::load(&spec).unwrap_or_else(|_| panic!("loads"));
        let plan = common::plan(&loaded.spec);
        let Some(dns) = &plan.dns else { continue };
        let set: Vec<String> = dns
            .lookup
            .iter()
            .filter_map(|l| l.split_once("=$(").map(|(name, _)| name.to_string()))
            .collect();
        for change in dns
            .phases
            .iter()
            .flat_map(|p| p.changes.iter().chain(&p.rollback))
        {
            for command in &change.commands {
                assert!(!command.contains('<'), "{}: {command}", spec.display());
                for name in common::shell_reads(command) {
                    assert!(
                        set.contains(&name),
                        "{}: {command} reads ${name}, which no lookup sets",
                        spec.display()
                    );
                }
            }
        }
    }
}

#[test]
fn the_commands_pass_each_value_as_one_word() {
    let (_, dns) = dns_plan(Path::new("examples/piggymetrics.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let stub = dir.path().join("aliyun");
    std::fs::write(&stub, "#!/bin/sh\nprintf '[%s]' \"$@\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let change = dns
        .phases
        .iter()
        .flat_map(|p| &p.changes)
        .find(|c| c.kind == ChangeKind::Remove)
        .unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&change.commands[0])
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .env(
            cutover::plan::dns::record_var(&change.name, &change.record_type, &change.value),
            "id with space",
        )
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[alidns][DeleteDomainRecord][--RecordId][id with space]"
    );
}

#[test]
fn the_bundle_holds_the_list_as_json_and_yaml_and_octodns_states() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    let json: serde_json::Value =
        serde_json::from_slice(compiled.files.get("dns/changes.json").unwrap()).unwrap();
    let yaml = common::yaml(compiled.files.get("dns/changes.yaml").unwrap());
    assert_eq!(json, yaml);
    let entry = common::yaml(
        compiled
            .files
            .get("dns/octodns/06-entry/piggymetrics.example.yaml")
            .unwrap(),
    );
    assert_eq!(entry[""]["value"], "203.0.113.112");
    let before = common::yaml(
        compiled
            .files
            .get("dns/octodns/05-verify/piggymetrics.example.yaml")
            .unwrap(),
    );
    assert_eq!(before[""]["value"], "203.0.113.230");
    assert_eq!(before[""]["ttl"], 60);
}
