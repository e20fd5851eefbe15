//! `workload/run-as-root`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::model::security::runs_as_root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadRunAsRoot,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "A service runs as a non-root user: no `runAsNonRoot: false`, no `runAsUser: 0` (the default is uid 10001).",
    rationale: "A process that is root in its container is root on the node's kernel: a container escape, a writable host mount or a kernel bug then starts from uid 0. Most images that start as root do so only to chown their data folder and step down to their own user (gosu, su-exec); started as a non-root user with `fsGroup` owning the volumes, they skip that step and run directly.",
    bad: "securityContext: { runAsNonRoot: false }",
    good: "securityContext: { runAsUser: 10001 }   # or no securityContext: the defaults",
    source: "Kubernetes Pod Security Standards (restricted: runAsNonRoot); CIS Kubernetes Benchmark 5.2.6; checkov CKV_K8S_23",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let context = service.security_context.as_ref();
        // `runAsNonRoot: true` with uid 0 cannot start at all: the security-context rule's
        // error says so.
        if !runs_as_root(service) || context.and_then(|c| c.run_as_non_root) == Some(true) {
            continue;
        }
        let at = root().services().at(i).security_context();
        let (path, label, message, field) = if context.and_then(|c| c.run_as_user) == Some(0) {
            (at.run_as_user(), "uid 0", "runs as root", "runAsUser: 0")
        } else {
            (
                at.run_as_non_root(),
                "may run as root",
                "runs as its image's user, root unless the image sets another",
                "runAsNonRoot: false",
            )
        };
        out.push(
            ctx.warning(
                RULE.id,
                path,
                label,
                format!("service `{}` {message}", service.name),
            )
            .service(&service.name)
            .help(format!("most images that start as root only chown their data and step down to their user: remove `{field}` (the default is uid 10001, non-root) and `fsGroup` makes the volumes writable; else build the image with a numeric `USER`. An image that must start as root to step down needs `capabilities: [CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID]`, as every capability is dropped")),
        );
    }
}
