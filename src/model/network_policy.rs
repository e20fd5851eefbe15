//! Who talks to whom, as far as the spec alone says (issue 16): the switch for the
//! NetworkPolicies, the data stores each service may reach (its `data`, and every store no
//! service names), the port and address block each store answers on, and a service's own
//! `egress`. The plan builds the NetworkPolicies from these facts (`plan::network_policy`);
//! the rules judge the spec by the same facts (`check::network::undeclared_dependency`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{Cidr, Database, ObjectStore, Protocol, Service, Spec};

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NetworkPolicyMode {
    /// A default-deny NetworkPolicy in the namespace, and one per service that allows its
    /// routes, its `dependsOn` edges, its data stores, its `egress` and cluster DNS.
    #[default]
    Dependencies,
    /// No NetworkPolicy: every pod may reach every other, and anything outside.
    None,
}

impl NetworkPolicyMode {
    pub fn is_default(&self) -> bool {
        *self == NetworkPolicyMode::Dependencies
    }
}

/// A destination outside the cluster that a service calls (an external API, an SMTP relay).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Egress {
    /// The destination's address block, such as `203.0.113.25/32`.
    #[schemars(title = "Block", example = &"198.51.100.25/32")]
    pub cidr: Cidr,
    /// The destination's port, 1 to 65535.
    #[schemars(title = "Port", example = 587)]
    pub port: u16,
    /// `tcp` (default) or `udp`.
    #[serde(default, skip_serializing_if = "Protocol::is_tcp")]
    #[schemars(title = "Protocol", example = &"tcp")]
    pub protocol: Protocol,
}

/// Where OSS internal endpoints resolve. Alibaba Cloud lists each region's internal VIP
/// blocks (<https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints>,
/// "Internal VIP CIDR blocks": cn-hangzhou 100.118.28.0/24, 100.114.102.0/24,
/// 100.98.170.0/24, 100.118.31.0/24; cn-beijing 100.118.58.0/24, ...) and warns that OSS
/// switches between them, so a route or rule must hold them all
/// (<https://www.alibabacloud.com/help/en/object-storage-service/latest/oss-internal-endpoints-and-vip-ranges>).
/// Every block listed sits in 100.64.0.0/10, the shared address space Alibaba Cloud's
/// internal services answer from; the lists change, this block does not.
pub const OSS_INTERNAL: Cidr = Cidr(Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10));

/// The ports an object store answers on: HTTPS, and HTTP for clients that use it.
pub const OBJECT_STORE_PORTS: [u16; 2] = [443, 80];

/// NodeLocal DNSCache's address on every node (ACK's `ack-node-local-dns` listens on
/// 169.254.20.10 and injects it into the pods' DNS config:
/// <https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/configure-nodelocal-dnscache>).
pub const NODE_LOCAL_DNS: Cidr = Cidr(Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 20, 10), 32));

/// The port an engine's Alibaba Cloud instance answers on by default: RDS MySQL, MariaDB and
/// PolarDB 3306, PostgreSQL 5432, SQL Server 1433, Redis and Tair 6379, ApsaraDB for MongoDB
/// 3717 (<https://www.alibabacloud.com/help/doc-detail/66127.htm>: "the default port number is
/// 3717").
pub fn engine_port(engine: &str) -> Option<u16> {
    match engine.to_ascii_lowercase().as_str() {
        "mysql" | "mariadb" | "polardb" | "polardb-mysql" => Some(3306),
        "postgresql" | "postgres" | "pg" => Some(5432),
        "sqlserver" | "mssql" | "sql-server" => Some(1433),
        "redis" | "tair" => Some(6379),
        "mongodb" | "mongo" => Some(3717),
        _ => None,
    }
}

/// The port the services reach a database on: `target.port`, else the engine's default,
/// else the source's port.
pub fn database_port(db: &Database) -> u16 {
    db.target
        .port
        .or_else(|| engine_port(&db.engine))
        .unwrap_or(db.source.port)
}

/// A database or an object store of `data`, as the services reach it.
#[derive(Clone, Copy, Debug)]
pub enum DataStore<'a> {
    Database(&'a Database),
    ObjectStore(&'a ObjectStore),
}

impl<'a> DataStore<'a> {
    pub fn name(&self) -> &'a str {
        match self {
            DataStore::Database(db) => &db.name,
            DataStore::ObjectStore(store) => &store.name,
        }
    }

    /// The block the store's address sits in: `target.cidr` (default the VPC) for a
    /// database, `cidr` (default [`OSS_INTERNAL`]) for an object store.
    pub fn cidr(&self, spec: &Spec) -> Cidr {
        match self {
            DataStore::Database(db) => db.target.cidr.unwrap_or(spec.target.network.vpc),
            DataStore::ObjectStore(store) => store.cidr.unwrap_or(OSS_INTERNAL),
        }
    }

    /// The TCP ports it answers on.
    pub fn ports(&self) -> Vec<u16> {
        match self {
            DataStore::Database(db) => vec![database_port(db)],
            DataStore::ObjectStore(_) => OBJECT_STORE_PORTS.to_vec(),
        }
    }

    /// The spec path it is declared at, by name.
    pub fn source(&self) -> String {
        match self {
            DataStore::Database(db) => format!("data.databases[{}]", db.name),
            DataStore::ObjectStore(store) => format!("data.objectStores[{}]", store.name),
        }
    }

    /// `database` or `object store`, for the documents.
    pub fn kind(&self) -> &'static str {
        match self {
            DataStore::Database(_) => "database",
            DataStore::ObjectStore(_) => "object store",
        }
    }
}

/// Every data store of the spec: the databases, then the object stores, in spec order.
pub fn stores(spec: &Spec) -> Vec<DataStore<'_>> {
    let Some(data) = &spec.data else {
        return Vec::new();
    };
    data.databases
        .iter()
        .map(DataStore::Database)
        .chain(data.object_stores.iter().map(DataStore::ObjectStore))
        .collect()
}

/// The names some service lists in its `data`: those stores are open to their users only.
pub fn named(spec: &Spec) -> BTreeSet<&str> {
    spec.services
        .iter()
        .flat_map(|s| s.data.iter().map(String::as_str))
        .collect()
}

/// The stores no service names: every service may reach them (the spec does not say who
/// uses them, and a store nobody may reach would break whoever does).
pub fn shared<'a>(spec: &'a Spec, named: &BTreeSet<&str>) -> Vec<DataStore<'a>> {
    stores(spec)
        .into_iter()
        .filter(|store| !named.contains(store.name()))
        .collect()
}

/// The stores a service may reach: the ones it names, and every one no service names.
/// `named` is [`named`] of the spec, computed once.
pub fn reach<'a>(spec: &'a Spec, named: &BTreeSet<&str>, service: &Service) -> Vec<DataStore<'a>> {
    stores(spec)
        .into_iter()
        .filter(|store| {
            !named.contains(store.name()) || service.data.iter().any(|d| d == store.name())
        })
        .collect()
}

/// A block outside the cluster a service may reach, with its ports (empty: none given, the
/// block is open on every port) and protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub cidr: Cidr,
    pub ports: Vec<u16>,
    pub protocol: Protocol,
}

/// The blocks outside the cluster a service's policy lets it reach: its data stores and its
/// `egress`.
pub fn blocks(spec: &Spec, named: &BTreeSet<&str>, service: &Service) -> Vec<Block> {
    let mut out: Vec<Block> = reach(spec, named, service)
        .into_iter()
        .map(|store| Block {
            cidr: store.cidr(spec),
            ports: store.ports(),
            protocol: Protocol::Tcp,
        })
        .collect();
    out.extend(service.egress.iter().map(|e| Block {
        cidr: e.cidr,
        ports: vec![e.port],
        protocol: e.protocol,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constant_blocks_are_the_documented_ones() {
        assert_eq!(OSS_INTERNAL.to_string(), "100.64.0.0/10");
        assert_eq!(NODE_LOCAL_DNS.to_string(), "169.254.20.10/32");
        // Every VIP block the OSS page lists for cn-hangzhou and cn-beijing sits inside it.
        for block in [
            "100.118.28.0/24",
            "100.114.102.0/24",
            "100.98.170.0/24",
            "100.118.31.0/24",
            "100.118.58.0/24",
            "100.118.173.0/24",
        ] {
            assert!(OSS_INTERNAL.contains(&block.parse().unwrap()), "{block}");
        }
    }

    #[test]
    fn engines_have_their_instances_default_ports() {
        assert_eq!(engine_port("MySQL"), Some(3306));
        assert_eq!(engine_port("postgresql"), Some(5432));
        assert_eq!(engine_port("mongodb"), Some(3717));
        assert_eq!(engine_port("sqlserver"), Some(1433));
        assert_eq!(engine_port("redis"), Some(6379));
        assert_eq!(engine_port("cassandra"), None);
    }
}
