//! `healthcheck` as the spec's `health`: an HTTP path when the test fetches a URL (and that
//! URL's port when it is not the service port), else a TCP probe; `interval`, `timeout`,
//! `retries` and `start_period` as the probes' timings.

use crate::load::node::{Node, NodeKind};
use crate::render::yaml::string as quote;

use super::tree::{is_true, summarize, text};
use super::{Draft, Importer, NOT_COPIED, units};

/// A healthcheck as read.
#[derive(Default)]
pub(super) struct Probe {
    /// The service has a `healthcheck` (enabled or not).
    pub declared: bool,
    pub disabled: bool,
    /// The HTTP path the test fetches.
    pub path: Option<String>,
    /// The port of the URL the test fetches on the container itself (80 or 443 when the URL
    /// names none).
    pub url_port: Option<u16>,
    /// The comment for a command the TCP probe replaces.
    pub command_comment: Option<String>,
    /// `interval: 30s`-style spec fields, in the spec's order.
    pub timings: Vec<(&'static str, String)>,
}

/// Reads `healthcheck`, warning about what it cannot carry.
pub(super) fn read(importer: &mut Importer, draft: &Draft, node: &Node) -> Probe {
    let Some(check) = node.get("healthcheck") else {
        return Probe::default();
    };
    let mut probe = Probe {
        declared: true,
        ..Probe::default()
    };
    let test = check.get("test");
    let none_test = test.is_some_and(|t| words(t).first().map(String::as_str) == Some("NONE"));
    if is_true(check.get("disable")) || none_test {
        probe.disabled = true;
        return probe;
    }
    let Some(test) = test else {
        return probe;
    };
    let leaks = importer.node_leaks(test);
    if leaks {
        importer.secret(
            test.span,
            &draft.at("healthcheck.test"),
            "the spec keeps the probe without the command",
        );
    }
    match url(test).filter(|(path, _)| !importer.leaks(path)) {
        Some((path, port)) => {
            probe.path = Some(path);
            probe.url_port = (port != 0).then_some(port);
        }
        None => {
            let summary = if leaks {
                NOT_COPIED.to_string()
            } else {
                summarize(test)
            };
            probe.command_comment = Some(format!(
                "# compose `healthcheck.test: {summary}` runs a command; the new probes check the port over TCP"
            ));
        }
    }
    for (compose, spec) in [
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start_period", "startPeriod"),
    ] {
        let Some(value) = check.get(compose) else {
            continue;
        };
        match text(value).and_then(units::duration) {
            Some((duration, _)) if duration == "0s" => {}
            Some((duration, rounded)) => {
                if rounded {
                    importer.unsupported(
                        value,
                        &draft.at(&format!("healthcheck.{compose}")),
                        &format!("probes count whole seconds: the spec says {duration}"),
                        &mut Vec::new(),
                    );
                }
                probe.timings.push((spec, duration));
            }
            None => importer.unsupported(
                value,
                &draft.at(&format!("healthcheck.{compose}")),
                "not a duration: the probe keeps its default",
                &mut Vec::new(),
            ),
        }
    }
    if let Some(retries) = check.get("retries") {
        match text(retries).and_then(|r| r.trim().parse::<u32>().ok()) {
            Some(n) if n > 0 => probe.timings.push(("retries", n.to_string())),
            _ => importer.unsupported(
                retries,
                &draft.at("healthcheck.retries"),
                "not a positive count: the probe keeps its default",
                &mut Vec::new(),
            ),
        }
    }
    if let Some(start_interval) = check.get("start_interval") {
        importer.unsupported(
            start_interval,
            &draft.at("healthcheck.start_interval"),
            "the probes run at one interval from the start",
            &mut Vec::new(),
        );
    }
    // The timings sort into the spec's order: interval, timeout, retries, startPeriod.
    let order = ["interval", "timeout", "retries", "startPeriod"];
    probe
        .timings
        .sort_by_key(|(field, _)| order.iter().position(|o| o == field));
    probe
}

/// Writes `health` for a service whose main port is `main_port` (none on a UDP port: no
/// probe can use it).
pub(super) fn write(draft: &mut Draft, probe: &Probe, main_port: Option<u16>, udp: bool) {
    if probe.disabled {
        draft
            .comments
            .push("# compose `healthcheck.disable`: the service gets no probes".into());
        return;
    }
    if !probe.declared {
        return;
    }
    if udp && probe.path.is_none() {
        draft.comments.push(
            "# compose `healthcheck`: the main port is UDP, which no probe can check; the service gets none"
                .into(),
        );
        return;
    }
    let mut fields: Vec<String> = Vec::new();
    match &probe.path {
        Some(path) => {
            fields.push(format!("path: {}", quote(path)));
            if let Some(port) = probe.url_port.filter(|p| Some(*p) != main_port) {
                fields.push(format!("port: {port}"));
            }
        }
        None => fields.push("tcp: true".into()),
    }
    fields.extend(probe.timings.iter().map(|(k, v)| format!("{k}: {v}")));
    draft
        .lines
        .push(format!("    health: {{ {} }}", fields.join(", ")));
    if let Some(comment) = &probe.command_comment {
        draft.comments.push(comment.clone());
    }
}

/// The words of a test: its list (after `CMD`/`CMD-SHELL`), or a shell line split at
/// whitespace.
fn words(test: &Node) -> Vec<String> {
    match &test.kind {
        NodeKind::Seq(items) => {
            let all: Vec<&str> = items.iter().filter_map(text).collect();
            match all.first() {
                Some(&"CMD-SHELL") => all[1..]
                    .iter()
                    .flat_map(|w| w.split_whitespace())
                    .map(str::to_string)
                    .collect(),
                Some(&"CMD") => all[1..].iter().map(|w| w.to_string()).collect(),
                _ => all.iter().map(|w| w.to_string()).collect(),
            }
        }
        NodeKind::Scalar { text, .. } => text.split_whitespace().map(str::to_string).collect(),
        NodeKind::Map(_) => Vec::new(),
    }
}

/// The HTTP path and port of the URL a test fetches (curl, wget, or any word that is one).
fn url(test: &Node) -> Option<(String, u16)> {
    let words = words(test);
    let url = words
        .iter()
        .map(|w| w.trim_matches(['\'', '"']))
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))?;
    let (scheme, after_scheme) = url.split_once("://")?;
    let (authority, path) = match after_scheme.find('/') {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, "/"),
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host_port.ends_with(']') => (host, port.parse().ok()?),
        _ => (host_port, default_port),
    };
    // A test that fetches another service's URL says nothing about this service's port.
    let local = ["localhost", "127.0.0.1", "0.0.0.0", "[::1]", "[::]"].contains(&host);
    let port = if local { port } else { 0 };
    let path = path.split(['?', '#']).next().unwrap_or("/");
    Some((
        if path.is_empty() {
            "/".into()
        } else {
            path.to_string()
        },
        port,
    ))
}
