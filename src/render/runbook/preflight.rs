//! The prepare phase's first steps for a self-managed Kubernetes source: its certificates
//! must outlive the migration window (the plan's [`crate::plan::certificates`]), or the
//! rollback and the volume copies lose `kubectl` mid-migration.

use super::{Role, Runbook, code, step, text};
use crate::model::Spec;
use crate::model::units::Duration;
use crate::plan::Plan;
use crate::plan::certificates::renewal_commands;
use crate::rules::RuleId;

/// Upstream pages, as Markdown autolinks (a bare URL is markdownlint's MD034).
const KUBEADM_CERTS: &str =
    "<https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/>";
const KUBEADM_RENEWAL: &str = "<https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/#manual-certificate-renewal>";
const KUBELET_ROTATION: &str = "<https://kubernetes.io/docs/tasks/tls/certificate-rotation/>";
const KUBELET_CLIENT_CERT: &str = "<https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/troubleshooting-kubeadm/#kubelet-client-cert>";

pub(super) fn certificates(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let Some(certs) = &plan.certificates else {
        return;
    };
    let source = code(&spec.source.name);
    let (verdict, expect) = match &certs.window {
        Some(w) => {
            let end = if w.end_from_holds {
                format!(
                    "{} (the start plus the phases' holds, {}; the phases without a hold are counted as taking no time: set `window.end` when preparing, copying or verifying takes longer)",
                    code(&w.end),
                    text(margin_text(w.hold_seconds))
                )
            } else {
                format!("{} (`window.end`)", code(&w.end))
            };
            (
                format!(
                    "The window starts at {} and ends at {end}; with the margin of {}, every certificate must stay valid until {}. The check fails (exit status 1, `EXPIRES BEFORE` on the file) when one expires earlier.",
                    code(&w.start),
                    text(margin_text(w.margin_seconds)),
                    code(&w.deadline)
                ),
                format!(
                    "every file prints `Certificate will not expire` and the last line returns 0; on any `EXPIRES BEFORE {}` line, renew them (the renewal step below) before the window starts",
                    text(&w.deadline)
                ),
            )
        }
        None => (
            format!(
                "The spec states no migration window (`{}`): compare each expiry with the migration's last day, plus a week, by hand.",
                RuleId::SourceCertificateWindow
            ),
            "each expiry is after the migration's last day plus a week; else renew them (the renewal step below) before the migration starts".to_string(),
        ),
    };
    book.steps.push(
        step(
            Role::Operations,
            format!("Check the certificates of the old cluster {source} outlive the window"),
            "window",
        )
        .detail(format!(
            "On each control-plane node of {source} (over ssh, as a user with sudo): a certificate that expires mid-migration locks `kubectl` out of the old cluster, and with it the rollback and the volume copies. {verdict} The lines read every certificate kubeadm manages, each file under `/etc/kubernetes/pki` (and `etcd/`), the client certificates the kubeconfigs under `/etc/kubernetes` embed, and the kubelet's under `/var/lib/kubelet/pki` ({KUBEADM_CERTS})"
        ))
        .commands(certs.control_plane_commands.iter().cloned())
        .expect(expect.clone()),
    );
    book.steps.push(
        step(
            Role::Operations,
            format!("Check the kubelet certificates of the other nodes of {source}"),
            "window",
        )
        .detail(format!(
            "On each worker node of {source}: the kubelet's client and serving certificates. A kubelet with `rotateCertificates: true` renews its client certificate itself before it expires ({KUBELET_ROTATION}); one that cannot renew it any more drops out of the cluster"
        ))
        .commands(certs.node_commands.iter().cloned())
        .expect(expect),
    );
    book.steps.push(
        step(
            Role::Operations,
            "Renew the old cluster's certificates (only when a check above failed)",
            "window",
        )
        .detail(format!(
            "On each control-plane node, one at a time: `kubeadm certs renew all` renews every certificate kubeadm manages (not the CAs); each control-plane static pod must then restart to load them, and the kubelet restarts a static pod when its manifest leaves `/etc/kubernetes/manifests` and comes back (20 s apart, its `fileCheckFrequency`). Copy the renewed `/etc/kubernetes/admin.conf` into the kubeconfig you reach the old cluster with. A kubelet whose client certificate expired: follow {KUBELET_CLIENT_CERT}. Then run the checks again ({KUBEADM_RENEWAL})"
        ))
        .commands(renewal_commands())
        .expect("`check-expiration` shows every certificate with about a year left, `rotateCertificates: true` is set, and the checks above pass"),
    );
}

/// The margin as the spec would write it (`7d`, `36h`).
fn margin_text(seconds: u64) -> String {
    let mut rest = seconds;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    debug_assert!(out.parse::<Duration>().is_ok());
    out
}
