//! `source/certificate-window`: a self-managed Kubernetes source states the migration window,
//! so that the prepare runbook can check that every certificate of the old cluster outlives
//! it. A kubeadm cluster's certificates last one year: one that expires mid-migration locks
//! `kubectl` out of the old cluster, and with it the rollback and the volume copies. Also
//! warned: a window whose `end` is not after its `start`.

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::SourcePlatform;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SourceCertificateWindow,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "A `kubernetes` source states the migration window (`window.start`, and `window.end` when the phases' holds do not bound it), and its end is after its start: the prepare runbook then fails when a certificate of the old cluster expires before the window's end plus `window.certificateMargin` (default 7 days).",
    rationale: "A self-managed cluster whose certificates expire during the migration locks `kubectl` out of it: the rollback and the volume copies stop mid-migration. Without a window, the prepare runbook can only list the expiry dates for a person to compare.",
    bad: "source: { platform: kubernetes, name: k8s-old, entrypoint: { address: 203.0.113.10 } }",
    good: "source: { platform: kubernetes, name: k8s-old, entrypoint: { address: 203.0.113.10 } }\nwindow: { start: \"2026-12-10T22:00:00+08:00\" }",
    source: "ACK migration manual §1.2-1.3 (the old cluster's certificates); kubeadm certificates last one year (https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    if spec.source.platform != SourcePlatform::Kubernetes {
        return;
    }
    let Some(window) = &spec.window else {
        out.push(
            ctx.warning(
                RULE.id,
                root().source().platform(),
                "a self-managed Kubernetes source without a window",
                "the spec states no migration window: the prepare runbook cannot check that the old cluster's certificates outlive the migration",
            )
            .help("add `window: { start: \"2026-12-10T22:00:00+08:00\" }` (RFC 3339, with its offset) at the top level; its end defaults to the start plus every phase's hold"),
        );
        return;
    };
    if let Some(end) = &window.end
        && end.epoch() <= window.start.epoch()
    {
        out.push(
            ctx.warning(
                RULE.id,
                root().window().end(),
                "not after the start",
                format!(
                    "the window ends at `{end}` ({}), not after its start `{}` ({}): the certificate check would accept certificates that expire mid-migration",
                    end.plus(0),
                    window.start,
                    window.start.plus(0)
                ),
            )
            .help("set `window.end` to when the migration is over (decommission included), or leave it out to take the start plus every phase's hold"),
        );
    }
}
