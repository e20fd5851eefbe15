//! `network/undeclared-dependency`: what it demands and why are in [`RULE`].
//!
//! The rule reads the plain `env` values only: a URL (`http://auth-service:5000/x`,
//! `mongodb://statistics-mongodb:27017/db`, `jdbc:mysql://…`), a `host:port`, a Service's
//! cluster name (`auth-service.<namespace>.svc.cluster.local`), or a bare name or address
//! under a key that names a host (`AUTH_HOST`, `DB_URL`, `KAFKA_SERVERS`, ...), each item of
//! a comma-separated list alike. A bare word under any other key (`PROFILE: gateway`) is not
//! read as a host. Host names it cannot resolve offline (an external API's) are not judged;
//! an IPv4 address is, against the blocks the service's policy opens.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::network_policy::{self as facts, DataStore};
use crate::model::path::root;
use crate::model::{Cidr, NetworkPolicyMode, Service, Spec};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::NetworkUndeclaredDependency,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "Under `target.networkPolicy: dependencies`, a service whose plain `env` names another service, a database's `privateName` or an object store's bucket, or an IPv4 address, declares that destination: `dependsOn` for a service, `data` for a store some service lists, `egress` for an address.",
    rationale: "The default deny blocks every call a service's policy does not allow, and the policy allows only what the spec declares. cutover reads the env only: it cannot know what the code calls, so a call that no value names is not found, and a value that names a service the code never calls is warned anyway (accept it with `allow:`).",
    bad: "{ name: gateway, env: { AUTH_URL: \"http://auth-service:5000/uaa\" } }   # no dependsOn",
    good: "{ name: gateway, dependsOn: [auth-service], env: { AUTH_URL: \"http://auth-service:5000/uaa\" } }",
    source: "Kubernetes NetworkPolicy semantics (a pod selected by a policy gets only what some policy allows); issue 16",
};

/// Keys whose value is a host even without a scheme or a port.
const HOST_KEYS: &[&str] = &[
    "HOST",
    "HOSTS",
    "HOSTNAME",
    "ADDR",
    "ADDRESS",
    "ADDRESSES",
    "SERVER",
    "SERVERS",
    "URL",
    "URLS",
    "URI",
    "URIS",
    "ENDPOINT",
    "ENDPOINTS",
    "DSN",
    "BROKERS",
    "BOOTSTRAP_SERVERS",
];

fn names_a_host(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    HOST_KEYS
        .iter()
        .any(|suffix| key == *suffix || key.ends_with(&format!("_{suffix}")))
}

/// A host a value names, with its port when it gives one, and whether the form alone (a
/// scheme or a port) says it is a host.
#[derive(Debug, PartialEq, Eq)]
struct Named {
    host: String,
    port: Option<u16>,
    scheme: Option<String>,
    explicit: bool,
}

/// The hosts a value names: each item of a list (`,`, `;` or whitespace), as a URL's
/// authority (after any userinfo) or as `host[:port]`.
fn named_hosts(value: &str) -> Vec<Named> {
    let mut out = Vec::new();
    for token in value.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let token = token.trim_matches(|c: char| matches!(c, '"' | '\'' | '[' | ']' | '(' | ')'));
        if token.is_empty() {
            continue;
        }
        let (scheme, rest) = match token.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, token),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                (host, port.parse::<u16>().ok())
            }
            _ => (host_port, None),
        };
        if host.is_empty() {
            continue;
        }
        out.push(Named {
            host: host.to_ascii_lowercase(),
            port,
            explicit: scheme.is_some() || port.is_some(),
            scheme,
        });
    }
    out
}

/// The service a host names: its name (in a host context), its headless Service's (a
/// StatefulSet), or its cluster names in the services' namespace.
fn service_named<'a>(spec: &'a Spec, named: &Named, host_key: bool) -> Option<&'a Service> {
    let ns = spec.namespace();
    let bare = named
        .host
        .strip_suffix(&format!(".{ns}.svc.cluster.local"))
        .or_else(|| named.host.strip_suffix(&format!(".{ns}.svc")))
        .or_else(|| named.host.strip_suffix(&format!(".{ns}")));
    let (name, qualified) = match bare {
        Some(name) => (name, true),
        None => (named.host.as_str(), false),
    };
    if !qualified && !named.explicit && !host_key {
        return None;
    }
    if let Some(service) = spec.service(name) {
        return Some(service);
    }
    let stateful = name.strip_suffix("-headless")?;
    spec.service(stateful).filter(|s| s.stateful)
}

/// The data store a host names: a database by its `privateName`, an object store by its
/// bucket (`<bucket>.oss-….aliyuncs.com`, or `oss://<bucket>`).
fn store_named<'a>(spec: &'a Spec, named: &Named) -> Option<DataStore<'a>> {
    facts::stores(spec).into_iter().find(|store| match store {
        DataStore::Database(db) => db
            .private_name
            .as_ref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&named.host)),
        DataStore::ObjectStore(os) => {
            let bucket = os
                .target
                .strip_prefix("oss://")
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_default()
                .to_ascii_lowercase();
            !bucket.is_empty()
                && ((named.scheme.as_deref() == Some("oss") && named.host == bucket)
                    || (named.host.starts_with(&format!("{bucket}.oss-"))
                        && named.host.ends_with(".aliyuncs.com")))
        }
    })
}

/// Addresses a value may hold that no policy needs to open: this pod, or any.
fn is_local(ip: Ipv4Addr) -> bool {
    ip.is_unspecified() || ip.is_loopback()
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    if spec.target.network_policy == NetworkPolicyMode::None {
        return;
    }
    let named_stores = facts::named(spec);
    for (i, service) in spec.services.iter().enumerate() {
        // Each destination once per service, at the first variable that names it.
        let mut reported: BTreeSet<String> = BTreeSet::new();
        let mut blocks: Option<Vec<facts::Block>> = None;
        for (key, value) in &service.env {
            let Some(value) = value.plain() else {
                continue;
            };
            let host_key = names_a_host(key);
            let at = root().services().at(i).env().key(key);
            for named in named_hosts(value) {
                let finding = if let Some(target) = service_named(spec, &named, host_key) {
                    (target.name != service.name
                        && !target.one_shot
                        && !service.depends_on.contains(&target.name))
                    .then(|| {
                        (
                            target.name.clone(),
                            format!(
                                "service `{}` names the service `{}` in `{key}` but does not depend on it: under the default deny its calls to `{}` are blocked",
                                service.name, target.name, target.name
                            ),
                            format!(
                                "declare the call: `dependsOn: [{}]` (its pods then also wait for {} to answer before starting); if the value is no call, accept it with `allow: [{}]`",
                                target.name, target.name, RULE.id
                            ),
                        )
                    })
                } else if let Some(store) = store_named(spec, &named) {
                    (named_stores.contains(store.name())
                        && !service.data.iter().any(|d| d == store.name()))
                    .then(|| {
                        (
                            store.name().to_string(),
                            format!(
                                "service `{}` names the {} `{}` in `{key}` but its `data` does not list it: other services list it, so only they may reach it, and its calls are blocked",
                                service.name,
                                store.kind(),
                                store.name()
                            ),
                            format!(
                                "add `data: [{}]` to the service, or accept it with `allow: [{}]`",
                                store.name(),
                                RULE.id
                            ),
                        )
                    })
                } else if let Ok(ip) = named.host.parse::<Ipv4Addr>() {
                    let blocks =
                        blocks.get_or_insert_with(|| facts::blocks(spec, &named_stores, service));
                    let address = Cidr(ipnet::Ipv4Net::from(ip));
                    let covered = blocks.iter().any(|b| {
                        b.cidr.contains(&address)
                            && named
                                .port
                                .is_none_or(|p| b.ports.is_empty() || b.ports.contains(&p))
                    });
                    ((named.explicit || host_key) && !is_local(ip) && !covered).then(|| {
                        let port = named.port.map_or("PORT".to_string(), |p| p.to_string());
                        (
                            ip.to_string(),
                            format!(
                                "service `{}` names the address {ip} in `{key}`, which its NetworkPolicy does not open: under the default deny its calls there are blocked",
                                service.name
                            ),
                            format!(
                                "declare it: `egress: [{{ cidr: {ip}/32, port: {port} }}]`, or accept it with `allow: [{}]`",
                                RULE.id
                            ),
                        )
                    })
                } else {
                    None
                };
                let Some((destination, message, help)) = finding else {
                    continue;
                };
                if !reported.insert(destination.clone()) {
                    continue;
                }
                out.push(
                    ctx.warning(
                        RULE.id,
                        &at,
                        format!("names {destination}"),
                        format!(
                            "{message} (cutover reads the env only: it cannot know what the code calls)"
                        ),
                    )
                    .service(&service.name)
                    .help(help),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(value: &str) -> Vec<(String, Option<u16>, bool)> {
        named_hosts(value)
            .into_iter()
            .map(|n| (n.host, n.port, n.explicit))
            .collect()
    }

    #[test]
    fn values_name_hosts_as_urls_lists_and_host_ports() {
        assert_eq!(
            hosts("http://auth-service:5000/uaa"),
            [("auth-service".into(), Some(5000), true)]
        );
        assert_eq!(
            hosts("mongodb://u@statistics-mongodb:27017,db-2:27017/db?x=1"),
            [
                ("statistics-mongodb".into(), Some(27017), true),
                ("db-2".into(), Some(27017), true)
            ]
        );
        assert_eq!(
            hosts("jdbc:mysql://MySQL.internal.example:3306/accounts"),
            [("mysql.internal.example".into(), Some(3306), true)]
        );
        assert_eq!(hosts("gateway"), [("gateway".into(), None, false)]);
        assert_eq!(hosts("  "), []);
    }

    #[test]
    fn host_keys_are_read_by_their_suffix() {
        assert!(names_a_host("AUTH_HOST"));
        assert!(names_a_host("kafka_bootstrap_servers"));
        assert!(names_a_host("URL"));
        assert!(!names_a_host("SPRING_PROFILES_ACTIVE"));
        assert!(!names_a_host("GHOST"));
    }
}
