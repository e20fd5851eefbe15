//! Typed spec paths: where a value sits in the spec (`target.network.vswitches[2].cidr`), built
//! from the model so that a misspelt field is a compile error, not a diagnostic that silently
//! points at the parent.
//!
//! [`root()`] is the spec itself; each node type has a method per field of its model struct, named
//! like the Rust field and writing the spec's key (camelCase, or the `as` key where serde
//! renames it). The macro checks at compile time that every field exists on the model struct,
//! and a test checks every key against the JSON Schema the model derives.

use std::fmt;
use std::marker::PhantomData;

/// A finished path: what `load::SourceMap` resolves to a position.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecPath(String);

impl SpecPath {
    /// A path derived from the model's own serialization (the secret scan walks the model
    /// as a tree), not written by hand.
    pub fn of_serialized(path: String) -> SpecPath {
        SpecPath(path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpecPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&SpecPath> for SpecPath {
    fn from(path: &SpecPath) -> SpecPath {
        path.clone()
    }
}

/// A node of the spec a path can continue from.
pub trait Node {
    fn from_path(path: String) -> Self;
}

impl Node for SpecPath {
    fn from_path(path: String) -> Self {
        SpecPath(path)
    }
}

/// A list in the spec: `.at(i)` is its item; the list itself converts into a [`SpecPath`], as
/// every node does.
#[derive(Clone, Debug)]
pub struct List<T> {
    path: String,
    item: PhantomData<T>,
}

impl<T: Node> List<T> {
    pub fn at(&self, index: usize) -> T {
        T::from_path(format!("{}[{index}]", self.path))
    }
}

impl<T> From<List<T>> for SpecPath {
    fn from(list: List<T>) -> SpecPath {
        SpecPath(list.path)
    }
}

impl<T> From<&List<T>> for SpecPath {
    fn from(list: &List<T>) -> SpecPath {
        SpecPath(list.path.clone())
    }
}

impl<T> Node for List<T> {
    fn from_path(path: String) -> Self {
        List {
            path,
            item: PhantomData,
        }
    }
}

/// A map in the spec whose keys are the user's (`env`): `.key(k)` is one entry.
#[derive(Clone, Debug)]
pub struct Map(String);

impl Map {
    pub fn key(&self, key: &str) -> SpecPath {
        SpecPath(format!("{}.{key}", self.0))
    }
}

impl Node for Map {
    fn from_path(path: String) -> Self {
        Map(path)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `ingress_controller` -> `ingressController`, as serde's `rename_all = "camelCase"`.
fn camel(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The root of every path.
pub fn root() -> SpecAt {
    SpecAt(String::new())
}

macro_rules! spec_paths {
    ($( $model:ident => $at:ident { $( $field:ident $(as $key:literal)? $(: $kind:tt)? ),* $(,)? } )*) => {
        $(
            #[doc = concat!("Where a [`super::", stringify!($model), "`] sits in the spec.")]
            #[derive(Clone, Debug)]
            pub struct $at(String);

            impl $at {
                $( spec_paths!(@method $field [spec_paths!(@key $field $(as $key)?)] $($kind)?); )*
            }

            impl Node for $at {
                fn from_path(path: String) -> Self {
                    $at(path)
                }
            }

            impl From<$at> for SpecPath {
                fn from(at: $at) -> SpecPath {
                    SpecPath(at.0)
                }
            }

            impl From<&$at> for SpecPath {
                fn from(at: &$at) -> SpecPath {
                    SpecPath(at.0.clone())
                }
            }

            // Every field named above exists on the model struct.
            const _: fn(&super::$model) = |model| {
                $( let _ = &model.$field; )*
            };
        )*

        /// Each node type's model struct and the keys its methods write.
        #[cfg(test)]
        fn keys() -> Vec<(&'static str, Vec<String>)> {
            vec![ $( (stringify!($model), vec![ $( spec_paths!(@key $field $(as $key)?) ),* ]) ),* ]
        }
    };
    (@key $field:ident as $key:literal) => { $key.to_string() };
    (@key $field:ident) => { camel(stringify!($field)) };
    (@method $field:ident [$key:expr]) => {
        pub fn $field(&self) -> SpecPath {
            SpecPath(join(&self.0, &$key))
        }
    };
    (@method $field:ident [$key:expr] []) => {
        pub fn $field(&self) -> List<SpecPath> {
            List::from_path(join(&self.0, &$key))
        }
    };
    (@method $field:ident [$key:expr] [$item:ident]) => {
        pub fn $field(&self) -> List<$item> {
            List::from_path(join(&self.0, &$key))
        }
    };
    (@method $field:ident [$key:expr] {}) => {
        pub fn $field(&self) -> Map {
            Map::from_path(join(&self.0, &$key))
        }
    };
    (@method $field:ident [$key:expr] $node:ident) => {
        pub fn $field(&self) -> $node {
            $node::from_path(join(&self.0, &$key))
        }
    };
}

spec_paths! {
    Spec => SpecAt {
        api_version, kind, metadata: MetadataAt, source: SourceClusterAt, window: WindowAt,
        target: TargetClusterAt, storage: [StorageAt], secrets: [SecretAt],
        configs: [ConfigAt], services: [ServiceAt],
        images: ImagesAt, data: DataAt, rollout: RolloutAt, dns: DnsAt,
        verification: VerificationAt,
    }
    Metadata => MetadataAt { name, owner }
    SourceCluster => SourceClusterAt { platform, name, entrypoint: EntrypointAt, stack, test_domain }
    Window => WindowAt { start, end, certificate_margin }
    Entrypoint => EntrypointAt { address, port, backends }
    TargetCluster => TargetClusterAt {
        name, edition, region, zones: [], kubernetes_version, namespace,
        entrypoint: EntrypointAt, test_domain, network: NetworkAt, nodes: NodesAt,
        node_pools: [NodePoolAt], ingress_controller: IngressControllerAt, addons: [],
        network_policy,
    }
    NodePool => NodePoolAt {
        name, role, profile, instance_types: [], image, billing: BillingAt,
        system_disk: PoolDiskAt, data_disks: [PoolDiskAt], labels: {}, taints: [TaintAt],
        size: PoolSizeAt, key_pair,
    }
    Billing => BillingAt { charge_type, period, period_unit, auto_renew }
    PoolDisk => PoolDiskAt { category, size, encrypted, kms_key_id }
    Taint => TaintAt { key, value, effect }
    PoolSize => PoolSizeAt { desired, min, max }
    Network => NetworkAt {
        plugin, vpc, vswitches: [VSwitchAt], pod_cidr, service_cidr, pods_per_node,
        routes: [NetworkRouteAt], other_clusters: [OtherClusterAt],
    }
    VSwitch => VSwitchAt { name, zone, cidr }
    NetworkRoute => NetworkRouteAt { name, via, cidr }
    OtherCluster => OtherClusterAt { name, pod_cidr, service_cidr }
    Nodes => NodesAt {
        profile, total_cores, fault_tolerance, burst_scale_out, system_disk: NodeDiskAt,
        data_disk: NodeDiskAt,
    }
    NodeDisk => NodeDiskAt { category, size }
    IngressController => IngressControllerAt {
        replicas, dedicated_nodes, peak_requests_per_second, gateway,
    }
    Storage => StorageAt {
        name, kind as "type", provisioning, category, size, reclaim_policy, scratch, disk_id,
        zone, server, path, nfs_version, bucket, endpoint, credentials_secret, create,
        copy: VolumeCopyAt,
        access_key_id, access_key_secret,
    }
    VolumeCopy => VolumeCopyAt { method, source_disk_id, engine, freeze }
    Service => ServiceAt {
        name, image, replicas, port, protocol, publish: PublishAt, ports: [ExtraPortAt],
        one_shot, resources: ResourcesAt, health: HealthAt, stateful, routes: [HttpRouteAt],
        legacy: LegacyBackendAt, depends_on: [], volumes: [VolumeMountAt], env: {},
        files: [FileMountAt], data: [], egress: [EgressAt], kubernetes_api, security_context: SecurityContextAt, allow: [],
    }
    SecurityContext => SecurityContextAt {
        run_as_user, run_as_group, fs_group, run_as_non_root, read_only_root_filesystem,
        writable_paths: [], capabilities: [],
    }
    Egress => EgressAt { cidr, port, protocol }
    Secret => SecretAt { name, keys: [], provider, store: SecretStoreRefAt, remote_name }
    SecretStoreRef => SecretStoreRefAt { name, kind }
    Config => ConfigAt { name, files: [] }
    FileMount => FileMountAt { secret, config, key, mount_path }
    ExtraPort => ExtraPortAt { name, port, protocol, publish: PublishAt }
    Publish => PublishAt { via, port, address }
    LegacyBackend => LegacyBackendAt { address, port, backends }
    Resources => ResourcesAt { requests: ResourceListAt, limits: ResourceListAt }
    ResourceList => ResourceListAt { cpu, memory }
    Health => HealthAt { path, tcp, port, interval, timeout, retries, start_period }
    HttpRoute => HttpRouteAt { host, path }
    VolumeMount => VolumeMountAt { storage, mount_path, read_only, check_mount }
    Images => ImagesAt { target, pull_secret, helper_image, kubectl_image }
    Data => DataAt { databases: [DatabaseAt], object_stores: [ObjectStoreAt], backups }
    Database => DatabaseAt {
        name, engine, source: DatabaseSourceAt, target: DatabaseTargetAt, sync, private_name,
        shared_instance,
    }
    DatabaseSource => DatabaseSourceAt { host, port }
    DatabaseTarget => DatabaseTargetAt { instance, port, cidr }
    ObjectStore => ObjectStoreAt { name, source, target, source_endpoint, cidr, create, incremental_interval }
    Rollout => RolloutAt {
        strategy, controller, match_rule as "match": MatchAt, waves: [WaveAt], gates: [GateAt],
        default_gates, unrouted_paths,
    }
    MeasuredGate => GateAt { metric, comparison, threshold, window }
    Match => MatchAt { header: MatchConditionAt, cookie: MatchConditionAt, query: MatchConditionAt }
    MatchCondition => MatchConditionAt { name, value, pattern }
    Wave => WaveAt { name, services: [], mirror, steps: [StepAt] }
    Step => StepAt { weight, hold, matched_only }
    Dns => DnsAt {
        provider, edition, zone, ttl: TtlAt, records: [DnsRecordAt], private_zone: PrivateZoneAt,
    }
    Ttl => TtlAt { normal, cutover }
    DnsRecord => DnsRecordAt { name, kind as "type", value }
    PrivateZone => PrivateZoneAt { zone, records: [DnsRecordAt], create }
    Verification => VerificationAt { checks: [VerificationCheckAt] }
    VerificationCheck => VerificationCheckAt { name, request, expect }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_the_spec_writes_them() {
        let at = root().target().network().vswitches().at(2).cidr();
        assert_eq!(at.as_str(), "target.network.vswitches[2].cidr");
        assert_eq!(
            root().rollout().match_rule().header().name().as_str(),
            "rollout.match.header.name"
        );
        assert_eq!(
            root().services().at(0).env().key("DB_HOST").as_str(),
            "services[0].env.DB_HOST"
        );
        assert_eq!(root().storage().at(1).kind().as_str(), "storage[1].type");
        assert_eq!(SpecPath::from(root()).as_str(), "");
        assert_eq!(
            SpecPath::from(root().dns().records()).as_str(),
            "dns.records"
        );
    }

    /// Every key a path method writes is a property of its model struct in the JSON Schema
    /// the model derives: a rename in the model that the table missed fails here.
    #[test]
    fn every_key_is_a_field_of_the_spec_format() {
        let schema = serde_json::to_value(schemars::schema_for!(super::super::Spec)).unwrap();
        for (model, keys) in keys() {
            let properties = if model == "Spec" {
                &schema["properties"]
            } else {
                &schema["$defs"][model]["properties"]
            };
            assert!(properties.is_object(), "{model}: not in the schema");
            for key in keys {
                assert!(properties.get(&key).is_some(), "{model} has no key `{key}`");
            }
        }
    }
}
