//! The deploy phase: the namespace and Secrets, the workloads, and the test domain.

use super::commands::{credentials, kubectl_apply, kubectl_in, kubectl_rollback};
use super::{Role, Runbook, Step, code, step, text};
use crate::model::{
    Provisioning, Secret, SecretProvider, SourcePlatform, Spec, Storage, StorageType,
};
use crate::plan::dns as dns_plan;
use crate::plan::rollout::Phase;
use crate::render::manifests::secret_store::{self, ACK_CRD, ESO_CRD};
use crate::rules::RuleId;
use crate::shell::{self, Line, Piece};

pub(super) fn secrets(spec: &Spec) -> Vec<Step> {
    let ns = spec.namespace();
    let mut steps = vec![
        step(
            Role::Operations,
            format!("Create the namespace {}", code(ns)),
            "target.namespace",
        )
        .commands([Line::new("kubectl create namespace")
            .arg(ns)
            .lit("--dry-run=client -o yaml")
            .pipe(Line::new("kubectl apply -f -"))
            .build()])
        .expect(format!(
            "{} created (or unchanged)",
            code(format!("namespace/{ns}"))
        )),
    ];
    if let Some(secret) = spec.images.as_ref().and_then(|i| i.pull_secret.as_ref()) {
        let registry = spec
            .images
            .as_ref()
            .map(|i| i.target.split('/').next().unwrap_or(&i.target).to_string())
            .unwrap_or_default();
        let mut commands = credentials(
            &["ACR_USERNAME", "ACR_PASSWORD"],
            "the login to the target registry",
        );
        commands.push(
            kubectl_in(ns)
                .lit("create secret docker-registry")
                .arg(secret)
                .arg(format!("--docker-server={registry}"))
                .word(&[Piece::Lit("--docker-username="), Piece::Var("ACR_USERNAME")])
                .word(&[Piece::Lit("--docker-password="), Piece::Var("ACR_PASSWORD")])
                .build(),
        );
        steps.push(
            step(
                Role::Operations,
                format!("Create the image pull Secret {}", code(secret)),
                "images.pullSecret",
            )
            .detail("The values come from your environment; they never enter the bundle.")
            .commands(commands)
            .expect(format!("{} created", code(format!("secret/{secret}")))),
        );
    }
    for storage in &spec.storage {
        if let (StorageType::Oss, Some(secret)) = (storage.kind, &storage.credentials_secret) {
            let mut commands = credentials(
                &["OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"],
                "an AccessKey pair allowed to read and write the bucket",
            );
            commands.push(
                kubectl_in(ns)
                    .lit("create secret generic")
                    .arg(secret)
                    .word(&[
                        Piece::Lit("--from-literal=akId="),
                        Piece::Var("OSS_ACCESS_KEY_ID"),
                    ])
                    .word(&[
                        Piece::Lit("--from-literal=akSecret="),
                        Piece::Var("OSS_ACCESS_KEY_SECRET"),
                    ])
                    .build(),
            );
            steps.push(
                step(Role::Operations, format!("Create the OSS credentials Secret {}", code(secret)), format!("storage[{}].credentialsSecret", storage.name))
                    .detail("An AccessKey pair allowed to read and write the bucket; exported in your shell, never written down.")
                    .commands(commands)
                    .expect(format!("{} created", code(format!("secret/{secret}")))),
            );
        }
    }
    steps
}

/// The variable that holds the path of the env file a runbook Secret is created from.
fn env_file_variable(secret: &Secret) -> String {
    shell::variable(&["secret-env-file", &secret.name])
}

/// The declared keys, sorted as `LC_ALL=C sort` sorts them and joined by `,`.
fn sorted_keys(secret: &Secret) -> String {
    let mut keys: Vec<&str> = secret.keys.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.join(",")
}

/// A check that the Secret in the cluster holds every declared key (values never shown).
fn has_every_key(ns: &str, secret: &Secret) -> String {
    kubectl_in(ns)
        .lit("get secret")
        .arg(&secret.name)
        .lit("-o json")
        .pipe(shell::jq(
            "-e",
            &[("keys", &sorted_keys(secret))],
            "($keys | split(\",\")) - (.data // {} | keys) | length == 0",
        ))
        .lit(">/dev/null")
        .build()
}

/// The application Secrets the runbook creates from env files the operator provides, and
/// the checks that the secret stores' operators are installed.
fn application_secrets(spec: &Spec, book: &mut Runbook) -> Vec<Step> {
    let ns = spec.namespace();
    let mut steps = Vec::new();
    for secret in &spec.secrets {
        let source = format!("secrets[{}]", secret.name);
        match secret.provider {
            SecretProvider::Runbook => {
                let file = env_file_variable(secret);
                book.guard(&file, format!("set {file} to the env file (KEY=value lines) holding the keys {} of Secret {}, kept outside the bundle", secret.keys.join(", "), secret.name));
                // The file's keys, comments and blank lines left out, must be exactly the
                // declared ones: a misspelt key would leave a pod without its value.
                let file_keys = Line::new("grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$'")
                    .var(&file)
                    .pipe(Line::new("cut -d= -f1"))
                    .pipe(Line::new("LC_ALL=C sort"))
                    .pipe(Line::new("paste -s -d, -"));
                let commands = vec![
                    Line::new("test -f").var(&file).build(),
                    Line::new("test")
                        .subst(file_keys)
                        .lit("=")
                        .arg(sorted_keys(secret))
                        .comment("the file holds exactly the declared keys")
                        .build(),
                    kubectl_in(ns)
                        .lit("create secret generic")
                        .arg(&secret.name)
                        .word(&[Piece::Lit("--from-env-file="), Piece::Var(&file)])
                        .lit("--dry-run=client -o yaml")
                        .pipe(kubectl_in(ns).lit("apply -f -"))
                        .build(),
                    has_every_key(ns, secret),
                ];
                steps.push(
                    step(Role::Operations, format!("Create the Secret {} from your env file", code(&secret.name)), source)
                        .detail(format!("The file holds one `KEY=value` line for each of {}, and nothing else, each value as it is, unquoted (kubectl keeps quotes as part of the value, and one line cannot hold a multi-line value); keep it outside the bundle and the repository. Running this again updates the Secret.", secret.keys.iter().map(code).collect::<Vec<_>>().join(", ")))
                        .commands(commands)
                        .expect(format!("{} holds every key", code(format!("secret/{}", secret.name)))),
                );
            }
            SecretProvider::ExternalSecrets => steps.push(
                step(Role::Operations, format!("Check that External Secrets Operator serves {}", code(&secret.name)), source)
                    .detail(format!("The deploy applies an `ExternalSecret` that reads {} from the store {}; the operator must be installed first.", code(secret_store::remote_name(secret)), code(secret.store.as_ref().map(|s| s.name.as_str()).unwrap_or_default())))
                    .commands([Line::new("kubectl get crd").arg(ESO_CRD).build()])
                    .expect(format!("{} exists", code(format!("crd/{ESO_CRD}")))),
            ),
            SecretProvider::AckSecretManager => steps.push(
                step(Role::Operations, format!("Check that ack-secret-manager serves {}", code(&secret.name)), source)
                    .detail(format!("The deploy applies an ack-secret-manager `ExternalSecret` that reads {} from KMS Secrets Manager; install the add-on (ACK console, add-ons) and grant it `kms:GetSecretValue` first.", code(secret_store::remote_name(secret))))
                    .commands([Line::new("kubectl get crd").arg(ACK_CRD).build()])
                    .expect(format!("{} exists", code(format!("crd/{ACK_CRD}")))),
            ),
        }
    }
    steps
}

/// Lines that wait until the secret stores have filled their Secrets.
fn secrets_filled(spec: &Spec) -> Vec<String> {
    let ns = spec.namespace();
    let mut lines = Vec::new();
    for secret in &spec.secrets {
        match secret.provider {
            SecretProvider::Runbook => {}
            SecretProvider::ExternalSecrets => {
                lines.push(
                    kubectl_in(ns)
                        .lit("wait --for=condition=Ready")
                        .arg(format!(
                            "externalsecret.external-secrets.io/{}",
                            secret.name
                        ))
                        .lit("--timeout=5m")
                        .build(),
                );
                lines.push(has_every_key(ns, secret));
            }
            SecretProvider::AckSecretManager => {
                // ack-secret-manager reports no condition: wait for its Secret itself.
                lines.push(
                    Line::new("timeout 300 sh -c")
                        .arg(format!(
                            "until kubectl -n {} get secret {} >/dev/null 2>&1; do sleep 5; done",
                            shell::quote(ns),
                            shell::quote(&secret.name)
                        ))
                        .build(),
                );
                lines.push(has_every_key(ns, secret));
            }
        }
    }
    lines
}

pub(super) fn storage_note(storage: &Storage) -> Option<String> {
    match (storage.kind, storage.provisioning) {
        // The ACK manual: an upgrade restarts the kubelet and the ossfs driver, the OSS
        // directory becomes unavailable, and the pods that use the bucket must be created
        // again; a health check on the directory restarts them (seed 003, l. 1888).
        (StorageType::Oss, _) => Some(format!(
            "{} is OSS: it suits low-I/O shared files (`{}`). A cluster upgrade restarts the kubelet and the ossfs driver, and the mount does not come back by itself: the OSS directory stays unavailable in the running pods until they are created again (`kubectl rollout restart` of each service that mounts it, after every upgrade). `checkMount: true` on the volume gives the container a liveness probe on the mount path, so that a lost mount restarts it and shows.",
            code(&storage.name),
            RuleId::StorageOssIo
        )),
        (StorageType::Disk, Some(Provisioning::Static)) => Some(format!(
            "{} is the existing disk {}: it mounts only in {}.",
            code(&storage.name),
            code(storage.disk_id.clone().unwrap_or_default()),
            code(storage.zone.clone().unwrap_or_default())
        )),
        _ => None,
    }
}

pub(super) fn deploy(spec: &Spec, plan: &crate::plan::Plan, phase: &Phase, book: &mut Runbook) {
    let ns = spec.namespace();
    book.steps.extend(secrets(spec));
    let application = application_secrets(spec, book);
    book.steps.extend(application);
    let mut apply = step(
        Role::Developer,
        "Apply the workloads, storage and routes",
        "services, storage",
    )
    .detail("Production traffic stays on the old cluster; the test domain reaches the new one.")
    .commands(kubectl_apply(phase));
    // The pods wait for their Secrets: the stores fill them before the rollouts are judged.
    apply.commands.extend(secrets_filled(spec));
    for s in &spec.services {
        if s.one_shot {
            // A Job has no rollout: it is done when it has completed.
            apply.commands.push(
                kubectl_in(ns)
                    .lit("wait --for=condition=complete")
                    .arg(format!("job/{}", s.name))
                    .lit("--timeout=30m")
                    .build(),
            );
            continue;
        }
        let kind = if s.stateful {
            "statefulset"
        } else {
            "deployment"
        };
        apply.commands.push(
            kubectl_in(ns)
                .lit("rollout status")
                .arg(format!("{kind}/{}", s.name))
                .lit("--timeout=10m")
                .build(),
        );
    }
    apply.commands.push(kubectl_in(ns).lit("get pvc").build());
    book.steps
        .push(apply.expect("every rollout completes, every claim is Bound"));
    book.steps.extend(super::ports::published(spec));
    for job in spec.services.iter().filter(|s| s.one_shot) {
        book.notes.push(format!(
            "{} is a Job: it runs once, and its dependants start when it has completed. If it fails, {} says why, and the wait above runs out after 30 minutes. A Job's pod template cannot change once created: to run a changed one again (a new image or config), {} first, then apply again.",
            code(&job.name),
            code(kubectl_in(ns).lit("logs").arg(format!("job/{}", job.name)).build()),
            code(kubectl_in(ns).lit("delete job").arg(&job.name).build()),
        ));
    }
    if let Some(test) = &spec.target.test_domain {
        let address = spec.target.entrypoint.address.to_string();
        let in_zone = spec.dns.as_ref().and_then(|d| {
            test.strip_suffix(&format!(".{}", d.zone))
                .map(|rr| (d.zone.clone(), rr.to_string()))
        });
        let mut commands = Vec::new();
        // The plan's record of the test domain's record (plan.json).
        let record = plan.zones.test_domain.as_ref();
        if let (Some((zone, rr)), Some(record)) = (&in_zone, record) {
            commands.extend(record.commands.commands.iter().cloned());
            commands.push(shell::show(&record.record_id));
            book.lookup(
                &record.record_id,
                dns_plan::record_lookup(zone, rr, "A", &address),
            );
        }
        commands.push(Line::new("dig +short A").arg(test).build());
        book.steps.push(
            step(Role::Operations, format!("Point the test domain {} at the new ingress", code(test)), "target.testDomain")
                .detail(if in_zone.is_some() {
                    "Testers reach the new cluster through it; production names are untouched.".to_string()
                } else {
                    format!("{} is outside the zone cutover manages: add an A record for it to {} with its DNS provider.", code(test), text(&address))
                })
                .commands(commands)
                .expect(format!("`dig` answers {}", text(&address))),
        );
        if in_zone.is_some() {
            book.rollback.push(
                step(
                    Role::Operations,
                    format!("Remove the test domain {}", code(test)),
                    "target.testDomain",
                )
                .commands(
                    record
                        .map(|r| r.commands.rollback_commands.clone())
                        .unwrap_or_default(),
                )
                .expect(format!(
                    "{} answers nothing",
                    code(format!("dig +short A {test}"))
                )),
            );
        }
    }
    if spec.source.platform == SourcePlatform::Swarm {
        book.notes.push("Application settings from the Swarm stack (configs, secrets, environment) belong in the spec: `env` for plain values, `secrets` (created by this runbook or a secret store, never written down) and `configs` (files beside the spec); `cutover import compose` maps a compose file onto them.".into());
    }
    book.notes
        .extend(spec.storage.iter().filter_map(storage_note));
    if spec.target.addons.iter().any(|a| a == "log-service") {
        book.notes.push("Log Service collects the containers' stdout: check the new services' logs there during verification.".into());
    }
    book.rollback.push(
        step(Role::Developer, "Delete what the deploy created", "services, storage")
            .detail("Only while production DNS still points at the old cluster (before the entry or first traffic phase): afterwards, roll back the later phases first, or production traffic loses its route. Retained volumes keep their data (reclaimPolicy Retain).")
            .commands(kubectl_rollback(phase))
            .expect(format!("{} lists nothing cutover created", code(format!("kubectl -n {ns} get all")))),
    );
    // The Secrets the runbook created are not in the deploy folder: delete them by name.
    // (A store's Secret goes with its ExternalSecret; ack-secret-manager's is deleted too.)
    let created: Vec<&Secret> = spec
        .secrets
        .iter()
        .filter(|s| s.provider != SecretProvider::ExternalSecrets)
        .collect();
    if !created.is_empty() {
        book.rollback.push(
            step(
                Role::Operations,
                "Delete the application Secrets",
                "secrets",
            )
            .commands(created.iter().map(|s| {
                kubectl_in(ns)
                    .lit("delete secret")
                    .arg(&s.name)
                    .lit("--ignore-not-found")
                    .build()
            }))
            .expect("the Secrets are gone"),
        );
    }
}
