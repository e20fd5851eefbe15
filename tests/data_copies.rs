//! Data that keeps up (issue 19, part 3): every object store copies incrementally until the
//! last traffic phase and ends with a full pass there; every disk that holds data has its
//! copy method with a freeze window, stated in the plan and in that phase's runbook; the
//! backups are written and checked before the decommission deletes anything; and hostile
//! values in the new fields are refused or quoted.

mod common;

use std::path::Path;

use cutover::diagnostic::{Format, SourceFile};
use cutover::{Failure, Options};
use serde_json::Value;

fn text(files: &cutover::bundle::Files, path: &str) -> String {
    String::from_utf8_lossy(files.get(path).unwrap_or_else(|| panic!("{path} missing"))).into()
}

fn plan_json(files: &cutover::bundle::Files) -> Value {
    serde_json::from_str(&text(files, "plan.json")).unwrap()
}

/// The runbook of the phase `id` (`17-complete`).
fn runbook(files: &cutover::bundle::Files, id: &str) -> String {
    text(files, &format!("runbooks/{id}.md"))
}

/// The id of the last phase that moves traffic.
fn last_traffic_phase(plan: &Value) -> String {
    plan["phases"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|p| {
            ["entry", "mirror", "step", "complete"].contains(&p["kind"].as_str().unwrap_or(""))
        })
        .map(|p| p["id"].as_str().unwrap().to_string())
        .unwrap()
}

fn compile_text(yaml: &str) -> Result<cutover::Compiled, Failure> {
    let source = SourceFile::new("data.yaml", yaml, Format::Yaml);
    cutover::compile_source_in(source, Path::new("examples"), &Options::default())
}

fn rules_of(result: &Result<cutover::Compiled, Failure>) -> Vec<String> {
    match result {
        Ok(compiled) => compiled
            .warnings
            .iter()
            .map(|d| d.rule.to_string())
            .collect(),
        Err(Failure::Spec(d)) => d.iter().map(|d| d.rule.to_string()).collect(),
        Err(Failure::Io(m)) => panic!("{m}"),
    }
}

#[test]
fn every_object_store_copies_incrementally_until_the_last_traffic_phase() {
    let mut stores = 0;
    for spec in common::example_specs(&["yaml"]) {
        let compiled = common::compile(&spec);
        let plan = plan_json(&compiled.files);
        let last = last_traffic_phase(&plan);
        for store in plan["dataCopies"]["objectStores"].as_array().unwrap() {
            stores += 1;
            let name = store["name"].as_str().unwrap();
            assert_eq!(store["mode"], "incremental", "{name}");
            assert_eq!(
                store["finalPass"],
                last.as_str(),
                "{}: {name}",
                spec.display()
            );
            let seconds = store["intervalSeconds"].as_u64().unwrap();
            assert!(seconds >= 900, "{name}: {seconds}");
            let config = text(
                &compiled.files,
                &format!("tools/ossimport/{name}/local_job.cfg"),
            );
            assert!(config.contains("\nisIncremental=true\n"), "{config}");
            assert!(
                config.contains(&format!("\nincrementalModeInterval={seconds}\n")),
                "{config}"
            );
            // Standalone mode runs the job it is given under its own name only.
            assert!(config.contains("\njobName=local_test\n"), "{config}");
            let starts = store["starts"].as_str().unwrap();
            assert!(
                runbook(&compiled.files, starts).contains("bash import.sh"),
                "the data phase submits the job"
            );
            let book = runbook(&compiled.files, &last);
            let dir = format!("\"$OSSIMPORT_DIR_{}\"", name.to_uppercase());
            for line in [
                format!("(cd {dir} && bash console.sh stop)"),
                format!("(cd {dir} && bash console.sh clean)"),
                format!(
                    "sed -i -e 's/^isIncremental=.*/isIncremental=false/' -e 's/^isSkipExistFile=.*/isSkipExistFile=true/' {dir}/conf/local_job.cfg"
                ),
                format!("(cd {dir} && bash import.sh)"),
            ] {
                assert!(book.contains(&line), "{last} lacks {line}");
            }
            // Stopped before it is cleaned, cleaned before the last pass.
            let at = |needle: &str| book.find(needle).unwrap();
            assert!(at("console.sh stop") < at("console.sh clean"));
            assert!(at("console.sh clean") < at("isIncremental=false/"));
        }
    }
    assert!(stores >= 2, "the examples hold object stores");
}

#[test]
fn every_data_disk_has_its_copy_method_and_freeze_in_the_plan_and_the_runbook() {
    let mut disks = 0;
    for spec in common::example_specs(&["yaml"]) {
        let compiled = common::compile(&spec);
        let plan = plan_json(&compiled.files);
        let last = last_traffic_phase(&plan);
        let loaded = cutover::load::load(&spec).unwrap().spec;
        let volumes = plan["dataCopies"]["volumes"].as_array().unwrap();
        for storage in loaded.storage.iter().filter(|s| s.holds_migrated_data()) {
            disks += 1;
            let volume = volumes
                .iter()
                .find(|v| v["storage"] == storage.name.as_str())
                .unwrap_or_else(|| panic!("{}: no copy of {}", spec.display(), storage.name));
            let method = volume["method"].as_str().unwrap();
            assert!(["snapshot", "rsync", "dump"].contains(&method), "{method}");
            assert_eq!(volume["finalPass"], last.as_str());
            let freeze = volume["freeze"].as_str().unwrap();
            let book = runbook(&compiled.files, &last);
            let title = format!(
                "Freeze `{}` for at most {freeze}: stop its writers and make the final pass",
                storage.name
            );
            assert!(book.contains(&title), "{last} lacks: {title}");
            let freeze_step = &book[book.find(&title).unwrap()..];
            match method {
                "snapshot" => {
                    for call in [
                        "aliyun ecs CreateSnapshot --DiskId",
                        "aliyun ecs CreateDisk --RegionId",
                        "--SnapshotId \"$SNAPSHOT_ID_",
                        "--ZoneId",
                        "'.spec.csi.volumeHandle = $id'",
                    ] {
                        assert!(freeze_step.contains(call), "{call}");
                    }
                    let pv = common::yaml(
                        compiled
                            .files
                            .get(&format!("tools/copy/{}/pv.yaml", storage.name))
                            .unwrap(),
                    );
                    assert_eq!(pv["kind"], "PersistentVolume");
                    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
                    assert_eq!(
                        pv["spec"]["csi"]["driver"],
                        "diskplugin.csi.alibabacloud.com"
                    );
                }
                "rsync" => {
                    assert!(freeze_step.contains("rsync -a --delete"));
                    assert!(book.contains("aliyun ecs AttachDisk"));
                    assert!(freeze_step.contains("aliyun ecs DetachDisk"));
                }
                _ => assert!(freeze_step.contains(" | kubectl -n ")),
            }
            // The writers stop inside the freeze, after `date` starts it.
            assert!(freeze_step.starts_with(&title));
            assert!(freeze_step.contains("date -u\n"));
        }
    }
    assert!(disks >= 3, "the examples hold data disks");
}

#[test]
fn backups_are_written_and_checked_before_the_decommission_deletes_anything() {
    let compiled = common::compile(Path::new("examples/piggymetrics.yaml"));
    let plan = plan_json(&compiled.files);
    let backups = &plan["dataCopies"]["backups"];
    let location = backups["location"].as_str().unwrap();
    let book = runbook(&compiled.files, backups["phase"].as_str().unwrap());
    let at = |needle: &str| {
        book.find(needle)
            .unwrap_or_else(|| panic!("the decommission runbook lacks {needle}"))
    };
    let write = at(&format!("Write the migration's backups to `{location}`"));
    let check = at(&format!("Check that the backups are in `{location}`"));
    assert!(write < check);
    for deletion in [
        "Stop and release the DTS task",
        "Remove the legacy backend",
        "Undeploy the old cluster",
        "Delete the migration's backups",
    ] {
        assert!(check < at(deletion), "{deletion} comes before the backups");
    }
    for item in backups["items"].as_array().unwrap() {
        let item = item.as_str().unwrap();
        let (kind, name) = item.split_once('/').unwrap();
        let object = match kind {
            "databases" => format!("ossutil stat {location}databases/{name}.sql"),
            "objectStores" => format!("ossutil du {location}objectStores/{name}/"),
            _ => format!("ossutil stat {location}storage/{name}.tar.gz"),
        };
        assert!(
            book[check..].contains(&object),
            "no check of {item}: {object}"
        );
    }
}

/// The smallest spec with a data disk and an object store, where `{copy}` and `{store}` go.
fn spec_with(copy: &str, store: &str) -> String {
    let base = std::fs::read_to_string("tests/fixtures/ok/storage__copy-method.yaml").unwrap();
    base.replace("    copy: { method: rsync, freeze: 45m }\n", copy)
        .replace(
            "rollout:",
            &format!("data:\n  objectStores:\n    - name: media\n      source: s3://hello-media\n      target: oss://hello-media\n{store}\nrollout:"),
        )
}

#[test]
fn the_near_spec_compiles_and_copies() {
    let compiled =
        compile_text(&spec_with("    copy: { method: rsync, freeze: 45m }\n", "")).unwrap();
    let plan = plan_json(&compiled.files);
    assert_eq!(plan["dataCopies"]["volumes"][0]["freezeSeconds"], 2700);
    assert_eq!(
        plan["dataCopies"]["objectStores"][0]["intervalSeconds"],
        3600
    );
}

#[test]
fn hostile_values_in_the_new_fields_are_refused() {
    let long = format!("d-{}", "a".repeat(10_000));
    let payloads = [
        "$(touch cutover-pwned)",
        "`touch cutover-pwned`",
        ";touch cutover-pwned;",
        "a\nb",
        "--help",
        "d-1 d-2",
        "d-1'\"",
        long.as_str(),
    ];
    for payload in payloads {
        let quoted = serde_json::to_string(payload).unwrap();
        // The source disk id: a string, judged by its grammar.
        let copy = format!(
            "    provisioning: static\n    diskId: d-bp1example0000000001\n    zone: cn-hangzhou-g\n    copy: {{ method: snapshot, sourceDiskId: {quoted} }}\n"
        );
        let spec = spec_with("", "").replace(
            "    provisioning: dynamic\n    category: cloud_essd\n",
            &copy,
        );
        let result = compile_text(&spec);
        assert!(result.is_err(), "sourceDiskId {payload:?} compiled");
        assert!(
            rules_of(&result).iter().any(|r| r == "spec/value"),
            "sourceDiskId {payload:?}: {:?}",
            rules_of(&result)
        );
        // The durations and the enums: not a duration, not a method.
        for (copy, store) in [
            (
                format!("    copy: {{ method: rsync, freeze: {quoted} }}\n"),
                String::new(),
            ),
            (format!("    copy: {{ method: {quoted} }}\n"), String::new()),
            (
                format!("    copy: {{ method: dump, engine: {quoted} }}\n"),
                String::new(),
            ),
            (
                "    copy: { method: rsync }\n".to_string(),
                format!("      incrementalInterval: {quoted}\n"),
            ),
        ] {
            let result = compile_text(&spec_with(&copy, &store));
            assert!(result.is_err(), "{copy}{store} compiled");
        }
    }
}

#[test]
fn an_ossimport_interval_under_fifteen_minutes_is_refused_and_fifteen_is_not() {
    let spec = |interval: &str| {
        spec_with(
            "    copy: { method: rsync }\n",
            &format!("      incrementalInterval: {interval}\n"),
        )
    };
    assert!(
        rules_of(&compile_text(&spec("14m59s"))).contains(&"data/incremental-interval".to_string())
    );
    let compiled = compile_text(&spec("15m")).unwrap();
    let config = text(&compiled.files, "tools/ossimport/media/local_job.cfg");
    assert!(
        config.contains("\nincrementalModeInterval=900\n"),
        "{config}"
    );
}

#[test]
fn a_data_disk_without_copy_is_warned_and_copied_with_rsync() {
    let result = compile_text(&spec_with("", ""));
    assert!(rules_of(&result).contains(&"storage/copy-method".to_string()));
    let plan = plan_json(&result.unwrap().files);
    let volume = &plan["dataCopies"]["volumes"][0];
    assert_eq!(volume["method"], "rsync");
    assert_eq!(volume["declared"], false);
    assert_eq!(volume["freeze"], "30m");
    // A scratch disk is not copied, and not warned.
    let scratch = spec_with("    scratch: true\n", "");
    let result = compile_text(&scratch);
    assert!(!rules_of(&result).contains(&"storage/copy-method".to_string()));
    assert_eq!(
        plan_json(&result.unwrap().files)["dataCopies"]["volumes"],
        serde_json::json!([])
    );
}
