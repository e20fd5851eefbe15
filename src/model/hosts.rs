//! The production hosts the routes serve, and which of their paths no route lists.
//!
//! A moving host is a host of a route of a service the waves move. A route whose path is
//! `/` (a `Prefix` match) claims every path of its host; a moving host without one is
//! "partly listed": the paths no route lists need a home (`rollout.unroutedPaths`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Spec, UnroutedPaths};

/// Where a host's first route sits: (service index, route index).
pub type RouteAt = (usize, usize);

/// One moving host: its listed paths (sorted, deduplicated) and where its first route is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovingHost {
    pub paths: Vec<String>,
    pub first: RouteAt,
}

impl MovingHost {
    /// Whether a route claims `/`, and so every path of the host.
    pub fn claims_all(&self) -> bool {
        self.paths.iter().any(|p| p == "/")
    }
}

/// The moving hosts, by host as the routes write it.
pub fn moving(spec: &Spec) -> BTreeMap<String, MovingHost> {
    let waved: BTreeSet<&str> = spec
        .rollout
        .waves
        .iter()
        .flat_map(|w| w.services.iter().map(String::as_str))
        .collect();
    let mut hosts: BTreeMap<String, MovingHost> = BTreeMap::new();
    // The paths of a host come from every routed service (a host can be shared), but only
    // the services the waves move make it a moving host.
    let moving_hosts: BTreeSet<&str> = spec
        .services
        .iter()
        .filter(|s| waved.contains(s.name.as_str()))
        .flat_map(|s| s.routes.iter().map(|r| r.host.as_str()))
        .collect();
    for (i, service) in spec.services.iter().enumerate() {
        for (j, route) in service.routes.iter().enumerate() {
            if !moving_hosts.contains(route.host.as_str()) {
                continue;
            }
            hosts
                .entry(route.host.clone())
                .or_insert_with(|| MovingHost {
                    paths: Vec::new(),
                    first: (i, j),
                })
                .paths
                .push(route.path.clone());
        }
    }
    for host in hosts.values_mut() {
        host.paths.sort();
        host.paths.dedup();
    }
    hosts
}

/// The partly listed moving hosts: host → listed paths.
pub fn partly_listed(spec: &Spec) -> BTreeMap<String, Vec<String>> {
    moving(spec)
        .into_iter()
        .filter(|(_, h)| !h.claims_all())
        .map(|(host, h)| (host, h.paths))
        .collect()
}

/// The hosts that get a catch-all route to the old cluster: the partly listed ones, unless
/// the spec refuses their unlisted paths.
pub fn catch_all_hosts(spec: &Spec) -> Vec<String> {
    if spec.rollout.unrouted_paths == UnroutedPaths::Refuse {
        return Vec::new();
    }
    partly_listed(spec).into_keys().collect()
}

/// Whether the catch-all stays once the move is settled (`legacy`: until decommission).
pub fn catch_all_when_settled(spec: &Spec) -> bool {
    spec.rollout.unrouted_paths == UnroutedPaths::Legacy
}
