//! The network checks on 100,000 routes and other clusters' CIDRs (target: under 200 ms).
//!
//!     cargo bench --bench overlap
//!
//! Run by hand; prints the median of five runs of `check` (every rule, dominated by the
//! overlap checks) over a spec whose VPC has 100,000 routes and 1,000 other clusters, with
//! a pod CIDR that overlaps 1,000 of the routes (so the diagnostics, and their proposed free
//! block, are built too).

use std::time::Instant;

use cutover::diagnostic::{Format, SourceFile};

fn main() {
    let minimal =
        std::fs::read_to_string("examples/minimal.yaml").expect("run from the repository root");
    let mut blocks = String::from("    podsPerNode: 64\n    routes:\n");
    // 100,000 /28 routes from 10.32.0.0 up, 1,000 of them inside the pod CIDR (10.16.0.0/16).
    for i in 0..100_000u32 {
        let base = if i < 1_000 {
            (10 << 24) | (16 << 16)
        } else {
            (10 << 24) | (32 << 16)
        };
        let address = std::net::Ipv4Addr::from(base + (i % 99_000) * 16);
        blocks.push_str(&format!(
            "      - {{ name: r{i}, via: vbr, cidr: {address}/28 }}\n"
        ));
    }
    blocks.push_str("    otherClusters:\n");
    for i in 0..1_000u32 {
        blocks.push_str(&format!(
            "      - {{ name: c{i}, podCidr: 172.{}.{}.0/24 }}\n",
            16 + i / 256,
            i % 256
        ));
    }
    let text = minimal.replace("    podsPerNode: 64\n", &blocks);
    let started = Instant::now();
    let source = SourceFile::new("overlap.yaml", text, Format::Yaml);
    let Ok(loaded) = cutover::load::load_source(source) else {
        panic!("the generated spec loads")
    };
    println!(
        "load: {:?} (parsing 101,000 blocks; not part of the target)",
        started.elapsed()
    );
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let sizing = cutover::model::sizing::derive(&loaded.spec);
        let diagnostics = cutover::check::check(&loaded, &sizing, &Default::default());
        times.push(started.elapsed());
        found = diagnostics
            .iter()
            .filter(|d| d.rule == "network/pod-overlap")
            .count();
    }
    times.sort();
    println!(
        "check, 100,000 routes and 1,000 other clusters: median {:?} (min {:?}, max {:?}); {found} pod-overlap diagnostics",
        times[2], times[0], times[4]
    );
}
