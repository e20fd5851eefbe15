//! The DNS side of the bundle: the ordered change list (`dns/changes.json` and `.yaml`) and,
//! for octoDNS users, the zone's desired records after each phase
//! (`dns/octodns/<phase>/<zone>.yaml`) with a config that manages only the moving names.

use serde_json::{Map, Value, json};

use crate::plan::Plan;
use crate::plan::dns::{DnsPlan, Zone};
use crate::render::Out;
use crate::render::yaml;

pub fn write(plan: &Plan, files: &Out) {
    let Some(dns) = &plan.dns else { return };
    let mut changes = serde_json::to_string_pretty(dns).unwrap_or_default();
    changes.push('\n');
    files.insert("dns/changes.json", changes);
    files.insert("dns/changes.yaml", yaml::to_string(dns));

    // The zone after each phase: the phases with no DNS change repeat the state before.
    let mut zone = Zone::initial(dns);
    for phase in &plan.phases {
        if let Some(list) = dns.phases.iter().find(|p| p.phase == phase.id) {
            for change in &list.changes {
                // The plan builds a consistent list (tests replay it); a failure here would
                // only leave this state unchanged.
                let _ = zone.apply(change);
            }
        }
        files.insert(
            format!("dns/octodns/{}/{}.yaml", phase.id, dns.zone),
            yaml::to_string(&octodns_zone(&zone)),
        );
    }
    let last = plan.phases.last().map(|p| p.id.clone()).unwrap_or_default();
    files.insert(
        "dns/octodns/config.yaml",
        yaml::to_string(&octodns_config(dns, &last)),
    );
}

/// octoDNS's YAML zone format: names relative to the zone (`''` for the apex), one record
/// or a list of records per name. octoDNS has no portable weights: a weighted name lists both
/// answers (changes.json has the weights).
fn octodns_zone(zone: &Zone) -> Value {
    let mut names: Map<String, Value> = Map::new();
    for ((name, kind), set) in &zone.sets {
        let key = if name == "@" {
            String::new()
        } else {
            name.clone()
        };
        let values: Vec<&String> = set.answers.keys().collect();
        let mut record = json!({ "ttl": set.ttl, "type": kind });
        if values.len() == 1 {
            record["value"] = json!(values[0]);
        } else {
            record["values"] = json!(values);
        }
        match names.get_mut(&key) {
            Some(Value::Array(list)) => list.push(record),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, record]);
            }
            None => {
                names.insert(key, record);
            }
        }
    }
    Value::Object(names)
}

/// A config that reads one phase's state and lets octoDNS touch only the names that move,
/// so a sync never deletes the zone's other records. The operator adds the target provider.
fn octodns_config(dns: &DnsPlan, phase: &str) -> Value {
    let mut names: Vec<String> = dns
        .records
        .iter()
        .map(|r| {
            if r.name == "@" {
                String::new()
            } else {
                r.name.clone()
            }
        })
        .collect();
    names.sort();
    names.dedup();
    json!({
        "providers": {
            "cutover": {
                "class": "octodns.provider.yaml.YamlProvider",
                "directory": format!("./{phase}"),
                "default_ttl": dns.ttl_normal,
            },
        },
        "processors": {
            "moving-names-only": {
                "class": "octodns.processor.filter.NameAllowlistFilter",
                "allowlist": names,
            },
        },
        "zones": {
            format!("{}.", dns.zone): {
                "sources": ["cutover"],
                "processors": ["moving-names-only"],
                "targets": [],
            },
        },
    })
}
