//! Compose `ports` and `expose`, short and long syntax, as the ports a service listens on,
//! and which of them look like HTTP.
//!
//! The heuristic that decides what gets an HTTP route (README, "compose fidelity"): a TCP
//! port is HTTP when the healthcheck fetches a URL on it, when it is a well-known HTTP port
//! ([`HTTP_PORTS`]), or when compose names its `app_protocol` `http`/`https`. A UDP port, a
//! well-known port of another protocol ([`NON_HTTP_PORTS`]) and any other port are not: they
//! are reached through a LoadBalancer Service when compose publishes them.

use crate::check::grammar::is_iana_service_name;
use crate::load::node::{Node, NodeKind};
use crate::model::Protocol;

use super::tree::{text, text_at};

/// One port a service listens on, as compose declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposePort {
    /// The container port.
    pub target: u16,
    /// The port clients use on the Swarm (its published or host port), when published.
    pub published: Option<u16>,
    pub host_ip: Option<String>,
    pub protocol: Protocol,
    /// The long syntax's `name`.
    pub name: Option<String>,
    /// The long syntax's `app_protocol`.
    pub app_protocol: Option<String>,
}

/// Ranges longer than this are not expanded: a Service with hundreds of ports is not what
/// the stack meant, and the user decides.
pub const MAX_RANGE: u32 = 32;

/// Why a `ports` or `expose` entry could not be read.
pub type PortError = String;

/// The ports of one `ports` entry (a range gives several).
pub fn published(node: &Node) -> Result<Vec<ComposePort>, PortError> {
    match &node.kind {
        NodeKind::Map(_) => long_form(node),
        NodeKind::Scalar { text, .. } => short_form(text),
        NodeKind::Seq(_) => Err("a list is not a port".into()),
    }
}

/// The ports of one `expose` entry (`"3000"`, `"8000-8010"`, `"53/udp"`).
pub fn exposed(node: &Node) -> Result<Vec<ComposePort>, PortError> {
    let spec = text(node).ok_or("an exposed port is a number or `PORT/PROTOCOL`")?;
    let (ports, protocol) = split_protocol(spec)?;
    Ok(range(ports)?
        .into_iter()
        .map(|target| ComposePort {
            target,
            published: None,
            host_ip: None,
            protocol,
            name: None,
            app_protocol: None,
        })
        .collect())
}

fn split_protocol(spec: &str) -> Result<(&str, Protocol), PortError> {
    let (ports, protocol) = match spec.rsplit_once('/') {
        Some((ports, proto)) => (ports, proto),
        None => (spec, "tcp"),
    };
    let protocol = match protocol.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => return Err(format!("the protocol `{other}` is neither tcp nor udp")),
    };
    Ok((ports.trim(), protocol))
}

/// `8000` or `8000-8010`, bounded by [`MAX_RANGE`].
fn range(text: &str) -> Result<Vec<u16>, PortError> {
    let port = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{t}` is not a port"))
    };
    match text.split_once('-') {
        None => Ok(vec![port(text)?]),
        Some((low, high)) => {
            let (low, high) = (port(low)?, port(high)?);
            if high < low {
                return Err(format!("the range `{text}` ends before it starts"));
            }
            if u32::from(high - low) >= MAX_RANGE {
                return Err(format!(
                    "the range `{text}` holds more than {MAX_RANGE} ports"
                ));
            }
            Ok((low..=high).collect())
        }
    }
}

/// `[HOST_IP:][HOST_PORT[-RANGE]:]CONTAINER_PORT[-RANGE][/PROTOCOL]`; an IPv6 host IP is
/// written in brackets.
fn short_form(spec: &str) -> Result<Vec<ComposePort>, PortError> {
    let (spec, protocol) = split_protocol(spec)?;
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, rest) = bracketed
                .split_once(']')
                .ok_or("an IPv6 host address lacks its `]`")?;
            (Some(ip.to_string()), rest.strip_prefix(':').unwrap_or(rest))
        }
        None => (None, spec),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, host, container) = match parts.as_slice() {
        [container] => (host_ip, None, *container),
        [host, container] => (host_ip, Some(*host), *container),
        [ip, host, container] if host_ip.is_none() => {
            (Some(ip.to_string()), Some(*host), *container)
        }
        _ => return Err(format!("`{spec}` is not a compose port")),
    };
    let targets = range(container)?;
    // An empty host port (`127.0.0.1::80`) publishes on a port the engine picks.
    let hosts = match host.filter(|h| !h.is_empty()) {
        Some(host) => range(host)?,
        None => Vec::new(),
    };
    if !hosts.is_empty() && hosts.len() != targets.len() && hosts.len() != 1 {
        return Err(format!(
            "`{spec}` maps {} host ports onto {} container ports",
            hosts.len(),
            targets.len()
        ));
    }
    Ok(targets
        .iter()
        .enumerate()
        .map(|(i, &target)| ComposePort {
            target,
            // Without a host port (`"6379"`) the engine picks one: clients of the old
            // cluster cannot rely on it, so the port counts as exposed only.
            published: match hosts.len() {
                0 => None,
                1 if targets.len() > 1 => None,
                _ => hosts.get(i).copied(),
            },
            host_ip: host_ip.clone().filter(|ip| !is_any_address(ip)),
            protocol,
            name: None,
            app_protocol: None,
        })
        .collect())
}

fn is_any_address(ip: &str) -> bool {
    ip == "0.0.0.0" || ip == "::"
}

fn long_form(node: &Node) -> Result<Vec<ComposePort>, PortError> {
    let target = text_at(node, "target").ok_or("a long-syntax port lacks its `target`")?;
    let targets = range(target)?;
    let protocol = match text_at(node, "protocol") {
        Some(p) => split_protocol(&format!("0/{p}"))?.1,
        None => Protocol::Tcp,
    };
    let hosts = match text_at(node, "published").filter(|p| !p.is_empty()) {
        Some(p) => range(p)?,
        None => Vec::new(),
    };
    Ok(targets
        .iter()
        .enumerate()
        .map(|(i, &target)| ComposePort {
            target,
            published: if hosts.len() == targets.len() {
                hosts.get(i).copied()
            } else {
                None
            },
            host_ip: text_at(node, "host_ip")
                .filter(|ip| !is_any_address(ip))
                .map(str::to_string),
            protocol,
            name: text_at(node, "name").map(str::to_string),
            app_protocol: text_at(node, "app_protocol").map(str::to_ascii_lowercase),
        })
        .collect())
}

/// Well-known HTTP ports: web servers, app servers' defaults.
pub const HTTP_PORTS: &[u16] = &[
    80, 443, 3000, 4000, 5000, 8000, 8008, 8080, 8081, 8088, 8443, 8888, 9000, 9090,
];

/// Well-known ports of other protocols, with the IANA-style name the spec gives them.
pub const NON_HTTP_PORTS: &[(u16, &str)] = &[
    (21, "ftp"),
    (22, "ssh"),
    (25, "smtp"),
    (53, "dns"),
    (389, "ldap"),
    (1433, "mssql"),
    (1521, "oracle"),
    (1883, "mqtt"),
    (2181, "zookeeper"),
    (3306, "mysql"),
    (4222, "nats"),
    (5432, "postgres"),
    (5671, "amqps"),
    (5672, "amqp"),
    (6379, "redis"),
    (9042, "cassandra"),
    (9092, "kafka"),
    (9200, "elasticsearch"),
    (9300, "es-transport"),
    (11211, "memcached"),
    (27017, "mongodb"),
];

/// Whether a port serves HTTP by the heuristic of the module docs; `health_port` is the port
/// the healthcheck fetches a URL on.
pub fn is_http(port: &ComposePort, health_port: Option<u16>) -> bool {
    if port.protocol != Protocol::Tcp {
        return false;
    }
    if let Some(app) = &port.app_protocol {
        return app == "http" || app == "https" || app == "http2";
    }
    if NON_HTTP_PORTS.iter().any(|(p, _)| *p == port.target) {
        return false;
    }
    health_port == Some(port.target) || HTTP_PORTS.contains(&port.target)
}

/// A name for an extra port: compose's own when it is an IANA service name, a well-known
/// protocol's, `http-<port>`, or `<protocol>-<port>`; never a main port's name.
pub fn port_name(port: &ComposePort, http: bool, taken: &[String]) -> String {
    let own = port.name.as_deref().filter(|n| is_iana_service_name(n));
    let known = NON_HTTP_PORTS
        .iter()
        .find(|(p, _)| *p == port.target && port.protocol == Protocol::Tcp)
        .map(|(_, n)| *n);
    let fallback = format!(
        "{}-{}",
        if port.protocol == Protocol::Udp {
            "udp"
        } else {
            "tcp"
        },
        port.target
    );
    let first = own
        .map(str::to_string)
        .or(known.map(str::to_string))
        .or(http.then(|| format!("http-{}", port.target)))
        .unwrap_or_else(|| fallback.clone());
    // The main port is named `http`, `tcp` or `udp` (model::ports::main_port_name).
    if taken.contains(&first) || ["http", "tcp", "udp"].contains(&first.as_str()) {
        fallback
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(spec: &str) -> Vec<(u16, Option<u16>, Protocol)> {
        short_form(spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .into_iter()
            .map(|p| (p.target, p.published, p.protocol))
            .collect()
    }

    #[test]
    fn every_short_form_reads_as_compose_documents_it() {
        use Protocol::{Tcp, Udp};
        assert_eq!(short("3000"), vec![(3000, None, Tcp)]);
        assert_eq!(
            short("3000-3001"),
            vec![(3000, None, Tcp), (3001, None, Tcp)]
        );
        assert_eq!(short("8000:8000"), vec![(8000, Some(8000), Tcp)]);
        assert_eq!(
            short("9090-9091:8080-8081"),
            vec![(8080, Some(9090), Tcp), (8081, Some(9091), Tcp)]
        );
        assert_eq!(short("49100:22"), vec![(22, Some(49100), Tcp)]);
        assert_eq!(short("127.0.0.1:8001:8001"), vec![(8001, Some(8001), Tcp)]);
        assert_eq!(short("6060:6060/udp"), vec![(6060, Some(6060), Udp)]);
        assert_eq!(short("[::1]:6001:6001"), vec![(6001, Some(6001), Tcp)]);
        assert_eq!(short("127.0.0.1::5000"), vec![(5000, None, Tcp)]);
        assert!(short_form("1-5000").is_err(), "too long a range");
        assert!(short_form("80/sctp").is_err());
        assert!(short_form("a:b:c:d").is_err());
    }

    #[test]
    fn the_heuristic_keeps_routes_for_http() {
        let port = |target, protocol| ComposePort {
            target,
            published: Some(target),
            host_ip: None,
            protocol,
            name: None,
            app_protocol: None,
        };
        assert!(is_http(&port(8080, Protocol::Tcp), None));
        assert!(!is_http(&port(5672, Protocol::Tcp), None));
        assert!(!is_http(&port(5000, Protocol::Udp), None));
        assert!(!is_http(&port(9200, Protocol::Tcp), Some(9200)));
        assert!(is_http(&port(7001, Protocol::Tcp), Some(7001)));
        assert!(!is_http(&port(7001, Protocol::Tcp), None));
    }
}
