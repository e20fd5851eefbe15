//! Least privilege by default (issue 16): who a service's processes run as, what they may
//! write and which capabilities they keep, as the spec says it (`securityContext`,
//! `kubernetesApi`) and as the defaults fill it in ([`identity`]). Check, plan and render all
//! read the same resolved [`Identity`], so the warnings, the runbooks and the manifests agree.
//!
//! The defaults are the restricted Pod Security Standard and more: uid and gid 10001 (above
//! the range images and hosts give their own users), `runAsNonRoot`, a read-only root
//! filesystem with `/tmp` writable, no capability at all, no privilege escalation, no
//! service account token. They suit the images a migration usually moves: a JVM writes only
//! `/tmp` (Tomcat's work folder, hsperfdata); the official redis and mongo images chown their
//! data and step down with gosu only when started as uid 0, and started as 10001 run
//! directly, their volumes made writable by `fsGroup` (mongod also needs `/tmp` for its
//! socket, redis nothing else).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{Service, Spec, Storage};

/// The uid (and, unless set, gid and fsGroup) a service runs as by default: above the
/// ranges images and hosts give their own users (CKV_K8S_40 asks for 10000 or more).
pub const DEFAULT_USER: u32 = 10001;

/// What a service may write besides its volumes by default.
pub const DEFAULT_WRITABLE_PATH: &str = "/tmp";

/// The largest uid or gid Kubernetes accepts (`runAsUser` is validated as 0..=2^31-1).
pub const MAX_ID: u32 = i32::MAX as u32;

/// A service's own security settings; every field has a least-privilege default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityContext {
    /// The uid the processes run as (default 10001); `0` runs as root (warned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Run as user", example = 101)]
    pub run_as_user: Option<u32>,
    /// The primary gid (default: `runAsUser`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Run as group", example = 101)]
    pub run_as_group: Option<u32>,
    /// The group that owns the service's disks, so the non-root user can write them (default:
    /// `runAsGroup`); the kubelet changes a disk's ownership only when its root does not
    /// match (`fsGroupChangePolicy: OnRootMismatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Filesystem group", example = 101)]
    pub fs_group: Option<u32>,
    /// Refuse to start as root (default true); `false` runs the image's own user, often root
    /// (warned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Run as non-root", example = true)]
    pub run_as_non_root: Option<bool>,
    /// The container's own filesystem is read-only (default true); `writablePaths` are
    /// writable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Read-only root filesystem", example = true)]
    pub read_only_root_filesystem: Option<bool>,
    /// Absolute paths the service writes besides its volumes, each an empty folder per pod
    /// (`emptyDir`) (default `[/tmp]`; `[]` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Writable paths", example = serde_json::json!(["/tmp", "/var/cache/nginx", "/var/run"]))]
    pub writable_paths: Option<Vec<String>>,
    /// Linux capabilities to add, without `CAP_` (default none; every other one is dropped).
    /// They take effect for a process that runs as root (warned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(title = "Capabilities", example = serde_json::json!(["CHOWN", "SETGID", "SETUID"]))]
    pub capabilities: Vec<Capability>,
}

/// The Linux capabilities (capabilities(7), `linux/capability.h` 0–40), as Kubernetes writes
/// them: without the `CAP_` prefix.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Capability {
    Chown,
    DacOverride,
    DacReadSearch,
    Fowner,
    Fsetid,
    Kill,
    Setgid,
    Setuid,
    Setpcap,
    LinuxImmutable,
    NetBindService,
    NetBroadcast,
    NetAdmin,
    NetRaw,
    IpcLock,
    IpcOwner,
    SysModule,
    SysRawio,
    SysChroot,
    SysPtrace,
    SysPacct,
    SysAdmin,
    SysBoot,
    SysNice,
    SysResource,
    SysTime,
    SysTtyConfig,
    Mknod,
    Lease,
    AuditWrite,
    AuditControl,
    Setfcap,
    MacOverride,
    MacAdmin,
    Syslog,
    WakeAlarm,
    BlockSuspend,
    AuditRead,
    Perfmon,
    Bpf,
    CheckpointRestore,
}

impl Capability {
    /// The name as the spec and Kubernetes write it (`NET_ADMIN`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The capability by its name, with or without `CAP_`, in any case (what compose's
    /// `cap_add` may hold).
    pub fn parse(name: &str) -> Option<Capability> {
        let upper = name.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
        Capability::VARIANTS
            .iter()
            .copied()
            .find(|c| c.name() == bare)
    }
}

/// A service's security settings with every default filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The uid, unless the service runs the image's own user (`runAsNonRoot: false` without
    /// `runAsUser`).
    pub user: Option<u32>,
    pub group: Option<u32>,
    pub fs_group: Option<u32>,
    /// The kubelet refuses to start the container as uid 0.
    pub non_root: bool,
    pub read_only_root: bool,
    pub writable_paths: Vec<String>,
    pub capabilities: Vec<Capability>,
}

/// Whether the service runs as root: `runAsNonRoot: false` (the image's user, root for most
/// images that are not built for it) or `runAsUser: 0`.
pub fn runs_as_root(service: &Service) -> bool {
    let context = service.security_context.as_ref();
    context.and_then(|c| c.run_as_non_root) == Some(false)
        || context.and_then(|c| c.run_as_user) == Some(0)
}

/// The service's settings with the defaults: a non-root service runs as 10001 (or its
/// `runAsUser`) with that gid and fsGroup; a root one keeps only what the spec sets, and its
/// image decides the rest.
pub fn identity(service: &Service) -> Identity {
    let default = SecurityContext::default();
    let context = service.security_context.as_ref().unwrap_or(&default);
    let root = runs_as_root(service);
    let user = context.run_as_user.or((!root).then_some(DEFAULT_USER));
    let group = context.run_as_group.or(user);
    let fs_group = context.fs_group.or(if root { None } else { group });
    Identity {
        user,
        group,
        fs_group,
        non_root: !root,
        read_only_root: context.read_only_root_filesystem.unwrap_or(true),
        writable_paths: context
            .writable_paths
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_WRITABLE_PATH.to_string()]),
        capabilities: context.capabilities.clone(),
    }
}

/// The lowest port below which a process needs privilege to listen (the kernel's default
/// `net.ipv4.ip_unprivileged_port_start`).
pub const PRIVILEGED_PORTS_BELOW: u16 = 1024;

/// Whether a service listens on a port below 1024: its pod then lowers the network
/// namespace's `net.ipv4.ip_unprivileged_port_start` instead of granting
/// `NET_BIND_SERVICE`, which a non-root process would not even receive.
pub fn listens_below_1024(service: &Service) -> bool {
    service.port < PRIVILEGED_PORTS_BELOW
        || service
            .ports
            .iter()
            .any(|p| p.port < PRIVILEGED_PORTS_BELOW)
}

/// Who owns a shared volume that Kubernetes does not chown (NAS over NFS, OSS through
/// ossfs: `ReadWriteMany`, without a file system type, so the kubelet skips `fsGroup`): the
/// uid and fsGroup of the first service, in spec order, that mounts it and does not run as
/// root. `None` when only root services mount it (they own what they write).
pub fn volume_owner(spec: &Spec, storage: &Storage) -> Option<(u32, u32)> {
    spec.services
        .iter()
        .filter(|s| s.volumes.iter().any(|v| v.storage == storage.name))
        .map(identity)
        .filter(|i| i.non_root)
        .find_map(|i| Some((i.user?, i.fs_group.or(i.group)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_are_the_kernel_s_without_the_prefix() {
        assert_eq!(Capability::VARIANTS.len(), 41);
        for &capability in Capability::VARIANTS {
            let serde = serde_json::to_value(capability).unwrap_or_default();
            assert_eq!(serde.as_str(), Some(capability.name()));
        }
        assert_eq!(
            Capability::parse("CAP_NET_ADMIN"),
            Some(Capability::NetAdmin)
        );
        assert_eq!(Capability::parse("sys_ptrace"), Some(Capability::SysPtrace));
        assert_eq!(Capability::parse("ALL"), None);
        assert_eq!(Capability::parse("NET_ADMIN\n"), Some(Capability::NetAdmin));
        assert_eq!(Capability::parse("NET ADMIN"), None);
    }
}
