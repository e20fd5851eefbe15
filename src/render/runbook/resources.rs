//! The prepare phase's last steps: every cloud resource the spec names and does not create
//! is looked up, and each lookup fails (a non-zero exit) unless the resource exists where
//! the new cluster reaches it: the RDS instances and NAS mount targets in the cluster's own
//! VPC (and the NAS file system in one of its zones), the buckets in its region, a
//! PrivateZone the spec calls existing bound to its VPC. What the spec asks to create (a
//! bucket with `create: true`) is created here instead.
//!
//! Upstream: RDS DescribeDBInstanceAttribute (`Items.DBInstanceAttribute[].VpcId`,
//! `ZoneId`, `DBInstanceStatus`), <https://www.alibabacloud.com/help/en/rds/api-query-instance-details>;
//! NAS DescribeMountTargets (`MountTargets.MountTarget[].VpcId`, `VswId`, `Status`) and
//! DescribeFileSystems (`FileSystems.FileSystem[].ZoneId`),
//! <https://www.alibabacloud.com/help/en/nas/developer-reference/api-nas-2017-06-26-describemounttargets>;
//! ossutil `stat` (its `Location : oss-<region>` line) and `mb`,
//! <https://www.alibabacloud.com/help/en/oss/developer-reference/stat>; PrivateZone
//! DescribeZones and DescribeZoneInfo (`BindVpcs.Vpc[].VpcId`),
//! <https://help.aliyun.com/zh/dns/api-pvtz-2018-01-01-describezoneinfo>.

use super::commands::cluster_id;
use super::{Role, Runbook, code, step, text};
use crate::model::{Spec, StorageType};
use crate::plan::dns as dns_plan;
use crate::shell::{self, Line, Piece};

/// The variable that holds the new cluster's VPC id (also the data runbook's).
const VPC: &str = crate::plan::zones::VPC_VAR;

pub(super) fn verify(spec: &Spec, book: &mut Runbook) {
    let region = &spec.target.region;
    let data = spec.data.as_ref();
    let databases: Vec<_> = data.iter().flat_map(|d| &d.databases).collect();
    let nas: Vec<_> = spec
        .storage
        .iter()
        .filter(|s| s.kind == StorageType::Nas)
        .collect();
    let buckets = buckets(spec);
    let existing_zone = spec
        .dns
        .as_ref()
        .and_then(|d| d.private_zone.as_ref())
        .filter(|pz| !pz.create);
    if databases.is_empty() && nas.is_empty() && buckets.is_empty() && existing_zone.is_none() {
        return;
    }
    // The cluster exists from the first step on: its own VPC, not one found by its CIDR.
    let mut vpc_lines = Vec::new();
    if !databases.is_empty() || !nas.is_empty() || existing_zone.is_some() {
        let (cluster, _) = cluster_id(book, &spec.target.name);
        let lookup = Line::new("aliyun cs GET")
            .word(&[Piece::Lit("/clusters/"), Piece::Var(cluster)])
            .pipe(shell::jq_one(
                &[],
                ".vpc_id",
                "VPC ids in the cluster's detail",
            ));
        vpc_lines = vec![Line::assign(VPC, lookup).build(), shell::show(VPC)];
    }
    for (i, db) in databases.iter().enumerate() {
        let instance = &db.target.instance;
        let source = format!("data.databases[{}].target.instance", db.name);
        let mut commands = if i == 0 {
            vpc_lines.clone()
        } else {
            Vec::new()
        };
        let step = if is_rds(instance) {
            commands.push(
                Line::new("aliyun rds DescribeDBInstanceAttribute")
                    .opt("--region", region)
                    .opt("--DBInstanceId", instance)
                    .pipe(
                        Line::new("jq -e")
                            .lit("--arg vpc")
                            .var(VPC)
                            .arg(".Items.DBInstanceAttribute[0] | {DBInstanceId, VpcId, ZoneId, DBInstanceStatus} as $i | $i, ($i.VpcId == $vpc and $i.DBInstanceStatus == \"Running\")"),
                    )
                    .build(),
            );
            step(Role::Operations, format!("Verify RDS {} is in the cluster's VPC", code(instance)), source)
                .detail(format!("The instance must exist, run, and sit in the new cluster's VPC, or the services cannot reach it: the last line fails otherwise. Its zone is printed: one of {} keeps the latency low.", text(spec.target.zones.join(", "))))
                .commands(commands)
                .expect("the instance's details print, then `true`; the line returns 0")
        } else {
            step(Role::Operations, format!("Verify instance {} is in the cluster's VPC", code(instance)), source)
                .detail(format!("{} is not an RDS instance id (`rm-`, `pgm-`, `mr-`): open it in its console and check that it runs in the new cluster's VPC (the line below prints the VPC id).", code(instance)))
                .commands(commands)
                .expect("the console shows the instance running in the VPC printed above")
        };
        book.steps.push(step);
    }
    let vpc_printed = !databases.is_empty();
    for (i, storage) in nas.iter().enumerate() {
        let source = format!("storage[{}].server", storage.name);
        let server = storage.server.clone().unwrap_or_default();
        let mut commands = if i == 0 && !vpc_printed {
            vpc_lines.clone()
        } else {
            Vec::new()
        };
        let fs = match file_system_id(&server) {
            Some(id) => FileSystem::Known(id),
            None => {
                let variable = shell::variable(&["nas-fs-id", &storage.name]);
                book.guard(
                    &variable,
                    format!(
                        "set {variable} to the id of the NAS file system that serves {server}, from: aliyun nas DescribeFileSystems"
                    ),
                );
                FileSystem::Variable(variable)
            }
        };
        let with_fs = |line: Line| match &fs {
            FileSystem::Known(id) => line.opt("--FileSystemId", id),
            FileSystem::Variable(v) => line.opt_var("--FileSystemId", v),
        };
        commands.push(
            with_fs(Line::new("aliyun nas DescribeMountTargets").opt("--region", region))
                .opt("--MountTargetDomain", &server)
                .pipe(
                    Line::new("jq -e")
                        .lit("--arg vpc")
                        .var(VPC)
                        .arg(".MountTargets.MountTarget[0] | {MountTargetDomain, VpcId, VswId, Status} as $m | $m, ($m.VpcId == $vpc and $m.Status == \"Active\")"),
                )
                .build(),
        );
        commands.push(
            with_fs(Line::new("aliyun nas DescribeFileSystems").opt("--region", region))
                .pipe(
                    Line::new("jq -e")
                        .opt("--arg", "zones")
                        .arg(spec.target.zones.join(" "))
                        .arg(".FileSystems.FileSystem[0].ZoneId as $z | $z, ($zones | split(\" \") | any(. == $z))"),
                )
                .build(),
        );
        book.steps.push(
            step(Role::Operations, format!("Verify NAS mount target {} is in the cluster's VPC", code(&server)), source)
                .detail(format!("The mount target must be active in the new cluster's VPC and its file system in one of the cluster's zones ({}), or the pods cannot mount it: each check line fails otherwise. NAS mount targets are never created here: the cloud names them, and the spec names an existing one.", text(spec.target.zones.join(", "))))
                .commands(commands)
                .expect("each check prints the details, then `true`, and returns 0"),
        );
    }
    for bucket in &buckets {
        let location = format!("^Location[[:space:]]*: oss-{region}$");
        let stat = Line::new("ossutil stat")
            .arg(format!("oss://{}", bucket.name))
            .pipe(Line::new("grep -E").arg(&location))
            .build();
        let (title, detail, commands) = if bucket.create {
            (
                format!("Create bucket {} in {}", code(&bucket.name), text(region)),
                format!(
                    "The spec asks for it ({}): the bucket is created private, in the cluster's region, then checked.",
                    text(&bucket.source)
                ),
                vec![
                    Line::new("ossutil mb")
                        .arg(format!("oss://{}", bucket.name))
                        .opt("-e", format!("oss-{region}.aliyuncs.com"))
                        .build(),
                    stat,
                ],
            )
        } else {
            (
                format!(
                    "Verify bucket {} is in {}",
                    code(&bucket.name),
                    text(region)
                ),
                format!(
                    "The bucket must exist in the cluster's region, whose internal endpoint the pods use ({}): the line fails when it is missing or elsewhere. Set `create: true` to have this runbook create it.",
                    text(&bucket.source)
                ),
                vec![stat],
            )
        };
        book.steps.push(
            step(Role::Operations, title, bucket.source.clone())
                .detail(detail)
                .commands(commands)
                .expect(format!(
                    "the line prints `Location : oss-{}` and returns 0",
                    text(region)
                )),
        );
    }
    if let Some(pz) = existing_zone {
        let zone_id = dns_plan::private_zone_var(&pz.zone);
        let mut commands = if vpc_printed || !nas.is_empty() {
            Vec::new()
        } else {
            vpc_lines.clone()
        };
        commands.extend([
            dns_plan::private_zone_lookup(&pz.zone),
            shell::show(&zone_id),
            Line::new("aliyun pvtz DescribeZoneInfo")
                .opt_var("--ZoneId", &zone_id)
                .pipe(
                    Line::new("jq -e")
                        .lit("--arg vpc")
                        .var(VPC)
                        .arg("[.BindVpcs.Vpc[].VpcId] | ., any(. == $vpc)"),
                )
                .build(),
        ]);
        book.steps.push(
            step(Role::Operations, format!("Verify the PrivateZone {} is bound to the cluster's VPC", code(&pz.zone)), "dns.privateZone.create")
                .detail("The spec calls the zone existing (`create: false`): it must exist once, and be bound to the new cluster's VPC, or the pods do not resolve its names. Bind it in the PrivateZone console (or `aliyun pvtz BindZoneVpc` with every VPC it already serves: the call replaces the list) when the last line fails.")
                .commands(commands)
                .expect("the lookup prints one zone id, then the bound VPC ids, then `true`"),
        );
    }
}

enum FileSystem {
    Known(String),
    Variable(String),
}

/// RDS instance ids: MySQL and SQL Server (`rm-`), PostgreSQL (`pgm-`), MariaDB (`mr-`).
fn is_rds(instance: &str) -> bool {
    ["rm-", "pgm-", "mr-"]
        .iter()
        .any(|p| instance.starts_with(p))
}

/// A General-purpose NAS mount target's domain starts with its file system's id, then `-`
/// and the mount target's own suffix (`0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com`);
/// Extreme NAS ids start with `extreme-`.
pub fn file_system_id(server: &str) -> Option<String> {
    let label = server.split('.').next()?;
    let (id, suffix) = label.rsplit_once('-')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let id_ok = match id.strip_prefix("extreme-") {
        Some(rest) => ok(rest),
        None => ok(id),
    };
    (id_ok && ok(suffix) && server.ends_with(".nas.aliyuncs.com")).then(|| id.to_string())
}

struct Bucket {
    name: String,
    /// The spec path that names it first.
    source: String,
    create: bool,
}

/// Every bucket the spec names, once: OSS volumes, object store targets and the backups;
/// created when any entry that names it asks for it.
fn buckets(spec: &Spec) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    let mut add = |name: &str, source: String, create: bool| {
        if let Some(b) = out.iter_mut().find(|b| b.name == name) {
            b.create |= create;
        } else {
            out.push(Bucket {
                name: name.to_string(),
                source,
                create,
            });
        }
    };
    for storage in &spec.storage {
        if storage.kind == StorageType::Oss
            && let Some(bucket) = &storage.bucket
        {
            add(
                bucket,
                format!("storage[{}].bucket", storage.name),
                storage.create,
            );
        }
    }
    if let Some(data) = &spec.data {
        for store in &data.object_stores {
            if let Some(bucket) = bucket_of(&store.target) {
                add(
                    bucket,
                    format!("data.objectStores[{}].target", store.name),
                    store.create,
                );
            }
        }
        if let Some(bucket) = data.backups.as_deref().and_then(bucket_of) {
            add(bucket, "data.backups".into(), false);
        }
    }
    out
}

fn bucket_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("oss://")?;
    rest.split('/').next().filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_system_ids_come_from_the_mount_target() {
        assert_eq!(
            file_system_id("0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com").as_deref(),
            Some("0a1b2c3d4e")
        );
        assert_eq!(
            file_system_id("extreme-0015ab-x1y2.cn-hangzhou.nas.aliyuncs.com").as_deref(),
            Some("extreme-0015ab")
        );
        assert_eq!(file_system_id("nas.internal.example"), None);
        assert_eq!(file_system_id("abc.cn-hangzhou.nas.aliyuncs.com"), None);
    }
}
