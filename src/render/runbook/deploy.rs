//! The deploy phase: the namespace and Secrets, the workloads, and the test domain.

use super::commands::{credentials, kubectl_apply, kubectl_in, kubectl_rollback};
use super::{Role, Runbook, Step, code, step, text};
use crate::model::{Provisioning, SourcePlatform, Spec, Storage, StorageType};
use crate::plan::dns as dns_plan;
use crate::plan::rollout::Phase;
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

pub(super) fn storage_note(storage: &Storage) -> Option<String> {
    match (storage.kind, storage.provisioning) {
        (StorageType::Oss, _) => Some(format!(
            "{} is OSS: it suits low-I/O shared files, and a cluster upgrade restarts the OSS driver, which remounts it (`{}`).",
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

pub(super) fn deploy(spec: &Spec, phase: &Phase, book: &mut Runbook) {
    let ns = spec.namespace();
    book.steps.extend(secrets(spec));
    let mut apply = step(
        Role::Developer,
        "Apply the workloads, storage and routes",
        "services, storage",
    )
    .detail("Production traffic stays on the old cluster; the test domain reaches the new one.")
    .commands(kubectl_apply(phase));
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
    if let Some(test) = &spec.target.test_domain {
        let address = spec.target.entrypoint.address.to_string();
        let in_zone = spec.dns.as_ref().and_then(|d| {
            test.strip_suffix(&format!(".{}", d.zone))
                .map(|rr| (d.zone.clone(), rr.to_string()))
        });
        let mut commands = Vec::new();
        if let Some((zone, rr)) = &in_zone {
            let record = dns_plan::record_var(rr, "A", &address);
            commands.push(
                Line::assign(
                    &record,
                    Line::new("aliyun alidns AddDomainRecord")
                        .opt("--DomainName", zone)
                        .opt("--RR", rr)
                        .lit("--Type A")
                        .opt("--Value", &address)
                        .lit("--TTL 600")
                        .pipe(shell::jq_field(".RecordId")),
                )
                .build(),
            );
            commands.push(shell::show(&record));
            book.lookup(&record, dns_plan::record_lookup(zone, rr, "A", &address));
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
        if let Some((_, rr)) = &in_zone {
            book.rollback.push(
                step(
                    Role::Operations,
                    format!("Remove the test domain {}", code(test)),
                    "target.testDomain",
                )
                .commands([Line::new("aliyun alidns DeleteDomainRecord")
                    .opt_var("--RecordId", &dns_plan::record_var(rr, "A", &address))
                    .build()])
                .expect(format!(
                    "{} answers nothing",
                    code(format!("dig +short A {test}"))
                )),
            );
        }
    }
    if spec.source.platform == SourcePlatform::Swarm {
        book.notes.push("Application settings from the Swarm stack (configs, secrets, environment) belong in the spec's `env` and Secrets; `cutover import compose` starts the spec from a compose file.".into());
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
}
