//! Which router serves the new cluster's traffic: a fact of the rollout strategy and the
//! target's ingress controller, read by the rules and by the manifests alike.

use strum::IntoStaticStr;

use super::{Controller, Strategy};

/// Who can route a request by this condition: (controller, exact value, regex, cookie).
#[derive(Clone, Copy, PartialEq, Eq, Debug, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Router {
    Nginx,
    AckNginx,
    Alb,
    GatewayApi,
    Istio,
    /// slb-weights, dns-weights, client: below HTTP, no request matching at all.
    None,
}

/// The router of a strategy: Istio's own, the ingress controller's for `ingress-canary`
/// (upstream ingress-nginx when none is named), none below HTTP.
pub fn router(strategy: Strategy, controller: Option<Controller>) -> Router {
    match (strategy, controller) {
        (Strategy::Istio, _) => Router::Istio,
        (Strategy::IngressCanary, Some(Controller::AckNginx)) => Router::AckNginx,
        (Strategy::IngressCanary, Some(Controller::Alb)) => Router::Alb,
        (Strategy::IngressCanary, Some(Controller::GatewayApi)) => Router::GatewayApi,
        (Strategy::IngressCanary, _) => Router::Nginx,
        _ => Router::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_names_are_the_controllers_names() {
        let names: Vec<&str> = [
            Router::Nginx,
            Router::AckNginx,
            Router::Alb,
            Router::GatewayApi,
            Router::Istio,
            Router::None,
        ]
        .into_iter()
        .map(Into::into)
        .collect();
        assert_eq!(
            names,
            ["nginx", "ack-nginx", "alb", "gateway-api", "istio", "none"]
        );
    }
}
