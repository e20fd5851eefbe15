//! Address arithmetic on the spec's blocks (003 §1.4), shared by the network rules and the
//! address plan: what is in use, the first free block (the fix the overlap diagnostics
//! propose: sort and sweep, never pairwise) and how many nodes a block holds.

use super::{Cidr, Spec};

/// The private ranges a VPC may use (RFC 1918), in the order free blocks are proposed.
pub fn private_ranges() -> [Cidr; 3] {
    [
        "10.0.0.0/8".parse().unwrap_or_default(),
        "172.16.0.0/12".parse().unwrap_or_default(),
        "192.168.0.0/16".parse().unwrap_or_default(),
    ]
}

/// The blocks already reachable or in use, which a new pod or service CIDR must avoid.
pub fn used_blocks(spec: &Spec) -> Vec<Cidr> {
    let network = &spec.target.network;
    let mut used = vec![network.vpc, network.service_cidr];
    used.extend(network.pod_cidr);
    used.extend(network.routes.iter().map(|r| r.cidr));
    for other in &network.other_clusters {
        used.extend(other.pod_cidr);
        used.extend(other.service_cidr);
    }
    used
}

/// The first free block of `prefix` length inside `within` (tried in order) that overlaps
/// nothing in `used`, skipping `exclude` (the block being replaced).
pub fn find_free(
    prefix: u8,
    within: &[Cidr],
    used: &[Cidr],
    exclude: Option<Cidr>,
) -> Option<Cidr> {
    let mut taken: Vec<(u64, u64)> = used
        .iter()
        .filter(|c| Some(**c) != exclude)
        .map(|c| (u64::from(c.first()), u64::from(c.last())))
        .collect();
    taken.sort_unstable();
    let size = 1u64 << (32 - u32::from(prefix.min(32)));
    for range in within {
        if range.net().prefix_len() > prefix {
            continue;
        }
        let end = u64::from(range.last());
        let mut candidate = u64::from(range.first());
        // Sweep the sorted blocks once; each either lies before the candidate, pushes it
        // past itself, or lies beyond it.
        for &(first, last) in &taken {
            if candidate + size - 1 > end {
                break;
            }
            if last < candidate {
                continue;
            }
            if first > candidate + size - 1 {
                break;
            }
            candidate = (last + 1).div_ceil(size) * size;
        }
        if candidate + size - 1 <= end {
            let net =
                ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(candidate as u32), prefix).ok()?;
            return Some(Cidr(net));
        }
    }
    None
}

/// Nodes the pod CIDR holds with Flannel: its addresses over the pods per node.
pub fn flannel_max_nodes(pod_cidr: &Cidr, pods_per_node: u32) -> u64 {
    if pods_per_node == 0 {
        return 0;
    }
    pod_cidr.size() / u64::from(pods_per_node)
}

/// Nodes the vSwitches hold with Terway: each node takes one address plus one per pod.
/// Each vSwitch keeps 4 addresses for the VPC.
pub fn terway_max_nodes(spec: &Spec) -> u64 {
    let network = &spec.target.network;
    let usable: u64 = network
        .vswitches
        .iter()
        .map(|v| v.cidr.size().saturating_sub(4))
        .sum();
    usable / (u64::from(network.pods_per_node) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_free_block_skips_everything_in_use() {
        let used = [c("10.0.0.0/16"), c("10.1.0.0/17"), c("10.3.0.0/16")];
        assert_eq!(
            find_free(16, &[c("10.0.0.0/8")], &used, None),
            Some(c("10.2.0.0/16"))
        );
        assert_eq!(find_free(8, &[c("10.0.0.0/8")], &used, None), None);
        assert_eq!(
            find_free(
                16,
                &[c("10.0.0.0/8"), c("172.16.0.0/12")],
                &[c("10.0.0.0/8")],
                None
            ),
            Some(c("172.16.0.0/16"))
        );
    }

    #[test]
    fn flannel_capacity_matches_the_rule() {
        assert_eq!(flannel_max_nodes(&c("10.16.0.0/16"), 128), 512);
    }
}
