//! The runbooks as data: for every phase, the steps a person follows, each with its role,
//! the exact commands, what the check must show, and the spec value it comes from; the gate
//! before the next phase; and the rollback as commands. The templates only lay this out.

use serde::Serialize;

use super::Plan;
use super::dns::{ChangeKind, DnsChange};
use super::rollout::{Action, Phase, PhaseKind};
use crate::model::{
    Edition, NetworkPlugin, Provisioning, SourcePlatform, Spec, Storage, StorageType, Strategy,
    SyncMode,
};

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

fn kubectl_apply(phase: &Phase) -> Vec<String> {
    match phase.forward {
        Action::Apply => vec![format!("kubectl apply -k manifests/{}", phase.id)],
        Action::Delete => vec![format!("kubectl delete -k manifests/{}", phase.id)],
        Action::None => Vec::new(),
    }
}

fn kubectl_rollback(phase: &Phase) -> Vec<String> {
    match (phase.rollback, &phase.rollback_folder) {
        (Action::Apply, Some(folder)) => vec![format!("kubectl apply -k manifests/{folder}")],
        (Action::Delete, Some(folder)) => vec![format!("kubectl delete -k manifests/{folder}")],
        _ => Vec::new(),
    }
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

/// DNS changes as runbook steps: one per record and kind, with its commands and check.
fn dns_steps(changes: &[DnsChange]) -> Vec<Step> {
    changes
        .iter()
        .map(|c| {
            let title = match c.kind {
                ChangeKind::LowerTtl => format!(
                    "Lower the TTL of `{}` {} to {} s",
                    c.fqdn, c.record_type, c.ttl_after
                ),
                ChangeKind::RestoreTtl => format!(
                    "Restore the TTL of `{}` {} to {} s",
                    c.fqdn, c.record_type, c.ttl_after
                ),
                ChangeKind::Add => format!("Add `{}` {} `{}`", c.fqdn, c.record_type, c.value),
                ChangeKind::Remove => {
                    format!("Remove `{}` {} `{}`", c.fqdn, c.record_type, c.value)
                }
                ChangeKind::Verify => format!("Verify that `{}` answers `{}`", c.fqdn, c.value),
                ChangeKind::SetWeights if c.weights.is_empty() => {
                    format!("Switch off weighting for `{}`", c.fqdn)
                }
                ChangeKind::SetWeights => format!(
                    "Weight `{}`: {}",
                    c.fqdn,
                    c.weights
                        .iter()
                        .map(|(v, w)| format!("`{v}` {w}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ChangeKind::AddPrivate => format!(
                    "Add the PrivateZone record `{}` {} `{}`",
                    c.fqdn, c.record_type, c.value
                ),
                ChangeKind::RemovePrivate => format!(
                    "Remove the PrivateZone record `{}` {}",
                    c.fqdn, c.record_type
                ),
            };
            let mut detail = sentence(&c.reason);
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
                    "`{}` lists `{}`",
                    c.commands.first().cloned().unwrap_or_default(),
                    c.value
                ),
                _ => "the command returns a RecordId and no error".to_string(),
            };
            step(Role::Operations, title, source)
                .detail(detail)
                .commands(c.commands.clone())
                .expect(expect)
        })
        .collect()
}

/// `GET /path` as a curl command that prints the status code.
fn curl(host: &str, request: &str) -> Option<String> {
    let (method, path) = request.trim().split_once(' ')?;
    Some(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' -X {method} 'http://{host}{path}'"
    ))
}

pub fn build(spec: &Spec, plan: &Plan) -> Vec<Runbook> {
    plan.phases
        .iter()
        .map(|phase| {
            let mut book = Runbook {
                phase: phase.id.clone(),
                number: phase.number,
                title: phase.title.clone(),
                changes: phase.changes.clone(),
                steps: Vec::new(),
                hold: phase.hold.clone(),
                gates: phase.gates.clone(),
                rollback: Vec::new(),
                notes: Vec::new(),
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
                book.steps.extend(dns_steps(&dns.changes));
                // DNS undo comes before the cluster's: the names stop pointing at what goes.
                let mut rollback = dns_steps(&dns.rollback);
                rollback.append(&mut book.rollback);
                book.rollback = rollback;
            }
            if book.rollback.is_empty() {
                book.notes.push(
                    "Nothing to roll back in this phase: it changed nothing that serves traffic."
                        .into(),
                );
            }
            book
        })
        .collect()
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
        spec.source.entrypoint.address,
        spec.target.entrypoint.address,
    );
    let switch = |from, to, title: &str| {
        step(Role::Operations, format!("{title} {}", hosts.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")), "target.entrypoint.address")
            .detail(format!("The spec has no `dns` section: with your DNS provider, for each name add the answer {to}, check it, then remove {from} (never leave a name without an answer)."))
            .commands(hosts.iter().map(|h| format!("dig +short A {h}")))
            .expect(format!("each name answers {to} only"))
    };
    (
        vec![switch(old, new, "Point at the new entrypoint:")],
        vec![switch(new, old, "Point back at the old entrypoint:")],
    )
}

fn prepare(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let t = &spec.target;
    let n = &t.network;
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
        .commands(["kubectl get nodes -o wide".to_string()])
        .expect(format!(
            "{} nodes in Ready state across {}",
            plan.sizing.planned_nodes,
            t.zones.join(", ")
        ));
    book.steps.push(create);
    if let Some(ic) = &plan.ingress_controller {
        book.steps.push(
            step(Role::Operations, format!("Pin the ingress controller: {} replicas", ic.replicas), "target.ingressController")
                .detail(if ic.dedicated_nodes > 0 {
                    format!("Label {} worker nodes for the controller (replace each `<ingress-node-N>` with a node name from `kubectl get nodes`), then patch it.", ic.dedicated_nodes)
                } else {
                    "Patch the controller's replica count.".into()
                })
                .commands(ic.commands.clone())
                .expect(format!("`rollout status` reports {} replicas available", ic.replicas)),
        );
        let service = if ic.namespace == "istio-system" {
            "istio-ingressgateway"
        } else {
            "nginx-ingress-lb"
        };
        book.steps.push(
            step(Role::Operations, format!("Confirm the ingress address is {}", t.entrypoint.address), "target.entrypoint.address")
                .detail("Every DNS change later points at this address: it must be the controller's load balancer.")
                .commands([format!("kubectl -n {} get svc {service} -o jsonpath='{{.status.loadBalancer.ingress[0].ip}}'", ic.namespace)])
                .expect(format!("{} (if not, correct `target.entrypoint.address` and compile again)", t.entrypoint.address)),
        );
    }
    book.rollback.push(
        step(Role::Operations, "Release the new cluster", "target")
            .detail("Only while nothing else has been moved: the cluster holds nothing yet.")
            .commands(["aliyun cs DELETE /clusters/<cluster-id>".to_string()])
            .expect("the cluster is gone from `aliyun cs GET /clusters`"),
    );
}

fn data(spec: &Spec, book: &mut Runbook) {
    let Some(data) = &spec.data else {
        book.notes
            .push("The spec moves no databases or object stores (`data`).".into());
        return;
    };
    let n = &spec.target.network;
    let mut allowed: Vec<String> = n.vswitches.iter().map(|v| v.cidr.to_string()).collect();
    if n.plugin == NetworkPlugin::Flannel
        && let Some(pod) = n.pod_cidr
    {
        // Flannel pods reach the VPC with their own addresses.
        allowed.push(pod.to_string());
    }
    for db in &data.databases {
        let src = format!("data.databases[{}]", db.name);
        book.steps.push(
            step(Role::Operations, format!("Let the new cluster reach RDS {}", db.target.instance), format!("{src}.target.instance"))
                .detail("Allow the cluster's vSwitches (and with Flannel its pod CIDR) in the instance's whitelist.")
                .commands([
                    format!("aliyun rds ModifySecurityIps --DBInstanceId {} --DBInstanceIPArrayName cutover --SecurityIps {}", db.target.instance, allowed.join(",")),
                    format!("aliyun rds DescribeDBInstanceIPArrayList --DBInstanceId {}", db.target.instance),
                ])
                .expect(format!("the `cutover` group lists {}", allowed.join(", "))),
        );
        let mode = match db.sync {
            SyncMode::Full => "schema and full data migration",
            SyncMode::Incremental => "schema, full data and incremental data migration",
            SyncMode::Bidirectional => {
                "two-way synchronization (a DTS synchronization task in both directions)"
            }
        };
        book.steps.push(
            step(Role::Operations, format!("Move database {} with DTS", db.name), format!("{src}.sync"))
                .detail("Create the DTS task in the console with these settings; start it and wait for the full copy.")
                .setting("Source engine", &db.engine, &format!("{src}.engine"))
                .setting("Source", format!("{}:{}", db.source.host, db.source.port), &format!("{src}.source"))
                .setting("Destination", format!("RDS {}", db.target.instance), &format!("{src}.target.instance"))
                .setting("Mode", mode, &format!("{src}.sync"))
                .expect(match db.sync {
                    SyncMode::Full => "the task reports Completed and the row counts match".to_string(),
                    _ => "the task is Running with a delay under 10 s".to_string(),
                }),
        );
        book.rollback.push(
            step(Role::Operations, format!("Stop the DTS task of {}", db.name), format!("{src}.sync"))
                .detail("Nothing has written to the new side yet, so the old database holds everything: stop the task and release it.")
                .commands([
                    "aliyun dts DescribeDtsJobs --RegionId REGION --PageSize 50   # note the DtsJobId of this database's task".replace("REGION", &spec.target.region),
                    "aliyun dts StopDtsJob --RegionId REGION --DtsJobId '<DtsJobId from the line above>'".replace("REGION", &spec.target.region),
                ])
                .expect("the task is Stopped"),
        );
    }
    if let Some(pz) = spec.dns.as_ref().and_then(|d| d.private_zone.as_ref()) {
        book.steps.push(
            step(Role::Operations, format!("Create the PrivateZone {} and bind it to the VPC", pz.zone), "dns.privateZone.zone")
                .detail("The apps keep resolving the database by this name while it moves (`dns/private-zone`).")
                .commands([
                    format!("aliyun pvtz AddZone --ZoneName {}   # prints the ZoneId", pz.zone),
                    format!("aliyun vpc DescribeVpcs --RegionId {}   # the VpcId whose CidrBlock is {}", spec.target.region, n.vpc),
                    format!("aliyun pvtz BindZoneVpc --ZoneId '<zone-id: {}>' --Vpcs.1.RegionId {} --Vpcs.1.VpcId '<vpc-id of {}>'", pz.zone, spec.target.region, n.vpc),
                ])
                .expect("the zone is bound to the cluster's VPC"),
        );
    }
    let region = &spec.target.region;
    for store in &data.object_stores {
        let dir = format!("tools/ossimport/{}", store.name);
        book.steps.push(
            step(Role::Operations, format!("Copy {} to {} with ossimport", store.source, store.target), format!("data.objectStores[{}]", store.name))
                .detail(format!("On a machine close to the source, with ossimport (standalone) unpacked: copy `{dir}/local_job.cfg` to its `conf/`, fill in the AccessKeys it marks (never commit them), then run the job."))
                .commands([
                    format!("cp {dir}/local_job.cfg <ossimport-dir>/conf/local_job.cfg"),
                    "cd <ossimport-dir> && bash import.sh".to_string(),
                    "bash console.sh stat".to_string(),
                ])
                .expect(format!("the job reports every task succeeded; the objects are in {} ({region})", store.target)),
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
        let find = match spec.source.platform {
            SourcePlatform::Swarm => format!(
                "docker volume inspect --format '{{{{ .Mountpoint }}}}' <volume>   # on the old node that runs {}",
                users.join(", ")
            ),
            SourcePlatform::Kubernetes => format!(
                "kubectl --context {} get pvc -A   # the old claim of {}",
                spec.source.name,
                users.join(", ")
            ),
        };
        let step = match (storage.kind, storage.provisioning) {
            (StorageType::Nas, _) => step(Role::Operations, format!("Copy the data of `{}` into NAS {}", storage.name, storage.path.clone().unwrap_or_default()), source)
                .detail("From a machine in the VPC that reaches the old node; repeat the rsync just before the traffic moves to catch up.")
                .commands([
                    find,
                    format!("sudo mount -t nfs -o vers={},nolock,proto=tcp {}:{} /mnt/{}", storage.nfs_version.clone().unwrap_or_else(|| "3".into()), storage.server.clone().unwrap_or_default(), storage.path.clone().unwrap_or_default(), storage.name),
                    format!("rsync -a --delete <old-node>:<mountpoint from the first command>/ /mnt/{}/", storage.name),
                ])
                .expect("rsync ends without errors and a second run copies nothing new"),
            (StorageType::Disk, Some(Provisioning::Static)) => step(Role::Operations, format!("Put the data of `{}` on disk {}", storage.name, storage.disk_id.clone().unwrap_or_default()), source)
                .detail(format!("The static disk must hold the data before the deploy: copy it from the old volume onto the disk while it is attached to an ECS instance in {}, then detach it.", storage.zone.clone().unwrap_or_default()))
                .commands([find, format!("aliyun ecs DescribeDisks --RegionId {} --DiskIds '[\"{}\"]'", spec.target.region, storage.disk_id.clone().unwrap_or_default())])
                .expect("the disk is Available (detached) and holds the copied data"),
            (StorageType::Disk, _) => step(Role::Operations, format!("Decide how `{}` gets its data", storage.name), source)
                .detail("A dynamic disk starts empty. If the service rebuilds its state (a cache), nothing to do; else copy the old volume into the new pods' volume after the deploy (`kubectl cp`).")
                .commands([find])
                .expect("the decision is written in the change ticket"),
            (StorageType::Oss, _) => continue,
        };
        book.steps.push(step);
    }
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
                images.target
            ),
            "images.target",
        )
        .detail("In Container Registry (ACR): the namespace, and a user with push and pull rights.")
        .commands([format!("docker login {registry}")])
        .expect("Login Succeeded"),
    );
    book.steps.push(
        step(
            Role::Operations,
            format!("Copy {} images with image-syncer", plan.images.len()),
            "services[*].image",
        )
        .detail("Export the registry credentials in your shell, render the config into a private file, sync, and delete the file whatever the outcome.")
        .commands([
            format!(
                "export {}   # fill in; never in a file",
                super::images::logins(spec)
                    .iter()
                    .map(|l| format!("{}=... {}=...", l.username_env, l.password_env))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            "(umask 077 && envsubst < tools/image-syncer/config.yaml > /tmp/image-syncer.yaml)".to_string(),
                "image-syncer --config=/tmp/image-syncer.yaml --proc=6 --retries=3; rm -f /tmp/image-syncer.yaml".to_string(),
        ])
        .expect("image-syncer ends with 0 failed tasks"),
    );
    for image in &plan.images {
        book.steps.push(
            step(
                Role::Operations,
                format!("Check {}", image.target),
                "images.target",
            )
            .commands([format!("docker manifest inspect {}", image.target)])
            .expect("a manifest, not `no such manifest`"),
        );
    }
}

fn secrets(spec: &Spec) -> Vec<Step> {
    let ns = spec.namespace();
    let mut steps = vec![
        step(
            Role::Operations,
            format!("Create the namespace {ns}"),
            "target.namespace",
        )
        .commands([format!(
            "kubectl create namespace {ns} --dry-run=client -o yaml | kubectl apply -f -"
        )])
        .expect(format!("namespace/{ns} created (or unchanged)")),
    ];
    if let Some(secret) = spec.images.as_ref().and_then(|i| i.pull_secret.as_ref()) {
        let registry = spec
            .images
            .as_ref()
            .map(|i| i.target.split('/').next().unwrap_or(&i.target).to_string())
            .unwrap_or_default();
        steps.push(
            step(Role::Operations, format!("Create the image pull Secret {secret}"), "images.pullSecret")
                .detail("The values come from your environment; they never enter the bundle.")
                .commands([format!("kubectl -n {ns} create secret docker-registry {secret} --docker-server={registry} --docker-username=\"$ACR_USERNAME\" --docker-password=\"$ACR_PASSWORD\"")])
                .expect(format!("secret/{secret} created")),
        );
    }
    for storage in &spec.storage {
        if let (StorageType::Oss, Some(secret)) = (storage.kind, &storage.credentials_secret) {
            steps.push(
                step(Role::Operations, format!("Create the OSS credentials Secret {secret}"), format!("storage[{}].credentialsSecret", storage.name))
                    .detail("An AccessKey pair allowed to read and write the bucket; exported in your shell, never written down.")
                    .commands([format!("kubectl -n {ns} create secret generic {secret} --from-literal=akId=\"$OSS_ACCESS_KEY_ID\" --from-literal=akSecret=\"$OSS_ACCESS_KEY_SECRET\"")])
                    .expect(format!("secret/{secret} created")),
            );
        }
    }
    steps
}

fn storage_note(storage: &Storage) -> Option<String> {
    match (storage.kind, storage.provisioning) {
        (StorageType::Oss, _) => Some(format!(
            "`{}` is OSS: it suits low-I/O shared files, and a cluster upgrade restarts the OSS driver, which remounts it (`storage/oss-io`).",
            storage.name
        )),
        (StorageType::Disk, Some(Provisioning::Static)) => Some(format!(
            "`{}` is the existing disk {}: it mounts only in {}.",
            storage.name,
            storage.disk_id.clone().unwrap_or_default(),
            storage.zone.clone().unwrap_or_default()
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
        apply.commands.push(format!(
            "kubectl -n {ns} rollout status {kind}/{} --timeout=10m",
            s.name
        ));
    }
    apply.commands.push(format!("kubectl -n {ns} get pvc"));
    book.steps
        .push(apply.expect("every rollout completes, every claim is Bound"));
    if let Some(test) = &spec.target.test_domain {
        let address = spec.target.entrypoint.address;
        let in_zone = spec.dns.as_ref().and_then(|d| {
            test.strip_suffix(&format!(".{}", d.zone))
                .map(|rr| (d.zone.clone(), rr.to_string()))
        });
        let mut commands = Vec::new();
        if let Some((zone, rr)) = &in_zone {
            commands.push(format!("aliyun alidns AddDomainRecord --DomainName {zone} --RR '{rr}' --Type A --Value {address} --TTL 600"));
        }
        commands.push(format!("dig +short A {test}"));
        book.steps.push(
            step(Role::Operations, format!("Point the test domain `{test}` at the new ingress"), "target.testDomain")
                .detail(if in_zone.is_some() {
                    "Testers reach the new cluster through it; production names are untouched.".to_string()
                } else {
                    format!("`{test}` is outside the zone cutover manages: add an A record for it to {address} with its DNS provider.")
                })
                                .commands(commands)
                .expect(format!("`dig` answers {address}")),
        );
        if let Some((zone, rr)) = &in_zone {
            book.rollback.push(
                step(Role::Operations, format!("Remove the test domain `{test}`"), "target.testDomain")
                    .commands([
                        format!("aliyun alidns DescribeDomainRecords --DomainName {zone} --RRKeyWord '{rr}' --Type A   # its RecordId"),
                        "aliyun alidns DeleteDomainRecord --RecordId '<RecordId from the line above>'".to_string(),
                    ])
                    .expect(format!("`dig +short A {test}` answers nothing")),
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
            .expect(format!("`kubectl -n {ns} get all` lists nothing cutover created")),
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
        let Some(command) = curl(test, &check.request) else {
            continue;
        };
        let mut commands = vec![command];
        if let Some(old) = &spec.source.test_domain
            && let Some(old_command) = curl(old, &check.request)
        {
            commands.push(old_command);
        }
        book.steps.push(
            step(Role::Tester, format!("Check: {}", check.name), format!("verification.checks[{}]", check.name))
                .detail("The first command asks the new cluster; the second (when the old cluster has a test domain) the old one, for comparison.")
                .commands(commands)
                .expect(format!("{} from the new cluster", check.expect)),
        );
    }
    let ns = spec.namespace();
    book.steps.push(
        step(Role::Tester, "Read the new services' logs", "services")
            .commands(spec.services.iter().map(|s| {
                format!(
                    "kubectl -n {ns} logs -l app.kubernetes.io/name={} --since=30m --tail=200",
                    s.name
                )
            }))
            .expect("no errors or stack traces that the old cluster does not show too"),
    );
    book.steps.push(
        step(Role::Tester, "Compare the metrics", "rollout.gates")
            .detail("In CloudMonitor / Prometheus: the new services' error rate and latency under the test traffic.")
            .commands([format!("kubectl -n {ns} top pods")])
            .expect(if spec.rollout.gates.is_empty() { "no pod near its limits".to_string() } else { spec.rollout.gates.join("; ") }),
    );
}

fn traffic(spec: &Spec, plan: &Plan, phase: &Phase, book: &mut Runbook) {
    let ns = spec.namespace();
    let commands = kubectl_apply(phase);
    if !commands.is_empty() {
        book.steps.push(
            step(
                Role::Operations,
                format!("Apply the routes of {}", phase.title.to_lowercase()),
                phase
                    .wave
                    .as_ref()
                    .map_or("rollout".into(), |w| format!("rollout.waves[{w}]")),
            )
            .commands(commands.into_iter().chain([format!(
                    "kubectl -n {ns} get -k manifests/{} -o yaml | grep -E 'name:|weight|canary|mirror'",
                    phase.id
                )]))
            .expect(match phase.weight {
                Some(w) if phase.kind == PhaseKind::Step => format!(
                    "the routes send {w}% of the requests of {} to the new cluster",
                    phase.services.join(", ")
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
        // The new nodes join the vServer group at their first share; later steps only
        // change the weights.
        let mut commands = slb.commands.clone();
        if !joined {
            commands[1] = format!(
                "aliyun slb AddVServerGroupBackendServers --RegionId {} --VServerGroupId {} --BackendServers '[{{\"ServerId\":\"<new-node-id>\",\"Port\":\"{}\",\"Weight\":\"{}\"}}]'  # each of the {} new nodes",
                spec.target.region,
                slb.vserver_group,
                slb.node_port,
                slb.new_weight,
                slb.new_servers
            );
        }
        book.steps.push(
            step(Role::Operations, format!("Set the old SLB's weights for {}: {:.2}% new", slb.service, f64::from(slb.share_hundredths) / 100.0), format!("services[{}]", slb.service))
                .detail(format!("Old servers weight {}, new nodes (NodePort {}) weight {}: with {} old and {} new servers the new cluster gets the share.", slb.old_weight, slb.node_port, slb.new_weight, slb.old_servers, slb.new_servers))
                .commands(commands)
                .expect(format!("`aliyun slb DescribeVServerGroupAttribute --VServerGroupId {}` shows these weights", slb.vserver_group)),
        );
        match before.filter(|_| joined) {
            Some(prev) => book.rollback.push(
                step(Role::Operations, format!("Set the old SLB's weights for {} back", slb.service), format!("services[{}]", slb.service))
                    .commands(prev.commands.clone())
                    .expect(format!("old servers weight {}, new nodes weight {}", prev.old_weight, prev.new_weight)),
            ),
            None => book.rollback.push(
                step(Role::Operations, format!("Take the new nodes out of the old SLB for {}", slb.service), format!("services[{}]", slb.service))
                    .commands([
                        format!("aliyun slb RemoveVServerGroupBackendServers --RegionId {} --VServerGroupId {} --BackendServers '[{{\"ServerId\":\"<new-node-id>\",\"Port\":\"{}\"}}]'  # each of the {} new nodes", spec.target.region, slb.vserver_group, slb.node_port, slb.new_servers),
                        slb.commands[0].replace(&format!("\"Weight\":\"{}\"", slb.old_weight), "\"Weight\":\"100\""),
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
                    client.host,
                    client.servers.join(", ")
                ),
                "rollout.strategy",
            )
            .detail(format!("{}; release it off-peak.", client.note))
            .expect("the clients' telemetry shows the new list in use"),
        );
        book.rollback.push(
            step(Role::Developer, format!("Ship the previous server list for {}: {}", client.host, before.join(", ")), "rollout.strategy")
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
            .detail(phase.rollback_summary.clone())
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
    let old = spec.source.entrypoint.address;
    book.steps.push(
        step(Role::Operations, "Confirm that the new cluster serves every request", "rollout")
            .detail("The production hosts resolve to the new entrypoint only, and answer from it.")
            .commands(spec.services.iter().flat_map(|s| s.routes.first()).take(1).flat_map(|route| {
                [
                    format!("dig +short A {}", route.host),
                    format!("curl -sS -o /dev/null -w '%{{http_code}} %{{remote_ip}}\\n' 'http://{}{}'", route.host, route.path),
                ]
            }))
            .expect(format!("`dig` and curl's remote address show {}", spec.target.entrypoint.address)),
    );
    book.steps.push(
        step(Role::Operations, format!("Confirm that no traffic reaches the old entrypoint {old}"), "source.entrypoint.address")
            .detail("Resolvers may keep an answer past its TTL (up to 48 hours): watch the old SLB's new connections drop to zero before going on (`dns/drain`).")
            .commands([
                format!("aliyun slb DescribeLoadBalancers --RegionId {region} --Address {old}   # note its LoadBalancerId"),
                "aliyun cms DescribeMetricList --Namespace acs_slb_dashboard --MetricName InstanceNewConnection --Dimensions '[{\"instanceId\":\"<LoadBalancerId from the line above>\"}]'".to_string(),
            ])
            .expect("no new connections on the old SLB for at least the last day"),
    );
    if let Some(data) = &spec.data {
        for db in data.databases.iter().filter(|db| db.sync != SyncMode::Full) {
            book.steps.push(
                step(Role::Operations, format!("Stop and release the DTS task of {}", db.name), format!("data.databases[{}].sync", db.name))
                    .detail("Before the old services go: once stopped, nothing writes to the old database any more.")
                    .commands([
                        format!("aliyun dts DescribeDtsJobs --RegionId {region} --PageSize 50   # the DtsJobId of this database's task"),
                        format!("aliyun dts StopDtsJob --RegionId {region} --DtsJobId '<DtsJobId from the line above>'"),
                    ])
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
            format!("docker stack rm {stack}"),
        ],
        SourcePlatform::Kubernetes => vec![format!(
            "kubectl --context {} delete namespace {stack}",
            spec.source.name
        )],
    };
    book.steps.push(
        step(Role::Operations, format!("Undeploy the old cluster {}", spec.source.name), "source.stack (default: metadata.name)")
            .detail("The last step that can be undone by redeploying the old stack: take a final backup of the old volumes and databases first.")
            .commands(undeploy)
            .expect("the old services are gone; keep the nodes until the rollback window closes"),
    );
    if let Some(data) = &spec.data {
        match &data.backups {
            Some(backups) => book.steps.push(
                step(Role::Operations, format!("Purge the migration's backups in {backups}"), "data.backups")
                    .commands([format!("ossutil ls {backups}"), format!("ossutil rm -r -f {backups}")])
                    .expect("`ossutil ls` lists nothing under the prefix"),
            ),
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
