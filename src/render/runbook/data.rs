//! The data phase: databases by DTS, the PrivateZone, object stores by ossimport, and the
//! copies of the old volumes.

use super::commands::{cluster_id, dts_job_id, dts_task_name, stop_dts};
use super::{Role, Runbook, code, step, text};
use crate::model::{
    CopyMethod, DumpEngine, NetworkPlugin, Provisioning, SourcePlatform, Spec, Storage,
    StorageType, SyncMode, VolumeCopy,
};
use crate::plan::dns as dns_plan;
use crate::rules::RuleId;
use crate::shell::{self, Line, Piece};

pub(super) fn data(spec: &Spec, plan: &crate::plan::Plan, book: &mut Runbook) {
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
    // An existing zone (`create: false`) was verified in prepare.
    if let Some(pz) = spec
        .dns
        .as_ref()
        .and_then(|d| d.private_zone.as_ref())
        .filter(|pz| pz.create)
    {
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
            step(
                Role::Operations,
                format!(
                    "Create the PrivateZone {} and bind it to the VPC",
                    code(&pz.zone)
                ),
                "dns.privateZone.zone",
            )
            .detail(format!(
                "The apps keep resolving the database by this name while it moves (`{}`).",
                RuleId::DnsPrivateZone
            ))
            // The plan's record (plan.json), with the id shown once the zone exists.
            .commands({
                let mut commands = plan
                    .zones
                    .private_zone
                    .as_ref()
                    .map(|z| z.commands.clone())
                    .unwrap_or_default();
                commands.insert(commands.len().min(1), shell::show(&zone_id));
                commands
            })
            .expect("the zone is bound to the cluster's VPC"),
        );
    }
    for store in &data.object_stores {
        let dir = ossimport_dir(book, &store.name);
        let config = format!("tools/ossimport/{}/local_job.cfg", store.name);
        let interval = store.incremental_interval();
        let last = last_phase(plan);
        book.steps.push(
            step(Role::Operations, format!("Copy {} to {} with ossimport, then keep it up to date", code(&store.source), code(&store.target)), format!("data.objectStores[{}]", store.name))
                .detail(format!("On a machine close to the source, with ossimport (standalone) unpacked for this store alone (its job is always `local_test`): copy {} to its `conf/`, fill in the AccessKeys it marks (never commit them), then run the job. It is in incremental mode: after the full copy it copies what changed every {} (`incrementalModeInterval`) and keeps running until the final pass in {}; leave it running.", code(&config), text(interval.as_str()), code(&last)))
                .commands([
                    Line::new("cp")
                        .arg(&config)
                        .word(&[Piece::Var(&dir), Piece::Lit("/conf/local_job.cfg")])
                        .build(),
                    in_ossimport(&dir, "bash import.sh"),
                    in_ossimport(&dir, "bash console.sh stat"),
                ])
                .expect(format!("the first full pass reports every task succeeded; the objects are in {} ({}); the job stays in incremental mode", code(&store.target), text(region))),
        );
        book.rollback.push(
            step(Role::Operations, format!("Stop the incremental ossimport job of {}", code(&store.name)), format!("data.objectStores[{}]", store.name))
                .detail("The old store keeps every object; what was copied to OSS stays there unused until the next attempt.")
                .commands([in_ossimport(&dir, "bash console.sh stop")])
                .expect("ossimport's service is stopped"),
        );
    }
}

/// The folder where ossimport (standalone) is unpacked for one store, as a guarded variable.
fn ossimport_dir(book: &mut Runbook, store: &str) -> String {
    let dir = shell::variable(&["ossimport-dir", store]);
    book.guard(
        &dir,
        format!(
            "set {dir} to the folder where ossimport (standalone) is unpacked for {store} alone"
        ),
    );
    dir
}

/// A command run inside an ossimport folder, in a subshell.
fn in_ossimport(dir: &str, command: &str) -> String {
    Line::new("cd")
        .var(dir)
        .and(Line::new(command))
        .subshell()
        .build()
}

/// The id of the phase of the final passes (the last traffic phase).
fn last_phase(plan: &crate::plan::Plan) -> String {
    crate::plan::copies::last_traffic_phase(&plan.phases)
        .map(|p| p.id.clone())
        .unwrap_or_default()
}

/// The services that mount `storage`.
fn users_of<'a>(spec: &'a Spec, storage: &Storage) -> Vec<&'a str> {
    spec.services
        .iter()
        .filter(|s| s.volumes.iter().any(|v| v.storage == storage.name))
        .map(|s| s.name.as_str())
        .collect()
}

/// The old volume of `storage` on its node: the guards for the node (and the volume or its
/// path) and the lines that find its path. Returns the lines and the node and path variables.
fn old_volume(spec: &Spec, storage: &Storage, book: &mut Runbook) -> (Vec<String>, String, String) {
    let users = users_of(spec, storage);
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
            book.guard(
                &volume,
                format!(
                    "set {volume} to the old volume's name, from: docker volume ls (on that node)"
                ),
            );
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
            book.guard(
                &node,
                format!(
                    "set {node} to the old node that holds the volume of {} (as ssh reaches it)",
                    users.join(", ")
                ),
            );
            book.guard(
                &mountpoint,
                format!(
                    "set {mountpoint} to the old volume's path on that node, from: kubectl get pv"
                ),
            );
            vec![
                Line::new("kubectl")
                    .opt("--context", &spec.source.name)
                    .lit("get pvc -A")
                    .comment(&format!("the old claim of {}", users.join(", ")))
                    .build(),
            ]
        }
    };
    (find, node, mountpoint)
}

/// How a data disk's copy reads in a runbook: its method, freeze and final phase.
fn copy_summary(copy: &VolumeCopy, last: &str) -> String {
    let freeze = copy.freeze();
    let method = match copy.method {
        CopyMethod::Snapshot => {
            "a snapshot of the old cloud disk, made into a new disk in the target zone and bound by a static PV"
        }
        CopyMethod::Rsync => {
            "rsync: a first pass while the old side serves, then a final `rsync -a --delete` with the writers stopped"
        }
        CopyMethod::Dump => "a dump of the database in it, piped into the new side's database",
    };
    format!(
        "It is copied by {method}, in {} (`storage[].copy`), with its writers stopped for at most {} (the freeze window). Until then the new pods' copy is a replica: what the new side writes to it before the final pass is replaced by the old side's data, so keep the services that write it on the old side until then",
        code(last),
        text(freeze.as_str()),
    )
}

/// The data in the old cluster's volumes: NAS copied here, static disks seeded here, and
/// each data disk's copy method stated (the final passes are in the last traffic phase).
pub(super) fn volume_copies(spec: &Spec, plan: &crate::plan::Plan, book: &mut Runbook) {
    let last = last_phase(plan);
    for storage in &spec.storage {
        let source = format!("storage[{}]", storage.name);
        let name = code(&storage.name);
        let copy = storage.copy_or_default();
        let step = match (storage.kind, storage.provisioning) {
            (StorageType::Nas, _) => {
                let (find, node, mountpoint) = old_volume(spec, storage, book);
                let path = storage.path.clone().unwrap_or_default();
                let server = storage.server.clone().unwrap_or_default();
                let mnt = format!("/mnt/{}", storage.name);
                let mut commands = find;
                commands.extend([
                    Line::new("sudo mkdir -p").arg(&mnt).build(),
                    Line::new("sudo mount -t nfs")
                        .opt(
                            "-o",
                            format!(
                                "vers={},nolock,proto=tcp",
                                storage.nfs_version.clone().unwrap_or_else(|| "3".into())
                            ),
                        )
                        .arg(format!("{server}:{path}"))
                        .arg(&mnt)
                        .build(),
                    Line::new("rsync -a --delete")
                        .word(&[
                            Piece::Var(&node),
                            Piece::Lit(":"),
                            Piece::Var(&mountpoint),
                            Piece::Lit("/"),
                        ])
                        .arg(format!("{mnt}/"))
                        .build(),
                ]);
                // NFS keeps the old owners, and the kubelet does not apply fsGroup to NAS:
                // the files go to the new pods' non-root user here.
                let owner = crate::model::security::volume_owner(spec, storage);
                if let Some((user, group)) = owner {
                    commands.extend([
                        Line::new("sudo chown -R")
                            .arg(format!("{user}:{group}"))
                            .arg(&mnt)
                            .build(),
                        Line::new("sudo chmod -R g+rwX").arg(&mnt).build(),
                    ]);
                }
                let detail = match owner {
                    Some((user, group)) => format!("From a machine in the VPC that reaches the old node; repeat the rsync and the chown just before the traffic moves to catch up. The new pods run as uid {user} with group {group}, and Kubernetes does not change a NAS volume's owner (fsGroup applies to disks only): the chown gives them the files."),
                    None => "From a machine in the VPC that reaches the old node; repeat the rsync just before the traffic moves to catch up.".to_string(),
                };
                step(
                    Role::Operations,
                    format!("Copy the data of {name} into NAS {}", code(&path)),
                    source,
                )
                .detail(detail)
                .commands(commands)
                .expect("rsync ends without errors and a second run copies nothing new")
            }
            (StorageType::Disk, _) if copy.is_none() => {
                book.notes.push(format!("Disk {name} is a scratch area (`scratch: true`): it starts empty on the new side and nothing is copied into it."));
                continue;
            }
            (StorageType::Disk, Some(Provisioning::Static)) => {
                let copy = copy.unwrap_or_else(|| unreachable!("a data disk has a copy"));
                let disk = storage.disk_id.clone().unwrap_or_default();
                let describe = Line::new("aliyun ecs DescribeDisks")
                    .opt("--RegionId", &spec.target.region)
                    .lit("--DiskIds")
                    .json(&serde_json::json!([disk]))
                    .build();
                let zone = code(storage.zone.clone().unwrap_or_default());
                match copy.method {
                    CopyMethod::Rsync => {
                        let (mut commands, _, _) = old_volume(spec, storage, book);
                        commands.push(describe);
                        step(Role::Operations, format!("Put the data of {name} on disk {}", code(&disk)), format!("{source}.copy"))
                            .detail(format!("The static disk must hold the data before the deploy: copy it from the old volume onto the disk while it is attached to an ECS instance in {zone}, then detach it. This is the seed; {}.", copy_summary(&copy, &last)))
                            .commands(commands)
                            .expect("the disk is Available (detached) and holds the copied data")
                    }
                    CopyMethod::Snapshot | CopyMethod::Dump => step(
                        Role::Operations,
                        format!(
                            "Check disk {}, the new pods' disk of {name} until the final pass",
                            code(&disk)
                        ),
                        format!("{source}.copy"),
                    )
                    .detail(format!(
                        "The new pods start on this disk in {zone}. {}.",
                        copy_summary(&copy, &last)
                    ))
                    .commands([describe])
                    .expect("the disk is Available (detached)"),
                }
            }
            (StorageType::Disk, _) => {
                let copy = copy.unwrap_or_else(|| unreachable!("a data disk has a copy"));
                let commands = if copy.method == CopyMethod::Rsync {
                    old_volume(spec, storage, book).0
                } else {
                    Vec::new()
                };
                step(Role::Operations, format!("Find the old volume of {name}, copied in {}", code(&last)), format!("{source}.copy"))
                    .detail(format!("A dynamic disk starts empty; the deploy creates it. {}.", copy_summary(&copy, &last)))
                    .commands(commands)
                    .expect("the old volume is found; the copy method and the freeze window are in the change ticket")
            }
            (StorageType::Oss, _) => continue,
        };
        book.steps.push(step);
    }
}

/// The line that scales a service of the old cluster to `replicas`.
fn old_scale(spec: &Spec, service: &str, replicas: u32, book: &mut Runbook) -> String {
    let stack = spec.source.stack.as_deref().unwrap_or(&spec.metadata.name);
    match spec.source.platform {
        SourcePlatform::Swarm => {
            let manager = shell::variable(&["old-manager"]);
            book.guard(
                &manager,
                format!("set {manager} to a manager node of the old cluster (as ssh reaches it)"),
            );
            Line::new("docker -H")
                .word(&[Piece::Lit("ssh://"), Piece::Var(&manager)])
                .lit("service scale")
                .arg(format!("{stack}_{service}={replicas}"))
                .build()
        }
        SourcePlatform::Kubernetes => Line::new("kubectl")
            .opt("--context", &spec.source.name)
            .opt("-n", stack)
            .lit("scale")
            .arg(format!("deployment/{service}"))
            .opt("--replicas", replicas.to_string())
            .comment("statefulset/ if the old cluster runs it as one")
            .build(),
    }
}

/// The new cluster's workload of a service: `statefulset/<name>` or `deployment/<name>`.
fn new_workload(spec: &Spec, service: &str) -> String {
    let stateful = spec
        .services
        .iter()
        .any(|s| s.name == service && s.stateful);
    format!(
        "{}/{service}",
        if stateful {
            "statefulset"
        } else {
            "deployment"
        }
    )
}

/// The line that scales a service of the new cluster to `replicas`.
fn new_scale(spec: &Spec, service: &str, replicas: u32) -> String {
    Line::new("kubectl")
        .opt("-n", spec.namespace())
        .lit("scale")
        .arg(new_workload(spec, service))
        .opt("--replicas", replicas.to_string())
        .build()
}

fn replicas_of(spec: &Spec, service: &str) -> u32 {
    spec.services
        .iter()
        .find(|s| s.name == service)
        .map_or(1, |s| s.replicas)
}

/// A JSON array of one id held in a shell variable: `"$(jq -cn --arg id "$X" '[$id]')"`.
fn one_id_array(variable: &str) -> Line {
    Line::new("jq -cn --arg id").var(variable).arg("[$id]")
}

/// `aliyun ecs <api> <ids> [$id] --waiter`: waits until the resource whose id the variable
/// holds reaches `state` (`api`, `ids`, `expr` and `state` are fixed text).
fn wait_for(api: &str, ids: &str, region: &str, variable: &str, expr: &str, state: &str) -> String {
    Line::new(&format!("aliyun ecs {api}"))
        .opt("--RegionId", region)
        .lit(ids)
        .subst(one_id_array(variable))
        .lit("--waiter")
        .arg(format!("expr={expr}"))
        .arg(format!("to={state}"))
        .build()
}

/// The last traffic phase: the final ossimport pass of every object store, and the final
/// pass of every data disk inside its freeze window.
pub(super) fn final_pass(spec: &Spec, plan: &crate::plan::Plan, book: &mut Runbook) {
    for store in &plan.data_copies.object_stores {
        let dir = ossimport_dir(book, &store.name);
        let conf = [Piece::Var(&dir), Piece::Lit("/conf/local_job.cfg")];
        book.steps.push(
            step(Role::Operations, format!("End the incremental ossimport job of {} with a last full pass", code(&store.name)), format!("data.objectStores[{}]", store.name))
                .detail("The traffic has moved: the old store takes no more writes. A submitted ossimport job cannot change, so stop it and clean it, turn the same configuration (with its AccessKeys) into one pass that is not incremental and skips the objects already copied unchanged (`isSkipExistFile=true`: same size and last-modified time), and run it; answer No when `import.sh` offers to resume the old job. Objects deleted from the source after they were copied stay in OSS: ossimport copies, it never deletes")
                .commands([
                    in_ossimport(&dir, "bash console.sh stop"),
                    in_ossimport(&dir, "bash console.sh clean"),
                    Line::new("sed -i")
                        .opt("-e", "s/^isIncremental=.*/isIncremental=false/")
                        .opt("-e", "s/^isSkipExistFile=.*/isSkipExistFile=true/")
                        .word(&conf)
                        .build(),
                    Line::new("grep -E")
                        .arg("^(isIncremental|isSkipExistFile)=")
                        .word(&conf)
                        .build(),
                    in_ossimport(&dir, "bash import.sh"),
                    in_ossimport(&dir, "bash console.sh stat"),
                ])
                .expect("grep prints `isIncremental=false` and `isSkipExistFile=true`; the job reports every task succeeded"),
        );
    }
    for volume in &plan.data_copies.volumes {
        let Some(storage) = spec.storage(&volume.storage) else {
            continue;
        };
        let Some(copy) = storage.copy_or_default() else {
            continue;
        };
        // The old services each pass stops: the rollback starts them again.
        let stopped = match copy.method {
            CopyMethod::Rsync => {
                rsync_pass(spec, storage, volume, book);
                volume.writers.clone()
            }
            CopyMethod::Snapshot => {
                snapshot_pass(spec, storage, &copy, volume, book);
                volume.writers.clone()
            }
            CopyMethod::Dump => dump_pass(spec, storage, &copy, volume, book),
        };
        if stopped.is_empty() {
            continue;
        }
        let mut restart: Vec<String> = Vec::new();
        for service in &stopped {
            let line = old_scale(spec, service, replicas_of(spec, service), book);
            restart.push(line);
        }
        // Before the traffic goes back: the old side serves with its writers.
        book.rollback.insert(
            0,
            step(Role::Operations, format!("Start the old writers of {} again", code(&storage.name)), format!("storage[{}].copy", storage.name))
                .detail("The final pass only read the old data: the old side's data is as the freeze left it.")
                .commands(restart)
                .expect("the old services run with their replicas"),
        );
    }
}

fn freeze_title(volume: &crate::plan::copies::VolumeCopyPlan) -> String {
    format!(
        "Freeze {} for at most {}: stop its writers and make the final pass",
        code(&volume.storage),
        text(&volume.freeze)
    )
}

fn freeze_expect(volume: &crate::plan::copies::VolumeCopyPlan) -> String {
    format!(
        "every command succeeded and the new pods are Running within {} of the time `date` printed; past it, roll back",
        text(&volume.freeze)
    )
}

/// rsync: the new disk on a copy machine, a first pass while the old side serves, then the
/// final `rsync -a --delete` with the old writers stopped.
fn rsync_pass(
    spec: &Spec,
    storage: &Storage,
    volume: &crate::plan::copies::VolumeCopyPlan,
    book: &mut Runbook,
) {
    let ns = spec.namespace();
    let disk_variable = shell::variable(&["disk-id", &storage.name]);
    let disk = match (&storage.provisioning, &storage.disk_id) {
        (Some(Provisioning::Static), Some(id)) => Piece::Lit(id.as_str()),
        _ => {
            // The claim the new pods mount: the shared one, or replica 0's of a StatefulSet.
            let claim = match volume.writers.first() {
                Some(writer)
                    if spec
                        .services
                        .iter()
                        .any(|s| &s.name == writer && s.stateful) =>
                {
                    format!("{}-{writer}-0", storage.name)
                }
                _ => storage.name.clone(),
            };
            book.lookup(
                &disk_variable,
                Line::assign(
                    &disk_variable,
                    Line::new("kubectl")
                        .opt("-n", ns)
                        .lit("get pv")
                        .subst(
                            Line::new("kubectl")
                                .opt("-n", ns)
                                .lit("get pvc")
                                .arg(&claim)
                                .opt("-o", "jsonpath={.spec.volumeName}"),
                        )
                        .opt("-o", "jsonpath={.spec.csi.volumeHandle}"),
                )
                .build(),
            );
            Piece::Var(&disk_variable)
        }
    };
    let instance = shell::variable(&["copy-instance-id"]);
    book.guard(
        &instance,
        format!("set {instance} to the ECS instance in the disks' zone that makes the copies (it reaches the old nodes by ssh)"),
    );
    let device = shell::variable(&["copy-device", &storage.name]);
    let mnt = format!("/mnt/cutover-{}", storage.name);
    let (find, node, mountpoint) = old_volume(spec, storage, book);
    let rsync = Line::new("rsync -a --delete")
        .word(&[
            Piece::Var(&node),
            Piece::Lit(":"),
            Piece::Var(&mountpoint),
            Piece::Lit("/"),
        ])
        .arg(format!("{mnt}/"))
        .build();
    let disk_line = |verb: &str| {
        Line::new(&format!("aliyun ecs {verb}"))
            .opt_var("--InstanceId", &instance)
            .lit("--DiskId")
            .word(std::slice::from_ref(&disk))
            .build()
    };
    let mut first: Vec<String> = volume
        .writers
        .iter()
        .map(|w| new_scale(spec, w, 0))
        .collect();
    first.extend([
        disk_line("AttachDisk"),
        // The device exists only once the disk is attached.
        "lsblk".to_string(),
        shell::guard(
            &device,
            &format!("set {device} to the device the new disk of {} shows as in lsblk on the copy machine", storage.name),
        ),
        Line::new("sudo mkdir -p").arg(&mnt).build(),
        Line::new("sudo mount").var(&device).arg(&mnt).build(),
    ]);
    first.extend(find);
    first.push(rsync.clone());
    book.steps.push(
        step(Role::Operations, format!("Make the first pass of {} while the old side serves", code(&storage.name)), format!("storage[{}].copy", storage.name))
            .detail(format!("On the copy machine. The new pods of {} stop (their disk is ReadWriteOnce); the old ones keep serving and writing, so this pass copies the bulk and the final one only what changed. On a StatefulSet the copy goes to replica 0's claim; the other replicas' disks start empty.", text(volume.writers.join(", "))))
            .commands(first)
            .expect("rsync ends without errors"),
    );
    let mut freeze = vec!["date -u".to_string()];
    for writer in &volume.writers {
        let line = old_scale(spec, writer, 0, book);
        freeze.push(line);
    }
    freeze.extend([
        rsync,
        Line::new("sudo umount").arg(&mnt).build(),
        disk_line("DetachDisk"),
    ]);
    freeze.extend(
        volume
            .writers
            .iter()
            .map(|w| new_scale(spec, w, replicas_of(spec, w))),
    );
    book.steps.push(
        step(Role::Operations, freeze_title(volume), format!("storage[{}].copy.freeze", storage.name))
            .detail(format!("The freeze window starts with `date`: the old writers stop, the final `rsync -a --delete` makes the disk equal to the old volume, and the new pods start on it. Planned at most {} (`plan.json`, `dataCopies`).", text(&volume.freeze)))
            .commands(freeze)
            .expect(freeze_expect(volume)),
    );
}

/// snapshot: the old writers stop, the old disk's snapshot becomes a new disk in the target
/// zone, a static PV binds it, and the new pods mount its claim.
fn snapshot_pass(
    spec: &Spec,
    storage: &Storage,
    copy: &VolumeCopy,
    volume: &crate::plan::copies::VolumeCopyPlan,
    book: &mut Runbook,
) {
    let region = &spec.target.region;
    let ns = spec.namespace();
    let source_disk = copy.source_disk_id.clone().unwrap_or_default();
    let zone = storage.zone.clone().unwrap_or_default();
    let snapshot = shell::variable(&["snapshot-id", &storage.name]);
    let disk = shell::variable(&["new-disk-id", &storage.name]);
    let dir = crate::render::tools::copy_dir(storage);
    let name = format!("cutover-{}-{}", spec.metadata.name, storage.name);
    let category = storage
        .category
        .map(|c| <&'static str>::from(c).to_string())
        .unwrap_or_else(|| "cloud_essd".into());
    let claim = crate::render::manifests::copy::snapshot_claim_name(storage);
    let mut commands = vec!["date -u".to_string()];
    for writer in &volume.writers {
        let line = old_scale(spec, writer, 0, book);
        commands.push(line);
        commands.push(new_scale(spec, writer, 0));
    }
    // https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-createsnapshot
    // https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-createdisk
    commands.extend([
        Line::assign(
            &snapshot,
            Line::new("aliyun ecs CreateSnapshot")
                .opt("--DiskId", &source_disk)
                .opt("--SnapshotName", &name)
                .pipe(shell::jq_field(".SnapshotId")),
        )
        .build(),
        shell::show(&snapshot),
        wait_for(
            "DescribeSnapshots",
            "--SnapshotIds",
            region,
            &snapshot,
            "Snapshots.Snapshot[0].Status",
            "accomplished",
        ),
        Line::assign(
            &disk,
            Line::new("aliyun ecs CreateDisk")
                .opt("--RegionId", region)
                .opt("--ZoneId", &zone)
                .opt_var("--SnapshotId", &snapshot)
                .opt("--DiskCategory", &category)
                .opt("--DiskName", &name)
                .pipe(shell::jq_field(".DiskId")),
        )
        .build(),
        shell::show(&disk),
        wait_for(
            "DescribeDisks",
            "--DiskIds",
            region,
            &disk,
            "Disks.Disk[0].Status",
            "Available",
        ),
        Line::new("kubectl create --dry-run=client -o json")
            .opt("-f", format!("{dir}/pv.yaml"))
            .pipe(
                Line::new("jq --arg id")
                    .var(&disk)
                    .arg(".spec.csi.volumeHandle = $id"),
            )
            .pipe(Line::new("kubectl apply -f -"))
            .build(),
        Line::new("kubectl apply")
            .opt("-f", format!("{dir}/pvc.yaml"))
            .build(),
    ]);
    for writer in &volume.writers {
        commands.push(claim_patch(spec, writer, &storage.name, &claim));
        commands.push(new_scale(spec, writer, replicas_of(spec, writer)));
    }
    commands.push(
        Line::new("kubectl")
            .opt("-n", ns)
            .lit("get pvc")
            .arg(&claim)
            .build(),
    );
    book.steps.push(
        step(Role::Operations, freeze_title(volume), format!("storage[{}].copy", storage.name))
            .detail(format!("The freeze window starts with `date`. The old writers and the new pods stop; a snapshot of the old disk {} becomes a new {} disk in {}, which a static PV ({}) binds and the new pods mount through the claim {}. The new disk's id exists only now: the PV file holds a placeholder that the command sets. Planned at most {} (`plan.json`, `dataCopies`).", code(&source_disk), text(&category), code(&zone), code(format!("{dir}/pv.yaml")), code(&claim), text(&volume.freeze)))
            .commands(commands)
            .expect(format!("the snapshot is accomplished, the disk Available, the claim Bound; {}", freeze_expect(volume))),
    );
    let mut back: Vec<String> = Vec::new();
    for writer in &volume.writers {
        back.push(claim_patch(spec, writer, &storage.name, &storage.name));
    }
    book.rollback.push(
        step(
            Role::Operations,
            format!("Mount the earlier claim of {} again", code(&storage.name)),
            format!("storage[{}].copy", storage.name),
        )
        .detail("The new disk and its PV stay (Retain) for a later attempt.")
        .commands(back)
        .expect("the new pods mount the earlier claim"),
    );
}

/// A patch that points the pod template's volume `volume` at the claim `claim`.
fn claim_patch(spec: &Spec, service: &str, volume: &str, claim: &str) -> String {
    Line::new("kubectl")
        .opt("-n", spec.namespace())
        .lit("patch")
        .arg(new_workload(spec, service))
        .lit("-p")
        .json(&serde_json::json!({
            "spec": {"template": {"spec": {"volumes": [
                {"name": volume, "persistentVolumeClaim": {"claimName": claim}}
            ]}}}
        }))
        .build()
}

/// dump: the clients stop, the old database's dump is piped into the new one, the clients
/// start again.
fn dump_pass(
    spec: &Spec,
    storage: &Storage,
    copy: &VolumeCopy,
    volume: &crate::plan::copies::VolumeCopyPlan,
    book: &mut Runbook,
) -> Vec<String> {
    let Some(database) = volume.writers.first() else {
        return Vec::new();
    };
    // The clients: the services that wait for the database (`dependsOn`).
    let clients: Vec<String> = spec
        .services
        .iter()
        .filter(|s| s.depends_on.iter().any(|d| volume.writers.contains(d)))
        .map(|s| s.name.clone())
        .collect();
    // The tools' own commands; `$MYSQL_ROOT_PASSWORD` is the container's, expanded inside it.
    let (dump, restore): (&str, &str) = match copy.engine.unwrap_or(DumpEngine::Postgresql) {
        DumpEngine::Postgresql => (
            "pg_dumpall --clean --if-exists -U postgres",
            "psql -U postgres -d postgres",
        ),
        DumpEngine::Mysql => (
            "sh -c \"exec mysqldump --all-databases --single-transaction --routines --events --add-drop-database -uroot -p\\\"\\$MYSQL_ROOT_PASSWORD\\\"\"",
            "sh -c \"exec mysql -uroot -p\\\"\\$MYSQL_ROOT_PASSWORD\\\"\"",
        ),
        DumpEngine::Mongodb => ("mongodump --archive", "mongorestore --archive --drop"),
    };
    let container = shell::variable(&["old-container", &storage.name]);
    let source = match spec.source.platform {
        SourcePlatform::Swarm => {
            let node = shell::variable(&["old-node", &storage.name]);
            book.guard(
                &node,
                format!("set {node} to the old node that runs {database} (as ssh reaches it)"),
            );
            book.guard(&container, format!("set {container} to the old container of {database}, from: docker ps (on that node)"));
            Line::new("docker -H")
                .word(&[Piece::Lit("ssh://"), Piece::Var(&node)])
                .lit("exec")
                .var(&container)
                .lit(dump)
        }
        SourcePlatform::Kubernetes => {
            let stack = spec.source.stack.as_deref().unwrap_or(&spec.metadata.name);
            book.guard(
                &container,
                format!("set {container} to the old pod of {database}, from: kubectl get pods"),
            );
            Line::new("kubectl")
                .opt("--context", &spec.source.name)
                .opt("-n", stack)
                .lit("exec")
                .var(&container)
                .lit("--")
                .lit(dump)
        }
    };
    let target = Line::new("kubectl")
        .opt("-n", spec.namespace())
        .lit("exec -i")
        .arg(new_workload(spec, database))
        .lit("--")
        .lit(restore);
    let mut commands = vec!["date -u".to_string()];
    for client in &clients {
        let line = old_scale(spec, client, 0, book);
        commands.push(line);
        commands.push(new_scale(spec, client, 0));
    }
    commands.push(source.pipe(target).build());
    commands.extend(
        clients
            .iter()
            .map(|c| new_scale(spec, c, replicas_of(spec, c))),
    );
    let engine: &'static str = copy.engine.unwrap_or(DumpEngine::Postgresql).into();
    let who = if clients.is_empty() {
        "No service declares `dependsOn` on it: stop every client that writes to it by hand first."
            .to_string()
    } else {
        format!(
            "Its clients ({}) stop on both sides, so nothing writes while the dump runs.",
            text(clients.join(", "))
        )
    };
    book.steps.push(
        step(Role::Operations, freeze_title(volume), format!("storage[{}].copy", storage.name))
            .detail(format!("The freeze window starts with `date`. {who} The old {} database in {} is dumped and piped into the new one, which the dump replaces (what the new side wrote before is dropped). The tools run inside the containers with their local defaults: add the engine's credentials (`--username`, `--password`) where the database requires them. Planned at most {} (`plan.json`, `dataCopies`).", text(engine), code(&storage.name), text(&volume.freeze)))
            .commands(commands)
            .expect(format!("the restore ends without errors and the row or document counts match; {}", freeze_expect(volume))),
    );
    clients
}

/// Decommission, before anything is deleted: a backup of every migrated store in
/// `data.backups`, each checked to exist there.
pub(super) fn backups(spec: &Spec, plan: &crate::plan::Plan, book: &mut Runbook) {
    let Some(backups) = &plan.data_copies.backups else {
        return;
    };
    let Some(data) = &spec.data else {
        return;
    };
    let prefix = if backups.location.ends_with('/') {
        backups.location.clone()
    } else {
        format!("{}/", backups.location)
    };
    // A private folder outside the bundle: the bundle's own files stay as sealed.
    let local = "BACKUP_DIR";
    let mut commands = vec![Line::assign(local, Line::new("mktemp -d")).build()];
    let at = |name: &str| format!("/{name}");
    let mut checks = Vec::new();
    let mut manual = Vec::new();
    for db in data.databases.iter().filter(|db| !db.shared_instance) {
        let file = at(&format!("databases-{}.sql", db.name));
        let file = [Piece::Var(local), Piece::Lit(file.as_str())];
        let object = format!("{prefix}databases/{}.sql", db.name);
        let user = shell::variable(&["db-user", &db.name]);
        let port = db.source.port.to_string();
        let engine = db.engine.to_ascii_lowercase();
        let dump = if ["mysql", "mariadb", "polardb"].contains(&engine.as_str()) {
            Line::new("mysqldump")
                .opt("--host", &db.source.host)
                .opt("--port", &port)
                .opt_var("--user", &user)
                .lit("-p --all-databases --single-transaction --result-file")
                .word(&file)
        } else if engine.starts_with("postgres") {
            Line::new("pg_dumpall")
                .opt("--host", &db.source.host)
                .opt("--port", &port)
                .opt_var("--username", &user)
                .lit("--file")
                .word(&file)
        } else {
            manual.push(format!("{} ({})", code(&db.name), text(&db.engine)));
            continue;
        };
        book.guard(
            &user,
            format!(
                "set {user} to a user that may read every database of {}",
                db.name
            ),
        );
        commands.push(dump.build());
        commands.push(Line::new("ossutil cp").word(&file).arg(&object).build());
        checks.push(Line::new("ossutil stat").arg(&object).build());
    }
    for store in &data.object_stores {
        let target = if store.target.ends_with('/') {
            store.target.clone()
        } else {
            format!("{}/", store.target)
        };
        let object = format!("{prefix}objectStores/{}/", store.name);
        commands.push(Line::new("ossutil cp -r").arg(&target).arg(&object).build());
        checks.push(Line::new("ossutil du").arg(&target).build());
        checks.push(Line::new("ossutil du").arg(&object).build());
    }
    for storage in spec
        .storage
        .iter()
        .filter(|s| s.copy_or_default().is_some())
    {
        let (find, node, mountpoint) = old_volume(spec, storage, book);
        let dir = at(&format!("storage-{}", storage.name));
        let file = format!("{dir}.tar.gz");
        let (dir, file) = (
            [Piece::Var(local), Piece::Lit(dir.as_str())],
            [Piece::Var(local), Piece::Lit(file.as_str())],
        );
        let dir_slash = format!("{}/", at(&format!("storage-{}", storage.name)));
        let object = format!("{prefix}storage/{}.tar.gz", storage.name);
        commands.extend(find);
        commands.extend([
            Line::new("rsync -a")
                .word(&[
                    Piece::Var(&node),
                    Piece::Lit(":"),
                    Piece::Var(&mountpoint),
                    Piece::Lit("/"),
                ])
                .word(&[Piece::Var(local), Piece::Lit(dir_slash.as_str())])
                .build(),
            Line::new("tar -czf")
                .word(&file)
                .lit("-C")
                .word(&dir)
                .arg(".")
                .build(),
            Line::new("ossutil cp").word(&file).arg(&object).build(),
        ]);
        checks.push(Line::new("ossutil stat").arg(&object).build());
    }
    let mut detail = format!(
        "Before anything is deleted, from a machine that reaches the old databases and nodes: each migrated store's last state on the old side (the databases, the old volumes) and the object stores' copies go under {}. Keep them until the rollback window closes; the local copies are in a temporary folder (`$BACKUP_DIR`): remove it once the check below passes.",
        code(&prefix)
    );
    if !manual.is_empty() {
        detail.push_str(&format!(
            " Back up {} with the engine's own tool into {}, too.",
            manual.join(", "),
            code(format!("{prefix}databases/"))
        ));
    }
    book.steps.push(
        step(
            Role::Operations,
            format!("Write the migration's backups to {}", code(&prefix)),
            "data.backups",
        )
        .detail(detail)
        .commands(commands)
        .expect("every command succeeds"),
    );
    book.steps.push(
        step(Role::Operations, format!("Check that the backups are in {}", code(&prefix)), "data.backups")
            .detail("Each backup exists with a size above zero, and each object store's copy holds as many objects as the store; go on only then.")
            .commands(checks)
            .expect("`ossutil stat` shows each file with a size above zero; the two `du` of each store count the same objects"),
    );
}
