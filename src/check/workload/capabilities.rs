//! `workload/capabilities`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::Capability;
use crate::model::path::root;
use crate::model::security::runs_as_root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::WorkloadCapabilities,
    level: Level::Warning,
    status: Status::Checked,
    scope: Scope::Service,
    locked: None,
    summary: "A service adds no Linux capability (`securityContext.capabilities`): every capability is dropped, and `NET_BIND_SERVICE` is never needed.",
    rationale: "Each capability is a piece of root (`SYS_ADMIN` nearly all of it, `NET_ADMIN` the pod's network, `SYS_PTRACE` other processes' memory) that an attacker inherits with the process. A port below 1024 needs none: the pod sets the namespaced, safe sysctl `net.ipv4.ip_unprivileged_port_start=0`. And a non-root process does not even receive an added capability (Kubernetes sets no ambient capabilities, and no privilege escalation stops file capabilities).",
    bad: "securityContext: { capabilities: [NET_BIND_SERVICE, SYS_ADMIN] }",
    good: "port: 80   # no capability: the pod's sysctl opens ports below 1024",
    source: "capabilities(7); Kubernetes Pod Security Standards (restricted: drop ALL, add only NET_BIND_SERVICE); Kubernetes sysctls (net.ipv4.ip_unprivileged_port_start, safe since 1.22); checkov CKV_K8S_25",
};

/// What a capability hands over, for the ones people add most.
fn grants(capability: Capability) -> &'static str {
    match capability {
        Capability::SysAdmin => "mounts, namespaces and most of what root may do",
        Capability::NetAdmin => "the pod's interfaces, routes and firewall",
        Capability::NetRaw => "raw sockets (forged packets, ARP spoofing)",
        Capability::SysPtrace => "reading and changing other processes' memory",
        Capability::SysModule => "loading kernel modules into the node",
        Capability::DacOverride | Capability::DacReadSearch | Capability::Fowner => {
            "reading or writing any file whatever its permissions"
        }
        Capability::Setuid | Capability::Setgid => "becoming any user or group",
        Capability::Chown => "taking ownership of any file",
        _ => "a piece of root's privilege",
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let Some(context) = &service.security_context else {
            continue;
        };
        let root_user = runs_as_root(service);
        let at = root().services().at(i).security_context().capabilities();
        for (j, &capability) in context.capabilities.iter().enumerate() {
            let name = capability.name();
            let diagnostic = if capability == Capability::NetBindService {
                ctx.warning(RULE.id, at.at(j), "never needed", format!("service `{}` adds NET_BIND_SERVICE", service.name))
                    .help("remove it: a pod whose service listens below 1024 sets the namespaced sysctl `net.ipv4.ip_unprivileged_port_start=0`, so any user may bind the port")
            } else if root_user {
                ctx.warning(RULE.id, at.at(j), "added capability", format!("service `{}` adds {name}: {}", service.name, grants(capability)))
                    .help(format!("remove {name} unless the service cannot work without it; then say why beside it and accept it with `allow: [workload/capabilities]`"))
            } else {
                ctx.warning(RULE.id, at.at(j), "has no effect", format!("service `{}` adds {name}, which its non-root process does not receive", service.name))
                    .help(format!("remove {name}: Kubernetes gives a non-root process no ambient capabilities, and with no privilege escalation no file capabilities either; a service that truly needs it must run as root (`{}`)", RuleId::WorkloadRunAsRoot))
            };
            out.push(diagnostic.service(&service.name));
        }
    }
}
