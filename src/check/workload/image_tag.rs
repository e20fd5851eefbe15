//! `workload/image-tag`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Service;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadImageTag,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "Images carry an explicit tag or digest, never `latest`.",
    rationale: "`latest` moves: the old and new clusters would run different code, and a rollback would not roll back.",
    bad: "image: redis",
    good: "image: redis:7.2",
    source: "Kubernetes configuration best practices",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let at = root().services().at(i);
        image_tag(ctx, service, at.image(), out);
    }
}

fn image_tag(ctx: &Ctx, service: &Service, path: SpecPath, out: &mut Vec<Diagnostic>) {
    let image = service.image.trim();
    let (without_digest, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag = last.split_once(':').map(|(_, tag)| tag);
    let problem = match (tag, digest) {
        (_, Some("")) => Some("has an empty digest"),
        (_, Some(_)) => None,
        (None, None) => Some("has no tag, so it means `latest`"),
        (Some(""), None) => Some("has an empty tag"),
        (Some("latest"), None) => Some("uses the moving tag `latest`"),
        (Some(_), None) => None,
    };
    if let Some(problem) = problem {
        out.push(
            ctx.error(
                RULE.id,
                path,
                "no fixed version",
                format!(
                    "service `{}`: the image `{}` {problem}",
                    service.name,
                    image.escape_debug()
                ),
            )
            .service(&service.name)
            .help("pin the image to a version tag (`redis:7.2`) or a digest (`redis@sha256:...`)"),
        );
    }
}
