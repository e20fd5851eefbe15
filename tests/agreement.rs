//! The plan data, the runbooks and the manifests agree (issue 15, item 6): every command
//! line `plan.json` records for a phase is printed by that phase's runbook, word for word,
//! and every command a runbook gives that carries out a plan decision (a DNS change, an SLB
//! weight, a gate's query, the abort) is one the plan records. A runbook that computed such
//! a command on its own could drift from the data a review reads; this test says where.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The shell lines of a runbook's fenced blocks.
fn shell_lines(markdown: &str) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match &fence {
            Some(open) if trimmed.starts_with(open.as_str()) && trimmed.trim() == open => {
                fence = None;
            }
            Some(_) => {
                lines.insert(line.to_string());
            }
            None if trimmed.starts_with("```") => {
                let ticks: String = trimmed.chars().take_while(|c| *c == '`').collect();
                fence = Some(ticks);
            }
            None => {}
        }
    }
    lines
}

/// Every command list in `value`, each under the runbook that must print it: a phase's
/// (`phases[].id`, or the `phase` an entry names), or `abort`.
fn commands_under(value: &Value, runbook: &str, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        Value::Object(map) => {
            let here = map
                .get("phase")
                .and_then(Value::as_str)
                .or_else(|| map.get("kind").and(map.get("id")).and_then(Value::as_str))
                .unwrap_or(runbook);
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("runbooks", _) => {}
                    ("abort", _) => commands_under(inner, "abort", out),
                    // A list of command lines (`commands`, `rollbackCommands`, and the
                    // `rollback` of an SLB or L4 record; a DNS phase's `rollback` is a
                    // list of changes, read below).
                    (key, Value::Array(lines))
                        if (key.ends_with("commands")
                            || key.ends_with("Commands")
                            || key == "rollback")
                            && lines.iter().all(Value::is_string) =>
                    {
                        out.entry(here.to_string())
                            .or_default()
                            .extend(lines.iter().filter_map(|l| l.as_str().map(str::to_string)));
                    }
                    _ => commands_under(inner, here, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| commands_under(i, runbook, out)),
        _ => {}
    }
}

/// The commands `plan.json` records, by the runbook that must print them (`07-web-10`,
/// `abort`).
fn recorded(plan: &Value) -> BTreeMap<String, Vec<String>> {
    let mut by_runbook = BTreeMap::new();
    commands_under(plan, "", &mut by_runbook);
    by_runbook
}

/// A command that changes what serves traffic (a DNS record, an SLB weight): a decision the
/// plan makes, so it must come from the plan's data. (Reads, such as a gate's query or the
/// drain check, are compared the other way: the plan's records are printed.)
fn is_decision(line: &str) -> bool {
    let line = line.trim();
    let changes = |tool: &str| {
        line.split_whitespace()
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| w[0].ends_with("aliyun") && w[1] == tool && !w[2].starts_with("Describe"))
    };
    changes("alidns") || changes("pvtz") || (changes("slb") && line.contains("VServerGroup"))
}

#[test]
fn every_plan_command_is_printed_by_its_runbook_and_every_decision_comes_from_the_plan() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for spec in common::example_specs(&["yaml", "toml"]) {
        let compiled = common::compile(&spec);
        let plan: Value = compiled
            .files
            .iter()
            .find(|(p, _)| *p == "plan.json")
            .map(|(_, b)| serde_json::from_slice(b).expect("plan.json is JSON"))
            .expect("a bundle has plan.json");
        let runbooks: BTreeMap<String, BTreeSet<String>> = compiled
            .files
            .iter()
            .filter_map(|(path, bytes)| {
                let name = path.strip_prefix("runbooks/")?.strip_suffix(".md")?;
                Some((
                    name.to_string(),
                    shell_lines(&String::from_utf8_lossy(bytes)),
                ))
            })
            .collect();
        let recorded = recorded(&plan);
        let name = common::relative(&spec).display().to_string();
        for (runbook, commands) in &recorded {
            let Some(lines) = runbooks.get(runbook) else {
                assert!(
                    commands.is_empty(),
                    "{name}: plan.json records commands for {runbook}, which has no runbook"
                );
                continue;
            };
            for command in commands {
                if !lines.contains(command) {
                    problems.push(format!(
                        "{name}: runbooks/{runbook}.md does not print the plan's command:\n  {command}"
                    ));
                }
                checked += 1;
            }
        }
        for (runbook, lines) in &runbooks {
            let known: BTreeSet<&String> = recorded.get(runbook).into_iter().flatten().collect();
            for line in lines.iter().filter(|l| is_decision(l)) {
                if !known.contains(line) {
                    problems.push(format!(
                        "{name}: runbooks/{runbook}.md gives a command plan.json does not record for it:\n  {line}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 100, "only {checked} commands compared");
}

#[test]
fn the_decision_filter_knows_reads_from_changes() {
    assert!(is_decision(
        "aliyun slb SetVServerGroupAttribute --RegionId x"
    ));
    assert!(!is_decision(
        "aliyun slb DescribeVServerGroupAttribute --RegionId x"
    ));
    assert!(is_decision(
        "ID=$(aliyun alidns AddDomainRecord --DomainName x | jq -r .RecordId)"
    ));
    assert!(!is_decision(
        "aliyun alidns DescribeDomainRecords --DomainName x"
    ));
    assert!(!is_decision(
        "aliyun cms DescribeMetricList --Namespace acs_slb_dashboard --MetricName Qps"
    ));
}
