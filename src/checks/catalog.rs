//! The check kinds content may declare, with their parameters. The ids are the stable public ids
//! of `shared/spec/check-catalogue.md`: they appear in exercise files and in `--json` output.
//! Add new kinds here; never rename one.

use crate::content::kinds::{CheckKinds, KnownKind, ParamKind, Shape};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Preflight,
    Cluster,
    NodeGroups,
    Autoscaling,
    LoadBalancing,
    Irsa,
    PodIdentity,
    Access,
    Logging,
    Rollouts,
    Teardown,
    Practices,
    Kubernetes,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub about: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct CheckKind {
    pub id: &'static str,
    pub family: Family,
    pub about: &'static str,
    pub params: &'static [Param],
}

const fn text(name: &'static str, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Text, about }
}

const fn list(name: &'static str, about: &'static str) -> Param {
    Param { name, kind: ParamKind::List, about }
}

/// A list whose entries lint holds to a shape.
const fn entries(name: &'static str, shape: Shape, about: &'static str) -> Param {
    Param { name, kind: ParamKind::Entries(shape), about }
}

const NS: Param = text("namespace", "namespace of the object (default from the exercise vars)");
const NAME: Param = text("name", "name of the object");
const SA: Param = text("serviceAccount", "service account name (default {{irsaSa}})");
const POD_SA: Param = text("serviceAccount", "service account name (default {{podSa}})");
const NODEGROUP: Param = text("nodegroup", "node group name");
const CA_NS: Param = text("namespace", "namespace of Cluster Autoscaler (default kube-system)");
const NODEGROUPS: Param = list("nodegroups", "node group names");

macro_rules! kinds {
    ($( $id:literal, $family:ident, $about:literal, [$($p:expr),*] ;)*) => {
        pub static KINDS: &[CheckKind] = &[
            $( CheckKind { id: $id, family: Family::$family, about: $about, params: &[$($p),*] }, )*
        ];
    };
}

kinds! {
    "preflight.identity", Preflight, "AWS credentials resolve to the lab account", [text("account", "expected AWS account id")];
    "preflight.admin-cidr", Preflight, "the address range the lab opens its endpoints to is yours, not the world", [text("cidr", "the range (default {{adminCidr}})")];
    "cluster.active", Cluster, "the EKS cluster is ACTIVE at a minimum version", [text("minVersion", "lowest accepted Kubernetes version, e.g. 1.31")];
    "cluster.multi-az", Cluster, "subnets and Ready nodes span two or more AZs", [];
    "nodegroup.present", NodeGroups, "the node groups exist, ACTIVE, without health issues", [NODEGROUPS];
    "nodes.ready", NodeGroups, "each node group has at least minSize Ready nodes", [NODEGROUPS];
    "nodegroup.critical-taint", NodeGroups, "the critical node group and its nodes carry the taint", [NODEGROUP, text("taint", "key=value:Effect")];
    "nodegroup.imds", NodeGroups, "nodes answer instance metadata only with IMDSv2 and a hop limit of 1", [NODEGROUPS];
    "nodegroup.spot", NodeGroups, "the spot node group is SPOT, diversified, with capacity rebalancing", [NODEGROUP];
    "ca.deployed", Autoscaling, "Cluster Autoscaler runs and reports status", [CA_NS];
    "ca.autodiscovery", Autoscaling, "Cluster Autoscaler discovers this cluster's ASGs by tag", [CA_NS];
    "ca.iam", Autoscaling, "Cluster Autoscaler's role may scale the ASGs", [CA_NS];
    "karpenter.ready", Autoscaling, "Karpenter runs with its own AWS identity and an interruption queue", [text("namespace", "namespace of Karpenter (default kube-system)")];
    "karpenter.node-role", Autoscaling, "Karpenter's node role is trusted by EC2 only, has the node policies and an EC2_LINUX access entry", [text("role", "the node role (default KarpenterNodeRole-{{cluster}})")];
    "karpenter.discovery", Autoscaling, "private subnets in two or more zones and a security group carry karpenter.sh/discovery", [];
    "karpenter.interruption-queue", Autoscaling, "the interruption queue is encrypted, EventBridge may send to it, and rules bring it the five event types", [text("queue", "the SQS queue (default {{cluster}})")];
    "karpenter.nodeclass", Autoscaling, "the EC2NodeClass is Ready, with the node role, discovery by tag and IMDSv2 with hop limit 1", [text("name", "the EC2NodeClass (default default)")];
    "karpenter.nodepool", Autoscaling, "the NodePool is Ready, offers Spot and On-Demand, limits families and CPU", [text("name", "the NodePool (default default)")];
    "karpenter.provisioned", Autoscaling, "the NodePool launched a node that is Ready", [text("nodepool", "the NodePool (default default)")];
    "karpenter.consolidated", Autoscaling, "the NodePool has a disruption budget, Karpenter consolidated it, and no node of it is empty", [text("nodepool", "the NodePool (default default)")];
    "lbc.deployed", LoadBalancing, "AWS Load Balancer Controller runs for this cluster with a role", [text("namespace", "namespace of the controller (default kube-system)")];
    "lbc.ingressclass", LoadBalancing, "IngressClass alb points at the controller", [text("name", "IngressClass name (default alb)")];
    "ingress.tls-spec", LoadBalancing, "the Ingress asks for an ALB with HTTPS and a certificate", [NS, NAME];
    "ingress.alb-ready", LoadBalancing, "the Ingress has an ALB address", [NS, NAME];
    "irsa.oidc-provider", Irsa, "an IAM OIDC provider exists for the cluster issuer", [];
    "irsa.sa-annotation", Irsa, "the ServiceAccount names an existing IAM role", [NS, SA];
    "irsa.trust-policy", Irsa, "the role trusts exactly this ServiceAccount", [NS, SA];
    "irsa.pod-injection", Irsa, "running pods got the web identity token and env", [NS, SA];
    "irsa.s3-access", Irsa, "the role may read the bucket and the app did", [NS, SA, text("bucket", "bucket name"), text("marker", "log line the app prints on success")];
    "podidentity.agent", PodIdentity, "the Pod Identity agent add-on is ACTIVE and ready on every node", [];
    "podidentity.association", PodIdentity, "the ServiceAccount has a Pod Identity association with an existing role", [NS, POD_SA];
    "podidentity.trust-policy", PodIdentity, "the association's role trusts only pods.eks.amazonaws.com to assume it and tag the session", [NS, POD_SA];
    "podidentity.pod-injection", PodIdentity, "running pods got the Pod Identity token and env", [NS, POD_SA];
    "podidentity.s3-access", PodIdentity, "the association's role may read the bucket and the app did", [NS, POD_SA, text("bucket", "bucket name"), text("marker", "log line the app prints on success")];
    "access.mode", Access, "the cluster authenticates through access entries only, and every principal aws-auth mapped has one", [text("mode", "the authentication mode expected (default API)")];
    "access.entry", Access, "a principal's access entry grants one access policy, in the namespaces named", [text("role", "the IAM role's name"), text("policy", "the access policy's name, e.g. AmazonEKSViewPolicy"), list("namespaces", "the namespaces it applies in")];
    "teardown.cluster-clean", Teardown, "nothing the lab made in the cluster is left", [entries("objects", Shape::KindObject, "what the lab applied")];
    "teardown.clean", Teardown, "nothing the lab created in AWS is left", [list("clusters", "EKS cluster names (with their managed node groups)"), list("eksctlTagged", "cluster names whose NAT gateways, Elastic IPs, VPC, IAM roles and OIDC provider eksctl tagged alpha.eksctl.io/cluster-name"), list("roles", "IAM role names"), list("policies", "customer managed policy names"), list("buckets", "S3 bucket names"), entries("podIdentity", Shape::NamespacedName, "ServiceAccounts with a Pod Identity association"), list("accessEntries", "IAM role names with an access entry"), list("addons", "EKS add-on names"), list("nodegroups", "managed node groups the lab made (of the lab's cluster)"), list("loadBalancersOf", "cluster names whose load balancers, target groups and security groups the AWS Load Balancer Controller tagged elbv2.k8s.aws/cluster"), list("certificates", "domain names of ACM certificates the lab imported or requested"), list("kmsAliases", "aliases of customer managed KMS keys (kept while they encrypt the cluster's Secrets)"), list("scaledBack", "managed node groups whose Auto Scaling group must be back at the group's minSize"), entries("iamServiceAccounts", Shape::ServiceAccountRole, "eksctl iamserviceaccounts and their roles"), list("logGroups", "CloudWatch log group names"), list("karpenterOf", "cluster names whose instances, launch templates and instance profiles Karpenter made"), list("queues", "SQS queue names"), list("eventRules", "EventBridge rule names")];
    "logs.fluentbit-ds", Logging, "the Fluent Bit DaemonSet is ready on every node", [NS, NAME];
    "logs.fluentbit-config", Logging, "Fluent Bit ships application logs for this cluster and region", [NS, NAME, text("configMap", "the Fluent Bit config ConfigMap (default fluent-bit-config)")];
    "logs.fluentbit-iam", Logging, "Fluent Bit's principal may write to CloudWatch Logs", [NS, NAME, text("configMap", "the Fluent Bit config ConfigMap (default fluent-bit-config)")];
    "logs.cw-ingest", Logging, "log events reached CloudWatch in the last 15 minutes", [];
    "rollouts.controller", Rollouts, "the Argo Rollouts CRD and controller are available", [text("namespace", "namespace of the controller (default argo-rollouts)")];
    "rollouts.bluegreen-spec", Rollouts, "the Rollout is blue-green with active and preview Services", [NS, NAME];
    "rollouts.services-wired", Rollouts, "the Services select the pods the Rollout says", [NS, NAME];
    "rollouts.preview-ready", Rollouts, "the new version waits on the preview Service for promotion", [NS, NAME, text("image", "image the new version must run")];
    "rollouts.promoted", Rollouts, "the new version is promoted and healthy", [NS, NAME, text("image", "image the active pods must run")];
    "pdb.critical", Practices, "critical Deployments are covered by a PDB that allows a disruption", [NS, list("deployments", "Deployment names")];
    "netpol.isolation", Practices, "namespaces default-deny ingress and policies are enforced", [list("namespaces", "tenant namespaces"), text("cniNamespace", "where the CNI's DaemonSets run (default kube-system)")];
    "cluster.private-endpoint", Practices, "the API endpoint is private or CIDR-restricted", [];
    "secrets.kms", Practices, "Secrets are envelope-encrypted with a KMS key", [];
    "csi.ebs", Practices, "the EBS CSI driver is installed with a role", [text("namespace", "namespace of the controller (default kube-system)")];
    "csi.efs", Practices, "the EFS CSI driver is installed with a role", [text("namespace", "namespace of the controller (default kube-system)")];
    "cni.prefix-delegation", Practices, "the VPC CNI hands out /28 prefixes", [text("namespace", "namespace of aws-node (default kube-system)")];
    "spot.interruption", Practices, "spot capacity has interruption handling, and workloads on Spot have 2+ replicas and a PDB", [NODEGROUP, list("deployments", "Deployments that must run on Spot")];
    "dev.scale-to-zero", Practices, "the dev node group can scale to zero", [NODEGROUP];
    "k8s.namespace", Kubernetes, "a namespace exists", [NAME];
    "k8s.deployment-ready", Kubernetes, "a Deployment has all replicas available", [NS, NAME];
    "k8s.daemonset-ready", Kubernetes, "a DaemonSet is ready on every scheduled node", [NS, NAME];
    "k8s.service-account", Kubernetes, "a ServiceAccount exists", [NS, NAME];
}

pub fn find(id: &str) -> Option<&'static CheckKind> {
    KINDS.iter().find(|k| k.id == id)
}

/// The catalogue as the content linter takes it: each kind's id and its parameters.
pub fn known_kinds() -> CheckKinds {
    CheckKinds { kinds: KINDS.iter().map(|k| KnownKind { id: k.id, params: k.params.iter().map(|p| (p.name, p.kind)).collect() }).collect() }
}

impl CheckKind {
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_dotted() {
        let mut seen = HashSet::new();
        for k in KINDS {
            assert!(seen.insert(k.id), "duplicate kind {}", k.id);
            assert!(k.id.contains('.'), "{} has no family prefix", k.id);
        }
    }
}
