//! Node sizing (003 §1.1.1): how many instances of which size, the masters for dedicated
//! clusters, and how much of the capacity the services' requests use. A pure derivation of
//! the spec, made once per run ([`derive`]): the sizing rules judge it and the plan states
//! it.

use serde::Serialize;

use super::instance_types;
use super::node_pools::{ChargeType, PoolRole};
use super::{Edition, Spec, units::GIB};

/// ECS instance sizes (cores) offered across the general-purpose families.
pub const INSTANCE_CORES: &[u32] = &[2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128];

/// ECS bare-metal (EBM) instances have at least this many cores.
pub const BARE_METAL_CORES: u32 = 96;

/// At this many cores a day, bare metal is recommended (003 §1.1.1).
pub const BARE_METAL_THRESHOLD: u32 = 1000;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sizing {
    pub profile: &'static str,
    pub gib_per_core: u32,
    pub total_cores: u32,
    pub fault_tolerance: String,
    /// `None` when no instance size keeps one failure within the tolerance.
    pub workers: Option<Workers>,
    pub ingress_nodes: u32,
    /// Workers plus dedicated ingress nodes.
    pub planned_nodes: u32,
    pub masters: Option<Masters>,
    pub requests: Requests,
    pub bare_metal: Option<BareMetal>,
    /// The node pools the cluster is created with, in spec order (without
    /// `target.nodePools`: `workers` from `target.nodes`, and `ingress` from
    /// `ingressController.dedicatedNodes`).
    pub pools: Vec<Pool>,
    /// The ingress controller's own load and resources, when its peak rate is given.
    pub gateway: Option<GatewayLoad>,
}

/// One node pool as the cluster gets it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub name: String,
    pub role: &'static str,
    /// Where it comes from: `target.nodePools[0]`, or `target.nodes` and
    /// `target.ingressController.dedicatedNodes` for the implied pools.
    pub source: String,
    /// Its index in `target.nodePools`; `None` for an implied pool.
    #[serde(skip)]
    pub index: Option<usize>,
    pub profile: &'static str,
    pub gib_per_core: u32,
    /// In order of preference; pinned in the spec or picked from the sizing.
    pub instance_types: Vec<String>,
    pub pinned: bool,
    /// The first type's vCPUs and memory, when known.
    pub cores_each: Option<u32>,
    pub memory_gib_each: Option<u32>,
    /// The nodes it starts with: `desired`, or `min` when it autoscales.
    pub nodes: u32,
    pub autoscaling: Option<Autoscaling>,
    pub image: &'static str,
    pub billing: String,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    pub min: u32,
    pub max: u32,
}

/// The requests per second one core of the NGINX Ingress controller is planned for: a
/// conservative planning figure, to be confirmed by a load test. ingress-nginx with its
/// default settings serves about 20,000 requests per second on a 4-core pod (5,000 a core);
/// half of that leaves room for TLS handshakes, larger bodies and bursts.
pub const GATEWAY_RPS_PER_CORE: u64 = 2_500;

/// The ingress controller's own load (003 §2.1; the Istio document checks gateway capacity
/// against a load test): the peak rate spread over all replicas but one, the CPU that rate
/// needs per replica at [`GATEWAY_RPS_PER_CORE`], never less than ACK's floor of 1 core
/// and 2 GiB when limits are set (NGINX Ingress usage notes,
/// <https://www.alibabacloud.com/help/doc-detail/399745.htm>), and memory at 4 GiB per 3
/// cores as in ACK's high-load setup (15 cores, 20 GiB;
/// <https://www.alibabacloud.com/help/doc-detail/202125.htm>). Requests equal limits: the
/// controller's pods are Guaranteed, as that setup recommends.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayLoad {
    pub peak_requests_per_second: u32,
    pub replicas: u32,
    /// Replicas left to carry the peak when one is lost.
    pub serving_replicas: u32,
    pub requests_per_second_each: u64,
    pub rps_per_core: u64,
    /// Each replica's CPU and memory (requests = limits), as Kubernetes quantities.
    pub cpu_milli_each: u64,
    pub memory_gib_each: u64,
    pub cpu: String,
    pub memory: String,
    pub total_cpu_cores: String,
    pub total_memory_gib: u64,
}

/// The gateway's load for `peak` requests per second over `replicas`.
pub fn gateway_load(peak: u32, replicas: u32) -> GatewayLoad {
    let serving = replicas.saturating_sub(1).max(1);
    let each = u64::from(peak).div_ceil(u64::from(serving));
    // Millicores for the rate, rounded up to half a core, at least one core.
    let milli = (each * 1000).div_ceil(GATEWAY_RPS_PER_CORE);
    let cpu_milli_each = milli.div_ceil(500).max(2) * 500;
    let memory_gib_each = (cpu_milli_each * 4).div_ceil(3000).max(2);
    let cpu = if cpu_milli_each.is_multiple_of(1000) {
        (cpu_milli_each / 1000).to_string()
    } else {
        format!("{cpu_milli_each}m")
    };
    GatewayLoad {
        peak_requests_per_second: peak,
        replicas,
        serving_replicas: serving,
        requests_per_second_each: each,
        rps_per_core: GATEWAY_RPS_PER_CORE,
        cpu_milli_each,
        memory_gib_each,
        cpu,
        memory: format!("{memory_gib_each}Gi"),
        total_cpu_cores: format!(
            "{:.1}",
            (cpu_milli_each * u64::from(replicas)) as f64 / 1000.0
        ),
        total_memory_gib: memory_gib_each * u64::from(replicas),
    }
}

/// The ECS instance type for a profile and size (g7: 1:4, c7: 1:2, r7: 1:8).
pub fn instance_type(gib_per_core: u32, cores: u32) -> String {
    let family = match gib_per_core {
        2 => "c7",
        8 => "r7",
        _ => "g7",
    };
    let size = match cores {
        2 => "large".to_string(),
        4 => "xlarge".to_string(),
        c => format!("{}xlarge", c / 4),
    };
    format!("ecs.{family}.{size}")
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workers {
    pub instances: u32,
    pub cores_each: u32,
    pub memory_gib_each: u32,
    pub total_cores: u32,
    pub total_memory_gib: u32,
    /// What is left after losing one instance: the load the cluster may carry.
    pub ceiling_cores: u32,
    pub ceiling_memory_gib: u32,
    /// Share of the cores one instance failure takes, in hundredths of a percent.
    pub loss_per_instance: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Masters {
    pub count: u32,
    pub cores: u32,
    pub memory_gib: u32,
    /// The node-count band the size comes from.
    pub band: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requests {
    pub cpu_milli: u128,
    pub memory_bytes: u128,
    /// Formatted for people: `12.5` cores, `40.0` GiB.
    pub cpu_cores: String,
    pub memory_gib: String,
    /// Headroom under the ceiling, formatted; `None` without a worker plan.
    pub cpu_headroom: Option<String>,
    pub memory_headroom: Option<String>,
    /// Each service's share, in spec order.
    pub services: Vec<ServiceRequests>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequests {
    pub name: String,
    pub replicas: u32,
    /// As written (`250m`, `512Mi`), or `-` when missing.
    pub cpu: String,
    pub memory: String,
    pub total_cpu_cores: String,
    pub total_memory_gib: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BareMetal {
    pub instances: u32,
    pub cores_each: u32,
    pub reason: &'static str,
}

/// The sizing the spec's nodes and requests call for.
pub fn derive(spec: &Spec) -> Sizing {
    let nodes = &spec.target.nodes;
    let gib_per_core = nodes.profile.gib_per_core();
    let cores = nodes.total_cores;
    let tolerance = nodes.fault_tolerance.hundredths();
    let workers = workers(cores, tolerance, gib_per_core);
    let ingress_nodes = spec
        .target
        .ingress_controller
        .as_ref()
        .and_then(|i| i.dedicated_nodes)
        .unwrap_or(0);
    let pools = pools(spec, workers.as_ref(), ingress_nodes);
    let ingress_nodes = pools
        .iter()
        .find(|p| p.role == <&str>::from(PoolRole::Ingress))
        .map_or(0, |p| p.nodes);
    let planned_nodes = if spec.target.node_pools.is_empty() {
        workers.as_ref().map_or(0, |w| w.instances) + ingress_nodes
    } else {
        pools
            .iter()
            .map(|p| p.nodes)
            .fold(0u32, u32::saturating_add)
    };
    let gateway = spec.target.ingress_controller.as_ref().and_then(|i| {
        i.peak_requests_per_second
            .map(|peak| gateway_load(peak, i.replicas.max(1)))
    });
    let masters = (spec.target.edition == Edition::AckDedicated).then(|| masters(planned_nodes));

    let mut cpu_milli = 0u128;
    let mut memory_bytes = 0u128;
    let mut per_service = Vec::with_capacity(spec.services.len());
    for service in &spec.services {
        let requests = service.resources.as_ref().and_then(|r| r.requests.as_ref());
        let replicas = u128::from(service.replicas);
        let cpu = requests.and_then(|r| r.cpu.as_ref());
        let memory = requests.and_then(|r| r.memory.as_ref());
        let service_cpu = cpu.map_or(0, |c| c.milli() * replicas);
        let service_memory = memory.map_or(0, |m| m.units() * replicas);
        cpu_milli += service_cpu;
        memory_bytes += service_memory;
        per_service.push(ServiceRequests {
            name: service.name.clone(),
            replicas: service.replicas,
            cpu: cpu.map_or("-".into(), |c| c.to_string()),
            memory: memory.map_or("-".into(), |m| m.to_string()),
            total_cpu_cores: format!("{:.2}", service_cpu as f64 / 1000.0),
            total_memory_gib: format!("{:.2}", service_memory as f64 / GIB as f64),
        });
    }
    let headroom = |used: f64, ceiling: u32| {
        let ceiling = f64::from(ceiling);
        if ceiling <= 0.0 {
            "none".to_string()
        } else {
            format!("{:.1}%", (ceiling - used) / ceiling * 100.0)
        }
    };
    // Without dedicated nodes the controller runs beside the services: its load counts.
    if let Some(g) = gateway.as_ref().filter(|_| ingress_nodes == 0) {
        cpu_milli += u128::from(g.cpu_milli_each) * u128::from(g.replicas);
        memory_bytes += u128::from(g.memory_gib_each) * u128::from(g.replicas) * GIB;
    }
    let cpu_cores = cpu_milli as f64 / 1000.0;
    let memory_gib = memory_bytes as f64 / GIB as f64;
    let requests = Requests {
        cpu_milli,
        memory_bytes,
        cpu_cores: format!("{cpu_cores:.2}"),
        memory_gib: format!("{memory_gib:.2}"),
        cpu_headroom: workers
            .as_ref()
            .map(|w| headroom(cpu_cores, w.ceiling_cores)),
        memory_headroom: workers
            .as_ref()
            .map(|w| headroom(memory_gib, w.ceiling_memory_gib)),
        services: per_service,
    };

    let bare_metal = if cores >= BARE_METAL_THRESHOLD {
        Some("1,000 or more cores a day")
    } else if nodes.burst_scale_out {
        Some("fast burst scale-out")
    } else {
        None
    }
    .map(|reason| BareMetal {
        // One more than the cores need, so that one failure stays within capacity.
        instances: cores.div_ceil(BARE_METAL_CORES) + 1,
        cores_each: BARE_METAL_CORES,
        reason,
    });

    Sizing {
        profile: nodes.profile.into(),
        gib_per_core,
        total_cores: cores,
        fault_tolerance: nodes.fault_tolerance.to_string(),
        workers,
        ingress_nodes,
        planned_nodes,
        masters,
        requests,
        bare_metal,
        pools,
        gateway,
    }
}

/// The pools: the spec's, or the implied `workers` and `ingress`.
fn pools(spec: &Spec, workers: Option<&Workers>, dedicated: u32) -> Vec<Pool> {
    let nodes = &spec.target.nodes;
    let cores = nodes.total_cores;
    let tolerance = nodes.fault_tolerance.hundredths();
    let auto = |gib: u32| -> Vec<String> {
        self::workers(cores, tolerance, gib)
            .map(|w| vec![instance_type(gib, w.cores_each)])
            .unwrap_or_default()
    };
    let shape = |types: &[String]| types.first().and_then(|t| instance_types::shape(t));
    if spec.target.node_pools.is_empty() {
        let types = auto(nodes.profile.gib_per_core());
        let mut out = vec![Pool {
            name: "workers".into(),
            role: PoolRole::Workers.into(),
            source: "target.nodes".into(),
            index: None,
            profile: nodes.profile.into(),
            gib_per_core: nodes.profile.gib_per_core(),
            cores_each: workers.map(|w| w.cores_each),
            memory_gib_each: workers.map(|w| w.memory_gib_each),
            instance_types: types.clone(),
            pinned: false,
            nodes: workers.map_or(0, |w| w.instances),
            autoscaling: None,
            image: super::node_pools::ImageType::default().into(),
            billing: ChargeType::PostPaid.describe(None, None),
        }];
        if dedicated > 0 {
            let mut ingress = out[0].clone();
            ingress.name = "ingress".into();
            ingress.role = PoolRole::Ingress.into();
            ingress.source = "target.ingressController.dedicatedNodes".into();
            ingress.nodes = dedicated;
            out.push(ingress);
        }
        return out;
    }
    let replicas = spec
        .target
        .ingress_controller
        .as_ref()
        .map_or(0, |i| i.replicas);
    spec.target
        .node_pools
        .iter()
        .enumerate()
        .map(|(i, pool)| {
            let profile = pool.profile.unwrap_or(nodes.profile);
            let gib = profile.gib_per_core();
            let pinned = !pool.instance_types.is_empty();
            let types = if pinned {
                pool.instance_types.clone()
            } else {
                auto(gib)
            };
            let first = shape(&types);
            let size = pool.size.as_ref();
            let autoscaling = size.and_then(|s| {
                s.max.map(|max| Autoscaling {
                    min: s.min.unwrap_or(0),
                    max,
                })
            });
            let count = size
                .and_then(|s| s.desired.or(s.min))
                .unwrap_or_else(|| match pool.role {
                    PoolRole::Ingress => {
                        if dedicated > 0 {
                            dedicated
                        } else {
                            replicas
                        }
                    }
                    PoolRole::Workers => match first {
                        Some(shape) if pinned => {
                            instances_of(cores, tolerance, shape.vcpu).unwrap_or(0)
                        }
                        _ => workers.map_or(0, |w| w.instances),
                    },
                });
            Pool {
                name: pool.name.clone(),
                role: pool.role.into(),
                source: format!("target.nodePools[{i}]"),
                index: Some(i),
                profile: profile.into(),
                gib_per_core: gib,
                cores_each: first.map(|s| s.vcpu),
                memory_gib_each: first.map(|s| s.memory_gib),
                instance_types: types,
                pinned,
                nodes: count,
                autoscaling,
                image: pool.image.into(),
                billing: pool
                    .billing
                    .charge_type
                    .describe(pool.billing.period, pool.billing.period_unit),
            }
        })
        .collect()
}

/// How many instances of `each` cores the cores and the tolerance call for, as
/// [`workers`] counts them (`None` when one instance is more than the tolerance).
pub fn instances_of(cores: u32, tolerance_hundredths: u32, each: u32) -> Option<u32> {
    if cores == 0 || tolerance_hundredths == 0 || each == 0 {
        return None;
    }
    let by_cores = cores.div_ceil(each);
    let by_tolerance = 10_000u32.div_ceil(tolerance_hundredths);
    Some(by_cores.max(by_tolerance).max(2))
}

/// The worker plan: the largest instance whose loss stays within the tolerance, and enough
/// of them for the cores (never fewer than ⌈1/f⌉).
pub fn workers(cores: u32, tolerance_hundredths: u32, gib_per_core: u32) -> Option<Workers> {
    if cores == 0 || tolerance_hundredths == 0 {
        return None;
    }
    // instance cores ≤ C·f, in exact integer arithmetic (f in hundredths of a percent).
    let max_instance = u64::from(cores) * u64::from(tolerance_hundredths) / 10_000;
    let cores_each = *INSTANCE_CORES
        .iter()
        .rev()
        .find(|&&c| u64::from(c) <= max_instance)?;
    let by_cores = cores.div_ceil(cores_each);
    let by_tolerance = 10_000u32.div_ceil(tolerance_hundredths);
    let instances = by_cores.max(by_tolerance).max(2);
    let total_cores = instances * cores_each;
    let loss = f64::from(cores_each) / f64::from(total_cores) * 100.0;
    Some(Workers {
        instances,
        cores_each,
        memory_gib_each: cores_each * gib_per_core,
        total_cores,
        total_memory_gib: total_cores * gib_per_core,
        ceiling_cores: (instances - 1) * cores_each,
        ceiling_memory_gib: (instances - 1) * cores_each * gib_per_core,
        loss_per_instance: format!("{loss:.1}%"),
    })
}

/// Master size by node count (003 §1.1.1); three masters.
pub fn masters(nodes: u32) -> Masters {
    let (cores, memory_gib, band) = match nodes {
        0..=5 => (4, 8, "1–5 nodes"),
        6..=20 => (4, 16, "6–20 nodes"),
        21..=100 => (8, 32, "21–100 nodes"),
        101..=200 => (16, 64, "101–200 nodes"),
        _ => (32, 128, "over 200 nodes (beyond the published table)"),
    };
    Masters {
        count: 3,
        cores,
        memory_gib,
        band,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_examples_hold() {
        let w = workers(160, 1000, 8).unwrap();
        assert_eq!(
            (w.instances, w.cores_each, w.memory_gib_each),
            (10, 16, 128)
        );
        assert_eq!(w.ceiling_cores, 144);
        let w = workers(160, 2000, 8).unwrap();
        assert_eq!((w.instances, w.cores_each, w.ceiling_cores), (5, 32, 128));
    }

    #[test]
    fn sizes_round_down_to_real_instances() {
        let w = workers(100, 1000, 4).unwrap();
        assert_eq!((w.cores_each, w.instances), (8, 13));
        assert!(
            workers(10, 1000, 4).is_none(),
            "one core per instance is no plan"
        );
    }

    #[test]
    fn masters_follow_the_table() {
        assert_eq!(masters(5).memory_gib, 8);
        assert_eq!(masters(6).memory_gib, 16);
        assert_eq!(masters(100).cores, 8);
        assert_eq!(masters(150).cores, 16);
    }
}
