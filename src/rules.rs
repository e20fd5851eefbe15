//! The rule registry: every rule id cutover knows, its default level, what it guards against
//! and where the knowledge comes from. `cutover explain`, the README's rule list, `allow:`
//! and `cutover.toml` all read this one table.

use serde::Serialize;

/// How a rule shows up by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// An error: no bundle is written.
    Error,
    /// A warning: the bundle is written and records it.
    Warning,
    /// An error in the worst case, a warning in a milder one (said in the summary).
    ErrorOrWarning,
    /// Knowledge the compiler applies when it builds the bundle; never a diagnostic.
    Applied,
    /// A fact the runbook or report states; never a diagnostic.
    Note,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::ErrorOrWarning => "error/warning",
            Level::Applied => "applied",
            Level::Note => "note",
        }
    }

    /// Whether the rule ever produces a diagnostic (and so can be allowed or re-levelled).
    pub fn is_diagnostic(self) -> bool {
        matches!(self, Level::Error | Level::Warning | Level::ErrorOrWarning)
    }
}

/// Whether this version checks the rule, or only knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Checked,
    /// Known and explained; its check arrives with the stage that needs it.
    Planned,
}

#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub level: Level,
    pub status: Status,
    /// One line: what the rule demands.
    pub summary: &'static str,
    /// Why: what goes wrong in production without it.
    pub rationale: &'static str,
    /// A spec fragment that breaks the rule, and one that keeps it.
    pub bad: &'static str,
    pub good: &'static str,
    pub source: &'static str,
}

macro_rules! rule {
    ($id:literal, $level:ident, $status:ident, $summary:literal, $rationale:literal, $bad:literal, $good:literal, $source:literal) => {
        Rule {
            id: $id,
            level: Level::$level,
            status: Status::$status,
            summary: $summary,
            rationale: $rationale,
            bad: $bad,
            good: $good,
            source: $source,
        }
    };
}

pub static RULES: &[Rule] = &[
    // spec: the file itself
    rule!(
        "spec/syntax",
        Error,
        Checked,
        "The file is well-formed YAML or TOML.",
        "A spec that does not parse cannot be checked at all; the parser's message says where it stopped.",
        "services: [gateway",
        "services: [gateway]",
        "YAML 1.2, TOML 1.0"
    ),
    rule!(
        "spec/encoding",
        Error,
        Checked,
        "The file is UTF-8 text without NUL characters.",
        "Specs travel through editors, CI and pull requests; other encodings and binary content corrupt silently.",
        "(a file saved as Latin-1)",
        "(the same file saved as UTF-8)",
        "cutover"
    ),
    rule!(
        "spec/empty",
        Error,
        Checked,
        "The file holds a spec.",
        "An empty file most often means a failed generation step or a wrong path.",
        "",
        "apiVersion: cutover.dev/v1alpha1",
        "cutover"
    ),
    rule!(
        "spec/too-large",
        Error,
        Checked,
        "The file is under 16 MiB, with at most 1,000,000 values and 128 levels of nesting.",
        "The limits keep a hostile or broken file from exhausting CI machines; a real spec is far smaller.",
        "(a 20 MiB file)",
        "(a spec of a few hundred services)",
        "cutover"
    ),
    rule!(
        "spec/alias-limit",
        Error,
        Checked,
        "YAML aliases expand to at most 100,000 values.",
        "Nested aliases grow exponentially (the 'billion laughs' bomb); the budget stops them early.",
        "a: &a [x, x]\nb: &b [*a, *a]\n# ...nine more levels",
        "(anchors used a few times)",
        "cutover"
    ),
    rule!(
        "spec/multiple-documents",
        Error,
        Checked,
        "The YAML file holds exactly one document.",
        "A second document after `---` would be ignored silently; one spec per file.",
        "---\napiVersion: ...\n---\napiVersion: ...",
        "apiVersion: ...",
        "cutover"
    ),
    rule!(
        "spec/duplicate-key",
        Error,
        Checked,
        "A mapping names each key once.",
        "With duplicate keys one value silently wins; which one depends on the tool.",
        "replicas: 3\nreplicas: 1",
        "replicas: 3",
        "YAML 1.2 §3.2.1.1"
    ),
    rule!(
        "spec/unknown-field",
        Error,
        Checked,
        "Every field is one the spec format defines.",
        "A misspelt field is otherwise ignored: `podCIDR:` would leave the pod CIDR unset.",
        "network: { podCIDR: 10.16.0.0/16 }",
        "network: { podCidr: 10.16.0.0/16 }",
        "spec-sketch.yaml"
    ),
    rule!(
        "spec/missing-field",
        Error,
        Checked,
        "Every required field is present.",
        "cutover does not guess values that decide addresses, sizes or traffic.",
        "services:\n  - name: gateway",
        "services:\n  - name: gateway\n    image: ...\n    replicas: 3\n    port: 4000",
        "spec-sketch.yaml"
    ),
    rule!(
        "spec/type",
        Error,
        Checked,
        "Every value has the type and form its field takes (numbers, quantities, durations, percentages, CIDRs, known choices).",
        "A value of the wrong form is a guess waiting to go wrong: `faultTolerance: 10` could mean 10% or 1000%.",
        "faultTolerance: 10",
        "faultTolerance: 10%",
        "spec-sketch.yaml"
    ),
    rule!(
        "spec/api-version",
        Error,
        Checked,
        "`apiVersion` is `cutover.dev/v1alpha1` and `kind` is `Migration`.",
        "The version says which meaning every field has; an unknown version cannot be read safely.",
        "apiVersion: cutover.dev/v2",
        "apiVersion: cutover.dev/v1alpha1",
        "cutover"
    ),
    rule!(
        "spec/name",
        Error,
        Checked,
        "Names that become Kubernetes object names (the migration, namespace, services, storage, waves) are DNS-1123 labels: lowercase letters, digits and `-`, at most 63 characters. Route hosts are DNS names; route, health and mount paths are absolute, without spaces or control characters; environment variable names are identifiers.",
        "Kubernetes refuses other names at apply time, in the middle of a migration.",
        "metadata: { name: PiggyMetrics }",
        "metadata: { name: piggymetrics }",
        "Kubernetes object names (RFC 1123)"
    ),
    rule!(
        "spec/value",
        Error,
        Checked,
        "Every value that reaches a shell command, a file path or a config line has the form of what it is: region and zone ids, cluster, stack and database names, disk and instance ids, OSS buckets and `oss://` URLs, object store locations, hosts and endpoints, absolute paths, image references, registry namespaces, `METHOD /path` requests, header names; object store names are DNS-1123 labels (they name folders); free text (owner, gates, check names, match values) is one line without control characters.",
        "The runbooks are pasted into a production shell and the tool configs are read line by line: a `;`, a `$(...)`, a `../` or a line break in a value would run a command, write outside the bundle or add a config key.",
        "data: { backups: \"oss://bk;touch${IFS}/tmp/x;\" }",
        "data: { backups: \"oss://shop-backups/migration/\" }",
        "Alibaba Cloud id formats; OSS bucket naming; the distribution image reference grammar; RFC 3986; POSIX shell quoting"
    ),
    rule!(
        "spec/duplicate-name",
        Error,
        Checked,
        "Services, storage volumes, vSwitches, routes and waves each have unique names.",
        "Two objects of one name overwrite each other in the cluster.",
        "services: [{ name: api, ... }, { name: api, ... }]",
        "services: [{ name: api, ... }, { name: api-v2, ... }]",
        "cutover"
    ),
    rule!(
        "spec/reference",
        Error,
        Checked,
        "Every name a spec refers to exists: volumes name storage entries, zones are the cluster's zones, allowed rules exist.",
        "A dangling reference becomes a pod stuck in Pending or a silently ignored allow.",
        "volumes: [{ storage: cache, ... }]   # no storage named cache",
        "volumes: [{ storage: cache-data, ... }]",
        "cutover"
    ),
    rule!(
        "spec/kubernetes-version",
        Error,
        Checked,
        "`target.kubernetesVersion` is a `MAJOR.MINOR` version such as \"1.31\", 1.24 or later; older versions are refused with the removed APIs they would need.",
        "The version decides every apiVersion the bundle emits.",
        "kubernetesVersion: latest",
        "kubernetesVersion: \"1.31\"",
        "cutover"
    ),
    rule!(
        "import/unsupported",
        Warning,
        Checked,
        "`cutover import compose`: a compose setting with no equivalent in the spec (global mode, configs, secrets, placement, commands, bind mounts, ...) is kept as a comment in the generated spec and warned about.",
        "Nothing is dropped silently: every setting the new cluster will not get is in front of the person who finishes the spec.",
        "deploy: { mode: global }",
        "deploy: { replicas: 3 }",
        "cutover"
    ),
    rule!(
        "import/secret",
        Warning,
        Checked,
        "`cutover import compose`: a compose value that is a secret (a secret-named variable such as `MYSQL_ROOT_PASSWORD`, or a credential-shaped value) is never copied: the generated spec holds a `${NAME}` reference, or a comment without the value, and a warning points at the compose line.",
        "A spec goes into git and pull requests; the secret is provided at deploy time from a Kubernetes Secret instead.",
        "environment: { MYSQL_ROOT_PASSWORD: hunter2 }",
        "env: { MYSQL_ROOT_PASSWORD: \"${MYSQL_ROOT_PASSWORD}\" }   # what the import writes",
        "cutover; gitleaks default rules"
    ),
    rule!(
        "spec/credential",
        Error,
        Checked,
        "No string of the spec (any value, any key) holds a credential: a cloud AccessKey ID (`LTAI…`, `AKIA…`), a provider token (GitHub `ghp_…`, GitLab `glpat-…`, Slack `xoxb-…` and webhooks, Google `AIza…`, Stripe `sk_live_…`, ...), a JWT, a private key block, a password in a URL (`postgres://u:pw@host`) or after its name (`password=…`), or a secret-named variable (a word part `PASSWORD`, `PASS`, `PWD`, `SECRET`, `TOKEN`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIALS`, ...; not `*_FILE`, `*_PATH`, `*_ENV`) with a written value. Only a whole `${NAME}` is a reference. It cannot be allowed or lowered.",
        "A secret in a spec ends up in git history, CI logs, pull requests and the bundle pasted into a production shell. No decision can accept that: the rule is not set in `cutover.toml` or `allow:`.",
        "env: { DB_PASSWORD: hunter2, DB_URL: \"postgres://app:hunter2@db/app\" }",
        "env: { DB_PASSWORD: \"${DB_PASSWORD}\", DB_PASSWORD_FILE: /run/secrets/db }   # the value from a Secret at deploy time",
        "cutover; gitleaks default rules"
    ),
    rule!(
        "config/locked",
        Error,
        Checked,
        "`cutover.toml` does not set a locked rule to `allow` or `warn`, and no service's `allow:` names one. Locked: `spec/credential` (a secret in the spec is always an error), `spec/value`, `spec/name` and `dns/names` (their values reach shell commands, paths and config lines of the bundle), and `config/locked` itself.",
        "Silencing the secret scan would let a credential reach git history and the bundle while the check looks green. Silencing a grammar would let a value such as `--help`, `-rf` or a line break reach a command pasted into a production shell: quoting keeps `$(...)` inert, but a quoted value starting with `-` is still an option to `aliyun` or `kubectl`.",
        "[rules]\n\"spec/credential\" = \"allow\"\n\"spec/value\" = \"allow\"",
        "# fix the value in the spec (or reference a secret as ${NAME}); keep locked rules at their default",
        "cutover"
    ),
    rule!(
        "config/unknown-rule",
        Error,
        Checked,
        "Rule ids in `cutover.toml` and `allow:` exist, and `allow:` names only rules about a single service.",
        "A misspelt id silences nothing, so the team believes a decision was recorded when it was not.",
        "[rules]\n\"network/pod-overlaps\" = \"warn\"",
        "[rules]\n\"network/pod-overlap\" = \"warn\"",
        "cutover"
    ),
    rule!(
        "config/syntax",
        Error,
        Checked,
        "`cutover.toml` is valid: a `[rules]` table of rule ids set to `allow`, `warn` or `deny`.",
        "A broken config must not silently fall back to the defaults.",
        "[rules]\n\"sizing/single-zone\" = \"off\"",
        "[rules]\n\"sizing/single-zone\" = \"allow\"",
        "cutover"
    ),
    rule!(
        "images/collision",
        Error,
        Checked,
        "Different source images never land on the same target image: `images.target` keeps only each image's last path component.",
        "`a/web:1.0` and `b/web:1.0` would both become `<target>/web:1.0`, and one service would run the other's code.",
        "image: team-a/web:1.0   # and another service: team-b/web:1.0",
        "image: team-a/web:1.0   # and: team-b/web-b:1.0",
        "cutover"
    ),
    // network
    rule!(
        "network/vpc-range",
        Error,
        Checked,
        "The VPC CIDR lies inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.",
        "ACK VPCs use the private ranges; a public block in a VPC shadows real internet addresses.",
        "vpc: 100.64.0.0/16",
        "vpc: 192.168.0.0/16",
        "003 §1.4; ACK network planning"
    ),
    rule!(
        "network/vswitch-outside-vpc",
        Error,
        Checked,
        "Every vSwitch CIDR is a subset of the VPC CIDR.",
        "A vSwitch is carved out of its VPC; a block outside cannot be created.",
        "vpc: 192.168.0.0/16\nvswitches: [{ cidr: 10.0.0.0/24, ... }]",
        "vswitches: [{ cidr: 192.168.0.0/19, ... }]",
        "003 §1.4"
    ),
    rule!(
        "network/vswitch-overlap",
        Error,
        Checked,
        "vSwitch CIDRs are pairwise disjoint.",
        "Two vSwitches cannot share addresses in one VPC.",
        "192.168.0.0/19 and 192.168.16.0/20",
        "192.168.0.0/19 and 192.168.32.0/19",
        "003 §1.4"
    ),
    rule!(
        "network/zone-without-vswitch",
        Error,
        Checked,
        "Every zone in `target.zones` has at least one vSwitch.",
        "Nodes in a zone need a vSwitch there; without one the zone gets no nodes and no spread.",
        "zones: [a, b]\nvswitches: [{ zone: a, ... }]",
        "vswitches: [{ zone: a, ... }, { zone: b, ... }]",
        "003 §1.4"
    ),
    rule!(
        "network/pod-overlap",
        Error,
        Checked,
        "Flannel: the pod CIDR is disjoint from the VPC, every route (peered VPC, IDC over VBR) and every other cluster's pod CIDR in the VPC. (An overlap with the service CIDR is reported as network/service-overlap.)",
        "Overlapping pod addresses make traffic to the overlapped network vanish into the cluster, and the pod CIDR cannot be changed once the cluster exists.",
        "podCidr: 172.16.0.0/16   # inside the peered 172.16.0.0/12",
        "podCidr: 10.16.0.0/16",
        "003 §1.4; ACK Flannel network planning"
    ),
    rule!(
        "network/service-overlap",
        Error,
        Checked,
        "The service CIDR is disjoint from the VPC, the pod CIDR and every route. Service CIDRs of different clusters in one VPC may overlap.",
        "Service addresses that shadow real networks break calls to them; the service CIDR is fixed at creation.",
        "serviceCidr: 192.168.0.0/20   # inside the VPC",
        "serviceCidr: 10.17.0.0/20",
        "003 §1.4; ACK network planning"
    ),
    rule!(
        "network/service-cidr-size",
        Error,
        Checked,
        "The service CIDR prefix length is between /16 and /24.",
        "ACK accepts only this range: smaller runs out of Service addresses, larger wastes address space.",
        "serviceCidr: 10.17.0.0/26",
        "serviceCidr: 10.17.0.0/20",
        "ACK cluster creation"
    ),
    rule!(
        "network/pods-per-node",
        Error,
        Checked,
        "`podsPerNode` is 16, 32, 64, 128 or 256 (a node CIDR of /28 to /24).",
        "Flannel gives each node a power-of-two slice of the pod CIDR; ACK offers these sizes.",
        "podsPerNode: 100",
        "podsPerNode: 128",
        "003 §1.4; ACK cluster creation"
    ),
    rule!(
        "network/node-capacity",
        ErrorOrWarning,
        Checked,
        "The pod CIDR holds the planned nodes (max nodes = pod CIDR addresses / podsPerNode; a /16 with 128 gives 512). An error when they do not fit, a warning when headroom is under 50%.",
        "When the pod CIDR is used up, new nodes get no pod range and the cluster cannot grow: the CIDR cannot be changed afterwards.",
        "podCidr: 10.16.0.0/24\npodsPerNode: 128   # 2 nodes",
        "podCidr: 10.16.0.0/16   # 512 nodes",
        "003 §1.4"
    ),
    rule!(
        "network/terway-vswitch-capacity",
        Error,
        Checked,
        "Terway: the vSwitches hold an address for every pod and node (nodes × podsPerNode + nodes).",
        "Terway pods take VPC addresses from the vSwitches; when they run out, pods stay Pending.",
        "plugin: terway\nvswitches: [{ cidr: 192.168.0.0/26, ... }]",
        "vswitches: [{ cidr: 192.168.0.0/19, ... }]",
        "ACK Terway network planning"
    ),
    rule!(
        "network/route-table-quota",
        Warning,
        Checked,
        "Flannel adds one VPC route per node; more than 200 nodes needs a route-table quota increase.",
        "Past the quota, new nodes get no route and their pods are unreachable.",
        "(flannel with 250 planned nodes)",
        "(request the quota increase first, or use Terway)",
        "ACK Flannel; VPC quotas"
    ),
    rule!(
        "network/fixed-after-create",
        Note,
        Checked,
        "The network plugin, the service CIDR and (Flannel) the pod CIDR cannot change after the cluster exists.",
        "Stated in the network report and the runbook so that the review happens before creation.",
        "",
        "",
        "003 §1.4"
    ),
    // sizing
    rule!(
        "sizing/master-spec",
        Applied,
        Checked,
        "ack-dedicated only: masters by node count: 1–5 → 4 cores 8 GiB; 6–20 → 4c16g; 21–100 → 8c32g; 101–200 → 16c64g.",
        "Masters run etcd and the API server; undersized masters make the whole cluster unstable. ACK Pro and managed run the control plane for you.",
        "",
        "",
        "003 §1.1.1"
    ),
    rule!(
        "sizing/worker-count",
        Error,
        Checked,
        "Losing one instance costs at most the fault tolerance f of the cores: instance cores ≤ C·f, so at least ⌈1/f⌉ instances. 160 cores at 10% → 10 of 16 cores, ceiling 144; at 20% → 5 of 32, ceiling 128. An error when no instance size (2 cores at least) fits.",
        "Few large instances mean one failure takes a large share of capacity; the report shows the count, size and usable ceiling.",
        "totalCores: 10\nfaultTolerance: 10%   # instances of 1 core",
        "totalCores: 160\nfaultTolerance: 10%",
        "003 §1.1.1"
    ),
    rule!(
        "sizing/profile",
        Applied,
        Checked,
        "CPU:memory by profile: compute 1:2, balanced 1:4, memory-heavy (Java) 1:8.",
        "Instance families follow these ratios; the memory per instance follows from the profile.",
        "",
        "",
        "003 §1.1.1"
    ),
    rule!(
        "sizing/bare-metal",
        Warning,
        Checked,
        "1,000 or more cores a day, or fast burst scale-out: ECS bare-metal (EBM) instances of at least 96 cores are recommended (about 10–12 for 1,000 cores).",
        "At that size, bare metal gives more network performance and no virtualisation overhead, and scales out in larger steps.",
        "totalCores: 1200",
        "(accept: the sizing report shows the EBM option)",
        "003 §1.1.1"
    ),
    rule!(
        "sizing/capacity",
        Error,
        Checked,
        "The services' total requests (replicas × requests) fit under the usable ceiling, the capacity left after losing one instance, for CPU and memory both.",
        "If they do not fit, one node failure leaves pods unschedulable exactly when they are needed.",
        "totalCores: 8   # services request 12 cores",
        "totalCores: 160",
        "003 §1.1.1"
    ),
    rule!(
        "sizing/disks",
        Warning,
        Checked,
        "SSD-class disks; a separate data disk for container images; a system disk large enough for the OS (at least 8 GiB reserved, of 20 GiB minimum).",
        "Images on the system disk fill it and take the node down; slow disks slow every pull.",
        "systemDisk: { category: cloud_efficiency, size: 40Gi }   # no dataDisk",
        "systemDisk: { category: cloud_essd, size: 120Gi }\ndataDisk: { category: cloud_essd, size: 200Gi }",
        "003 §1.1.2"
    ),
    rule!(
        "sizing/single-zone",
        Warning,
        Checked,
        "More than one zone.",
        "With one zone, a zone outage takes the whole cluster down: no zone-level disaster recovery.",
        "zones: [cn-hangzhou-g]",
        "zones: [cn-hangzhou-g, cn-hangzhou-h]",
        "003 §1.1.2"
    ),
    // workload
    rule!(
        "workload/resources",
        Error,
        Checked,
        "Every container has CPU and memory requests and limits; limits are at least the requests.",
        "Without requests the scheduler overcommits nodes; without limits one pod can starve its neighbours.",
        "resources: { requests: { cpu: 500m } }",
        "resources:\n  requests: { cpu: 500m, memory: 1Gi }\n  limits: { cpu: \"1\", memory: 2Gi }",
        "003 §1.1.2"
    ),
    rule!(
        "workload/probes",
        Warning,
        Checked,
        "Every service has liveness and readiness probes (HTTP path or TCP).",
        "Without readiness, traffic reaches pods that are not ready; without liveness, hung pods are never restarted.",
        "(no health)",
        "health: { path: /actuator/health }",
        "003 §1.1.2"
    ),
    rule!(
        "workload/single-replica",
        Warning,
        Checked,
        "At least 3 replicas. No bare Pods, ever.",
        "One or two replicas are a single point of failure during node drains and rollouts.",
        "replicas: 1",
        "replicas: 3",
        "003 §1.1.2"
    ),
    rule!(
        "workload/depends-on",
        Error,
        Checked,
        "`dependsOn` names existing services, without cycles; an init container waits for each.",
        "A dependency on a missing service blocks the pod forever; a cycle deadlocks startup.",
        "dependsOn: [auth]   # no service auth",
        "dependsOn: [auth-service]",
        "003 §1.1.2"
    ),
    rule!(
        "workload/restart-policy",
        Applied,
        Checked,
        "Deployments and StatefulSets restart Always.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "003 §1.1.2"
    ),
    rule!(
        "workload/one-process",
        Applied,
        Checked,
        "One process per container; helpers are separate containers of the pod.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "003 §1.1.2"
    ),
    rule!(
        "workload/spread",
        Applied,
        Checked,
        "Replicas spread across zones and nodes (topology spread); a PodDisruptionBudget keeps a majority up.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "003 §1.1.2"
    ),
    rule!(
        "workload/image-tag",
        Error,
        Checked,
        "Images carry an explicit tag or digest, never `latest`.",
        "`latest` moves: the old and new clusters would run different code, and a rollback would not roll back.",
        "image: redis",
        "image: redis:7.2",
        "Kubernetes configuration best practices"
    ),
    // ingress
    rule!(
        "ingress/ha",
        Warning,
        Checked,
        "The ingress controller runs at least 2 replicas.",
        "One controller replica is a single point of failure for every routed service.",
        "ingressController: { replicas: 1 }",
        "ingressController: { replicas: 3 }",
        "003 §2.1"
    ),
    rule!(
        "ingress/dedicated-nodes",
        Error,
        Checked,
        "With dedicated nodes, the nodes labelled `node-role.kubernetes.io/ingress=true` (workers only) number at least the replicas, and the controller selects them.",
        "With fewer nodes than replicas, the anti-affinity leaves replicas Pending.",
        "ingressController: { replicas: 3, dedicatedNodes: 2 }",
        "ingressController: { replicas: 3, dedicatedNodes: 3 }",
        "003 §2.1"
    ),
    // storage
    rule!(
        "storage/disk-rwo",
        Error,
        Checked,
        "A cloud disk is ReadWriteOnce and mounts in one pod: a Deployment with more than one replica cannot share it (use `stateful: true`, or NAS).",
        "The second pod stays in ContainerCreating with a multi-attach error.",
        "replicas: 3\nvolumes: [{ storage: db-disk, ... }]",
        "stateful: true   # one claim per replica",
        "003 §3"
    ),
    rule!(
        "storage/disk-zone",
        Error,
        Checked,
        "A static disk's zone (which storage/incomplete requires) is one of the cluster's zones.",
        "A disk mounts only on nodes of its own zone; elsewhere the pod never starts.",
        "zone: cn-hangzhou-k   # not a cluster zone",
        "zone: cn-hangzhou-g",
        "003 §3"
    ),
    rule!(
        "storage/disk-size",
        Error,
        Checked,
        "Cloud disks are at least 20 GiB.",
        "Smaller disks cannot be created; the claim stays Pending.",
        "size: 10Gi",
        "size: 20Gi",
        "003 §3; ACK disk volumes"
    ),
    rule!(
        "storage/reclaim-delete",
        Error,
        Checked,
        "`reclaimPolicy: Delete` on a volume that holds data is refused (mark a volume that holds nothing worth keeping `scratch: true`).",
        "With Delete, removing the claim deletes the disk and the migrated data with it.",
        "reclaimPolicy: Delete",
        "reclaimPolicy: Retain",
        "003 §3"
    ),
    rule!(
        "storage/incomplete",
        Error,
        Checked,
        "Each storage type has its fields: a static disk its `diskId` and `zone`; a dynamic disk its `category`; NAS its `server` and `path`; OSS its `bucket`, `endpoint` and `credentialsSecret`. Fields of another type are refused.",
        "A volume missing its identity cannot be mounted; a field of another type is a sign of a mixed-up entry.",
        "type: nas\nserver: x.nas.aliyuncs.com   # no path",
        "type: nas\nserver: x.nas.aliyuncs.com\npath: /reports",
        "003 §3"
    ),
    rule!(
        "storage/static-disk",
        Applied,
        Checked,
        "Static disk: a PV named after the disk id, CSI volumeHandle = disk id, a label the PVC selects.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "003 §3; ACK disk CSI"
    ),
    rule!(
        "storage/stateful-claims",
        Applied,
        Checked,
        "A StatefulSet gets one claim per replica from `volumeClaimTemplates`; scaling in keeps the claims; a headless Service names the pods.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "003 §3"
    ),
    rule!(
        "storage/nas",
        Error,
        Checked,
        "NAS is ReadWriteMany and shared: server, path and an NFS version, `3` (recommended) or `4.0`.",
        "NAS mount targets speak NFSv3 and NFSv4.0 only; v3 is recommended (v4.0 file locks are unreliable on NAS). cutover never sets `mode` on a NAS volume: on a large file system it means a recursive chmod at every mount.",
        "nfsVersion: \"4.1\"",
        "nfsVersion: \"3\"",
        "003 §3; ACK NAS volumes"
    ),
    rule!(
        "storage/oss-credentials",
        Error,
        Checked,
        "OSS credentials come from a Secret (`credentialsSecret`, used as `nodePublishSecretRef`); AccessKey values in the spec are refused.",
        "A key in a spec ends up in git history, CI logs and the bundle.",
        "accessKeyId: LTAI...",
        "credentialsSecret: oss-avatars-credentials",
        "003 §3; ACK OSS volumes"
    ),
    rule!(
        "storage/oss-io",
        Note,
        Checked,
        "OSS suits low-I/O shared files; a cluster upgrade restarts the OSS driver.",
        "Stated in the deploy phase's runbook for every OSS volume.",
        "",
        "",
        "003 §3"
    ),
    rule!(
        "storage/unused",
        Warning,
        Checked,
        "Every declared volume is mounted by some service.",
        "An unused volume is usually a misspelt mount or a forgotten migration step.",
        "storage: [{ name: reports, ... }]   # mounted nowhere",
        "volumes: [{ storage: reports, mountPath: /reports }]",
        "cutover"
    ),
    rule!(
        "storage/driver",
        Applied,
        Checked,
        "Emit CSI (`diskplugin.csi.alibabacloud.com`, `nasplugin.csi.alibabacloud.com`, `ossplugin.csi.alibabacloud.com`); flexVolume is legacy.",
        "Applied when the manifests are built (tests/manifests.rs checks it).",
        "",
        "",
        "ACK CSI"
    ),
    // rollout
    rule!(
        "rollout/steps",
        Error,
        Checked,
        "Every wave has steps whose weights are 0–100, strictly increasing, and the last step is 100.",
        "A wave that never reaches 100 leaves traffic split for good; a falling weight is a rollback in disguise, and rollbacks have their own artifacts.",
        "steps: [{ weight: 50, hold: 1h }, { weight: 25, hold: 1h }]",
        "steps: [{ weight: 25, hold: 1h }, { weight: 100, hold: 24h }]",
        "003 §4.1, §4.2"
    ),
    rule!(
        "rollout/waves",
        Error,
        Checked,
        "Every routed service is in exactly one wave; waves name existing routed services and are not empty. With dns-weights and client, which move whole hosts, the services of one host share a wave.",
        "A routed service in no wave never moves; one in two waves moves twice; a DNS move cannot split one host between waves.",
        "waves: [{ name: a, services: [gateway] }, { name: b, services: [gateway] }]",
        "waves: [{ name: a, services: [gateway] }, { name: b, services: [auth-service] }]",
        "003 §5"
    ),
    rule!(
        "rollout/rollback",
        Applied,
        Checked,
        "Every step has a rollback: the artifacts of the step before it. The first rollback returns all traffic to the old cluster.",
        "Applied when the plan is built.",
        "",
        "",
        "seed 002"
    ),
    rule!(
        "rollout/mirror-writes",
        Error,
        Checked,
        "A mirrored wave contains no service that mounts writable storage.",
        "Mirrored (shadow) requests execute twice, once in each cluster: every write would happen twice.",
        "waves: [{ name: w, mirror: true, services: [account-service] }]   # mounts avatars",
        "waves: [{ name: w, mirror: true, services: [gateway] }]",
        "seed 002"
    ),
    rule!(
        "rollout/match-support",
        Error,
        Checked,
        "The match (one of header, cookie, query; exactly one of value and pattern) can be expressed by the controller; the diagnostic names the controllers that can.",
        "Upstream nginx has no query match and matches a cookie only by the value `always`; ALB matches headers exactly only; the slb-weights, dns-weights and client strategies see no requests at all.",
        "controller: nginx\nmatch: { query: { name: canary, value: \"1\" } }",
        "controller: ack-nginx\nmatch: { query: { name: canary, value: \"1\" } }",
        "003 §4.2"
    ),
    rule!(
        "rollout/ack-service-match",
        Warning,
        Checked,
        "ACK's `service-match`/`service-weight` annotations are gone from its NGINX Ingress controller v1.12 on.",
        "After a controller upgrade the rollout silently stops routing by weight.",
        "controller: ack-nginx",
        "controller: nginx",
        "ACK Nginx Ingress release notes"
    ),
    rule!(
        "rollout/mirror-support",
        Error,
        Checked,
        "A mirrored wave uses a router that can mirror: nginx, ack-nginx, gateway-api or istio (not ALB, and not the slb-weights, dns-weights or client strategies).",
        "A mirror the controller cannot express is silently dropped: the wave's shadow phase would test nothing.",
        "controller: alb\nwaves: [{ name: web, mirror: true, ... }]",
        "controller: nginx\nwaves: [{ name: web, mirror: true, ... }]",
        "seed 002"
    ),
    rule!(
        "rollout/split-writes",
        Error,
        Checked,
        "While traffic is split between the clusters, every database needs `sync: bidirectional`, or `sharedInstance: true` when both clusters use one instance.",
        "With one-way sync the writes made on the receiving side are lost when the sync catches up, or conflict.",
        "sync: incremental   # and a wave at 25%",
        "sync: bidirectional",
        "003 §5"
    ),
    // data
    rule!(
        "data/backups-live",
        Error,
        Checked,
        "`data.backups` names a prefix (`oss://bucket/prefix/`) in a bucket of its own: no `storage[]` OSS volume's `bucket` and no `data.objectStores[].target` is in that bucket.",
        "The decommission runbook purges `data.backups` with `ossutil rm -r -f`: pointed at a bucket the services use, or at a whole bucket, one pasted block deletes production data for good. A shared bucket is refused even under another prefix, so that a mistyped prefix can only ever delete backups.",
        "storage: [{ name: avatars, type: oss, bucket: shop-avatars }]\ndata: { backups: oss://shop-avatars }",
        "data: { backups: oss://shop-backups/migration/ }",
        "cutover; ossutil rm -r -f deletes every object under the URL"
    ),
    // verification
    rule!(
        "verification/safe-method",
        Error,
        Checked,
        "Verification requests use a safe method: `GET`, `HEAD` or `OPTIONS`.",
        "The verify runbook sends every check with `curl` to the new cluster's test domain and to the old cluster's (`source.testDomain`): the old cluster is production, and the new one already shares its databases and object stores. A `DELETE` or `POST` check changes production data as a side effect of a test.",
        "verification: { checks: [{ name: reset demo, request: \"DELETE /accounts/demo?all=true\", expect: 204 }] }",
        "verification: { checks: [{ name: demo account, request: \"GET /accounts/demo\", expect: 200 }] }",
        "RFC 9110 §9.2.1 (safe methods)"
    ),
    // dns
    rule!(
        "dns/names",
        Error,
        Checked,
        "Zone and record names are valid (RFC 1035, `@` for the apex, `*` wildcards); moving records take the entrypoints (no `value`); PrivateZone values fit their type.",
        "The DNS provider refuses invalid records in the middle of the cutover.",
        "records: [{ name: \"my host\", type: A }]",
        "records: [{ name: www, type: A }]",
        "RFC 1035"
    ),
    rule!(
        "dns/test-domain",
        Error,
        Checked,
        "`target.testDomain` is a name of its own: not the zone apex, not a `dns.records[]` name, not a `services[].routes[].host`, not `source.testDomain` (compared ignoring case).",
        "The deploy runbook adds an A record for the test domain pointing at the new ingress, before verification: on a production name that record splits real users' traffic onto a cluster nobody has checked yet.",
        "target: { testDomain: www.shop.example }\ndns: { zone: shop.example, records: [{ name: www, type: A }] }",
        "target: { testDomain: test.shop.example }",
        "cutover; DNS answers all A records of a name (round robin)"
    ),
    rule!(
        "dns/ttl-lead",
        Error,
        Checked,
        "The cutover TTL is from 1 s up to the normal TTL. The change list lowers it in the prepare phase, makes the first value change at least one normal TTL later, and restores it after the last.",
        "Resolvers keep an answer for the TTL they got with it: lowering it late, or not at all, makes the move slow to take effect and slow to roll back.",
        "ttl: { normal: 600, cutover: 3600 }",
        "ttl: { normal: 600, cutover: 60 }",
        "seeds 000, 001"
    ),
    rule!(
        "dns/edition-ttl",
        Warning,
        Checked,
        "TTLs are within the edition's range: free and personal from 600 s, enterprise-standard from 60 s, enterprise-ultimate from 1 s (Alibaba Cloud DNS's TTL documentation; no edition counts as free).",
        "A TTL below the edition's floor is refused or silently raised, and the cutover is slower than planned.",
        "edition: free\nttl: { normal: 600, cutover: 60 }",
        "edition: enterprise-standard\nttl: { normal: 600, cutover: 60 }",
        "Alibaba Cloud DNS editions"
    ),
    rule!(
        "dns/no-gap",
        Error,
        Checked,
        "A name never loses its last answer: the change list adds the new target, verifies, then removes the old (rollbacks re-add before they remove), and never changes TTL and value in one edit; a record whose type cannot take an entrypoint, or a PrivateZone record without a value, is refused.",
        "A gap drops traffic for as long as resolvers cache the empty answer.",
        "records: [{ name: \"@\", type: AAAA }]   # IPv4 entrypoints",
        "records: [{ name: \"@\", type: A }]",
        "seeds 000, 001"
    ),
    rule!(
        "dns/coverage",
        Warning,
        Checked,
        "Every routed production host inside the zone is one of the records that move, and every record that moves is served by a route.",
        "A routed host whose record does not move keeps sending its clients to the old cluster until it is decommissioned.",
        "routes: [{ host: shop.example.com }]\ndns: { zone: example.com, records: [{ name: www, type: A }] }",
        "dns: { zone: example.com, records: [{ name: shop, type: A }] }",
        "cutover"
    ),
    rule!(
        "dns/drain",
        Note,
        Checked,
        "Resolvers may cache past the TTL (up to 48 h): keep the old entrypoint serving until its traffic is gone.",
        "Stated in the runbook.",
        "",
        "",
        "seed 000"
    ),
    rule!(
        "dns/private-zone",
        Applied,
        Checked,
        "PrivateZone names the database for the apps, so their configuration does not change when the database moves to RDS.",
        "Applied when the plan is built.",
        "",
        "",
        "seed 001"
    ),
];

/// Rules whose findings are about one service, so that the service's `allow:` can accept
/// them there. Every other rule is about the spec as a whole: its level is set in
/// `cutover.toml`.
pub const SERVICE_SCOPED: &[&str] = &[
    "spec/reference",
    "storage/disk-rwo",
    "workload/depends-on",
    "workload/image-tag",
    "workload/probes",
    "workload/resources",
    "workload/single-replica",
];

/// Rules no `cutover.toml` level or `allow:` can lower (`config/locked` refuses it):
/// the secret scan, the grammars that keep every value reaching a command, a path or a
/// config line inert (render quotes too, but a quoted `--help` is still an option), and
/// `config/locked` itself.
pub const LOCKED: &[&str] = &[
    "spec/credential",
    "spec/value",
    "spec/name",
    "dns/names",
    "config/locked",
];

/// Why a locked rule cannot be lowered, in the words `config/locked` uses.
pub fn locked_reason(id: &str) -> &'static str {
    match id {
        "spec/credential" => "a secret in the spec is always an error",
        "spec/value" => {
            "its values reach shell commands, file paths and config lines of the bundle, where a value that breaks its grammar runs a command, writes outside the bundle or adds a config key"
        }
        "spec/name" => {
            "its names become Kubernetes objects, bundle folders, hosts and paths in runbook commands, where an invalid one is an option (`--help`) or breaks the command"
        }
        "dns/names" => {
            "zone and record names reach the DNS commands of the runbook, where an invalid one is an option (`-rf`) or changes the wrong record"
        }
        "config/locked" => "it is what keeps the other locked rules locked",
        _ => "it guards the bundle's safety",
    }
}

pub fn is_locked(id: &str) -> bool {
    LOCKED.contains(&id)
}

pub fn is_service_scoped(id: &str) -> bool {
    SERVICE_SCOPED.contains(&id)
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

pub fn ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

/// The explanation `cutover explain RULE` prints.
pub fn explain(rule: &Rule) -> String {
    let mut out = format!(
        "{id}  ({level}{status})\n\n{summary}\n\nWhy: {rationale}\n",
        id = rule.id,
        level = rule.level.label(),
        status = match rule.status {
            Status::Checked => "",
            Status::Planned => ", not yet checked by this version",
        },
        summary = rule.summary,
        rationale = rule.rationale,
    );
    if !rule.bad.is_empty() {
        out.push_str(&format!(
            "\nRefused:\n{}\n\nAccepted:\n{}\n",
            indent(rule.bad),
            indent(rule.good)
        ));
    }
    out.push_str(&format!("\nSource: {}\n", rule.source));
    if is_locked(rule.id) {
        out.push_str(&format!(
            "\nIt cannot be allowed or lowered, in cutover.toml or `allow:`: {}. Fix what it reports instead.\n",
            locked_reason(rule.id)
        ));
    } else if rule.level.is_diagnostic() {
        if is_service_scoped(rule.id) {
            out.push_str(&format!(
                "\nAccept it for one service with `allow: [{id}]` on that service.",
                id = rule.id
            ));
        }
        out.push_str(&format!(
            "\nSet its level for the whole spec in cutover.toml:\n    [rules]\n    \"{id}\" = \"warn\"   # allow | warn | deny\n",
            id = rule.id
        ));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rule list as a Markdown table, as README.md shows it between its `rules` markers.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| Rule | Level | Checked | What it demands |\n| --- | --- | --- | --- |\n");
    for rule in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id,
            rule.level.label(),
            match rule.status {
                Status::Checked => "yes",
                Status::Planned => "planned",
            },
            rule.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_rule_is_explained_without_a_way_to_lower_it() {
        for id in LOCKED {
            let text = explain(find(id).unwrap());
            assert!(text.contains("cannot be allowed or lowered"), "{text}");
            assert!(text.contains(locked_reason(id)), "{text}");
            assert!(!text.contains("= \"warn\""), "{text}");
            assert!(!text.contains(&format!("allow: [{id}]")), "{text}");
            assert!(find(id).is_some_and(|r| r.level.is_diagnostic()), "{id}");
            assert!(!is_service_scoped(id), "{id}");
        }
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            let (area, name) = rule.id.split_once('/').expect("area/name");
            assert!(!area.is_empty() && !name.is_empty());
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '/')
            );
        }
    }
}
