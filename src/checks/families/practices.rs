//! Production practices: disruption budgets, network isolation that is enforced, storage
//! drivers, VPC CNI prefix delegation, Spot interruption handling, scale to zero.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kube::Api;
use kube::api::ListParams;

use super::common::region_flag;
use super::{common, nodegroups};
use crate::checks::backend::TargetKind;
use crate::checks::context::{Ctx, kube_call};
use crate::checks::outcome::{Outcome, Step, fail, pass, skip, warn};
use crate::checks::selector;

fn pod_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default()
}

/// The first budget whose selector picks pods with these labels.
fn covering<'a>(budgets: &'a [PodDisruptionBudget], labels: &BTreeMap<String, String>) -> Option<&'a PodDisruptionBudget> {
    budgets.iter().find(|p| p.spec.as_ref().and_then(|s| s.selector.as_ref()).is_some_and(|s| selector::matches(s, labels)))
}

/// A budget for a Deployment's pods: the lab's file when it has one, else one that allows a
/// single disruption.
fn create_pdb(lab_file: Option<&str>, ns: &str, name: &str, labels: &BTreeMap<String, String>) -> String {
    match lab_file {
        Some(file) => format!("kubectl apply -f {file}"),
        None => format!("kubectl -n {ns} create poddisruptionbudget {name} --selector={} --max-unavailable=1", selector::label_arg(labels)),
    }
}

/// The lab's update of the vpc-cni add-on: its file sets the network policy agent and prefix
/// delegation together, since every update replaces the add-on's whole configuration.
fn vpc_cni_update(ctx: &Ctx<'_>) -> String {
    format!(
        "aws eks update-addon --cluster-name {}{} --addon-name vpc-cni --configuration-values file://production-hardening/vpc-cni-config.json --resolve-conflicts OVERWRITE",
        ctx.cluster(),
        region_flag(ctx)
    )
}

pub async fn pdb(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ns = ctx.text("namespace", "appNs", "default");
    let names = ctx.list("deployments", &["payments"]);
    let client = ctx.kube()?.clone();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client, &ns);
    let budgets = kube_call(&format!("list poddisruptionbudgets in {ns}"), pdbs.list(&ListParams::default())).await?.items;
    let mut covered = Vec::new();
    for name in &names {
        let Some(d) = kube_call(&format!("get deployment {ns}/{name}"), deployments.get_opt(name)).await? else {
            let next = if name == "payments" {
                format!("kubectl apply -f production-hardening/payments.yaml && kubectl -n {ns} rollout status deployment/payments")
            } else {
                format!("deploy {name} in {ns}, or check its name: kubectl -n {ns} get deployments")
            };
            return Ok(fail(format!("Deployment {ns}/{name} not found")).found_expected("no Deployment", format!("{ns}/{name}")).next(next));
        };
        let labels = pod_labels(&d);
        let Some(p) = covering(&budgets, &labels) else {
            return Ok(fail(format!("no PDB selects {name}: node drains and upgrades may take every replica at once"))
                .found_expected("no PDB", format!("a PDB selecting {name}"))
                .next(create_pdb((name == "payments").then_some("production-hardening/pdb-payments.yaml"), &ns, name, &labels)));
        };
        let pname = p.metadata.name.clone().unwrap_or_default();
        let status = p.status.clone().unwrap_or_default();
        let (expected, allowed, healthy) = (status.expected_pods.unwrap_or(0), status.disruptions_allowed.unwrap_or(0), status.current_healthy.unwrap_or(0));
        if expected == 0 {
            let next = if d.spec.replicas == Some(0) {
                format!("kubectl -n {ns} scale deployment {name} --replicas=3 && kubectl -n {ns} rollout status deployment/{name}")
            } else {
                format!(
                    "get {name}'s pods running: kubectl -n {ns} rollout status deployment/{name}, and kubectl -n {ns} describe pods -l {} says why they are not",
                    selector::label_arg(&labels)
                )
            };
            return Ok(fail(format!("PDB {pname} matches 0 pods")).found_expected("0 pods", format!("the pods of {name}")).next(next));
        }
        if expected < 2 {
            return Ok(fail(format!("PDB {pname} protects {expected} pod: run 2 or more replicas of {name}"))
                .found_expected(format!("{expected} pod"), "2 or more pods")
                .next(format!("kubectl -n {ns} scale deployment {name} --replicas=3 && kubectl -n {ns} rollout status deployment/{name}")));
        }
        if allowed == 0 {
            let spec = p.spec.clone().unwrap_or_default();
            // minAvailable, or maxUnavailable 0, leaves nothing to drain; otherwise pods are unhealthy
            let budget_blocks = spec.min_available.is_some() || spec.max_unavailable.as_ref().is_some_and(|m| matches!(int_or_string(m).as_str(), "0" | "0%"));
            let next = if budget_blocks {
                format!(
                    "let one pod go at a time: kubectl -n {ns} patch pdb {pname} --type merge -p '{{\"spec\":{{\"minAvailable\":null,\"maxUnavailable\":1}}}}'"
                )
            } else {
                format!(
                    "get {name}'s pods Ready (the budget counts healthy pods): kubectl -n {ns} describe pods -l {} says why they are not",
                    selector::label_arg(&labels)
                )
            };
            let rule = spec
                .min_available
                .map(|m| format!("minAvailable {}", int_or_string(&m)))
                .or(spec.max_unavailable.map(|m| format!("maxUnavailable {}", int_or_string(&m))))
                .unwrap_or_default();
            return Ok(fail(format!("disruptionsAllowed=0 ({rule} of {healthy} healthy): drains will hang")).found_expected("0", "1 or more").next(next));
        }
        covered.push(format!("{name} by {pname} ({allowed} may go)"));
    }
    Ok(pass(format!("covered: {}", covered.join(", "))))
}

fn int_or_string(v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString) -> String {
    match v {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    }
}

/// What enforces NetworkPolicies: the VPC CNI's network policy agent, Calico, Cilium, kindnet.
async fn enforcer(ctx: &Ctx<'_>, ns: &str) -> Step<Result<String, String>> {
    let api: Api<DaemonSet> = Api::namespaced(ctx.kube()?.clone(), ns);
    let sets = kube_call(&format!("list daemonsets in {ns}"), api.list(&ListParams::default())).await?.items;
    let mut vpc_cni_off = false;
    for ds in &sets {
        let name = ds.metadata.name.clone().unwrap_or_default();
        let containers = ds.spec.template.spec.as_ref().map(|p| p.containers.clone()).unwrap_or_default();
        if name == "aws-node" {
            let agent = containers.iter().find(|c| c.name == "aws-eks-nodeagent");
            let enabled = agent.is_some_and(|c| c.args.clone().unwrap_or_default().iter().any(|a| a == "--enable-network-policy=true"));
            if enabled {
                return Ok(Ok("the VPC CNI network policy agent".into()));
            }
            vpc_cni_off = true;
        }
        if name.starts_with("calico-node") || name == "cilium" || (name == "kindnet" && ctx.kind() == Some(TargetKind::Kind)) {
            return Ok(Ok(name));
        }
    }
    Ok(Err(if vpc_cni_off {
        "policies not enforced: --enable-network-policy=false on aws-node's aws-eks-nodeagent".into()
    } else {
        "policies not enforced: no network policy agent (VPC CNI agent, Calico, Cilium) found".into()
    }))
}

pub async fn netpol(ctx: &Ctx<'_>) -> Step<Outcome> {
    let namespaces = ctx.list("namespaces", &[]);
    let namespaces = if namespaces.is_empty() { vec![ctx.var("appNs", "default")] } else { namespaces };
    let client = ctx.kube()?.clone();
    for ns in &namespaces {
        let api: Api<NetworkPolicy> = Api::namespaced(client.clone(), ns);
        let policies = kube_call(&format!("list networkpolicies in {ns}"), api.list(&ListParams::default())).await?.items;
        for p in &policies {
            let spec = p.spec.clone().unwrap_or_default();
            let all_ns = spec
                .ingress
                .unwrap_or_default()
                .iter()
                .flat_map(|r| r.from.clone().unwrap_or_default())
                .any(|peer| peer.namespace_selector.as_ref().is_some_and(selector::is_empty));
            if all_ns {
                let name = p.metadata.name.clone().unwrap_or_default();
                return Ok(fail(format!("{ns}/{name} allows all namespaces (namespaceSelector: {{}})"))
                    .found_expected("namespaceSelector: {}", "podSelector within the namespace")
                    .next(format!("in spec.ingress[].from of NetworkPolicy {ns}/{name}, replace namespaceSelector: {{}} with podSelector: {{}}: kubectl -n {ns} edit networkpolicy {name}")));
            }
        }
        let default_deny = policies.iter().any(|p| {
            let spec = p.spec.clone().unwrap_or_default();
            spec.pod_selector.as_ref().is_none_or(selector::is_empty)
                && spec.policy_types.unwrap_or_default().iter().any(|t| t == "Ingress")
                && spec.ingress.as_ref().is_none_or(Vec::is_empty)
        });
        // the lab's file holds both policies, for the lab's namespace
        let lab_file = *ns == ctx.var("appNs", "default");
        if !default_deny {
            let next = if lab_file {
                "kubectl apply -f production-hardening/networkpolicies.yaml".to_string()
            } else {
                format!(
                    "create a NetworkPolicy in {ns} with podSelector: {{}}, policyTypes: [Ingress] and no ingress rules (like default-deny in production-hardening/networkpolicies.yaml)"
                )
            };
            return Ok(fail(format!("{ns}: no default-deny (podSelector: {{}}, policyTypes: [Ingress], no rules)"))
                .found_expected("no default deny", "a default-deny ingress policy")
                .next(next));
        }
        let same_ns = policies.iter().any(|p| {
            p.spec.clone().unwrap_or_default().ingress.unwrap_or_default().iter().any(|r| {
                r.from
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .any(|peer| peer.namespace_selector.is_none() && peer.pod_selector.as_ref().is_some_and(selector::is_empty))
            })
        });
        if !same_ns {
            let next = if lab_file {
                "kubectl apply -f production-hardening/networkpolicies.yaml".to_string()
            } else {
                format!(
                    "create a NetworkPolicy in {ns} with podSelector: {{}} and ingress from: [podSelector: {{}}] (like allow-same-namespace in production-hardening/networkpolicies.yaml)"
                )
            };
            return Ok(fail(format!("{ns}: default-deny without a same-namespace allow: the app's own pods cannot talk"))
                .found_expected("no same-namespace allow", "from: [podSelector: {}]")
                .next(next));
        }
    }
    let cni_ns = ctx.text("cniNamespace", "cniNamespace", "kube-system");
    match enforcer(ctx, &cni_ns).await? {
        Ok(by) => Ok(pass(format!("{} default-deny ingress with a same-namespace allow, enforced by {by}", namespaces.join(", ")))),
        Err(why) => {
            let next = if matches!(ctx.kind(), Some(TargetKind::Kind | TargetKind::Kwok)) {
                "install a network policy engine such as Calico or Cilium: the API server stores NetworkPolicies but does not enforce them".to_string()
            } else {
                format!("{}; then kubectl -n {cni_ns} rollout status ds/aws-node", vpc_cni_update(ctx))
            };
            Ok(fail(why).found_expected("not enforced", "--enable-network-policy=true").next(next))
        }
    }
}

pub async fn csi(ctx: &Ctx<'_>, efs: bool) -> Step<Outcome> {
    let (driver, addon, controller, sa_name, provisioner, policy) = if efs {
        (
            "efs.csi.aws.com",
            "aws-efs-csi-driver",
            "efs-csi-controller",
            "efs-csi-controller-sa",
            "efs.csi.aws.com",
            "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
        )
    } else {
        (
            "ebs.csi.aws.com",
            "aws-ebs-csi-driver",
            "ebs-csi-controller",
            "ebs-csi-controller-sa",
            "ebs.csi.aws.com",
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
        )
    };
    let client = ctx.kube()?.clone();
    let drivers: Api<CSIDriver> = Api::all(client.clone());
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    if kube_call(&format!("get csidriver {driver}"), drivers.get_opt(driver)).await?.is_none() {
        let next = if ctx.backend.aws.is_none() {
            format!("install the {addon} driver in the cluster (its Helm chart or manifests); then kubectl get csidriver {driver} lists it")
        } else {
            // the controller's own role, as the lab's step creates it
            let role = format!("{cluster}-{}", if efs { "efs-csi" } else { "ebs-csi" });
            let account = ctx.var("account", "");
            let account = if account.is_empty() { "$(aws sts get-caller-identity --query Account --output text)".to_string() } else { account };
            format!(
                "eksctl create iamserviceaccount --cluster {cluster}{region} --namespace kube-system --name {sa_name} --role-name {role} --role-only --attach-policy-arn {policy} --approve; then eksctl create addon --cluster {cluster}{region} --name {addon} --service-account-role-arn arn:aws:iam::{account}:role/{role} --force"
            )
        };
        return Ok(fail(format!("CSIDriver {driver} missing: install the {addon} add-on")).found_expected("no CSIDriver", driver).next(next));
    }
    let classes: Api<StorageClass> = Api::all(client.clone());
    let list = kube_call("list storageclasses", classes.list(&ListParams::default())).await?.items;
    let ours: Vec<&StorageClass> = list.iter().filter(|c| c.provisioner == provisioner).collect();
    if efs && let Some(c) = ours.iter().find(|c| !c.parameters.as_ref().is_some_and(|p| p.contains_key("fileSystemId"))) {
        let name = c.metadata.name.clone().unwrap_or_default();
        return Ok(fail(format!("EFS StorageClass {name} lacks fileSystemId"))
            .found_expected("no fileSystemId", "parameters.fileSystemId (and provisioningMode: efs-ap)")
            .next(format!(
                "StorageClass parameters cannot change: kubectl delete storageclass {name}, then apply it again with parameters.fileSystemId (aws efs describe-file-systems{region} --query 'FileSystems[].FileSystemId' --output text lists yours) and provisioningMode: efs-ap"
            )));
    }
    if ctx.backend.aws.is_none() {
        return Ok(pass(format!("CSIDriver {driver} is registered (no EKS API on this target)")));
    }
    let ns = ctx.text("namespace", "csiNamespace", "kube-system");
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    let available =
        kube_call(&format!("get deployment {ns}/{controller}"), deployments.get_opt(controller)).await?.and_then(|d| d.status?.available_replicas).unwrap_or(0);
    if available < 1 {
        return Ok(fail(format!("{controller} has no available replica: volumes will not be provisioned"))
            .found_expected("0 available", "1 or more")
            .next(format!("kubectl -n {ns} describe pods -l app={controller} shows why its pods are not ready; fix that, then kubectl -n {ns} rollout status deployment/{controller}")));
    }
    // the add-on's own status, where the add-on API answers (installed with Helm or manifests:
    // nothing to read)
    if let super::common::Addon::NotActive(outcome) = super::common::addon(ctx, addon).await? {
        return Ok(outcome);
    }
    match super::identity::of_service_account(ctx, &ns, sa_name).await? {
        Some(identity) => Ok(pass(format!("{driver}: CSIDriver, {controller} available, {sa_name} uses {}", identity.describe()))),
        None => Ok(super::identity::none(ctx, &ns, sa_name, "the driver cannot create volumes, so PVCs stay Pending", policy)),
    }
}

pub async fn prefix_delegation(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ns = ctx.text("namespace", "cniNamespace", "kube-system");
    let client = ctx.kube()?.clone();
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), &ns);
    let Some(ds) = kube_call(&format!("get daemonset {ns}/aws-node"), api.get_opt("aws-node")).await? else {
        if matches!(ctx.kind(), Some(TargetKind::Kind | TargetKind::Kwok)) {
            return Ok(skip("no VPC CNI (aws-node) on a local cluster"));
        }
        return Ok(fail(format!("DaemonSet {ns}/aws-node not found: is the VPC CNI installed?")).found_expected("no aws-node", "aws-node").next(format!(
            "install the VPC CNI as an EKS add-on: eksctl create addon --cluster {}{} --name vpc-cni",
            ctx.cluster(),
            region_flag(ctx)
        )));
    };
    let env =
        ds.spec.template.spec.map(|p| p.containers).unwrap_or_default().into_iter().find(|c| c.name == "aws-node").and_then(|c| c.env).unwrap_or_default();
    let value = env.iter().find(|e| e.name == "ENABLE_PREFIX_DELEGATION").and_then(|e| e.value.clone()).unwrap_or_else(|| "unset".into());
    if value != "true" {
        return Ok(fail(format!("ENABLE_PREFIX_DELEGATION={value} on {ns}/aws-node: pods get one secondary IP each instead of a /28 prefix"))
            .found_expected(value, "true")
            .next(format!(
                "{} (the file keeps the network policy agent on as well); then replace the nodes one at a time so they boot with the higher max pods",
                vpc_cni_update(ctx)
            )));
    }
    let nodes: Api<Node> = Api::all(client);
    let list = kube_call("list nodes", nodes.list(&ListParams::default())).await?.items;
    let eks_nodes = list.iter().filter(|n| n.spec.as_ref().and_then(|s| s.provider_id.as_deref()).is_some_and(|p| p.starts_with("aws:///")));
    for n in eks_nodes {
        let pods = n.status.as_ref().and_then(|s| s.capacity.as_ref()).and_then(|c| c.get("pods")).map(|q| q.0.clone()).unwrap_or_default();
        if pods.parse::<u32>().is_ok_and(|p| p < 110) {
            let name = n.metadata.name.clone().unwrap_or_default();
            return Ok(warn(format!(
                "prefix delegation is on, but node {name} has max pods {pods}: nodes that predate the change keep the old maxPods (recycle them)"
            )));
        }
    }
    Ok(pass("ENABLE_PREFIX_DELEGATION=true: nodes get /28 prefixes"))
}

pub async fn spot_interruption(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let ng = ctx.text("nodegroup", "spotNodegroup", "spot");
    let client = ctx.kube()?.clone();
    let mut mechanism = None;
    let group = nodegroups::describe(ctx, &ng).await?;
    // for the hint: the Spot group's ASGs that do not rebalance
    let mut no_rebalance = Vec::new();
    if let Some(group) = &group
        && group.capacity_type.as_ref().map(|c| c.as_str()) == Some("SPOT")
    {
        let groups = nodegroups::asgs(ctx, group).await?;
        if !groups.is_empty() && groups.iter().all(|g| g.capacity_rebalance == Some(true)) {
            mechanism = Some("managed Spot with capacity rebalancing".to_string());
        }
        no_rebalance = groups.iter().filter(|g| g.capacity_rebalance != Some(true)).filter_map(|g| g.auto_scaling_group_name.clone()).collect();
    }
    if mechanism.is_none() {
        let sets: Api<DaemonSet> = Api::all(client.clone());
        let list = kube_call("list daemonsets", sets.list(&ListParams::default())).await?.items;
        if list.iter().any(|d| {
            d.metadata.name.as_deref().is_some_and(|n| n.contains("aws-node-termination-handler")) && d.status.as_ref().is_some_and(|s| s.number_ready > 0)
        }) {
            mechanism = Some("aws-node-termination-handler".into());
        }
    }
    if mechanism.is_none() {
        let karpenter_ns = ctx.var("karpenterNamespace", "kube-system");
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &karpenter_ns);
        let list = kube_call(&format!("list deployments in {karpenter_ns}"), deployments.list(&ListParams::default())).await?.items;
        let karpenter_queue = list.iter().filter(|d| d.metadata.name.as_deref() == Some("karpenter")).any(super::autoscaling::has_interruption_queue);
        if karpenter_queue {
            mechanism = Some("Karpenter's interruption queue".into());
        }
    }
    let Some(by) = mechanism else {
        let (cluster, region) = (ctx.cluster(), region_flag(ctx));
        let next = match &group {
            _ if !no_rebalance.is_empty() => no_rebalance
                .iter()
                .map(|asg| format!("aws autoscaling update-auto-scaling-group{region} --auto-scaling-group-name {asg} --capacity-rebalance"))
                .collect::<Vec<_>>()
                .join("; "),
            None if ng == "spot" => {
                "create the managed Spot group (EKS turns capacity rebalancing on for it): eksctl create nodegroup -f eks-cluster/cluster.yaml --include=spot"
                    .to_string()
            }
            None => format!("create {ng} as a managed Spot node group (spot: true in its eksctl config), or run aws-node-termination-handler for it"),
            Some(g) if g.capacity_type.as_ref().map(|c| c.as_str()) == Some("SPOT") => {
                format!("EKS lists no Auto Scaling group for {ng} to rebalance: run aws-node-termination-handler, or Karpenter with an interruption queue")
            }
            Some(_) if ng == "spot" => format!(
                "a managed group's capacity type cannot change: eksctl delete nodegroup --cluster {cluster}{region} --name spot (drains its nodes), then eksctl create nodegroup -f eks-cluster/cluster.yaml --include=spot"
            ),
            Some(_) => format!(
                "{ng} is not a Spot group and its capacity type cannot change: create a managed Spot group (spot: true in its eksctl config) and point the check at it"
            ),
        };
        return Ok(fail(format!(
            "no interruption handling for {ng}: enable capacity rebalancing, or run aws-node-termination-handler or Karpenter with a queue"
        ))
        .found_expected("none", "a Spot interruption mechanism")
        .next(next));
    };
    // workloads pinned to Spot must survive losing a node: 2+ replicas and a PDB
    let ns = ctx.var("appNs", "default");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let list = kube_call(&format!("list deployments in {ns}"), deployments.list(&ListParams::default())).await?.items;
    let pinned = |d: &Deployment| {
        d.spec
            .template
            .spec
            .as_ref()
            .and_then(|p| p.node_selector.as_ref())
            .is_some_and(|s| s.get(common::CAPACITY_LABEL).map(String::as_str) == Some("SPOT") || s.get(common::NODEGROUP_LABEL) == Some(&ng))
    };
    // the workloads the exercise puts on Spot must be there, and on Spot
    for name in ctx.list("deployments", &[]) {
        match list.iter().find(|d| d.metadata.name.as_deref() == Some(name.as_str())) {
            None => {
                let next = if name == "catalog" {
                    format!("kubectl apply -f production-hardening/spot-workloads.yaml && kubectl -n {ns} rollout status deployment/catalog")
                } else {
                    format!(
                        "deploy {name} in {ns} with nodeSelector {}: SPOT, 2 or more replicas and a PDB (like catalog in production-hardening/spot-workloads.yaml)",
                        common::CAPACITY_LABEL
                    )
                };
                return Ok(fail(format!("Deployment {ns}/{name} not found: deploy the Spot workloads"))
                    .found_expected("no Deployment", format!("{ns}/{name} on Spot"))
                    .next(next));
            }
            Some(d) if !pinned(d) => {
                let patch = format!("{{\"spec\":{{\"template\":{{\"spec\":{{\"nodeSelector\":{{\"{}\":\"SPOT\"}}}}}}}}}}", common::CAPACITY_LABEL);
                return Ok(fail(format!("{name} is not pinned to Spot (nodeSelector {}: SPOT)", common::CAPACITY_LABEL))
                    .found_expected("no Spot nodeSelector", format!("{}: SPOT", common::CAPACITY_LABEL))
                    .next(format!("kubectl -n {ns} patch deployment {name} --type merge -p '{patch}'")));
            }
            Some(_) => {}
        }
    }
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client, &ns);
    let budgets = kube_call(&format!("list poddisruptionbudgets in {ns}"), pdbs.list(&ListParams::default())).await?.items;
    let mut on_spot = Vec::new();
    for d in list.iter().filter(|d| pinned(d)) {
        let name = d.metadata.name.clone().unwrap_or_default();
        if d.spec.replicas.unwrap_or(1) < 2 {
            return Ok(fail(format!("{name} on Spot with 1 replica: one interruption takes it down"))
                .found_expected("1 replica", "2 or more replicas")
                .next(format!("kubectl -n {ns} scale deployment {name} --replicas=3")));
        }
        let labels = pod_labels(d);
        if covering(&budgets, &labels).is_none() {
            // the lab's file has the PDBs of the shop's Spot-prone services
            let lab_file = matches!(name.as_str(), "catalog" | "storefront" | "web").then_some("production-hardening/spot-workloads.yaml");
            return Ok(fail(format!("{name} on Spot has no PodDisruptionBudget: a drain may evict all its pods at once"))
                .found_expected("no PDB", format!("a PDB selecting {name}"))
                .next(create_pdb(lab_file, &ns, &name, &labels)));
        }
        on_spot.push(name);
    }
    if !on_spot.is_empty() {
        return Ok(pass(format!("Spot interruptions handled by {by}; {} on Spot with 2+ replicas and a PDB", on_spot.join(", "))));
    }
    Ok(pass(format!("Spot interruptions handled by {by}")))
}

pub async fn scale_to_zero(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ng = ctx.text("nodegroup", "devNodegroup", "dev");
    let Some(aws) = ctx.backend.aws.as_ref() else {
        // local stand-in: the dev workloads are scaled to zero
        let ns = ctx.var("devNs", "dev");
        let api: Api<Deployment> = Api::namespaced(ctx.kube()?.clone(), &ns);
        let list = kube_call(&format!("list deployments in {ns}"), api.list(&ListParams::default())).await?.items;
        if let Some(d) = list.iter().find(|d| d.spec.replicas.unwrap_or(1) > 0) {
            let name = d.metadata.name.clone().unwrap_or_default();
            return Ok(fail(format!("{ns}/{name} still has replicas (no EKS API here: scale dev workloads to 0)"))
                .found_expected(d.spec.replicas.unwrap_or(1).to_string(), "0")
                .next(format!("kubectl -n {ns} scale deployment --all --replicas=0")));
        }
        return Ok(pass(format!("dev workloads in {ns} are scaled to 0 (no EKS API on this target)")));
    };
    let scale = format!("eksctl scale nodegroup --cluster {}{} --name {ng} --nodes-min 0 --nodes 0", ctx.cluster(), region_flag(ctx));
    let Some(group) = nodegroups::describe(ctx, &ng).await? else {
        return Ok(fail(format!("Node group {ng} missing: create it (eksctl create nodegroup -f production-hardening/dev-nodegroup.yaml)"))
            .found_expected("no node group", ng)
            .next(format!("eksctl create nodegroup -f production-hardening/dev-nodegroup.yaml; then {scale}")));
    };
    let min = group.scaling_config.as_ref().and_then(|s| s.min_size).unwrap_or(-1);
    if min != 0 {
        return Ok(fail(format!("minSize {min}, expected 0: the group can never shrink to zero")).found_expected(min.to_string(), "0").next(scale));
    }
    let taints = group.taints.clone().unwrap_or_default();
    if taints.is_empty() {
        return Ok(pass(format!("{ng} can scale to 0 (minSize 0)")));
    }
    // at zero there is no node to read taints from: ASG node-template tags, or eks:DescribeNodegroup
    let groups = nodegroups::asgs(ctx, &group).await?;
    let tagged = groups.iter().all(|g| {
        let keys: Vec<String> = g.tags.clone().unwrap_or_default().into_iter().filter_map(|t| t.key).collect();
        taints.iter().all(|t| keys.contains(&format!("k8s.io/cluster-autoscaler/node-template/taint/{}", t.key.clone().unwrap_or_default())))
    });
    if tagged && !groups.is_empty() {
        return Ok(pass(format!("{ng} can scale to 0; its ASG tags tell Cluster Autoscaler its taints")));
    }
    if let Some(identity) = super::autoscaling::ca_identity(ctx).await? {
        let answer = crate::checks::simulate::simulate(aws, identity.role(), &[("eks:DescribeNodegroup", "*")], &Default::default()).await?;
        if answer.denied().is_empty() {
            return Ok(pass(format!("{ng} can scale to 0; Cluster Autoscaler reads its taints with eks:DescribeNodegroup{}", answer.note())));
        }
    }
    // the tags eksctl's propagateASGTags writes: taint/<key> = <value>:<Kubernetes effect>
    let tags: Vec<String> = groups
        .iter()
        .filter_map(|g| g.auto_scaling_group_name.as_deref())
        .flat_map(|asg| {
            taints.iter().map(move |t| {
                let effect = match t.effect.as_ref().map(|e| e.as_str()) {
                    Some("NO_SCHEDULE") => "NoSchedule",
                    Some("NO_EXECUTE") => "NoExecute",
                    Some("PREFER_NO_SCHEDULE") => "PreferNoSchedule",
                    other => other.unwrap_or("NoSchedule"),
                };
                format!(
                    "'ResourceId={asg},ResourceType=auto-scaling-group,Key=k8s.io/cluster-autoscaler/node-template/taint/{},Value={}:{effect},PropagateAtLaunch=false'",
                    t.key.as_deref().unwrap_or_default(),
                    t.value.as_deref().unwrap_or_default()
                )
            })
        })
        .collect();
    let allow = "allow eks:DescribeNodegroup in Cluster Autoscaler's IAM policy (as cluster-autoscaler/iam-policy.json does)";
    let next = if tags.is_empty() {
        allow.to_string()
    } else {
        format!("aws autoscaling create-or-update-tags{} --tags {}; or {allow}", region_flag(ctx), tags.join(" "))
    };
    Ok(fail(
        "tainted group at 0 but CA cannot learn its taints: tag the ASG k8s.io/cluster-autoscaler/node-template/taint/<key> or allow eks:DescribeNodegroup",
    )
    .found_expected("no node-template tags", "node-template taint tags")
    .next(next))
}
