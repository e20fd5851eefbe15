//! The data phase: databases by DTS, the PrivateZone, object stores by ossimport, and the
//! copies of the old volumes.

use super::commands::{cluster_id, dts_job_id, dts_task_name, stop_dts};
use super::{Role, Runbook, code, step, text};
use crate::model::{NetworkPlugin, Provisioning, SourcePlatform, Spec, StorageType, SyncMode};
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
pub(super) fn volume_copies(spec: &Spec, book: &mut Runbook) {
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
                // NFS keeps the old owners, and the kubelet does not apply fsGroup to NAS:
                // the files go to the new pods' non-root user here.
                let owner = crate::model::security::volume_owner(spec, storage);
                if let Some((user, group)) = owner {
                    commands.extend([
                        Line::new("sudo chown -R").arg(format!("{user}:{group}")).arg(&mnt).build(),
                        Line::new("sudo chmod -R g+rwX").arg(&mnt).build(),
                    ]);
                }
                let detail = match owner {
                    Some((user, group)) => format!("From a machine in the VPC that reaches the old node; repeat the rsync and the chown just before the traffic moves to catch up. The new pods run as uid {user} with group {group}, and Kubernetes does not change a NAS volume's owner (fsGroup applies to disks only): the chown gives them the files."),
                    None => "From a machine in the VPC that reaches the old node; repeat the rsync just before the traffic moves to catch up.".to_string(),
                };
                step(Role::Operations, format!("Copy the data of {name} into NAS {}", code(&path)), source)
                    .detail(detail)
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
