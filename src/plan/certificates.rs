//! The certificate pre-flight of a self-managed Kubernetes source: the migration window
//! (`window`), its end (given, or the start plus every phase's hold), the deadline every
//! certificate of the old cluster must outlive (the end plus the margin), and the command
//! lines the prepare runbook gives on the old cluster's nodes.
//!
//! A kubeadm cluster's certificates last one year: one that expires mid-migration locks
//! `kubectl` out of the old cluster, and with it the rollback and the volume copies. The
//! check reads every certificate kubeadm manages (`kubeadm certs check-expiration`), then
//! each file under the PKI directory, the kubeconfigs' embedded client certificates and the
//! kubelet's own, and fails (exit status 1) when any expires before the deadline:
//! `openssl x509 -checkend N` exits 1 when the certificate expires within N seconds.
//! Upstream: <https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/>,
//! <https://docs.openssl.org/3.0/man1/openssl-x509/> (`-checkend`, `-enddate`).

use serde::Serialize;

use super::rollout::{Phase, PhaseKind};
use crate::model::units::utc_text;
use crate::model::{DEFAULT_CERTIFICATE_MARGIN_SECONDS, SourcePlatform, Spec};
use crate::shell::Line;

/// The variable the checks read: the seconds from now to the deadline.
pub const SECONDS_LEFT: &str = "CERT_SECONDS_LEFT";

/// Where kubeadm keeps the control plane's certificates, and the kubelet its own.
pub const PKI_FILES: [&str; 2] = [
    "/etc/kubernetes/pki/*.crt",
    "/etc/kubernetes/pki/etcd/*.crt",
];
pub const KUBELET_FILES: [&str; 2] = [
    "/var/lib/kubelet/pki/*.crt",
    "/var/lib/kubelet/pki/kubelet-client-current.pem",
];
/// The kubeconfigs kubeadm writes with an embedded client certificate
/// (`super-admin.conf` from v1.29 on; a missing file is skipped).
pub const KUBECONFIGS: [&str; 4] = [
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/super-admin.conf",
    "/etc/kubernetes/controller-manager.conf",
    "/etc/kubernetes/scheduler.conf",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificatePlan {
    /// The runbook that checks them (`01-prepare`).
    pub phase: String,
    /// The window, when the spec states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowPlan>,
    /// On each control-plane node of the old cluster.
    pub control_plane_commands: Vec<String>,
    /// On each other node of the old cluster (the kubelet's certificates).
    pub node_commands: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPlan {
    /// As the spec writes it.
    pub start: String,
    /// In UTC: `window.end`, or the start plus every phase's hold.
    pub end: String,
    /// Whether `end` is the start plus the holds (the spec gives no `window.end`).
    pub end_from_holds: bool,
    /// Seconds of hold from the start to the end of the last phase's hold.
    pub hold_seconds: u64,
    pub margin_seconds: u64,
    /// In UTC: the end plus the margin; every certificate must outlive it.
    pub deadline: String,
    pub deadline_epoch: i64,
}

pub fn plan(spec: &Spec, phases: &[Phase]) -> Option<CertificatePlan> {
    if spec.source.platform != SourcePlatform::Kubernetes {
        return None;
    }
    let phase = phases
        .iter()
        .find(|p| p.kind == PhaseKind::Prepare)
        .map(|p| p.id.clone())
        .unwrap_or_default();
    let hold_seconds: u64 = phases.iter().map(|p| p.hold_seconds).sum();
    let window = spec.window.as_ref().map(|w| {
        let holds = i64::try_from(hold_seconds).unwrap_or(i64::MAX / 4);
        let (end, end_from_holds) = match &w.end {
            Some(end) => (end.plus(0), false),
            None => (w.start.plus(holds), true),
        };
        let margin_seconds = w
            .certificate_margin
            .as_ref()
            .map_or(DEFAULT_CERTIFICATE_MARGIN_SECONDS, |m| m.seconds());
        let deadline_epoch = end
            .epoch()
            .saturating_add(i64::try_from(margin_seconds).unwrap_or(i64::MAX / 4));
        WindowPlan {
            start: w.start.to_string(),
            end: end.to_string(),
            end_from_holds,
            hold_seconds,
            margin_seconds,
            deadline: utc_text(deadline_epoch),
            deadline_epoch,
        }
    });
    let deadline = window
        .as_ref()
        .map(|w| (w.deadline_epoch, w.deadline.as_str()));
    let mut control_plane_commands = vec![
        // Every certificate and kubeconfig kubeadm manages, with its expiry and its CA's.
        Line::new("sudo kubeadm certs check-expiration").build(),
    ];
    control_plane_commands.extend(checks(
        deadline,
        &[&PKI_FILES[..], &KUBELET_FILES[..]].concat(),
        true,
    ));
    let node_commands = checks(deadline, &KUBELET_FILES, false);
    Some(CertificatePlan {
        phase,
        window,
        control_plane_commands,
        node_commands,
    })
}

/// The lines that print every file's expiry and, with a deadline, fail when one expires
/// before it: the seconds left, then one loop over the files (and the kubeconfigs), then
/// the verdict. Without a deadline (no `window`), they only print the expiries.
fn checks(deadline: Option<(i64, &str)>, files: &[&str], kubeconfigs: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let files = files.join(" ");
    let Some((epoch, text)) = deadline else {
        lines.push(format!(
            "for cert in {files}; do [ -e \"$cert\" ] || continue; echo \"$cert\"; sudo openssl x509 -noout -subject -enddate -in \"$cert\"; done"
        ));
        if kubeconfigs {
            lines.push(format!(
                "for conf in {}; do [ -e \"$conf\" ] || continue; echo \"$conf\"; sudo sed -n 's/^ *client-certificate-data: *//p' \"$conf\" | base64 -d | openssl x509 -noout -subject -enddate; done",
                KUBECONFIGS.join(" ")
            ));
        }
        return lines;
    };
    // `date +%s` is in GNU, BSD and busybox date alike; the deadline is a number of the
    // plan's own, so the line holds no spec text.
    lines.push(format!("{SECONDS_LEFT}=$(( {epoch} - $(date +%s) ))"));
    lines.push(format!(
        "[ \"${SECONDS_LEFT}\" -gt 0 ] || {{ echo \"the deadline {text} has passed: correct window in the spec\"; false; }}"
    ));
    lines.push(format!(
        "expiring=0; for cert in {files}; do [ -e \"$cert\" ] || continue; echo \"$cert\"; sudo openssl x509 -noout -subject -enddate -checkend \"${SECONDS_LEFT}\" -in \"$cert\" || {{ echo \"EXPIRES BEFORE {text}: $cert\"; expiring=1; }}; done"
    ));
    if kubeconfigs {
        lines.push(format!(
            "for conf in {}; do [ -e \"$conf\" ] || continue; echo \"$conf\"; sudo sed -n 's/^ *client-certificate-data: *//p' \"$conf\" | base64 -d | openssl x509 -noout -subject -enddate -checkend \"${SECONDS_LEFT}\" || {{ echo \"EXPIRES BEFORE {text}: $conf\"; expiring=1; }}; done",
            KUBECONFIGS.join(" ")
        ));
    }
    lines.push("[ \"$expiring\" = 0 ]".to_string());
    lines
}

/// The renewal, on each control-plane node, when a check failed: kubeadm renews every
/// certificate it manages, then each control-plane static pod restarts to load them (the
/// kubelet stops a static pod whose manifest leaves `/etc/kubernetes/manifests` and starts
/// it again when it is back, within its `fileCheckFrequency` of 20 s), then the kubelet's
/// rotation is confirmed on. Upstream:
/// <https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/#manual-certificate-renewal>.
pub fn renewal_commands() -> Vec<String> {
    let mut lines = vec![Line::new("sudo kubeadm certs renew all").build()];
    for component in [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
    ] {
        let manifest = format!("/etc/kubernetes/manifests/{component}.yaml");
        let aside = format!("/etc/kubernetes/{component}.yaml.renewing");
        lines.push(format!(
            "if [ -e {manifest} ]; then sudo mv {manifest} {aside} && sleep 20 && sudo mv {aside} {manifest}; fi"
        ));
    }
    lines.push(Line::new("sudo kubeadm certs check-expiration").build());
    lines.push("sudo grep -n rotateCertificates /var/lib/kubelet/config.yaml".to_string());
    lines
}
