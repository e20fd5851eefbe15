//! `spec/kubernetes-version`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::kubernetes::{OLDEST_MINOR, REMOVED_BETA_APIS};
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecKubernetesVersion,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`target.kubernetesVersion` is a `MAJOR.MINOR` version such as \"1.31\", 1.24 or later; older versions are refused with the removed APIs they would need.",
    rationale: "The version decides every apiVersion the bundle emits.",
    bad: "kubernetesVersion: latest",
    good: "kubernetesVersion: \"1.31\"",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let version = &spec.target.kubernetes_version;
    let valid = version.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && !minor.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.bytes().all(|b| b.is_ascii_digit())
            && major.len() <= 3
            && minor.len() <= 3
    });
    let minor = version
        .split_once('.')
        .filter(|(major, _)| *major == "1")
        .and_then(|(_, minor)| minor.parse::<u32>().ok());
    if valid && minor.is_none_or(|m| m < OLDEST_MINOR) {
        out.push(
            ctx.error(
                RULE.id,
                root().target().kubernetes_version(),
                format!("older than 1.{OLDEST_MINOR}"),
                format!(
                    "Kubernetes {version} is older than 1.{OLDEST_MINOR}, the oldest version cutover builds for: its manifests would need APIs now removed ({REMOVED_BETA_APIS})"
                ),
            )
            .help(format!("create the target cluster at 1.{OLDEST_MINOR} or later (ACK offers current versions only), and set kubernetesVersion to it")),
        );
    }
    if !valid {
        out.push(
            ctx.error(
                RULE.id,
                root().target().kubernetes_version(),
                "not MAJOR.MINOR",
                format!("kubernetesVersion `{version}` is not a MAJOR.MINOR version"),
            )
            .help("write the target's version in quotes, such as `kubernetesVersion: \"1.31\"`"),
        );
    }
}
