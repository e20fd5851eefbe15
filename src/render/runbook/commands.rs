//! Command lines more than one phase gives: kubectl on a phase's folder, curl, exported
//! credentials, and the lookups of the ids several runbooks share.

use super::Runbook;
use crate::model::{Address, Database, Spec, SyncMode};
use crate::plan::rollout::{Action, Phase};
use crate::shell::{self, Line};

pub(super) fn kustomize(verb: &str, folder: &str) -> String {
    Line::new("kubectl")
        .lit(verb)
        .opt("-k", format!("manifests/{folder}"))
        .build()
}

pub(super) fn kubectl_apply(phase: &Phase) -> Vec<String> {
    match phase.forward {
        Action::Apply => vec![kustomize("apply", &phase.id)],
        Action::Delete => vec![kustomize("delete", &phase.id)],
        Action::None => Vec::new(),
    }
}

pub(super) fn kubectl_rollback(phase: &Phase) -> Vec<String> {
    match (phase.rollback, &phase.rollback_folder) {
        (Action::Apply, Some(folder)) => vec![kustomize("apply", folder)],
        (Action::Delete, Some(folder)) => vec![kustomize("delete", folder)],
        _ => Vec::new(),
    }
}

/// `kubectl -n NAMESPACE`.
pub(super) fn kubectl_in(ns: &str) -> Line {
    Line::new("kubectl").opt("-n", ns)
}

/// `GET /path` as a curl command that prints the status code (and, with `remote`, the
/// address that answered).
pub(super) fn curl(host: &str, request: &str, remote: bool) -> Option<String> {
    let (method, path) = request.trim().split_once(' ')?;
    Some(curl_line(host, path, Some(method), remote))
}

pub(super) fn curl_line(host: &str, path: &str, method: Option<&str>, remote: bool) -> String {
    let format = if remote {
        "%{http_code} %{remote_ip}\\n"
    } else {
        "%{http_code}\\n"
    };
    let mut line = Line::new("curl -sS -o /dev/null").opt("-w", format);
    if let Some(method) = method {
        line = line.opt("-X", method);
    }
    line.arg(format!("http://{host}{path}")).build()
}

/// Lines that stop until each credential is exported in this shell, then export them.
pub(super) fn credentials(names: &[&str], what: &str) -> Vec<String> {
    let mut lines: Vec<String> = names
        .iter()
        .map(|name| {
            shell::guard(
                name,
                &format!("export {name}: {what}, in this shell only (never in a file)"),
            )
        })
        .collect();
    lines.push(format!("export {}", names.join(" ")));
    lines
}

/// The new cluster's id, found by its name: the variable and the line that sets it.
pub(super) fn cluster_id(book: &mut Runbook, name: &str) -> (&'static str, String) {
    let lookup = Line::new("aliyun cs GET /clusters").pipe(shell::jq_one(
        &[("name", name)],
        ".[] | select(.name == $name) | .cluster_id",
        "clusters of that name",
    ));
    let line = Line::assign("CLUSTER_ID", lookup).build();
    book.lookup("CLUSTER_ID", line.clone());
    ("CLUSTER_ID", line)
}

/// The name the runbook gives a database's DTS task, so that later runbooks find its id.
pub(super) fn dts_task_name(db: &Database) -> String {
    format!("cutover-{}", db.name)
}

/// The variable that holds the id of a database's DTS task, and its lookup by task name.
pub(super) fn dts_job_id(book: &mut Runbook, region: &str, db: &Database) -> (String, String) {
    let name = shell::variable(&["dts-job-id", &db.name]);
    let job_type = if db.sync == SyncMode::Bidirectional {
        "SYNC"
    } else {
        "MIGRATION"
    };
    let lookup = Line::new("aliyun dts DescribeDtsJobs")
        .opt("--RegionId", region)
        .opt("--JobType", job_type)
        .lit("--PageSize 100")
        .pipe(shell::jq_one(
            &[("name", &dts_task_name(db))],
            ".DtsJobList[] | select(.DtsJobName == $name) | .DtsJobId",
            "DTS tasks of that name",
        ));
    let line = Line::assign(&name, lookup).build();
    book.lookup(&name, line.clone());
    (name, line)
}

pub(super) fn stop_dts(region: &str, job: &str) -> String {
    Line::new("aliyun dts StopDtsJob")
        .opt("--RegionId", region)
        .opt_var("--DtsJobId", job)
        .build()
}

/// The old SLB, found by its address.
pub(super) fn old_slb(book: &mut Runbook, spec: &Spec) -> &'static str {
    let address = spec.source.entrypoint.address;
    slb_at(
        book,
        spec,
        address,
        "OLD_SLB_ID",
        "SLBs with the old entrypoint address",
    );
    "OLD_SLB_ID"
}

/// The variable holding the id of the old SLB at `address`, looked up by the runbook.
pub(super) fn slb_at(
    book: &mut Runbook,
    spec: &Spec,
    address: Address,
    variable: &str,
    what: &str,
) {
    let lookup = Line::new("aliyun slb DescribeLoadBalancers")
        .opt("--RegionId", &spec.target.region)
        .opt("--Address", address.to_string())
        .pipe(shell::jq_one(
            &[],
            ".LoadBalancers.LoadBalancer[].LoadBalancerId",
            what,
        ));
    book.lookup(variable, Line::assign(variable, lookup).build());
}

/// `OLD_SLB_ID_CB00711F`: a variable per old address, named by its bytes (injective).
pub(super) fn old_slb_variable(address: Address) -> String {
    let bytes: Vec<u8> = match address.0 {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("OLD_SLB_ID_{hex}")
}
