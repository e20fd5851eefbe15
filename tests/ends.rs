//! The two ends of the move (issue 19, parts 1, 4 and 5): a self-managed Kubernetes
//! source's certificates are checked against the migration window, and the check really
//! fails on a certificate that expires too early (run with openssl on real certificates);
//! the cloud resources the spec names are verified (or created) in prepare; a volume's
//! `checkMount` is an exec liveness probe; hostile window values are refused at load.

mod common;

use std::path::Path;
use std::process::Command;

use cutover::rules::RuleId;
use cutover::{Failure, Options};

fn minimal() -> String {
    std::fs::read_to_string("examples/minimal.yaml").unwrap()
}

const SWARM_SOURCE: &str =
    "source:\n  platform: swarm\n  name: swarm-hello\n  entrypoint: { address: 203.0.113.10 }\n";

/// The minimal spec with a Kubernetes source and `extra` top-level lines after it.
fn kubernetes_spec(extra: &str) -> String {
    let text = minimal();
    assert!(text.contains(SWARM_SOURCE));
    text.replacen(
        SWARM_SOURCE,
        &format!(
            "source:\n  platform: kubernetes\n  name: k8s-hello\n  entrypoint: {{ address: 203.0.113.10 }}\n{extra}"
        ),
        1,
    )
}

fn compile_text(text: &str) -> Result<cutover::Compiled, Failure> {
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "spec.yaml", text);
    cutover::compile_file(&path, &Options::default())
}

fn compiled(text: &str) -> cutover::Compiled {
    match compile_text(text) {
        Ok(c) => c,
        Err(Failure::Spec(d)) => panic!("does not compile:\n{}", common::render(&d)),
        Err(Failure::Io(m)) => panic!("{m}"),
    }
}

fn file(c: &cutover::Compiled, path: &str) -> String {
    String::from_utf8_lossy(c.files.get(path).unwrap_or_else(|| panic!("no {path}"))).into()
}

/// The lines of every ```sh block of a runbook, in order.
fn sh_lines(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            inside = !inside && line.trim_start_matches('`') == "sh";
            continue;
        }
        if inside {
            out.push(line.to_string());
        }
    }
    out
}

#[test]
fn istio_example_checks_the_source_certificates_against_its_window() {
    let c = common::compile(Path::new("examples/istio.yaml"));
    let prepare = file(&c, "runbooks/01-prepare.md");
    // Start 2026-12-10T14:00Z plus the holds (mirror 30m, then 30m, 30m and 1h) is 16:30Z;
    // the 14-day margin makes the deadline 2026-12-24T16:30:00Z.
    assert!(
        prepare.contains("ends at `2026-12-10T16:30:00Z`"),
        "{prepare}"
    );
    assert!(prepare.contains("until `2026-12-24T16:30:00Z`"));
    let lines = sh_lines(&prepare);
    assert!(
        lines
            .iter()
            .any(|l| l == "sudo kubeadm certs check-expiration")
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "CERT_SECONDS_LEFT=$(( 1798129800 - $(date +%s) ))")
    );
    assert!(lines.iter().any(|l| l.contains("/etc/kubernetes/pki/*.crt")
        && l.contains("/var/lib/kubelet/pki/kubelet-client-current.pem")
        && l.contains("-checkend \"$CERT_SECONDS_LEFT\"")));
    assert!(lines.iter().any(|l| l == "sudo kubeadm certs renew all"));
    // The pre-flight comes before the cluster is created.
    let check = prepare.find("Check the certificates").unwrap();
    let create = prepare.find("Create the ACK cluster").unwrap();
    assert!(check < create);
    let plan: serde_json::Value = serde_json::from_str(&file(&c, "plan.json")).unwrap();
    assert_eq!(
        plan["certificates"]["window"]["deadlineEpoch"],
        1_798_129_800
    );
    assert_eq!(plan["certificates"]["window"]["endFromHolds"], true);
    assert!(
        c.warnings
            .iter()
            .all(|d| d.rule != RuleId::SourceCertificateWindow)
    );
}

#[test]
fn a_swarm_source_gets_no_certificate_check() {
    let c = common::compile(Path::new("examples/minimal.yaml"));
    assert!(!file(&c, "runbooks/01-prepare.md").contains("kubeadm"));
}

#[test]
fn a_kubernetes_source_without_a_window_warns_and_only_lists_expiries() {
    let c = compiled(&kubernetes_spec(""));
    let warned: Vec<_> = c
        .warnings
        .iter()
        .filter(|d| d.rule == RuleId::SourceCertificateWindow)
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", c.warnings);
    assert_eq!(warned[0].path, "source.platform");
    let prepare = file(&c, "runbooks/01-prepare.md");
    assert!(prepare.contains("sudo kubeadm certs check-expiration"));
    assert!(!prepare.contains("-checkend"));
    assert!(prepare.contains("source/certificate-window"));
}

#[test]
fn an_explicit_end_and_margin_set_the_deadline() {
    let c = compiled(&kubernetes_spec(
        "window:\n  start: \"2026-12-10T22:00:00+08:00\"\n  end: \"2026-12-20T00:00:00Z\"\n  certificateMargin: 36h\n",
    ));
    let prepare = file(&c, "runbooks/01-prepare.md");
    assert!(
        prepare.contains("until `2026-12-21T12:00:00Z`"),
        "{prepare}"
    );
    assert!(prepare.contains("(`window.end`)"));
}

#[test]
fn hostile_window_values_are_refused_at_load() {
    for value in [
        "$(touch /tmp/pwned)",
        "2026-12-10T22:00:00Z; rm -rf /",
        "2026-12-10T22:00:00Z\\nfoo",
        "`id`",
        "2026-02-30T00:00:00Z",
        "2026-12-10T24:00:00Z",
        "2026-12-10 22:00:00",
        "1e9",
        &"9".repeat(5000),
    ] {
        let quoted = serde_json::to_string(value).unwrap();
        let text = kubernetes_spec(&format!("window:\n  start: {quoted}\n"));
        match compile_text(&text) {
            Err(Failure::Spec(d)) => {
                assert!(
                    d.iter().any(|d| d.rule == RuleId::SpecType),
                    "{value}: {}",
                    common::render(&d)
                );
            }
            Ok(_) => panic!("{value}: compiled"),
            Err(Failure::Io(m)) => panic!("{m}"),
        }
    }
    let margin = kubernetes_spec(
        "window:\n  start: \"2026-12-10T22:00:00Z\"\n  certificateMargin: \"7d; reboot\"\n",
    );
    assert!(matches!(compile_text(&margin), Err(Failure::Spec(_))));
}

/// A self-signed certificate valid for `days`, written to `path`.
fn certificate(dir: &Path, name: &str, days: u32) {
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj"])
        .arg(format!("/CN={name}"))
        .args(["-days", &days.to_string(), "-keyout"])
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(dir.join(format!("{name}.crt")))
        .output()
        .expect("openssl");
    assert!(status.status.success(), "{status:?}");
}

/// The control-plane check as the runbook gives it, run by bash with `sudo` as a plain
/// call and the PKI and kubelet folders moved into `dir`: its exit status and output.
fn run_check(lines: &[String], dir: &Path) -> (bool, String) {
    let pki = dir.join("pki");
    let script: String = lines
        .iter()
        .filter(|l| !l.starts_with("sudo kubeadm"))
        .map(|l| {
            l.replace("/etc/kubernetes/pki", &pki.display().to_string())
                .replace("/var/lib/kubelet/pki", &pki.display().to_string())
                .replace("/etc/kubernetes/", &format!("{}/", dir.display()))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("sudo() {{ \"$@\"; }}\n{script}"))
        .output()
        .expect("bash");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_check_fails_on_a_certificate_that_expires_before_the_deadline() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl is missing: skipped");
        return;
    }
    // A window from tomorrow on: its end is tomorrow plus the holds, its deadline 7 days on.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let start = cutover::model::units::utc_text(i64::try_from(now).unwrap() + 86_400);
    let c = compiled(&kubernetes_spec(&format!(
        "window:\n  start: \"{start}\"\n"
    )));
    let prepare = file(&c, "runbooks/01-prepare.md");
    let lines: Vec<String> = sh_lines(&prepare)
        .into_iter()
        .skip_while(|l| l != "sudo kubeadm certs check-expiration")
        .take_while(|l| l != "sudo kubeadm certs renew all")
        .collect();
    // The control-plane block ends with its verdict.
    let end = lines
        .iter()
        .position(|l| l == "[ \"$expiring\" = 0 ]")
        .unwrap();
    let block = &lines[..=end];

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pki")).unwrap();
    certificate(&dir.path().join("pki"), "apiserver", 400);
    let (ok, out) = run_check(block, dir.path());
    assert!(ok, "a certificate valid for 400 days passes:\n{out}");
    assert!(out.contains("Certificate will not expire"));

    // One that lasts 3 days expires inside the window plus its margin: the step fails.
    certificate(&dir.path().join("pki"), "front-proxy-client", 3);
    let (ok, out) = run_check(block, dir.path());
    assert!(!ok, "a certificate valid for 3 days fails:\n{out}");
    assert!(out.contains("EXPIRES BEFORE"), "{out}");
    assert!(out.contains("front-proxy-client.crt"), "{out}");
}

/// Piggymetrics with an existing PrivateZone, a bucket to create and a checked mount.
fn piggymetrics_with(edit: impl Fn(String) -> String) -> cutover::Compiled {
    let text = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    compiled(&edit(text))
}

#[test]
fn prepare_verifies_the_resources_the_spec_names() {
    let c = common::compile(Path::new("examples/piggymetrics.yaml"));
    let prepare = file(&c, "runbooks/01-prepare.md");
    let lines = sh_lines(&prepare);
    let rds = lines
        .iter()
        .find(|l| l.starts_with("aliyun rds DescribeDBInstanceAttribute"))
        .expect("an RDS lookup");
    assert!(rds.contains("--DBInstanceId rm-bp1example000001"));
    assert!(rds.contains("jq -e --arg vpc \"$VPC_ID\""));
    assert!(rds.contains("$i.VpcId == $vpc"));
    let nas = lines
        .iter()
        .find(|l| l.starts_with("aliyun nas DescribeMountTargets"))
        .expect("a NAS lookup");
    assert!(nas.contains("--FileSystemId 0a1b2c3d4e --MountTargetDomain 0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("aliyun nas DescribeFileSystems")
                && l.contains("'cn-hangzhou-g cn-hangzhou-h'"))
    );
    assert!(lines.iter().any(|l| l
        == "ossutil stat oss://piggymetrics-avatars | grep -E '^Location[[:space:]]*: oss-cn-hangzhou$'"));
    // The VPC comes from the cluster created earlier in the same runbook.
    let vpc = prepare
        .find("VPC_ID=$(aliyun cs GET /clusters/\"$CLUSTER_ID\"")
        .unwrap();
    assert!(prepare.find("CLUSTER_ID=$(").unwrap() < vpc);
    assert!(!prepare.contains("ossutil mb"));
}

#[test]
fn create_true_makes_the_bucket_and_an_existing_zone_is_verified_not_created() {
    let c = piggymetrics_with(|text| {
        let text = text.replacen(
            "    bucket: piggymetrics-avatars\n",
            "    bucket: piggymetrics-avatars\n    create: true\n",
            1,
        );
        assert!(text.contains("create: true"), "the example changed");
        text.replacen("  privateZone:\n", "  privateZone:\n    create: false\n", 1)
    });
    let prepare = file(&c, "runbooks/01-prepare.md");
    assert!(
        prepare.contains("ossutil mb oss://piggymetrics-avatars -e oss-cn-hangzhou.aliyuncs.com")
    );
    assert!(prepare.contains("aliyun pvtz DescribeZoneInfo --ZoneId"));
    assert!(prepare.contains("any(. == $vpc)"));
    let data = file(&c, "runbooks/02-data.md");
    assert!(!data.contains("aliyun pvtz AddZone --"), "{data}");
    assert!(!data.contains("aliyun pvtz BindZoneVpc"), "{data}");
    let plan: serde_json::Value = serde_json::from_str(&file(&c, "plan.json")).unwrap();
    assert!(plan["zones"].get("privateZone").is_none());
}

#[test]
fn check_mount_is_an_exec_liveness_probe_on_the_mount_path() {
    let c = piggymetrics_with(|text| {
        let out = text.replacen(
            "{ storage: avatars, mountPath: /var/avatars }",
            "{ storage: avatars, mountPath: /var/avatars, checkMount: true }",
            1,
        );
        assert_ne!(out, text, "the example changed");
        out
    });
    let (path, deployment) = c
        .files
        .iter()
        .find(|(p, b)| {
            p.ends_with(".yaml")
                && String::from_utf8_lossy(b).contains("kind: Deployment")
                && String::from_utf8_lossy(b).contains("/var/avatars")
        })
        .expect("the deployment that mounts avatars");
    let doc = common::yaml(deployment);
    let container = &doc["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["livenessProbe"]["exec"]["command"],
        serde_json::json!(["ls", "-d", "--", "/var/avatars"]),
        "{path}"
    );
    assert_eq!(container["livenessProbe"]["timeoutSeconds"], 5);
    assert!(container["livenessProbe"].get("httpGet").is_none());
    assert!(container["readinessProbe"]["httpGet"].is_object());
    // The least-privilege defaults stay.
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
}

#[test]
fn the_oss_note_says_pods_are_recreated_not_remounted() {
    let c = common::compile(Path::new("examples/piggymetrics.yaml"));
    let deploy = file(&c, "runbooks/04-deploy.md");
    assert!(!deploy.contains("remounts"));
    assert!(deploy.contains("until they are created again"));
}
