//! The `aliyun slb` commands that set a service's weights on the old SLB, by the shell
//! variables every runbook sets (`$VSG_ID_<SERVICE>`, `$NEW_NODE_IDS`,
//! `$OLD_SERVER_IDS_<SERVICE>`): the plan records them per phase, the runbooks give them.

use crate::shell::{self, Line};

/// The variables an SLB step uses, each registered with how it is set: the old SLB's vServer
/// group of the service (only the operator knows which), the new nodes' ECS ids (the
/// cluster's workers) and the old servers' ids (the group's servers that are not new nodes).
pub struct SlbIds {
    pub group: String,
    pub new_nodes: &'static str,
    pub old_servers: String,
}

/// The variable names of a service's SLB commands, the same in every runbook.
pub fn slb_vars(service: &str) -> SlbIds {
    SlbIds {
        group: shell::variable(&["vsg-id", service]),
        new_nodes: "NEW_NODE_IDS",
        old_servers: shell::variable(&["old-server-ids", service]),
    }
}

/// The line that sets `$NEW_NODE_IDS`: the new cluster's workers' ECS ids, as a JSON list
/// (ACK's providerID is `<region>.<instance id>`).
pub fn new_nodes_lookup(ids: &SlbIds) -> String {
    let nodes = Line::new("kubectl get nodes")
        .opt("-l", "!node-role.kubernetes.io/master")
        .lit("-o json")
        .pipe(shell::jq(
            "-ec",
            &[],
            "[.items[].spec.providerID | split(\".\") | .[1]] | if length > 0 then . else error(\"found no worker nodes\") end",
        ));
    Line::assign(ids.new_nodes, nodes).build()
}

/// The line that sets the old servers' ids: the group's servers that are not new nodes.
pub fn old_servers_lookup(region: &str, ids: &SlbIds) -> String {
    let servers =
        Line::new("aliyun slb DescribeVServerGroupAttribute")
            .opt("--RegionId", region)
            .opt_var("--VServerGroupId", &ids.group)
            .pipe(Line::new("jq -ec --argjson new").var(ids.new_nodes).arg(
                "[.BackendServers.BackendServer[].ServerId | select(IN($new[]) | not)] | unique",
            ));
    Line::assign(&ids.old_servers, servers).build()
}

/// `aliyun slb DescribeVServerGroupAttribute`: the group's servers, ports and weights.
pub fn describe_group(region: &str, group: &str) -> String {
    Line::new("aliyun slb DescribeVServerGroupAttribute")
        .opt("--RegionId", region)
        .opt_var("--VServerGroupId", group)
        .build()
}

/// The commands that take the new nodes out of a service's group and give the old servers
/// their whole weight back: the rollback of the first share.
pub fn remove_new_nodes_lines(region: &str, ids: &SlbIds, node_port: u16) -> Vec<String> {
    vec![
        slb_servers(
            region,
            "RemoveVServerGroupBackendServers",
            &ids.group,
            ids.new_nodes,
            &[("Port", node_port.to_string())],
        ),
        slb_servers(
            region,
            "SetVServerGroupAttribute",
            &ids.group,
            &ids.old_servers,
            &[("Weight", "100".to_string())],
        ),
    ]
}

/// `jq -cn` building a JSON list of objects, one per id of the JSON list in `ids_var`, with
/// the given string fields (`ServerId` is the id): the ids are found at run time.
pub fn servers_json(ids_var: &str, fields: &[(&str, String)]) -> Line {
    let mut jq = Line::new("jq -cn").lit("--argjson ids").var(ids_var);
    let mut object = vec!["ServerId: .".to_string()];
    for (key, value) in fields {
        let arg = key.to_ascii_lowercase();
        jq = jq.lit("--arg").lit(&arg).arg(value);
        object.push(format!("{key}: ${arg}"));
    }
    jq.arg(format!("[$ids[] | {{{}}}]", object.join(", ")))
}

/// `aliyun slb <action>` on a service's vServer group, for the servers in `ids_var`.
pub fn slb_servers(
    region: &str,
    action: &str,
    group: &str,
    ids_var: &str,
    fields: &[(&str, String)],
) -> String {
    Line::new("aliyun slb")
        .lit(action)
        .opt("--RegionId", region)
        .opt_var("--VServerGroupId", group)
        .lit("--BackendServers")
        .subst(servers_json(ids_var, fields))
        .build()
}

/// The commands that set a service's weights, by the variables every runbook sets: the plan
/// records them and the traffic runbook gives exactly these. `join`: the new nodes are not
/// in the group yet (`AddVServerGroupBackendServers`; `SetVServerGroupAttribute` only
/// changes servers already there).
pub fn slb_weight_lines(
    region: &str,
    service: &str,
    old_weight: u32,
    new_weight: u32,
    node_port: u16,
    join: bool,
) -> Vec<String> {
    weight_lines(
        region,
        &slb_vars(service),
        old_weight,
        new_weight,
        node_port,
        join,
    )
}

pub fn weight_lines(
    region: &str,
    ids: &SlbIds,
    old_weight: u32,
    new_weight: u32,
    node_port: u16,
    join: bool,
) -> Vec<String> {
    let port = node_port.to_string();
    vec![
        slb_servers(
            region,
            "SetVServerGroupAttribute",
            &ids.group,
            &ids.old_servers,
            &[("Weight", old_weight.to_string())],
        ),
        slb_servers(
            region,
            if join {
                "AddVServerGroupBackendServers"
            } else {
                "SetVServerGroupAttribute"
            },
            &ids.group,
            ids.new_nodes,
            &[("Port", port), ("Weight", new_weight.to_string())],
        ),
    ]
}

/// The abort's lines for one group: the old servers at `old_weight` first, then the new
/// nodes found in the group (in `present`, with the ports they have there) removed, only
/// when there are any. Safe to run again, from any phase.
pub fn back_to_old_lines(
    region: &str,
    service: &str,
    present: &str,
    old_weight: u32,
) -> Vec<String> {
    let ids = slb_vars(service);
    let set_old = Line::new("aliyun slb SetVServerGroupAttribute")
        .opt("--RegionId", region)
        .opt_var("--VServerGroupId", &ids.group)
        .lit("--BackendServers")
        .subst(servers_json(
            &ids.old_servers,
            &[("Weight", old_weight.to_string())],
        ))
        .build();
    // RemoveVServerGroupBackendServers ignores servers not in the group, but takes each with
    // its port: select the new nodes present, as they are there.
    // https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-removevservergroupbackendservers
    let find = Line::assign(
        present,
        Line::new("aliyun slb DescribeVServerGroupAttribute")
            .opt("--RegionId", region)
            .opt_var("--VServerGroupId", &ids.group)
            .pipe(Line::new("jq -ec --argjson new").var(ids.new_nodes).arg(
                "[.BackendServers.BackendServer[] | select(.ServerId | IN($new[])) | {ServerId, Port}]",
            )),
    )
    .build();
    let remove = Line::new("printf '%s\\n'")
        .var(present)
        .pipe(Line::new("jq -e").arg("length > 0").lit(">/dev/null"))
        .and(
            Line::new("aliyun slb RemoveVServerGroupBackendServers")
                .opt("--RegionId", region)
                .opt_var("--VServerGroupId", &ids.group)
                .opt_var("--BackendServers", present),
        )
        .build();
    vec![set_old, find, remove]
}
