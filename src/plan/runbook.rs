//! The runbooks as data: for every phase, the steps a person follows, each with its role,
//! the exact commands, what the check must show, and the spec value it comes from; the gate
//! before the next phase; and the rollback as commands. The templates only lay this out.

use serde::Serialize;

use std::collections::BTreeMap;

use super::Plan;
use super::dns::{self as dns_plan, ChangeKind, DnsChange};
use super::rollout::{Action, Phase, PhaseKind, SlbBackends};
use crate::markdown;
use crate::model::{
    Edition, NetworkPlugin, Provisioning, SourcePlatform, Spec, Storage, StorageType, Strategy,
    SyncMode,
};
use crate::shell::{self, Line, Piece};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    #[serde(rename = "O&M engineer")]
    Operations,
    #[serde(rename = "developer")]
    Developer,
    #[serde(rename = "tester")]
    Tester,
}

/// One row of a settings table: what to set, to which value, from which spec path.
#[derive(Clone, Debug, Serialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub source: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub role: Role,
    pub title: String,
    /// The spec path the step comes from.
    pub source: String,
    /// What to do, where commands alone do not say it.
    pub detail: String,
    pub settings: Vec<Setting>,
    pub commands: Vec<String>,
    /// What the check (the last commands, or the console) must show before going on.
    pub expect: String,
}

/// One phase's runbook, as data for `templates/runbook.md.j2`.
///
/// The contract with the template, by field:
///
/// - MARKDOWN, printed raw: [`Runbook::title`], [`Runbook::changes`], [`Runbook::hold`],
///   [`Runbook::gates`], [`Runbook::notes`], and of each [`Step`] its `title`, `detail` and
///   `expect`. Every spec value in them went through [`markdown::code`] (inline code) or
///   [`markdown::text`] (plain text); spec text copied whole (gates, check names, phase
///   titles) through [`markdown::text`].
/// - PLAIN text, escaped by the template: `Step::source`, and `Setting::name`, `value` and
///   `source`.
/// - SHELL: `Step::commands`, one line each, printed inside a fence sized with
///   [`markdown::fence`]. Every value is one quoted word ([`shell::quote`]); every id only
///   the cloud or the operator knows is a variable (`"$VSG_ID_WEB"`), set or guarded in the
///   runbook's first step ("Set the ids this phase uses") or by the command that creates it,
///   earlier in the same runbook.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Runbook {
    pub phase: String,
    pub number: usize,
    pub title: String,
    pub changes: String,
    pub steps: Vec<Step>,
    pub hold: Option<String>,
    pub gates: Vec<String>,
    pub rollback: Vec<Step>,
    pub notes: Vec<String>,
    /// How each variable the commands may use gets its value: variable → the lines that
    /// set it (a lookup) or stop until the operator sets it (a guard).
    #[serde(skip)]
    ids: BTreeMap<String, Id>,
    /// Variables that two different lookups or guards asked for: two ids under one name.
    #[serde(skip)]
    collisions: Vec<String>,
}

/// How a variable of a runbook gets its value.
#[derive(Clone, Debug, PartialEq)]
enum Id {
    /// `NAME=$(lookup)`: the upstream output names it exactly.
    Lookup(String),
    /// Only the operator knows it: a line that stops with this help until it is set, after
    /// the command (if any) that lists what to choose from.
    Guard(String, Option<String>),
}

impl Runbook {
    fn lookup(&mut self, name: &str, line: String) {
        self.set(name, Id::Lookup(line));
    }
    fn guard(&mut self, name: &str, help: String) {
        self.set(name, Id::Guard(help, None));
    }
    fn guard_after(&mut self, name: &str, help: String, hint: String) {
        self.set(name, Id::Guard(help, Some(hint)));
    }
    /// The first way to set `name` wins; a different one is a second id under that name.
    fn set(&mut self, name: &str, id: Id) {
        match self.ids.get(name) {
            None => {
                self.ids.insert(name.to_string(), id);
            }
            Some(first) if *first != id && !self.collisions.iter().any(|c| c == name) => {
                self.collisions.push(name.to_string());
            }
            Some(_) => {}
        }
    }
    /// The variables that stand for two different ids (none, unless the generator has a bug).
    pub fn collisions(&self) -> &[String] {
        &self.collisions
    }
}

/// Spec values as inline code and as plain text, in the Markdown fields.
fn code(value: impl AsRef<str>) -> String {
    markdown::code(value.as_ref())
}
fn text(value: impl AsRef<str>) -> String {
    markdown::text(value.as_ref())
}

/// Spec free text shown to the operator as quoted data with the field it comes from, so it
/// never reads as one of the runbook's own instructions (already-escaped plain text).
fn from_spec(field: &str, value: &str) -> String {
    format!("From the spec ({}): “{}”", text(field), text(value))
}

fn step(role: Role, title: impl Into<String>, source: impl Into<String>) -> Step {
    Step {
        role,
        title: title.into(),
        source: source.into(),
        detail: String::new(),
        settings: Vec::new(),
        commands: Vec::new(),
        expect: String::new(),
    }
}

impl Step {
    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = sentence(&detail.into());
        self
    }
    fn commands(mut self, commands: impl IntoIterator<Item = String>) -> Self {
        self.commands.extend(commands);
        self
    }
    fn expect(mut self, expect: impl Into<String>) -> Self {
        self.expect = expect.into();
        self
    }
    fn setting(mut self, name: &str, value: impl Into<String>, source: &str) -> Self {
        self.settings.push(Setting {
            name: name.into(),
            value: value.into(),
            source: source.into(),
        });
        self
    }
}

/// The ECS instance type for a profile and size (g7: 1:4, c7: 1:2, r7: 1:8).
pub fn instance_type(gib_per_core: u32, cores: u32) -> String {
    let family = match gib_per_core {
        2 => "c7",
        8 => "r7",
        _ => "g7",
    };
    let size = match cores {
        2 => "large".to_string(),
        4 => "xlarge".to_string(),
        c => format!("{}xlarge", c / 4),
    };
    format!("ecs.{family}.{size}")
}

fn kustomize(verb: &str, folder: &str) -> String {
    Line::new("kubectl")
        .lit(verb)
        .opt("-k", format!("manifests/{folder}"))
        .build()
}

fn kubectl_apply(phase: &Phase) -> Vec<String> {
    match phase.forward {
        Action::Apply => vec![kustomize("apply", &phase.id)],
        Action::Delete => vec![kustomize("delete", &phase.id)],
        Action::None => Vec::new(),
    }
}

fn kubectl_rollback(phase: &Phase) -> Vec<String> {
    match (phase.rollback, &phase.rollback_folder) {
        (Action::Apply, Some(folder)) => vec![kustomize("apply", folder)],
        (Action::Delete, Some(folder)) => vec![kustomize("delete", folder)],
        _ => Vec::new(),
    }
}

/// `kubectl -n NAMESPACE`.
fn kubectl_in(ns: &str) -> Line {
    Line::new("kubectl").opt("-n", ns)
}

/// `jq -cn` building a JSON list of objects, one per id of the JSON list in `ids_var`, with
/// the given string fields (`ServerId` is the id): the ids are found at run time.
fn servers_json(ids_var: &str, fields: &[(&str, String)]) -> Line {
    let mut jq = Line::new("jq -cn").lit("--argjson ids").var(ids_var);
    let mut object = vec!["ServerId: .".to_string()];
    for (key, value) in fields {
        let arg = key.to_ascii_lowercase();
        jq = jq.lit("--arg").lit(&arg).arg(value);
        object.push(format!("{key}: ${arg}"));
    }
    jq.arg(format!("[$ids[] | {{{}}}]", object.join(", ")))
}

/// A phrase as a sentence: capital first letter, final full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', ')']) {
        out.push('.');
    }
    out
}

/// DNS changes as runbook steps: one per record and kind, with its commands and check. The
/// record ids the commands use are registered with the lookups that find them.
fn dns_steps(changes: &[DnsChange], book: &mut Runbook) -> Vec<Step> {
    changes
        .iter()
        .map(|c| {
            for (name, line) in dns_plan::change_lookups(c) {
                book.lookup(&name, line);
            }
            let (fqdn, ty, value) = (code(&c.fqdn), text(&c.record_type), code(&c.value));
            let title = match c.kind {
                ChangeKind::LowerTtl => {
                    format!("Lower the TTL of {fqdn} {ty} to {} s", c.ttl_after)
                }
                ChangeKind::RestoreTtl => {
                    format!("Restore the TTL of {fqdn} {ty} to {} s", c.ttl_after)
                }
                ChangeKind::Add => format!("Add {fqdn} {ty} {value}"),
                ChangeKind::Remove => format!("Remove {fqdn} {ty} {value}"),
                ChangeKind::Verify => format!("Verify that {fqdn} answers {value}"),
                ChangeKind::SetWeights if c.weights.is_empty() => {
                    format!("Switch off weighting for {fqdn}")
                }
                ChangeKind::SetWeights => format!(
                    "Weight {fqdn}: {}",
                    c.weights
                        .iter()
                        .map(|(v, w)| format!("{} {w}", code(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ChangeKind::AddPrivate => {
                    format!("Add the PrivateZone record {fqdn} {ty} {value}")
                }
                ChangeKind::RemovePrivate => {
                    format!("Remove the PrivateZone record {fqdn} {ty}")
                }
            };
            let mut detail = text(sentence(&c.reason));
            if c.wait_seconds > 0 {
                detail = format!(
                    "Wait at least {} s after the previous change. {detail}",
                    c.wait_seconds
                );
            }
            let source = match c.kind {
                ChangeKind::AddPrivate | ChangeKind::RemovePrivate => {
                    format!("dns.privateZone.records[{}]", c.name)
                }
                _ => format!("dns.records[{}]", c.name),
            };
            let expect = match c.kind {
                ChangeKind::Verify => format!(
                    "{} lists {value}",
                    code(c.commands.first().cloned().unwrap_or_default())
                ),
                ChangeKind::Add | ChangeKind::AddPrivate => {
                    "the command prints the new record's id and no error".to_string()
                }
                _ => "the command returns a RecordId and no error".to_string(),
            };
            let mut step = step(Role::Operations, title, source)
                .commands(c.commands.clone())
                .expect(expect);
            // `detail` is Markdown already: no sentence() over it.
            step.detail = detail;
            step
        })
        .collect()
}

/// `GET /path` as a curl command that prints the status code (and, with `remote`, the
/// address that answered).
fn curl(host: &str, request: &str, remote: bool) -> Option<String> {
    let (method, path) = request.trim().split_once(' ')?;
    Some(curl_line(host, path, Some(method), remote))
}

fn curl_line(host: &str, path: &str, method: Option<&str>, remote: bool) -> String {
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

pub fn build(spec: &Spec, plan: &Plan) -> Vec<Runbook> {
    plan.phases
        .iter()
        .map(|phase| {
            let mut book = Runbook {
                phase: phase.id.clone(),
                number: phase.number,
                title: text(&phase.title),
                changes: text(&phase.changes),
                steps: Vec::new(),
                hold: phase.hold.as_deref().map(text),
                gates: phase
                    .gates
                    .iter()
                    .enumerate()
                    .map(|(i, g)| from_spec(&format!("rollout.gates[{i}]"), g))
                    .collect(),
                rollback: Vec::new(),
                notes: Vec::new(),
                ids: BTreeMap::new(),
                collisions: Vec::new(),
            };
            let dns = plan
                .dns
                .as_ref()
                .and_then(|d| d.phases.iter().find(|p| p.phase == phase.id));
            match phase.kind {
                PhaseKind::Prepare => prepare(spec, plan, &mut book),
                PhaseKind::Data => {
                    data(spec, &mut book);
                    volume_copies(spec, &mut book);
                }
                PhaseKind::Images => images(spec, plan, &mut book),
                PhaseKind::Deploy => deploy(spec, phase, &mut book),
                PhaseKind::Verify => verify(spec, &mut book),
                PhaseKind::Decommission => decommission(spec, phase, &mut book),
                _ => traffic(spec, plan, phase, &mut book),
            }
            if dns.is_none() && manual_dns_switch(spec, plan, phase) {
                let (forward, back) = manual_dns(spec);
                book.steps.extend(forward);
                book.rollback.extend(back);
            }
            if let Some(dns) = dns {
                let forward = dns_steps(&dns.changes, &mut book);
                book.steps.extend(forward);
                // DNS undo comes before the cluster's: the names stop pointing at what goes.
                let mut rollback = dns_steps(&dns.rollback, &mut book);
                rollback.append(&mut book.rollback);
                book.rollback = rollback;
            }
            if book.rollback.is_empty() {
                book.notes.push(
                    "Nothing to roll back in this phase: it changed nothing that serves traffic."
                        .into(),
                );
            }
            set_ids(&mut book);
            book
        })
        .collect()
}

/// The shell variables a command line reads (`$NAME`, `${NAME…}`; upper case, as the
/// runbooks name them), outside single quotes and comments.
pub fn references(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'\\' if !single => i += 1,
            b'#' if !single && !double && (i == 0 || bytes[i - 1] == b' ') => break,
            b'$' if !single => {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let len = bytes[start.min(bytes.len())..]
                    .iter()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
                    .count();
                if len > 0 && !bytes[start].is_ascii_digit() {
                    names.push(line[start..start + len].to_string());
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// The variable a line sets (`NAME=…`) or guards (`: "${NAME:?…}"`), if any.
pub fn defines(line: &str) -> Option<String> {
    let name_len = |s: &str| {
        s.bytes()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
            .count()
    };
    if let Some(rest) = line.strip_prefix(": \"${") {
        let n = name_len(rest);
        return (n > 0 && rest[n..].starts_with(":?")).then(|| rest[..n].to_string());
    }
    let n = name_len(line);
    (n > 0 && line[n..].starts_with('=')).then(|| line[..n].to_string())
}

/// Puts first the step that sets every variable the runbook reads before a line of its own
/// sets it: lookups (after the variables they read), then a line showing each, then the
/// guards for what only the operator knows.
fn set_ids(book: &mut Runbook) {
    let mut set: Vec<String> = Vec::new();
    let mut needed: Vec<String> = Vec::new();
    for line in book
        .steps
        .iter()
        .chain(&book.rollback)
        .flat_map(|s| &s.commands)
    {
        // A guard defines what it reads; an assignment reads before it sets.
        let defined = defines(line);
        let guard = line.starts_with(": ");
        if guard && let Some(name) = &defined {
            set.push(name.clone());
        }
        for name in references(line) {
            if !set.contains(&name) && !needed.contains(&name) {
                needed.push(name);
            }
        }
        if !guard && let Some(name) = defined {
            set.push(name);
        }
    }
    find_created_again(book);
    if needed.is_empty() && book.collisions.is_empty() {
        return;
    }
    // Each in the order the runbook needs it, after what its own lines read.
    fn add(
        name: &str,
        ids: &BTreeMap<String, Id>,
        done: &mut Vec<String>,
        lines: &mut Vec<String>,
        shows: &mut Vec<String>,
    ) {
        if done.iter().any(|d| d == name) {
            return;
        }
        done.push(name.to_string());
        match ids.get(name) {
            Some(Id::Lookup(line)) => {
                for dependency in references(line) {
                    add(&dependency, ids, done, lines, shows);
                }
                lines.push(line.clone());
                shows.push(shell::show(name));
            }
            Some(Id::Guard(help, hint)) => {
                if let Some(hint) = hint {
                    for dependency in references(hint) {
                        add(&dependency, ids, done, lines, shows);
                    }
                    lines.push(hint.clone());
                }
                lines.push(shell::guard(name, help));
            }
            None => lines.push(shell::guard(name, &format!("set {name} first"))),
        }
    }
    let (mut lines, mut shows, mut done) = (Vec::new(), Vec::new(), Vec::new());
    for name in &needed {
        add(name, &book.ids, &mut done, &mut lines, &mut shows);
    }
    let stop = (!book.collisions.is_empty()).then(|| shell::collision_guard(&book.collisions));
    let commands: Vec<String> = stop.into_iter().chain(lines).chain(shows).collect();
    let first = step(Role::Operations, "Set the ids this phase uses", "-")
        .detail("In the shell you run this phase from, and again in any new shell: each id comes from the lookup that finds it exactly, or, where no lookup can, from you (each `: \"${NAME:?…}\"` line stops with what to set until it is set). The later commands use these variables")
        .commands(commands)
        .expect("every lookup prints its id and no line stops with a message");
    book.steps.insert(0, first);
}

/// A rollback step that reads an id a step of the runbook created (a zone, a record) starts
/// with the lookup that finds it again, so that it also works from a new shell; where the
/// thing was never created, the line that shows it stops: there is nothing to undo.
fn find_created_again(book: &mut Runbook) {
    let created: Vec<String> = book
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .filter_map(|line| defines(line).filter(|_| !line.starts_with(": ")))
        .collect();
    for step in &mut book.rollback {
        let mut found: Vec<String> = Vec::new();
        let (mut lines, mut shows) = (Vec::new(), Vec::new());
        fn add(
            name: &str,
            ids: &BTreeMap<String, Id>,
            created: &[String],
            found: &mut Vec<String>,
            lines: &mut Vec<String>,
            shows: &mut Vec<String>,
        ) {
            if found.iter().any(|f| f == name) || !created.iter().any(|c| c == name) {
                return;
            }
            if let Some(Id::Lookup(line)) = ids.get(name) {
                found.push(name.to_string());
                for dependency in references(line) {
                    add(&dependency, ids, created, found, lines, shows);
                }
                lines.push(line.clone());
                shows.push(shell::show(name));
            }
        }
        let mut own: Vec<String> = Vec::new();
        for line in &step.commands {
            for name in references(line) {
                if !own.contains(&name) {
                    add(
                        &name, &book.ids, &created, &mut found, &mut lines, &mut shows,
                    );
                }
            }
            own.extend(defines(line));
        }
        if !lines.is_empty() {
            lines.append(&mut shows);
            lines.append(&mut step.commands);
            step.commands = lines;
        }
    }
}

/// Without a `dns` section the runbook still has the production names move, by hand, in
/// the phase where the strategy switches them.
fn manual_dns_switch(spec: &Spec, plan: &Plan, phase: &Phase) -> bool {
    plan.dns.is_none()
        && spec.rollout.strategy != Strategy::DnsWeights
        && phase.kind
            == if super::rollout::moves_dns_first(spec.rollout.strategy) {
                PhaseKind::Entry
            } else {
                PhaseKind::Complete
            }
}

fn manual_dns(spec: &Spec) -> (Vec<Step>, Vec<Step>) {
    let mut hosts: Vec<&str> = spec
        .services
        .iter()
        .flat_map(|s| s.routes.iter().map(|r| r.host.as_str()))
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    let (old, new) = (
        spec.source.entrypoint.address.to_string(),
        spec.target.entrypoint.address.to_string(),
    );
    let switch = |from: &str, to: &str, title: &str| {
        step(Role::Operations, format!("{title} {}", hosts.iter().map(code).collect::<Vec<_>>().join(", ")), "target.entrypoint.address")
            .detail(format!("The spec has no `dns` section: with your DNS provider, for each name add the answer {}, check it, then remove {} (never leave a name without an answer).", text(to), text(from)))
            .commands(hosts.iter().map(|h| Line::new("dig +short A").arg(h).build()))
            .expect(format!("each name answers {} only", text(to)))
    };
    (
        vec![switch(&old, &new, "Point at the new entrypoint:")],
        vec![switch(&new, &old, "Point back at the old entrypoint:")],
    )
}

/// The new cluster's id, found by its name: the variable and the line that sets it.
fn cluster_id(book: &mut Runbook, name: &str) -> (&'static str, String) {
    let lookup = Line::new("aliyun cs GET /clusters").pipe(shell::jq_one(
        &[("name", name)],
        ".[] | select(.name == $name) | .cluster_id",
        "clusters of that name",
    ));
    let line = Line::assign("CLUSTER_ID", lookup).build();
    book.lookup("CLUSTER_ID", line.clone());
    ("CLUSTER_ID", line)
}

fn prepare(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let t = &spec.target;
    let n = &t.network;
    let (cluster, cluster_line) = cluster_id(book, &t.name);
    let mut create = step(Role::Operations, "Create the ACK cluster with these settings", "target")
        .detail("In the ACK console (Create Cluster) or with `aliyun cs`. The network plugin, the service CIDR and (Flannel) the pod CIDR cannot be changed once the cluster exists: check them twice (`network/fixed-after-create`).")
        .setting("Cluster name", &t.name, "target.name")
        .setting(
            "Edition",
            match t.edition {
                Edition::AckPro => "ACK Pro (managed control plane with an SLA)",
                Edition::AckManaged => "ACK managed",
                Edition::AckDedicated => "ACK dedicated (own masters)",
            },
            "target.edition",
        )
        .setting("Region", &t.region, "target.region")
        .setting("Zones", t.zones.join(", "), "target.zones")
        .setting("Kubernetes version", &t.kubernetes_version, "target.kubernetesVersion")
        .setting("VPC", n.vpc.to_string(), "target.network.vpc");
    for v in &n.vswitches {
        create = create.setting(
            &format!("vSwitch {}", v.name),
            format!("{} in {}", v.cidr, v.zone),
            &format!("target.network.vswitches[{}]", v.name),
        );
    }
    create = create
        .setting(
            "Network plugin",
            format!("{:?}", n.plugin).to_ascii_lowercase(),
            "target.network.plugin",
        )
        .setting(
            "Pod CIDR",
            n.pod_cidr
                .map_or("- (Terway: pods take vSwitch addresses)".into(), |c| {
                    c.to_string()
                }),
            "target.network.podCidr",
        )
        .setting(
            "Service CIDR",
            n.service_cidr.to_string(),
            "target.network.serviceCidr",
        )
        .setting(
            "Pods per node",
            n.pods_per_node.to_string(),
            "target.network.podsPerNode",
        );
    if let Some(w) = &plan.sizing.workers {
        create = create
            .setting(
                "Worker instance type",
                format!(
                    "{} ({} cores, {} GiB)",
                    instance_type(plan.sizing.gib_per_core, w.cores_each),
                    w.cores_each,
                    w.memory_gib_each
                ),
                "target.nodes",
            )
            .setting(
                "Workers",
                w.instances.to_string(),
                "target.nodes.totalCores, target.nodes.faultTolerance",
            );
    }
    if plan.sizing.ingress_nodes > 0 {
        create = create.setting(
            "Ingress nodes",
            format!(
                "{} more workers of the same type, for the ingress controller only",
                plan.sizing.ingress_nodes
            ),
            "target.ingressController.dedicatedNodes",
        );
    }
    if let Some(m) = &plan.sizing.masters {
        create = create.setting(
            "Masters",
            format!("{} × {} cores, {} GiB", m.count, m.cores, m.memory_gib),
            "target.edition",
        );
    }
    create = create
        .setting(
            "System disk",
            format!(
                "{} {}",
                t.nodes.system_disk.category.name(),
                t.nodes.system_disk.size
            ),
            "target.nodes.systemDisk",
        )
        .setting(
            "Data disk (container images)",
            t.nodes.data_disk.as_ref().map_or("none".into(), |d| {
                format!("{} {}", d.category.name(), d.size)
            }),
            "target.nodes.dataDisk",
        )
        .setting("SNAT", "on (nodes reach the internet for image pulls)", "-")
        .setting("API server", "public access through an EIP", "-")
        .setting(
            "Add-ons",
            if t.addons.is_empty() {
                "-".into()
            } else {
                t.addons.join(", ")
            },
            "target.addons",
        )
        .setting(
            "Ingress",
            match (spec.rollout.strategy, spec.rollout.controller) {
                (Strategy::Istio, _) => "Istio (Service Mesh), with its ingress gateway",
                (_, Some(crate::model::Controller::Alb)) => "ALB Ingress controller add-on",
                (_, Some(crate::model::Controller::GatewayApi)) => {
                    "a Gateway API implementation and its Gateway"
                }
                _ => "NGINX Ingress controller add-on",
            },
            "rollout.controller",
        )
        // Once the cluster exists, its id: this runbook's rollback releases it.
        .commands([
            "kubectl get nodes -o wide".to_string(),
            cluster_line,
            shell::show(cluster),
        ])
        .expect(format!(
            "{} nodes in Ready state across {}; the last line prints the cluster's id",
            plan.sizing.planned_nodes,
            text(t.zones.join(", "))
        ));
    book.steps.push(create);
    let address = t.entrypoint.address.to_string();
    if let Some(ic) = &plan.ingress_controller {
        let mut commands = Vec::new();
        for i in 1..=ic.dedicated_nodes {
            let node = format!("INGRESS_NODE_{i}");
            book.guard(&node, format!("set {node} to the name of a worker node for the ingress controller, from: kubectl get nodes"));
            commands.push(
                Line::new("kubectl label nodes")
                    .var(&node)
                    .arg(format!("{}=true", super::ingress::INGRESS_NODE_LABEL))
                    .build(),
            );
        }
        commands.push(
            kubectl_in(&ic.namespace)
                .lit("patch deployment")
                .arg(&ic.deployment)
                .lit("--type strategic")
                .opt("--patch-file", &ic.patch_file)
                .build(),
        );
        commands.push(
            kubectl_in(&ic.namespace)
                .lit("rollout status")
                .arg(format!("deployment/{}", ic.deployment))
                .build(),
        );
        book.steps.push(
            step(Role::Operations, format!("Pin the ingress controller: {} replicas", ic.replicas), "target.ingressController")
                .detail(if ic.dedicated_nodes > 0 {
                    format!("Label {} worker nodes for the controller (the first step sets `INGRESS_NODE_1`… to node names from `kubectl get nodes`), then patch it.", ic.dedicated_nodes)
                } else {
                    "Patch the controller's replica count.".into()
                })
                .commands(commands)
                .expect(format!("`rollout status` reports {} replicas available", ic.replicas)),
        );
        let service = if ic.namespace == "istio-system" {
            "istio-ingressgateway"
        } else {
            "nginx-ingress-lb"
        };
        book.steps.push(
            step(Role::Operations, format!("Confirm the ingress address is {}", code(&address)), "target.entrypoint.address")
                .detail("Every DNS change later points at this address: it must be the controller's load balancer.")
                .commands([kubectl_in(&ic.namespace)
                    .lit("get svc")
                    .arg(service)
                    .opt("-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
                    .build()])
                .expect(format!("{} (if not, correct `target.entrypoint.address` and compile again)", text(&address))),
        );
    }
    book.rollback.push(
        step(Role::Operations, "Release the new cluster", "target")
            .detail("Only while nothing else has been moved: the cluster holds nothing yet.")
            .commands([Line::new("aliyun cs DELETE")
                .word(&[Piece::Lit("/clusters/"), Piece::Var(cluster)])
                .build()])
            .expect("the cluster is gone from `aliyun cs GET /clusters`"),
    );
}

/// The name the runbook gives a database's DTS task, so that later runbooks find its id.
fn dts_task_name(db: &crate::model::Database) -> String {
    format!("cutover-{}", db.name)
}

/// The variable that holds the id of a database's DTS task, and its lookup by task name.
fn dts_job_id(book: &mut Runbook, region: &str, db: &crate::model::Database) -> (String, String) {
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

fn stop_dts(region: &str, job: &str) -> String {
    Line::new("aliyun dts StopDtsJob")
        .opt("--RegionId", region)
        .opt_var("--DtsJobId", job)
        .build()
}

fn data(spec: &Spec, book: &mut Runbook) {
    let Some(data) = &spec.data else {
        book.notes
            .push("The spec moves no databases or object stores (`data`).".into());
        return;
    };
    let n = &spec.target.network;
    let region = &spec.target.region;
    let mut allowed: Vec<String> = n.vswitches.iter().map(|v| v.cidr.to_string()).collect();
    if n.plugin == NetworkPlugin::Flannel
        && let Some(pod) = n.pod_cidr
    {
        // Flannel pods reach the VPC with their own addresses.
        allowed.push(pod.to_string());
    }
    for db in &data.databases {
        let src = format!("data.databases[{}]", db.name);
        let instance = &db.target.instance;
        book.steps.push(
            step(Role::Operations, format!("Let the new cluster reach RDS {}", code(instance)), format!("{src}.target.instance"))
                .detail("Allow the cluster's vSwitches (and with Flannel its pod CIDR) in the instance's whitelist.")
                .commands([
                    Line::new("aliyun rds ModifySecurityIps")
                        .opt("--DBInstanceId", instance)
                        .lit("--DBInstanceIPArrayName cutover")
                        .opt("--SecurityIps", allowed.join(","))
                        .build(),
                    Line::new("aliyun rds DescribeDBInstanceIPArrayList")
                        .opt("--DBInstanceId", instance)
                        .build(),
                ])
                .expect(format!("the `cutover` group lists {}", text(allowed.join(", ")))),
        );
        let mode = match db.sync {
            SyncMode::Full => "schema and full data migration",
            SyncMode::Incremental => "schema, full data and incremental data migration",
            SyncMode::Bidirectional => {
                "two-way synchronization (a DTS synchronization task in both directions)"
            }
        };
        let (job, find_job) = dts_job_id(book, region, db);
        book.steps.push(
            step(Role::Operations, format!("Move database {} with DTS", code(&db.name)), format!("{src}.sync"))
                .detail("Create the DTS task in the console with these settings (its name is how the later runbooks find it); start it and wait for the full copy.")
                .setting("Task name", dts_task_name(db), &format!("{src}.name"))
                .setting("Source engine", &db.engine, &format!("{src}.engine"))
                .setting("Source", format!("{}:{}", db.source.host, db.source.port), &format!("{src}.source"))
                .setting("Destination", format!("RDS {instance}"), &format!("{src}.target.instance"))
                .setting("Mode", mode, &format!("{src}.sync"))
                // Once the task exists, its id: this runbook's rollback stops it.
                .commands([find_job, shell::show(&job)])
                .expect(match db.sync {
                    SyncMode::Full => "the task reports Completed and the row counts match; the commands print its id".to_string(),
                    _ => "the task is Running with a delay under 10 s; the commands print its id".to_string(),
                }),
        );
        book.rollback.push(
            step(Role::Operations, format!("Stop the DTS task of {}", code(&db.name)), format!("{src}.sync"))
                .detail("Nothing has written to the new side yet, so the old database holds everything: stop the task and release it.")
                .commands([stop_dts(region, &job)])
                .expect("the task is Stopped"),
        );
    }
    if let Some(pz) = spec.dns.as_ref().and_then(|d| d.private_zone.as_ref()) {
        let zone_id = dns_plan::private_zone_var(&pz.zone);
        // Created below; a rollback from a new shell finds it again by its name.
        book.lookup(&zone_id, dns_plan::private_zone_lookup(&pz.zone));
        // The cluster's own VPC, not one found by its CIDR (two VPCs may share a CIDR).
        let (cluster, _) = cluster_id(book, &spec.target.name);
        let vpc_lookup = Line::new("aliyun cs GET")
            .word(&[Piece::Lit("/clusters/"), Piece::Var(cluster)])
            .pipe(shell::jq_one(
                &[],
                ".vpc_id",
                "VPC ids in the cluster's detail",
            ));
        book.lookup("VPC_ID", Line::assign("VPC_ID", vpc_lookup).build());
        book.steps.push(
            step(Role::Operations, format!("Create the PrivateZone {} and bind it to the VPC", code(&pz.zone)), "dns.privateZone.zone")
                .detail("The apps keep resolving the database by this name while it moves (`dns/private-zone`).")
                .commands([
                    Line::assign(
                        &zone_id,
                        Line::new("aliyun pvtz AddZone")
                            .opt("--ZoneName", &pz.zone)
                            .pipe(shell::jq_field(".ZoneId")),
                    )
                    .build(),
                    shell::show(&zone_id),
                    Line::new("aliyun pvtz BindZoneVpc")
                        .opt_var("--ZoneId", &zone_id)
                        .opt("--Vpcs.1.RegionId", region)
                        .opt_var("--Vpcs.1.VpcId", "VPC_ID")
                        .build(),
                ])
                .expect("the zone is bound to the cluster's VPC"),
        );
    }
    if !data.object_stores.is_empty() {
        book.guard(
            "OSSIMPORT_DIR",
            "set OSSIMPORT_DIR to the folder where ossimport (standalone) is unpacked".into(),
        );
    }
    for store in &data.object_stores {
        let dir = format!("tools/ossimport/{}", store.name);
        let config = format!("{dir}/local_job.cfg");
        let in_ossimport = |command: &str| {
            Line::new("cd")
                .var("OSSIMPORT_DIR")
                .and(Line::new(command))
                .subshell()
                .build()
        };
        book.steps.push(
            step(Role::Operations, format!("Copy {} to {} with ossimport", code(&store.source), code(&store.target)), format!("data.objectStores[{}]", store.name))
                .detail(format!("On a machine close to the source, with ossimport (standalone) unpacked: copy {} to its `conf/`, fill in the AccessKeys it marks (never commit them), then run the job.", code(&config)))
                .commands([
                    Line::new("cp")
                        .arg(&config)
                        .word(&[Piece::Var("OSSIMPORT_DIR"), Piece::Lit("/conf/local_job.cfg")])
                        .build(),
                    in_ossimport("bash import.sh"),
                    in_ossimport("bash console.sh stat"),
                ])
                .expect(format!("the job reports every task succeeded; the objects are in {} ({})", code(&store.target), text(region))),
        );
    }
}

/// The data in the old cluster's volumes: cutover declares the new volumes, the copy is
/// the operator's, from the old node's volume path (`docker volume inspect`).
fn volume_copies(spec: &Spec, book: &mut Runbook) {
    for storage in &spec.storage {
        let users: Vec<&str> = spec
            .services
            .iter()
            .filter(|s| s.volumes.iter().any(|v| v.storage == storage.name))
            .map(|s| s.name.as_str())
            .collect();
        let source = format!("storage[{}]", storage.name);
        let node = shell::variable(&["old-node", &storage.name]);
        let mountpoint = shell::variable(&["old-mountpoint", &storage.name]);
        let volume = shell::variable(&["old-volume", &storage.name]);
        let find = match spec.source.platform {
            SourcePlatform::Swarm => {
                book.guard(
                    &node,
                    format!(
                        "set {node} to the old node that runs {} (as ssh reaches it)",
                        users.join(", ")
                    ),
                );
                book.guard(&volume, format!("set {volume} to the old volume's name, from: docker volume ls (on that node)"));
                vec![
                    Line::assign(
                        &mountpoint,
                        Line::new("docker -H")
                            .word(&[Piece::Lit("ssh://"), Piece::Var(&node)])
                            .lit("volume inspect")
                            .opt("--format", "{{ .Mountpoint }}")
                            .var(&volume),
                    )
                    .build(),
                    shell::show(&mountpoint),
                ]
            }
            SourcePlatform::Kubernetes => {
                book.guard(&node, format!("set {node} to the old node that holds the volume of {} (as ssh reaches it)", users.join(", ")));
                book.guard(&mountpoint, format!("set {mountpoint} to the old volume's path on that node, from: kubectl get pv"));
                vec![
                    Line::new("kubectl")
                        .opt("--context", &spec.source.name)
                        .lit("get pvc -A")
                        .comment(&format!("the old claim of {}", users.join(", ")))
                        .build(),
                ]
            }
        };
        let name = code(&storage.name);
        let step = match (storage.kind, storage.provisioning) {
            (StorageType::Nas, _) => {
                let path = storage.path.clone().unwrap_or_default();
                let server = storage.server.clone().unwrap_or_default();
                let mnt = format!("/mnt/{}", storage.name);
                let mut commands = find;
                commands.extend([
                    Line::new("sudo mkdir -p").arg(&mnt).build(),
                    Line::new("sudo mount -t nfs")
                        .opt("-o", format!("vers={},nolock,proto=tcp", storage.nfs_version.clone().unwrap_or_else(|| "3".into())))
                        .arg(format!("{server}:{path}"))
                        .arg(&mnt)
                        .build(),
                    Line::new("rsync -a --delete")
                        .word(&[Piece::Var(&node), Piece::Lit(":"), Piece::Var(&mountpoint), Piece::Lit("/")])
                        .arg(format!("{mnt}/"))
                        .build(),
                ]);
                step(Role::Operations, format!("Copy the data of {name} into NAS {}", code(&path)), source)
                    .detail("From a machine in the VPC that reaches the old node; repeat the rsync just before the traffic moves to catch up.")
                    .commands(commands)
                    .expect("rsync ends without errors and a second run copies nothing new")
            }
            (StorageType::Disk, Some(Provisioning::Static)) => {
                let disk = storage.disk_id.clone().unwrap_or_default();
                let mut commands = find;
                commands.push(
                    Line::new("aliyun ecs DescribeDisks")
                        .opt("--RegionId", &spec.target.region)
                        .lit("--DiskIds")
                        .json(&serde_json::json!([disk]))
                        .build(),
                );
                step(Role::Operations, format!("Put the data of {name} on disk {}", code(&disk)), source)
                    .detail(format!("The static disk must hold the data before the deploy: copy it from the old volume onto the disk while it is attached to an ECS instance in {}, then detach it.", code(storage.zone.clone().unwrap_or_default())))
                    .commands(commands)
                    .expect("the disk is Available (detached) and holds the copied data")
            }
            (StorageType::Disk, _) => step(Role::Operations, format!("Decide how {name} gets its data"), source)
                .detail("A dynamic disk starts empty. If the service rebuilds its state (a cache), nothing to do; else copy the old volume into the new pods' volume after the deploy (`kubectl cp`).")
                .commands(find)
                .expect("the decision is written in the change ticket"),
            (StorageType::Oss, _) => continue,
        };
        book.steps.push(step);
    }
}

/// Lines that stop until each credential is exported in this shell, then export them.
fn credentials(names: &[&str], what: &str) -> Vec<String> {
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

fn images(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let Some(images) = &spec.images else {
        book.notes.push(
            "The spec moves no images (`images`): the new cluster pulls them where they are."
                .into(),
        );
        return;
    };
    let registry = images.target.split('/').next().unwrap_or(&images.target);
    book.steps.push(
        step(
            Role::Operations,
            format!(
                "Create the Container Registry namespace for {}",
                code(&images.target)
            ),
            "images.target",
        )
        .detail("In Container Registry (ACR): the namespace, and a user with push and pull rights.")
        .commands([Line::new("docker login").arg(registry).build()])
        .expect("Login Succeeded"),
    );
    let mut commands = Vec::new();
    for login in super::images::logins(spec) {
        commands.extend(credentials(
            &[&login.username_env, &login.password_env],
            &format!("the login to {}", login.host),
        ));
    }
    // The auth file is JSON (which image-syncer reads as YAML too) built by jq from the
    // exported values, so no quote or backslash in a password changes it; mktemp makes it
    // private, and it is removed after the sync whatever the outcome.
    let mut auth = Line::new("jq -n");
    let mut entries = Vec::new();
    for (i, login) in super::images::logins(spec).iter().enumerate() {
        let n = i + 1;
        auth = auth
            .lit("--arg")
            .lit(&format!("host{n}"))
            .arg(&login.host)
            .lit("--arg")
            .lit(&format!("user{n}"))
            .var(&login.username_env)
            .lit("--arg")
            .lit(&format!("password{n}"))
            .var(&login.password_env);
        entries.push(format!(
            "($host{n}): {{username: $user{n}, password: $password{n}}}"
        ));
    }
    let auth = auth.arg(format!("{{{}}}", entries.join(", ")));
    commands.extend([
        Line::assign("SYNC_AUTH", Line::new("mktemp")).build(),
        format!("{} > \"$SYNC_AUTH\"", auth.build()),
        Line::new("image-syncer")
            .word(&[Piece::Lit("--auth="), Piece::Var("SYNC_AUTH")])
            .arg(format!("--images={}", crate::render::tools::IMAGES_FILE))
            .lit("--proc=6 --retries=3; rm -f \"$SYNC_AUTH\"")
            .build(),
    ]);
    book.steps.push(
        step(
            Role::Operations,
            format!("Copy {} images with image-syncer", plan.images.len()),
            "services[*].image",
        )
        .detail("Export the registry credentials in your shell; jq writes them into a private temporary auth file, image-syncer syncs, and the file is deleted whatever the outcome (if you stop the sync, run `rm -f \"$SYNC_AUTH\"`).")
        .commands(commands)
        .expect("image-syncer ends with 0 failed tasks"),
    );
    for image in &plan.images {
        book.steps.push(
            step(
                Role::Operations,
                format!("Check {}", code(&image.target)),
                "images.target",
            )
            .commands([Line::new("docker manifest inspect")
                .arg(&image.target)
                .build()])
            .expect("a manifest, not `no such manifest`"),
        );
    }
}

fn secrets(spec: &Spec) -> Vec<Step> {
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

fn storage_note(storage: &Storage) -> Option<String> {
    match (storage.kind, storage.provisioning) {
        (StorageType::Oss, _) => Some(format!(
            "{} is OSS: it suits low-I/O shared files, and a cluster upgrade restarts the OSS driver, which remounts it (`storage/oss-io`).",
            code(&storage.name)
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

fn deploy(spec: &Spec, phase: &Phase, book: &mut Runbook) {
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

fn verify(spec: &Spec, book: &mut Runbook) {
    let Some(test) = &spec.target.test_domain else {
        book.notes
            .push("No test domain (`target.testDomain`): test through port-forwarding.".into());
        return;
    };
    let checks = spec
        .verification
        .as_ref()
        .map(|v| v.checks.as_slice())
        .unwrap_or(&[]);
    for check in checks {
        let Some(command) = curl(test, &check.request, false) else {
            continue;
        };
        let mut commands = vec![command];
        if let Some(old) = &spec.source.test_domain
            && let Some(old_command) = curl(old, &check.request, false)
        {
            commands.push(old_command);
        }
        book.steps.push(
            step(Role::Tester, format!("Check: {}", text(&check.name)), format!("verification.checks[{}]", check.name))
                .detail("The first command asks the new cluster; the second (when the old cluster has a test domain) the old one, for comparison.")
                .commands(commands)
                .expect(format!("{} from the new cluster", check.expect)),
        );
    }
    let ns = spec.namespace();
    book.steps.push(
        step(Role::Tester, "Read the new services' logs", "services")
            .commands(spec.services.iter().map(|s| {
                kubectl_in(ns)
                    .lit("logs")
                    .opt("-l", format!("app.kubernetes.io/name={}", s.name))
                    .lit("--since=30m --tail=200")
                    .build()
            }))
            .expect("no errors or stack traces that the old cluster does not show too"),
    );
    book.steps.push(
        step(Role::Tester, "Compare the metrics", "rollout.gates")
            .detail("In CloudMonitor / Prometheus: the new services' error rate and latency under the test traffic.")
            .commands([kubectl_in(ns).lit("top pods").build()])
            .expect(if spec.rollout.gates.is_empty() { "no pod near its limits".to_string() } else { format!("no pod near its limits, and each gate of the spec holds: {}", spec.rollout.gates.iter().enumerate().map(|(i, g)| from_spec(&format!("rollout.gates[{i}]"), g)).collect::<Vec<_>>().join("; ")) }),
    );
}

/// The old SLB, found by its address.
fn old_slb(book: &mut Runbook, spec: &Spec) -> &'static str {
    let lookup = Line::new("aliyun slb DescribeLoadBalancers")
        .opt("--RegionId", &spec.target.region)
        .opt("--Address", spec.source.entrypoint.address.to_string())
        .pipe(shell::jq_one(
            &[],
            ".LoadBalancers.LoadBalancer[].LoadBalancerId",
            "SLBs with the old entrypoint address",
        ));
    book.lookup("OLD_SLB_ID", Line::assign("OLD_SLB_ID", lookup).build());
    "OLD_SLB_ID"
}

/// The variables an SLB step uses, each registered with how it is set: the old SLB's vServer
/// group of the service (only the operator knows which), the new nodes' ECS ids (the
/// cluster's workers) and the old servers' ids (the group's servers that are not new nodes).
struct SlbIds {
    group: String,
    new_nodes: &'static str,
    old_servers: String,
}

/// The variable names of a service's SLB commands, the same in every runbook.
fn slb_vars(service: &str) -> SlbIds {
    SlbIds {
        group: shell::variable(&["vsg-id", service]),
        new_nodes: "NEW_NODE_IDS",
        old_servers: shell::variable(&["old-server-ids", service]),
    }
}

fn slb_ids(book: &mut Runbook, spec: &Spec, service: &str) -> SlbIds {
    let region = &spec.target.region;
    let slb = old_slb(book, spec);
    let SlbIds {
        group,
        new_nodes,
        old_servers,
    } = slb_vars(service);
    book.guard_after(
        &group,
        format!("set {group} to the VServerGroupId of the old SLB’s group that serves {service} (the line above lists the groups)"),
        Line::new("aliyun slb DescribeVServerGroups")
            .opt("--RegionId", region)
            .opt_var("--LoadBalancerId", slb)
            .build(),
    );
    let nodes = Line::new("kubectl get nodes")
        .opt("-l", "!node-role.kubernetes.io/master")
        .lit("-o json")
        .pipe(shell::jq(
            "-ec",
            &[],
            "[.items[].spec.providerID | split(\".\") | .[1]] | if length > 0 then . else error(\"found no worker nodes\") end",
        ));
    book.lookup(new_nodes, Line::assign(new_nodes, nodes).build());
    let servers =
        Line::new("aliyun slb DescribeVServerGroupAttribute")
            .opt("--RegionId", region)
            .opt_var("--VServerGroupId", &group)
            .pipe(Line::new("jq -ec --argjson new").var(new_nodes).arg(
                "[.BackendServers.BackendServer[].ServerId | select(IN($new[]) | not)] | unique",
            ));
    book.lookup(&old_servers, Line::assign(&old_servers, servers).build());
    SlbIds {
        group,
        new_nodes,
        old_servers,
    }
}

/// `aliyun slb <action>` on a service's vServer group, for the servers in `ids_var`.
fn slb_servers(
    region: &str,
    action: &str,
    group: &str,
    ids_var: &str,
    fields: &[(&str, String)],
) -> String {
    Line::new("aliyun slb")
        .lit(action)
        .opt("--RegionId", region)
        .opt_var("--VServerGroupId", group)
        .lit("--BackendServers")
        .subst(servers_json(ids_var, fields))
        .build()
}

/// The commands that set a service's weights on the old SLB: the old servers', then the new
/// nodes' (adding them to the group when they join).
fn slb_weight_commands(region: &str, ids: &SlbIds, slb: &SlbBackends, join: bool) -> Vec<String> {
    weight_lines(
        region,
        ids,
        slb.old_weight,
        slb.new_weight,
        slb.node_port,
        join,
    )
}

/// The commands that set a service's weights, by the variables every runbook sets (for the
/// plan's own record of them).
pub fn slb_weight_lines(
    region: &str,
    service: &str,
    old_weight: u32,
    new_weight: u32,
    node_port: u16,
) -> Vec<String> {
    weight_lines(
        region,
        &slb_vars(service),
        old_weight,
        new_weight,
        node_port,
        false,
    )
}

fn weight_lines(
    region: &str,
    ids: &SlbIds,
    old_weight: u32,
    new_weight: u32,
    node_port: u16,
    join: bool,
) -> Vec<String> {
    let port = node_port.to_string();
    vec![
        slb_servers(
            region,
            "SetVServerGroupAttribute",
            &ids.group,
            &ids.old_servers,
            &[("Weight", old_weight.to_string())],
        ),
        slb_servers(
            region,
            if join {
                "AddVServerGroupBackendServers"
            } else {
                "SetVServerGroupAttribute"
            },
            &ids.group,
            ids.new_nodes,
            &[("Port", port), ("Weight", new_weight.to_string())],
        ),
    ]
}

fn describe_group(region: &str, group: &str) -> String {
    Line::new("aliyun slb DescribeVServerGroupAttribute")
        .opt("--RegionId", region)
        .opt_var("--VServerGroupId", group)
        .build()
}

fn traffic(spec: &Spec, plan: &Plan, phase: &Phase, book: &mut Runbook) {
    let ns = spec.namespace();
    let region = &spec.target.region;
    let commands = kubectl_apply(phase);
    if !commands.is_empty() {
        book.steps.push(
            step(
                Role::Operations,
                format!("Apply the routes of {}", text(phase.title.to_lowercase())),
                phase
                    .wave
                    .as_ref()
                    .map_or("rollout".into(), |w| format!("rollout.waves[{w}]")),
            )
            .commands(
                commands.into_iter().chain([kubectl_in(ns)
                    .lit("get")
                    .opt("-k", format!("manifests/{}", phase.id))
                    .lit("-o yaml")
                    .pipe(Line::new("grep -E").arg("name:|weight|canary|mirror"))
                    .build()]),
            )
            .expect(match phase.weight {
                Some(w) if phase.kind == PhaseKind::Step => format!(
                    "the routes send {w}% of the requests of {} to the new cluster",
                    text(phase.services.join(", "))
                ),
                _ => "the routes are as the folder says".to_string(),
            }),
        );
    }
    let previous_slb = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.number < phase.number && !p.slb_backends.is_empty());
    for slb in &phase.slb_backends {
        let before =
            previous_slb.and_then(|p| p.slb_backends.iter().find(|b| b.service == slb.service));
        let joined = before.is_some_and(|b| b.new_weight > 0);
        if before == Some(slb) || (!joined && slb.new_weight == 0) {
            continue;
        }
        let ids = slb_ids(book, spec, &slb.service);
        // The new nodes join the vServer group at their first share; later steps only
        // change the weights.
        let mut commands = slb_weight_commands(region, &ids, slb, !joined);
        commands.push(describe_group(region, &ids.group));
        book.steps.push(
            step(Role::Operations, format!("Set the old SLB's weights for {}: {:.2}% new", code(&slb.service), f64::from(slb.share_hundredths) / 100.0), format!("services[{}]", slb.service))
                .detail(format!("Old servers weight {}, new nodes (NodePort {}) weight {}: with {} old and {} new servers the new cluster gets the share.", slb.old_weight, slb.node_port, slb.new_weight, slb.old_servers, slb.new_servers))
                .commands(commands)
                .expect("the last command shows these weights"),
        );
        match before.filter(|_| joined) {
            Some(prev) => {
                let mut commands = slb_weight_commands(region, &ids, prev, false);
                commands.push(describe_group(region, &ids.group));
                book.rollback.push(
                    step(
                        Role::Operations,
                        format!("Set the old SLB's weights for {} back", code(&slb.service)),
                        format!("services[{}]", slb.service),
                    )
                    .commands(commands)
                    .expect(format!(
                        "old servers weight {}, new nodes weight {}",
                        prev.old_weight, prev.new_weight
                    )),
                )
            }
            None => book.rollback.push(
                step(
                    Role::Operations,
                    format!(
                        "Take the new nodes out of the old SLB for {}",
                        code(&slb.service)
                    ),
                    format!("services[{}]", slb.service),
                )
                .commands([
                    slb_servers(
                        region,
                        "RemoveVServerGroupBackendServers",
                        &ids.group,
                        ids.new_nodes,
                        &[("Port", slb.node_port.to_string())],
                    ),
                    slb_servers(
                        region,
                        "SetVServerGroupAttribute",
                        &ids.group,
                        &ids.old_servers,
                        &[("Weight", "100".to_string())],
                    ),
                    describe_group(region, &ids.group),
                ])
                .expect("only the old servers remain, at weight 100"),
            ),
        }
    }
    let previous_clients = plan
        .phases
        .iter()
        .rev()
        .find(|p| p.number < phase.number && !p.client_servers.is_empty());
    let old_only = vec![spec.source.entrypoint.address.to_string()];
    for client in &phase.client_servers {
        let before = previous_clients
            .and_then(|p| p.client_servers.iter().find(|c| c.host == client.host))
            .map_or(&old_only, |b| &b.servers);
        if before == &client.servers {
            continue;
        }
        book.steps.push(
            step(
                Role::Developer,
                format!(
                    "Ship the server list for {}: {}",
                    code(&client.host),
                    text(client.servers.join(", "))
                ),
                "rollout.strategy",
            )
            .detail(format!("{}; release it off-peak.", text(&client.note)))
            .expect("the clients' telemetry shows the new list in use"),
        );
        book.rollback.push(
            step(Role::Developer, format!("Ship the previous server list for {}: {}", code(&client.host), text(before.join(", "))), "rollout.strategy")
                .detail("Release it at once: clients that already have the new list keep it until they update.")
                .expect("the clients use the previous list"),
        );
    }
    let rollback = kubectl_rollback(phase);
    if !rollback.is_empty() {
        book.rollback.push(
            step(
                Role::Operations,
                "Apply the state before this phase",
                "rollout",
            )
            .detail(text(&phase.rollback_summary))
            .commands(rollback)
            .expect("the routes are as in the previous phase"),
        );
    }
    if phase.kind == PhaseKind::Mirror {
        book.notes.push("Mirrored requests run on the new services and on everything they call: writes the new side makes (to databases synced both ways above all) happen twice. Mirror read-only paths, or point the new side's writes at a scratch copy while mirroring.".into());
    }
    if phase.kind == PhaseKind::Entry {
        book.notes.push("The new ingress still sends every request to the old cluster (the legacy backend); requests that carry the `rollout.match` go to the new services.".into());
    }
    if spec.rollout.strategy == Strategy::IngressCanary
        && spec.rollout.controller == Some(crate::model::Controller::AckNginx)
        && phase.weight.is_some_and(|w| w > 0)
    {
        book.notes.push("With ACK's annotations the match applies only while the weight is 0: from now on, matched requests follow the weights too.".into());
    }
}

fn decommission(spec: &Spec, phase: &Phase, book: &mut Runbook) {
    let region = &spec.target.region;
    let old = spec.source.entrypoint.address.to_string();
    book.steps.push(
        step(
            Role::Operations,
            "Confirm that the new cluster serves every request",
            "rollout",
        )
        .detail("The production hosts resolve to the new entrypoint only, and answer from it.")
        .commands(
            spec.services
                .iter()
                .flat_map(|s| s.routes.first())
                .take(1)
                .flat_map(|route| {
                    [
                        Line::new("dig +short A").arg(&route.host).build(),
                        curl_line(&route.host, &route.path, None, true),
                    ]
                }),
        )
        .expect(format!(
            "`dig` and curl's remote address show {}",
            text(spec.target.entrypoint.address.to_string())
        )),
    );
    let slb = old_slb(book, spec);
    book.steps.push(
        step(Role::Operations, format!("Confirm that no traffic reaches the old entrypoint {}", code(&old)), "source.entrypoint.address")
            .detail("Resolvers may keep an answer past its TTL (up to 48 hours): watch the old SLB's new connections drop to zero before going on (`dns/drain`).")
            .commands([
                // The last day, at 5-minute points (288, under the 1,000 one answer holds).
                Line::new("aliyun cms DescribeMetricList --Namespace acs_slb_dashboard --MetricName InstanceNewConnection --Period 300")
                    .lit("--StartTime")
                    .subst(Line::new("date -u -d").arg("-1 day").arg("+%Y-%m-%dT%H:%M:%SZ"))
                    .lit("--Dimensions")
                    .subst(Line::new("jq -cn --arg id").var(slb).arg("[{instanceId: $id}]"))
                    .build(),
            ])
            .expect("no new connections on the old SLB for at least the last day"),
    );
    if let Some(data) = &spec.data {
        for db in data.databases.iter().filter(|db| db.sync != SyncMode::Full) {
            let (job, _) = dts_job_id(book, region, db);
            book.steps.push(
                step(Role::Operations, format!("Stop and release the DTS task of {}", code(&db.name)), format!("data.databases[{}].sync", db.name))
                    .detail("Before the old services go: once stopped, nothing writes to the old database any more.")
                    .commands([stop_dts(region, &job)])
                    .expect("the task is Stopped; release it in the DTS console once the rollback window closes"),
            );
        }
    }
    let delete = kubectl_apply(phase);
    if !delete.is_empty() {
        book.steps.push(
            step(
                Role::Operations,
                "Remove the legacy backend and the canary routes",
                "source.entrypoint",
            )
            .commands(delete)
            .expect("the objects are deleted"),
        );
    }
    let stack = spec.source.stack.as_deref().unwrap_or(&spec.metadata.name);
    let undeploy = match spec.source.platform {
        SourcePlatform::Swarm => vec![
            "docker stack ls   # on a manager node of the old cluster".to_string(),
            Line::new("docker stack rm").arg(stack).build(),
        ],
        SourcePlatform::Kubernetes => vec![
            Line::new("kubectl")
                .opt("--context", &spec.source.name)
                .lit("delete namespace")
                .arg(stack)
                .build(),
        ],
    };
    book.steps.push(
        step(Role::Operations, format!("Undeploy the old cluster {}", code(&spec.source.name)), "source.stack (default: metadata.name)")
            .detail("The last step that can be undone by redeploying the old stack: take a final backup of the old volumes and databases first.")
            .commands(undeploy)
            .expect("the old services are gone; keep the nodes until the rollback window closes"),
    );
    if let Some(data) = &spec.data {
        match &data.backups {
            // Listing and removing are two steps, and the removal asks ossutil's own question
            // (no `-f`): a `data.backups` that names live data is seen before it is gone.
            Some(backups) => {
                book.steps.push(
                    step(Role::Operations, format!("List the migration's backups in {}", code(backups)), "data.backups")
                        .detail("Read the listing: it must hold only the backups this migration made, nothing that a volume, an object store or an app still uses.")
                        .commands([Line::new("ossutil ls").arg(backups).build()])
                        .expect("only the migration's backups are listed"),
                );
                book.steps.push(
                    step(Role::Operations, format!("Delete the migration's backups in {} (cannot be undone)", code(backups)), "data.backups")
                        .detail(format!("This deletes every object under {} for good: it cannot be undone. Compare with the listing of the step before and run it only if that listing holds nothing else; ossutil asks once more before it deletes.", code(backups)))
                        .commands([Line::new("ossutil rm -r").arg(backups).build()])
                        .expect("`ossutil ls` lists nothing under the prefix"),
                );
            }
            None => book.notes.push("No backup location in the spec (`data.backups`): no migration backups to purge from OSS.".into()),
        }
    }
    if spec.target.test_domain.is_some() {
        book.notes.push("The test domain's routes (`-test` Ingresses or routes) stay: keep them for tests, or delete them with the test domain's DNS record.".into());
    }
    let recreate = kubectl_rollback(phase);
    if !recreate.is_empty() {
        book.rollback.push(
            step(Role::Operations, "Re-create the legacy backend", "source.entrypoint")
                .detail("Only before the old cluster is undeployed: afterwards there is nothing to go back to.")
                .commands(recreate)
                .expect("the legacy objects exist again"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_skip_single_quotes_and_comments() {
        assert_eq!(
            references(r#"a "$X" '$Y' ${Z:?m} $low   # $W"#),
            vec!["X".to_string(), "Z".to_string()]
        );
        assert_eq!(defines("X=$(a)"), Some("X".into()));
        assert_eq!(defines(": \"${X:?help}\""), Some("X".into()));
        assert_eq!(defines("echo X=1"), None);
    }
}
