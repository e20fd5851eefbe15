//! DNS vocabulary the rules and the DNS plan share: names and the TTLs each edition allows.

use super::DnsEdition;

/// The shortest TTL each edition of Alibaba Cloud DNS accepts (its TTL documentation);
/// without an edition, the free edition's.
pub fn ttl_floor(edition: Option<DnsEdition>) -> u32 {
    match edition {
        None | Some(DnsEdition::Free | DnsEdition::Personal) => 600,
        Some(DnsEdition::EnterpriseStandard) => 60,
        Some(DnsEdition::EnterpriseUltimate) => 1,
    }
}

/// `@` → the zone itself; `www` → `www.<zone>`.
pub fn fqdn(zone: &str, name: &str) -> String {
    if name == "@" {
        zone.to_string()
    } else {
        format!("{name}.{zone}")
    }
}
