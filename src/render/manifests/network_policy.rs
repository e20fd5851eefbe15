//! The NetworkPolicies of the deploy folder, as the plan decided them
//! ([`crate::plan::network_policy`]): the default deny and one policy per service. Every policy
//! lists both policy types, so a policy without ingress (or egress) rules denies that
//! direction; and every one is namespaced in the services' namespace, so none selects the
//! ingress controller or anything else outside it.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Manifest, meta};
use crate::model::Spec;
use crate::plan::network_policy::{NetworkPolicyPlan, Peer, Policy, PortRef, Rule};

/// The label Kubernetes sets on every namespace to its name (from 1.21 on).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The policies at these positions of the plan's list.
pub fn objects_in(
    spec: &Spec,
    plan: &NetworkPolicyPlan,
    positions: std::ops::Range<usize>,
) -> Vec<Manifest> {
    plan.policies[positions]
        .iter()
        .map(|policy| Manifest::new(&network_policy(spec, policy), &policy.name))
        .collect()
}

fn selector(labels: &BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: (!labels.is_empty()).then(|| labels.clone()),
        ..LabelSelector::default()
    }
}

fn peer(peer: &Peer) -> NetworkPolicyPeer {
    match peer {
        Peer::Pods(labels) => NetworkPolicyPeer {
            pod_selector: Some(selector(labels)),
            ..NetworkPolicyPeer::default()
        },
        Peer::NamespacePods { namespace, labels } => NetworkPolicyPeer {
            namespace_selector: Some(selector(&BTreeMap::from([(
                NAMESPACE_NAME_LABEL.to_string(),
                namespace.clone(),
            )]))),
            pod_selector: (!labels.is_empty()).then(|| selector(labels)),
            ..NetworkPolicyPeer::default()
        },
        Peer::AnyNamespacePods(labels) => NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            pod_selector: (!labels.is_empty()).then(|| selector(labels)),
            ..NetworkPolicyPeer::default()
        },
        Peer::Cidr(cidr) => NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.to_string(),
                except: None,
            }),
            ..NetworkPolicyPeer::default()
        },
    }
}

fn ports(ports: &[PortRef]) -> Option<Vec<NetworkPolicyPort>> {
    (!ports.is_empty()).then(|| {
        ports
            .iter()
            .map(|p| NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(p.port))),
                protocol: Some(p.protocol.kubernetes().into()),
                end_port: None,
            })
            .collect()
    })
}

fn peers(rule: &Rule) -> Option<Vec<NetworkPolicyPeer>> {
    rule.peer.as_ref().map(|p| vec![peer(p)])
}

fn network_policy(spec: &Spec, policy: &Policy) -> NetworkPolicy {
    let ingress: Vec<NetworkPolicyIngressRule> = policy
        .ingress
        .iter()
        .map(|rule| NetworkPolicyIngressRule {
            from: peers(rule),
            ports: ports(&rule.ports),
        })
        .collect();
    let egress: Vec<NetworkPolicyEgressRule> = policy
        .egress
        .iter()
        .map(|rule| NetworkPolicyEgressRule {
            to: peers(rule),
            ports: ports(&rule.ports),
        })
        .collect();
    let mut metadata = meta(spec, &policy.name, true, policy.source.clone());
    if let Some(service) = &policy.service {
        metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(super::workloads::NAME_LABEL.into(), service.clone());
    }
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            // Always written: Kubernetes before 1.31 requires it (`{}` selects every pod).
            pod_selector: Some(selector(&policy.pods)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_policies_select_the_label_the_workloads_carry() {
        assert_eq!(
            super::super::workloads::NAME_LABEL,
            crate::plan::network_policy::SERVICE_LABEL
        );
    }
}
