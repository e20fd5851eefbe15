//! The address plan (003 §1.4): every block with its role, the free space around them, and
//! how many nodes the pod CIDR holds. The address arithmetic the rules share with it lives
//! in [`crate::model::network`].

use serde::Serialize;

use crate::model::network::{flannel_max_nodes, private_ranges, terway_max_nodes, used_blocks};
use crate::model::{Cidr, NetworkPlugin, Spec};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPlan {
    pub plugin: &'static str,
    /// Every block the spec names, sorted by address.
    pub blocks: Vec<Block>,
    /// Largest free blocks inside the VPC (room for more vSwitches).
    pub free_in_vpc: Vec<FreeBlock>,
    /// Largest free private blocks outside everything in use (room for cluster CIDRs).
    pub free_private: Vec<FreeBlock>,
    pub pods_per_node: u32,
    /// Nodes the pod CIDR (Flannel) or the vSwitches (Terway) can hold.
    pub max_nodes: Option<u64>,
    pub planned_nodes: u32,
    /// VPC routes Flannel adds (one per node).
    pub vpc_routes: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    pub cidr: String,
    pub addresses: u64,
    pub role: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreeBlock {
    pub cidr: String,
    pub addresses: u64,
}

/// The free space of `within` not covered by `used`, as maximal aligned blocks, largest first.
pub fn free_blocks(within: &[Cidr], used: &[Cidr], most: usize) -> Vec<FreeBlock> {
    let mut taken: Vec<(u64, u64)> = used
        .iter()
        .map(|c| (u64::from(c.first()), u64::from(c.last())))
        .collect();
    taken.sort_unstable();
    let mut free = Vec::new();
    for range in within {
        let mut cursor = u64::from(range.first());
        let end = u64::from(range.last());
        for &(first, last) in taken.iter().chain(std::iter::once(&(end + 1, end + 1))) {
            if last < cursor || first > end + 1 {
                continue;
            }
            if first > cursor {
                split_aligned(cursor, first.min(end + 1) - 1, &mut free);
            }
            cursor = cursor.max(last + 1);
            if cursor > end {
                break;
            }
        }
    }
    free.sort_by(|a: &(u64, u8), b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    free.into_iter()
        .take(most)
        .map(|(start, prefix)| FreeBlock {
            cidr: format!("{}/{prefix}", std::net::Ipv4Addr::from(start as u32)),
            addresses: 1u64 << (32 - u32::from(prefix)),
        })
        .collect()
}

/// Splits the inclusive range into maximal aligned CIDR blocks.
fn split_aligned(mut start: u64, end: u64, out: &mut Vec<(u64, u8)>) {
    while start <= end {
        let mut prefix = 32u8;
        while prefix > 0 {
            let size = 1u64 << (33 - u32::from(prefix));
            if !start.is_multiple_of(size) || start + size - 1 > end {
                break;
            }
            prefix -= 1;
        }
        out.push((start, prefix));
        start += 1u64 << (32 - u32::from(prefix));
    }
}

pub fn plan(spec: &Spec, planned_nodes: u32) -> NetworkPlan {
    let network = &spec.target.network;
    let mut blocks = vec![Block {
        cidr: network.vpc.to_string(),
        addresses: network.vpc.size(),
        role: "VPC".into(),
        name: spec.target.name.clone(),
    }];
    for v in &network.vswitches {
        blocks.push(Block {
            cidr: v.cidr.to_string(),
            addresses: v.cidr.size(),
            role: format!("vSwitch ({})", v.zone),
            name: v.name.clone(),
        });
    }
    if let Some(pod) = network.pod_cidr {
        blocks.push(Block {
            cidr: pod.to_string(),
            addresses: pod.size(),
            role: "pod CIDR".into(),
            name: spec.target.name.clone(),
        });
    }
    blocks.push(Block {
        cidr: network.service_cidr.to_string(),
        addresses: network.service_cidr.size(),
        role: "service CIDR".into(),
        name: spec.target.name.clone(),
    });
    for r in &network.routes {
        blocks.push(Block {
            cidr: r.cidr.to_string(),
            addresses: r.cidr.size(),
            role: format!("route via {}", route_via(r.via)),
            name: r.name.clone(),
        });
    }
    for other in &network.other_clusters {
        for (cidr, role) in [
            (other.pod_cidr, "other cluster's pod CIDR"),
            (other.service_cidr, "other cluster's service CIDR"),
        ] {
            if let Some(cidr) = cidr {
                blocks.push(Block {
                    cidr: cidr.to_string(),
                    addresses: cidr.size(),
                    role: role.into(),
                    name: other.name.clone(),
                });
            }
        }
    }
    blocks.sort_by(|a, b| {
        // By address; a block before the blocks it contains.
        let key = |b: &Block| {
            b.cidr
                .parse::<Cidr>()
                .map(|c| (c.first(), std::cmp::Reverse(c.last())))
                .unwrap_or((0, std::cmp::Reverse(0)))
        };
        key(a)
            .cmp(&key(b))
            .then(a.role.cmp(&b.role))
            .then(a.name.cmp(&b.name))
    });

    let vswitches: Vec<Cidr> = network.vswitches.iter().map(|v| v.cidr).collect();
    let (max_nodes, vpc_routes) = match network.plugin {
        NetworkPlugin::Flannel => (
            network
                .pod_cidr
                .map(|p| flannel_max_nodes(&p, network.pods_per_node)),
            Some(planned_nodes),
        ),
        NetworkPlugin::Terway => (Some(terway_max_nodes(spec)), None),
    };
    NetworkPlan {
        plugin: network.plugin.into(),
        blocks,
        free_in_vpc: free_blocks(&[network.vpc], &vswitches, 4),
        free_private: free_blocks(&private_ranges(), &used_blocks(spec), 4),
        pods_per_node: network.pods_per_node,
        max_nodes,
        planned_nodes,
        vpc_routes,
    }
}

pub fn route_via(via: crate::model::RouteVia) -> &'static str {
    use crate::model::RouteVia;
    match via {
        RouteVia::Peering => "VPC peering",
        RouteVia::Vbr => "VBR (Express Connect)",
        RouteVia::Vpn => "VPN gateway",
        RouteVia::Cen => "CEN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn free_space_is_split_into_aligned_blocks() {
        let free = free_blocks(
            &[c("192.168.0.0/16")],
            &[c("192.168.0.0/19"), c("192.168.32.0/19")],
            8,
        );
        let cidrs: Vec<&str> = free.iter().map(|f| f.cidr.as_str()).collect();
        assert_eq!(cidrs, ["192.168.128.0/17", "192.168.64.0/18"]);
    }
}
