//! `spec/value`: every spec value that reaches a shell command, a file path or a config line
//! matches the grammar of what it is (a region id, a disk id, a bucket, a host, an image
//! reference...), and free text holds no control characters. Render code quotes and escapes
//! every value anyway; this rule makes a hostile or mistyped value a diagnostic at its line
//! instead of a surprise in a production shell.

use crate::check::Ctx;
use crate::check::grammar::{is_dns_label, is_host, is_http_path, is_url_path_byte};
use crate::diagnostic::Diagnostic;
use crate::markdown::is_unsafe_char;
use crate::model::GateMetric;
use crate::model::gates::threshold;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecValue,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some(
        "its values reach shell commands, file paths and config lines of the bundle, where a value that breaks its grammar runs a command, writes outside the bundle or adds a config key",
    ),
    summary: "Every value that reaches a shell command, a file path or a config line has the form of what it is: region and zone ids, cluster, stack and database names, disk and instance ids, OSS buckets and `oss://` URLs, object store locations, hosts and endpoints, absolute paths (NAS paths, writable paths), image references, registry namespaces, `METHOD /path` requests, header names; object store and node pool names are DNS-1123 labels (they name folders and files); node pools' instance types, key pairs and KMS key ids are names; free text (owner, gates, check names, match values) is one line without control characters; the ports the NetworkPolicies open (`egress`, a database's `target.port`) are not 0.",
    rationale: "The runbooks are pasted into a production shell and the tool configs are read line by line: a `;`, a `$(...)`, a `../` or a line break in a value would run a command, write outside the bundle or add a config key.",
    bad: "data: { backups: \"oss://bk;touch${IFS}/tmp/x;\" }",
    good: "data: { backups: \"oss://shop-backups/migration/\" }",
    source: "Alibaba Cloud id formats; OSS bucket naming; the distribution image reference grammar; RFC 3986; POSIX shell quoting",
};

/// What a value must be, with the words and the example the diagnostic uses.
#[derive(Clone, Copy)]
enum Grammar {
    /// `cn-hangzhou`, `ap-southeast-1`.
    Region,
    /// `cn-hangzhou-h`, `ap-southeast-1a`.
    Zone,
    /// A cluster, stack, vSwitch, route or database name: `swarm-prod`, `orders_db`.
    Name,
    /// A DNS-1123 label that also names a folder of the bundle.
    Label,
    /// `d-bp1example0000000001`.
    DiskId,
    /// `rm-bp1example000001`, `pgm-...`, `pc-...`.
    InstanceId,
    /// An OSS bucket: 3 to 63 lowercase letters, digits and `-`.
    Bucket,
    /// A host name or an IPv4 address.
    Host,
    /// A host name, or an `http(s)://host[:port][/path]` URL.
    Endpoint,
    /// `/exported/path`.
    AbsolutePath,
    /// `oss://bucket[/prefix]`.
    OssUrl,
    /// A local absolute path, `s3://`, `cos://` or `azure://` with a bucket and prefix.
    ObjectSource,
    /// `registry.example.com/team/app:1.2.3`, `redis:7.2`, `app@sha256:...`.
    ImageReference,
    /// `registry.cn-hangzhou.aliyuncs.com/namespace`.
    RegistryNamespace,
    /// `GET /path?query`.
    Request,
    /// An HTTP header, cookie or query parameter name.
    Token,
    /// `namespace/name` or `name`.
    GatewayRef,
    /// An error-rate gate's threshold: `1%`.
    Share,
    /// A p99-latency gate's threshold: `500ms`.
    Latency,
    /// A gate's window: a duration from one minute to one day (`5m`).
    Window,
    /// Anything printable on one line.
    Text,
}

impl Grammar {
    fn accepts(self, value: &str) -> bool {
        match self {
            Grammar::Region | Grammar::Zone => is_region_like(value),
            Grammar::Name => is_name(value),
            Grammar::Label => is_dns_label(value),
            Grammar::DiskId => value
                .strip_prefix("d-")
                .is_some_and(|id| is_lower_alnum(id) && id.len() <= 62),
            Grammar::InstanceId => value.split_once('-').is_some_and(|(kind, id)| {
                !kind.is_empty()
                    && kind.bytes().all(|b| b.is_ascii_lowercase())
                    && is_lower_alnum(id)
                    && value.len() <= 64
            }),
            Grammar::Bucket => is_bucket(value),
            Grammar::Host => is_host(value) || value.parse::<std::net::Ipv4Addr>().is_ok(),
            Grammar::Endpoint => is_endpoint(value),
            Grammar::AbsolutePath => is_absolute_path(value),
            Grammar::OssUrl => value
                .strip_prefix("oss://")
                .is_some_and(is_bucket_and_prefix),
            Grammar::ObjectSource => {
                ["s3://", "cos://", "azure://"]
                    .iter()
                    .any(|scheme| value.strip_prefix(scheme).is_some_and(is_bucket_and_prefix))
                    || is_absolute_path(value)
            }
            Grammar::ImageReference => is_image_reference(value),
            Grammar::RegistryNamespace => is_registry_namespace(value),
            Grammar::Request => is_request(value),
            // A name starting with `-` would read as an option wherever it is an argument.
            Grammar::Token => {
                !value.is_empty()
                    && !value.starts_with('-')
                    && value.len() <= 128
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            }
            Grammar::GatewayRef => {
                let mut parts = value.split('/');
                let ok = parts.by_ref().take(2).all(is_dns_label);
                ok && parts.next().is_none() && !value.is_empty()
            }
            Grammar::Share => threshold(GateMetric::ErrorRate, value).is_ok(),
            Grammar::Latency => threshold(GateMetric::P99Latency, value).is_ok(),
            Grammar::Window => value
                .parse::<crate::model::Duration>()
                .is_ok_and(|d| (60..=86_400).contains(&d.seconds())),
            Grammar::Text => value.chars().count() <= 1000 && !value.chars().any(is_unsafe_char),
        }
    }

    /// What the value is not, for the label and the message.
    fn what(self) -> &'static str {
        match self {
            Grammar::Region => "a region id",
            Grammar::Zone => "a zone id",
            Grammar::Name => "a name",
            Grammar::Label => "a DNS-1123 label",
            Grammar::DiskId => "a disk id",
            Grammar::InstanceId => "an instance id",
            Grammar::Bucket => "an OSS bucket name",
            Grammar::Host => "a host name or IPv4 address",
            Grammar::Endpoint => "a host name or http(s) URL",
            Grammar::AbsolutePath => "an absolute path",
            Grammar::OssUrl => "an `oss://bucket/prefix` URL",
            Grammar::ObjectSource => "an object store location",
            Grammar::ImageReference => "an image reference",
            Grammar::RegistryNamespace => "a registry namespace",
            Grammar::Request => "a `METHOD /path` request",
            Grammar::Token => "a header, cookie or parameter name",
            Grammar::GatewayRef => "a `namespace/name` reference",
            Grammar::Share => "a share of the requests such as `1%`",
            Grammar::Latency => "a latency such as `500ms`",
            Grammar::Window => "a window such as `5m`",
            Grammar::Text => "one line of printable text",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Grammar::Region => {
                "write the region id as Alibaba Cloud lists it, such as `cn-hangzhou`: lowercase letters, digits and `-`"
            }
            Grammar::Zone => {
                "write the zone id as Alibaba Cloud lists it, such as `cn-hangzhou-h`: lowercase letters, digits and `-`"
            }
            Grammar::Name => {
                "use letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 63 characters, such as `swarm-prod`"
            }
            Grammar::Label => {
                "use lowercase letters, digits and `-`, at most 63 characters, such as `avatars`: the name is a folder of the bundle"
            }
            Grammar::DiskId => {
                "write the disk's id as the ECS console shows it, such as `d-bp1example0000000001`"
            }
            Grammar::InstanceId => {
                "write the instance id as the console shows it, such as `rm-bp1example000001`"
            }
            Grammar::Bucket => {
                "a bucket name is 3 to 63 lowercase letters, digits and `-`, not starting or ending with `-`, such as `shop-assets`"
            }
            Grammar::Host => {
                "write a host name such as `mysql.internal.example.com`, or an IPv4 address"
            }
            Grammar::Endpoint => {
                "write a host name such as `cos.ap-shanghai.myqcloud.com`, or a URL such as `https://s3.example.com:9000`"
            }
            Grammar::AbsolutePath => {
                "write an absolute path of letters, digits and `-_./~@%+=,:`, such as `/share/reports`, without `..`"
            }
            Grammar::OssUrl => {
                "write `oss://bucket` or `oss://bucket/prefix/`: a bucket name, then letters, digits and `-_./=+` without `..`"
            }
            Grammar::ObjectSource => {
                "write an absolute local path (`/data/uploads`) or `s3://`, `cos://` or `azure://` with a bucket and an optional prefix"
            }
            Grammar::ImageReference => {
                "write an image as `[registry/]repository[:tag][@sha256:digest]` in lowercase, such as `registry.example.com/team/app:1.2.3`"
            }
            Grammar::RegistryNamespace => {
                "write the registry host and namespace, such as `registry.cn-hangzhou.aliyuncs.com/team`, in lowercase"
            }
            Grammar::Request => {
                "write an HTTP method in capitals, one space and an absolute path, such as `GET /api/health?full=1`"
            }
            Grammar::Token => {
                "use letters, digits, `-`, `_` and `.`, starting with a letter or digit, such as `x-canary`"
            }
            Grammar::GatewayRef => {
                "write the Gateway as `namespace/name` of DNS-1123 labels, such as `istio-system/ingressgateway`"
            }
            Grammar::Share => {
                "an error-rate gate's threshold is a percentage of the requests, such as `1%` or `0.5%`, at most `100%`"
            }
            Grammar::Latency => {
                "a p99-latency gate's threshold is a duration such as `500ms`, `2s` or `1.5s`, above 0 and at most `60s`"
            }
            Grammar::Window => {
                "a gate reads its metric over a window from `1m` (the metrics' scrape and report interval) to `1d`, such as `5m`"
            }
            Grammar::Text => {
                "keep it on one line, without control characters (escape sequences, line or paragraph separators, bidirectional controls), at most 1,000 characters"
            }
        }
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (path, value, grammar) in values(ctx.spec) {
        if !grammar.accepts(value) {
            out.push(
                ctx.error(
                    RULE.id,
                    &path,
                    format!("not {}", grammar.what()),
                    format!(
                        "`{}` is not {}",
                        crate::markdown::visible(&truncate(value)),
                        grammar.what()
                    ),
                )
                .help(grammar.help()),
            );
        }
    }
    zero_ports(ctx, out);
}

/// The ports the NetworkPolicies open that no other rule checks (`workload::ports` checks the
/// services' own): `egress` ports and the databases' target ports. Port 0 is no port:
/// Kubernetes refuses it in a NetworkPolicy.
fn zero_ports(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let mut zero: Vec<SpecPath> = Vec::new();
    for (i, service) in spec.services.iter().enumerate() {
        for (j, egress) in service.egress.iter().enumerate() {
            if egress.port == 0 {
                zero.push(root().services().at(i).egress().at(j).port());
            }
        }
    }
    for (i, db) in spec
        .data
        .iter()
        .flat_map(|d| d.databases.iter())
        .enumerate()
    {
        if db.target.port == Some(0) {
            zero.push(root().data().databases().at(i).target().port());
        }
    }
    for path in zero {
        out.push(
            ctx.error(RULE.id, &path, "not a port", "`0` is not a port")
                .help("write the port the destination answers on, from 1 to 65535"),
        );
    }
}

/// Long hostile values are shown by their start only.
fn truncate(value: &str) -> String {
    match value.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_string(),
    }
}

/// Every value the rule guards, with its path and grammar. Names already held to stricter
/// grammars by other rules (spec::name: Kubernetes names, route hosts and paths; dns::names:
/// zones and records) are not repeated here.
fn values(spec: &crate::model::Spec) -> Vec<(SpecPath, &str, Grammar)> {
    let mut out = Vec::new();
    values_into(spec, &mut out);
    out
}

fn values_into<'a>(spec: &'a crate::model::Spec, out: &mut Vec<(SpecPath, &'a str, Grammar)>) {
    let mut add =
        |path: SpecPath, value: &'a str, grammar: Grammar| out.push((path, value, grammar));
    if let Some(owner) = &spec.metadata.owner {
        add(root().metadata().owner(), owner, Grammar::Text);
    }
    let source = &spec.source;
    add(root().source().name(), &source.name, Grammar::Name);
    if let Some(stack) = &source.stack {
        add(root().source().stack(), stack, Grammar::Name);
    }
    if let Some(test) = &source.test_domain {
        add(root().source().test_domain(), test, Grammar::Host);
    }
    let target = &spec.target;
    add(root().target().name(), &target.name, Grammar::Name);
    add(root().target().region(), &target.region, Grammar::Region);
    for (i, zone) in target.zones.iter().enumerate() {
        add(root().target().zones().at(i), zone, Grammar::Zone);
    }
    for (i, addon) in target.addons.iter().enumerate() {
        add(root().target().addons().at(i), addon, Grammar::Label);
    }
    let network = &target.network;
    for (i, v) in network.vswitches.iter().enumerate() {
        add(
            root().target().network().vswitches().at(i).name(),
            &v.name,
            Grammar::Name,
        );
        add(
            root().target().network().vswitches().at(i).zone(),
            &v.zone,
            Grammar::Zone,
        );
    }
    for (i, r) in network.routes.iter().enumerate() {
        add(
            root().target().network().routes().at(i).name(),
            &r.name,
            Grammar::Name,
        );
    }
    for (i, c) in network.other_clusters.iter().enumerate() {
        add(
            root().target().network().other_clusters().at(i).name(),
            &c.name,
            Grammar::Name,
        );
    }
    if let Some(gateway) = target
        .ingress_controller
        .as_ref()
        .and_then(|c| c.gateway.as_ref())
    {
        add(
            root().target().ingress_controller().gateway(),
            gateway,
            Grammar::GatewayRef,
        );
    }
    for (i, pool) in target.node_pools.iter().enumerate() {
        let at = root().target().node_pools().at(i);
        add(at.name(), &pool.name, Grammar::Label);
        for (j, ty) in pool.instance_types.iter().enumerate() {
            add(at.instance_types().at(j), ty, Grammar::Name);
        }
        if let Some(key) = &pool.key_pair {
            add(at.key_pair(), key, Grammar::Name);
        }
        if let Some(key) = pool
            .system_disk
            .as_ref()
            .and_then(|d| d.kms_key_id.as_ref())
        {
            add(at.system_disk().kms_key_id(), key, Grammar::Name);
        }
        for (j, disk) in pool.data_disks.iter().flatten().enumerate() {
            if let Some(key) = &disk.kms_key_id {
                add(at.data_disks().at(j).kms_key_id(), key, Grammar::Name);
            }
        }
    }
    for (i, s) in spec.storage.iter().enumerate() {
        let at = root().storage().at(i);
        for (path, value, grammar) in [
            (at.disk_id(), &s.disk_id, Grammar::DiskId),
            (at.zone(), &s.zone, Grammar::Zone),
            (at.server(), &s.server, Grammar::Host),
            (at.path(), &s.path, Grammar::AbsolutePath),
            (at.nfs_version(), &s.nfs_version, Grammar::Token),
            (at.bucket(), &s.bucket, Grammar::Bucket),
            (at.endpoint(), &s.endpoint, Grammar::Host),
        ] {
            if let Some(value) = value {
                add(path, value, grammar);
            }
        }
        if let Some(id) = s.copy.as_ref().and_then(|c| c.source_disk_id.as_ref()) {
            add(at.copy().source_disk_id(), id, Grammar::DiskId);
        }
    }
    for (i, s) in spec.services.iter().enumerate() {
        add(
            root().services().at(i).image(),
            &s.image,
            Grammar::ImageReference,
        );
        // Each becomes an emptyDir's mountPath.
        let writable = s
            .security_context
            .as_ref()
            .and_then(|c| c.writable_paths.as_ref());
        for (j, path) in writable.into_iter().flatten().enumerate() {
            add(
                root()
                    .services()
                    .at(i)
                    .security_context()
                    .writable_paths()
                    .at(j),
                path,
                Grammar::AbsolutePath,
            );
        }
    }
    if let Some(images) = &spec.images {
        add(
            root().images().target(),
            &images.target,
            Grammar::RegistryNamespace,
        );
        if let Some(helper) = &images.helper_image {
            add(
                root().images().helper_image(),
                helper,
                Grammar::ImageReference,
            );
        }
        if let Some(kubectl) = &images.kubectl_image {
            add(
                root().images().kubectl_image(),
                kubectl,
                Grammar::ImageReference,
            );
        }
    }
    if let Some(data) = &spec.data {
        for (i, db) in data.databases.iter().enumerate() {
            let at = root().data().databases().at(i);
            add(at.name(), &db.name, Grammar::Name);
            add(at.engine(), &db.engine, Grammar::Label);
            add(at.source().host(), &db.source.host, Grammar::Host);
            add(
                at.target().instance(),
                &db.target.instance,
                Grammar::InstanceId,
            );
            if let Some(name) = &db.private_name {
                add(at.private_name(), name, Grammar::Host);
            }
        }
        for (i, store) in data.object_stores.iter().enumerate() {
            let at = root().data().object_stores().at(i);
            add(at.name(), &store.name, Grammar::Label);
            add(at.source(), &store.source, Grammar::ObjectSource);
            add(at.target(), &store.target, Grammar::OssUrl);
            if let Some(endpoint) = &store.source_endpoint {
                add(at.source_endpoint(), endpoint, Grammar::Endpoint);
            }
        }
        if let Some(backups) = &data.backups {
            add(root().data().backups(), backups, Grammar::OssUrl);
        }
    }
    for (i, gate) in spec.rollout.gates.iter().enumerate() {
        match gate {
            crate::model::Gate::Text(text) => {
                add(
                    SpecPath::from(root().rollout().gates().at(i)),
                    text,
                    Grammar::Text,
                );
            }
            // The threshold reaches the runbook's check as a number of the metric's unit.
            crate::model::Gate::Measured(gate) => {
                let at = root().rollout().gates().at(i);
                let grammar = match gate.metric {
                    GateMetric::ErrorRate => Grammar::Share,
                    GateMetric::P99Latency => Grammar::Latency,
                };
                add(at.threshold(), &gate.threshold, grammar);
                if let Some(window) = &gate.window {
                    add(at.window(), window.as_str(), Grammar::Window);
                }
            }
        }
    }
    if let Some(rule) = &spec.rollout.match_rule {
        let at = root().rollout().match_rule();
        for (at, condition) in [
            (at.header(), &rule.header),
            (at.cookie(), &rule.cookie),
            (at.query(), &rule.query),
        ] {
            if let Some(condition) = condition {
                add(at.name(), &condition.name, Grammar::Token);
                for (path, value) in [
                    (at.value(), &condition.value),
                    (at.pattern(), &condition.pattern),
                ] {
                    if let Some(value) = value {
                        add(path, value, Grammar::Text);
                    }
                }
            }
        }
    }
    for (i, check) in spec
        .verification
        .iter()
        .flat_map(|v| v.checks.iter())
        .enumerate()
    {
        add(
            root().verification().checks().at(i).name(),
            &check.name,
            Grammar::Text,
        );
        add(
            root().verification().checks().at(i).request(),
            &check.request,
            Grammar::Request,
        );
    }
}

fn is_lower_alnum(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `cn-hangzhou`, `cn-hangzhou-h`, `ap-southeast-1a`: lowercase words joined by `-`,
/// starting with a letter.
fn is_region_like(value: &str) -> bool {
    value.len() <= 64
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.contains('-')
        && value.split('-').all(is_lower_alnum)
}

fn is_name(value: &str) -> bool {
    value.len() <= 63
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_bucket(value: &str) -> bool {
    (3..=63).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// `bucket` or `bucket/prefix/...`: a bucket name, then path segments of safe characters.
fn is_bucket_and_prefix(value: &str) -> bool {
    let (bucket, prefix) = value.split_once('/').unwrap_or((value, ""));
    is_bucket(bucket)
        && prefix.len() <= 1000
        && prefix.split('/').all(|segment| {
            segment != ".."
                && segment != "."
                && segment.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+')
                })
        })
        && !prefix.contains("//")
}

fn is_endpoint(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return is_host(value);
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = authority
        .rsplit_once(':')
        .map_or((authority, None), |(h, p)| (h, Some(p)));
    (is_host(host) || host.parse::<std::net::Ipv4Addr>().is_ok())
        && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
        && (path.is_empty() || is_absolute_path(&format!("/{path}")))
}

/// An absolute path of safe characters, without `.` or `..` segments.
fn is_absolute_path(value: &str) -> bool {
    value.starts_with('/')
        && value.len() <= 1024
        && value[1..]
            .split('/')
            .all(|segment| segment != ".." && segment != ".")
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'/' | b'-' | b'_' | b'.' | b'~' | b'@' | b'%' | b'+' | b'=' | b',' | b':'
                )
        })
}

/// The distribution reference grammar: `[host[:port]/]component(/component)*[:tag][@digest]`
/// with lowercase path components.
fn is_image_reference(value: &str) -> bool {
    if value.len() > 512 {
        return false;
    }
    let (name, digest) = match value.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (value, None),
    };
    if let Some(digest) = digest {
        let Some((algorithm, hex)) = digest.split_once(':') else {
            return false;
        };
        let algorithm_ok = !algorithm.is_empty()
            && algorithm.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'+' | b'.' | b'_' | b'-')
            });
        if !algorithm_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    // A tag follows the last `:` after the last `/`.
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return false;
        }
    }
    is_repository(repository)
}

/// `[host[:port]/]component(/component)*`.
fn is_repository(value: &str) -> bool {
    let mut parts: Vec<&str> = value.split('/').collect();
    if parts.len() > 1 && is_registry_host(parts[0]) {
        parts.remove(0);
    }
    !parts.is_empty() && parts.iter().all(|p| is_path_component(p))
}

fn is_registry_host(value: &str) -> bool {
    let (host, port) = value
        .rsplit_once(':')
        .map_or((value, None), |(h, p)| (h, Some(p)));
    (host.contains('.') || host == "localhost" || port.is_some())
        && is_host(host)
        && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`.
fn is_path_component(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.is_empty()
        || !bytes[0].is_ascii_alphanumeric()
        || !bytes[bytes.len() - 1].is_ascii_alphanumeric()
    {
        return false;
    }
    let mut separator = String::new();
    for &b in bytes {
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            let ok = separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.bytes().all(|s| s == b'-');
            if !ok {
                return false;
            }
            separator.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator.push(b as char);
        } else {
            return false;
        }
    }
    true
}

fn is_registry_namespace(value: &str) -> bool {
    let Some((host, rest)) = value.split_once('/') else {
        return false;
    };
    is_registry_host(host) && !rest.is_empty() && rest.split('/').all(is_path_component)
}

/// `METHOD /path[?query]`: the path in RFC 3986 characters, no fragment.
fn is_request(value: &str) -> bool {
    let Some((method, target)) = value.split_once(' ') else {
        return false;
    };
    let method_ok =
        (1..=16).contains(&method.len()) && method.bytes().all(|b| b.is_ascii_uppercase());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    method_ok
        && is_http_path(path)
        && query.len() <= 2048
        && query.bytes().all(|b| b == b'?' || is_url_path_byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammars_accept_real_values() {
        let cases = [
            (Grammar::Region, "cn-hangzhou"),
            (Grammar::Region, "ap-southeast-1"),
            (Grammar::Zone, "cn-hangzhou-h"),
            (Grammar::Zone, "ap-southeast-1a"),
            (Grammar::DiskId, "d-bp1example0000000001"),
            (Grammar::InstanceId, "rm-bp1example000001"),
            (Grammar::Bucket, "piggymetrics-avatars"),
            (
                Grammar::Host,
                "0a1b2c3d4e-abc12.cn-hangzhou.nas.aliyuncs.com",
            ),
            (Grammar::Host, "10.0.0.12"),
            (Grammar::Endpoint, "https://s3.example.com:9000"),
            (Grammar::AbsolutePath, "/reports"),
            (Grammar::OssUrl, "oss://piggymetrics-avatars"),
            (Grammar::OssUrl, "oss://backups/migration/2026-11/"),
            (Grammar::ObjectSource, "s3://piggymetrics-uploads"),
            (Grammar::ObjectSource, "/data/uploads"),
            (Grammar::ImageReference, "redis:7.2"),
            (
                Grammar::ImageReference,
                "registry.example.com:5000/team/app_x:1.0.0-rc.1",
            ),
            (
                Grammar::ImageReference,
                "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            (
                Grammar::RegistryNamespace,
                "registry.cn-hangzhou.aliyuncs.com/hello",
            ),
            (Grammar::Request, "GET /api/health?full=1"),
            (Grammar::Token, "x-migration"),
            (Grammar::GatewayRef, "istio-system/ingressgateway"),
            (Grammar::Share, "0.5%"),
            (Grammar::Latency, "1.5s"),
            (Grammar::Window, "5m"),
            (Grammar::Text, "error rate < 1% for 10 minutes"),
        ];
        for (grammar, value) in cases {
            assert!(
                grammar.accepts(value),
                "{} refused `{value}`",
                grammar.what()
            );
        }
    }

    /// Every grammar of a value that reaches a command argument: a value starting with `-`
    /// would be an option to `aliyun`, `kubectl` or `ossutil` however it is quoted.
    const ARGUMENT_GRAMMARS: &[Grammar] = &[
        Grammar::Region,
        Grammar::Zone,
        Grammar::Name,
        Grammar::Label,
        Grammar::DiskId,
        Grammar::InstanceId,
        Grammar::Bucket,
        Grammar::Host,
        Grammar::Endpoint,
        Grammar::AbsolutePath,
        Grammar::OssUrl,
        Grammar::ObjectSource,
        Grammar::ImageReference,
        Grammar::RegistryNamespace,
        Grammar::Request,
        Grammar::Token,
        Grammar::GatewayRef,
    ];

    #[test]
    fn gate_values_stay_in_range() {
        for value in ["0s", "30s", "2d", "1m; id"] {
            assert!(!Grammar::Window.accepts(value), "{value}");
        }
        assert!(Grammar::Window.accepts("1d"));
        assert!(!Grammar::Share.accepts("0%"));
        assert!(!Grammar::Share.accepts("101%"));
    }

    #[test]
    fn no_argument_grammar_accepts_an_option() {
        for grammar in ARGUMENT_GRAMMARS {
            for value in [
                "--help",
                "-rf",
                "-h",
                "--region=cn-hangzhou",
                "-d-bp1example",
                "-rm-bp1example000001",
                "-x-canary",
                "-redis:7.2",
                "--/a",
                "-GET /",
            ] {
                assert!(
                    !grammar.accepts(value),
                    "{} accepted `{value}`",
                    grammar.what()
                );
            }
        }
        // The shared grammars (check::grammar) hold the same line.
        for value in ["--help", "-rf", "-www.example.com"] {
            assert!(!crate::check::grammar::is_host(value), "{value}");
            assert!(!super::is_dns_label(value), "{value}");
            assert!(!crate::check::grammar::is_http_path(value), "{value}");
        }
    }

    #[test]
    fn grammars_refuse_hostile_values() {
        let cases = [
            (Grammar::Region, "cn-hangzhou;id"),
            (Grammar::Zone, "cn-hangzhou-h\n"),
            (Grammar::Name, "swarm prod"),
            (Grammar::Name, "-rf"),
            (Grammar::Label, "../../../../tmp/victim"),
            (Grammar::DiskId, "d-1$(id)"),
            (Grammar::InstanceId, "rm-bp1;reboot"),
            (Grammar::Bucket, "Bk_1"),
            (Grammar::Host, "host`id`"),
            (Grammar::Endpoint, "https://x.example.com:99999"),
            (Grammar::AbsolutePath, "/share/../etc"),
            (Grammar::AbsolutePath, "/share dir"),
            (Grammar::OssUrl, "oss://bk;touch${IFS}/tmp/x;"),
            (Grammar::OssUrl, "oss://bk/a/../b"),
            (Grammar::ObjectSource, "relative/path"),
            (Grammar::ImageReference, "Redis:7"),
            (Grammar::ImageReference, "redis:7\u{2028}"),
            (Grammar::ImageReference, "redis:$(id)"),
            (Grammar::RegistryNamespace, "registry.example.com"),
            (Grammar::Request, "GET /a b"),
            (Grammar::Request, "GET /a`id`"),
            (Grammar::Token, "x-canary: 1"),
            (Grammar::GatewayRef, "a/b/c"),
            (Grammar::Text, "line\nbreak"),
            (Grammar::Text, "\u{1b}[31mred"),
            (Grammar::Text, "rtl\u{202e}txt"),
        ];
        for (grammar, value) in cases {
            assert!(
                !grammar.accepts(value),
                "{} accepted `{}`",
                grammar.what(),
                value.escape_debug()
            );
        }
    }
}
