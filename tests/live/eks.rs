//! A simulated EKS for the content proofs: a control plane of its own (kube-apiserver, etcd,
//! controller manager, scheduler, kwok nodes) standing in for the EKS data plane, and the AWS
//! emulator standing in for the account. The operations below do what `eksctl`, `helm` and the
//! EKS-managed parts would do, through the same APIs the real ones call (EC2, EKS, IAM, Auto
//! Scaling through the AWS SDK; Kubernetes objects through the real `kubectl apply`).
//!
//! What stands in for something that cannot run here, each said where it happens:
//! - eksctl: `create_cluster`/`create_nodegroups` read the published ClusterConfig and make
//!   the VPC, subnets, cluster, node groups, their ASGs (tags as EKS sets them) and nodes.
//! - the EKS pod identity webhook: `apply` adds to pod templates what it injects into pods
//!   whose ServiceAccount names a role (the env, the projected token volume), or, through the
//!   AWS front, whose ServiceAccount has a Pod Identity association (the agent's env and token).
//! - controllers with no binary here (Cluster Autoscaler, Load Balancer Controller, Argo
//!   Rollouts, Fluent Bit): the tests write the status or the AWS objects they would write.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use aws_sdk_eks::types::{CapacityTypes, NodegroupScalingConfig, Taint, TaintEffect, VpcConfigRequest};
use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use kube::Client;
use kube::api::{Api, PostParams};
use kubedojo::checks::backend::{Aws, Backend, TargetKind, TargetOptions};
use kubedojo::content::Exercise;
use serde_json::{Value, json};

use super::own_cluster::OwnCluster;

/// The account the emulator answers for with its default credentials.
pub const ACCOUNT: &str = "123456789012";
/// The lab defaults written in the published assets, replaced as a learner would.
const LAB_ACCOUNT: &str = "111122223333";
const LAB_REGION: &str = "eu-west-1";
const LAB_CLUSTER: &str = "kubedojo-lab";
pub const ROLE_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

pub struct SimEks {
    pub own: OwnCluster,
    pub backend: Backend,
    /// The EKS cluster name (the exercise variable `cluster`).
    pub name: String,
    pub region: String,
    pub vars: BTreeMap<String, String>,
    /// `kubectl apply` runs in this folder (solutions write files under /tmp; we keep them here).
    pub workdir: tempfile::TempDir,
    /// The built-in course, loaded once: assets are rendered with its labs' values.
    files: kubedojo::content::PackFiles,
    pack: kubedojo::content::Pack,
    /// The sandbox's AWS front between the checks and the emulator, for the labs whose EKS APIs
    /// the emulator lacks (add-ons, Pod Identity associations, access entries): kept while the
    /// proof runs.
    front: Option<kubedojo::sandbox::front::Front>,
}

impl SimEks {
    /// A fresh control plane and a clean slate in the emulator for cluster `name` in `region`.
    /// Each proof uses its own region: the emulator gives every cluster of a region the same
    /// OIDC issuer.
    pub async fn start(exercise: &Exercise, name: &str, region: &str) -> Self {
        Self::start_with(exercise, name, region, &[]).await
    }

    /// `start`, with other values for those of the lab's variables it has (`appNs`, `irsaSa`):
    /// what a learner who changed them gets.
    pub async fn start_with(exercise: &Exercise, name: &str, region: &str, values: &[(&str, &str)]) -> Self {
        Self::start_on(exercise, name, region, values, false).await
    }

    /// `start_with`, the checks and the proof's AWS calls going through the sandbox's AWS front
    /// (which answers add-ons, Pod Identity associations and access entries, and applies an
    /// add-on's objects to this proof's cluster).
    pub async fn start_through_front(exercise: &Exercise, name: &str, region: &str, values: &[(&str, &str)]) -> Self {
        Self::start_on(exercise, name, region, values, true).await
    }

    async fn start_on(exercise: &Exercise, name: &str, region: &str, values: &[(&str, &str)], through_front: bool) -> Self {
        let own = OwnCluster::start(&format!("proof-{}", exercise.id));
        let front = if through_front {
            let versions = kubedojo::content::load(&kubedojo::content::PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds()).pack.versions;
            let options = kubedojo::sandbox::front::FrontOptions {
                emulator: super::aws_endpoint(),
                settle: std::time::Duration::from_millis(300),
                addons: kubedojo::sandbox::front::addon_versions(&versions),
                releases: kubedojo::sandbox::front::kubernetes_releases(&versions),
                kubeconfig: Some(own.kubeconfig().into()),
                pod_identities: None,
            };
            Some(kubedojo::sandbox::front::Front::start(options).await.expect("start the AWS front"))
        } else {
            None
        };
        let backend = Backend::connect(&TargetOptions {
            kind: Some(TargetKind::Eks),
            kubeconfig: Some(own.kubeconfig().into()),
            context: None,
            aws_profile: None,
            aws_region: Some(region.to_string()),
            aws_endpoint: Some(front.as_ref().map_or_else(super::aws_endpoint, |f| f.url())),
        })
        .await;
        let mut vars: BTreeMap<String, String> = exercise.vars.clone().into_iter().collect();
        vars.insert("cluster".into(), name.into());
        vars.insert("region".into(), region.into());
        vars.insert("account".into(), ACCOUNT.into());
        if vars.contains_key("bucket") {
            vars.insert("bucket".into(), format!("{name}-assets"));
        }
        // the address the lab opens its endpoints to, as the preflight step asks the learner
        // to set it (a benchmarking address: not the documentation placeholder, not ours)
        if vars.contains_key("adminCidr") {
            vars.insert("adminCidr".into(), "198.18.7.10/32".into());
        }
        for (k, v) in values {
            if vars.contains_key(*k) {
                vars.insert((*k).into(), (*v).into());
            }
        }
        let files = kubedojo::content::PackFiles::embedded();
        let sim = Self {
            own,
            backend,
            name: name.into(),
            region: region.into(),
            vars,
            workdir: tempfile::tempdir().expect("tempdir"),
            pack: kubedojo::content::load(&files, &kubedojo::checks::catalog::known_kinds()).pack,
            files,
            front,
        };
        sim.forget_previous_runs().await;
        sim
    }

    pub fn client(&self) -> Client {
        self.backend.kube.clone().expect("kube client of the own cluster")
    }

    pub fn aws(&self) -> &Aws {
        self.backend.aws.as_ref().expect("the emulator is configured")
    }

    /// The emulator keeps state between test runs: remove what an earlier run of this proof
    /// left (names derive from the cluster name, unique to the proof).
    async fn forget_previous_runs(&self) {
        let aws = self.aws();
        if let Ok(groups) = aws.eks.list_nodegroups().cluster_name(&self.name).send().await {
            for ng in groups.nodegroups.unwrap_or_default() {
                let _ = aws.eks.delete_nodegroup().cluster_name(&self.name).nodegroup_name(ng).send().await;
            }
        }
        let _ = aws.eks.delete_cluster().name(&self.name).send().await;
        let tagged = aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(&self.name).build();
        if let Ok(out) = aws.ec2.describe_subnets().filters(tagged).send().await {
            let mut vpcs = std::collections::BTreeSet::new();
            for s in out.subnets.unwrap_or_default() {
                vpcs.extend(s.vpc_id);
                let _ = aws.ec2.delete_subnet().set_subnet_id(s.subnet_id).send().await;
            }
            for vpc in vpcs {
                let _ = aws.ec2.delete_vpc().vpc_id(vpc).send().await;
            }
        }
        let _ = aws.logs.delete_log_group().log_group_name(format!("/aws/containerinsights/{}/application", self.name)).send().await;
        let _ = aws.logs.delete_log_group().log_group_name(format!("/aws/eks/{}/cluster", self.name)).send().await;
        // production-hardening's Secrets key: its alias, so a run after this one can make it again
        let _ = aws.kms.delete_alias().alias_name(format!("alias/{}-secrets", self.name)).send().await;
        if let Some(bucket) = self.vars.get("bucket") {
            if let Ok(objects) = aws.s3.list_objects_v2().bucket(bucket).send().await {
                for o in objects.contents.unwrap_or_default() {
                    let _ = aws.s3.delete_object().bucket(bucket).set_key(o.key).send().await;
                }
            }
            let _ = aws.s3.delete_bucket().bucket(bucket).send().await;
        }
        if let Ok(list) = aws.iam.list_open_id_connect_providers().send().await {
            let host = format!("oidc.eks.{}.amazonaws.com/", self.region);
            for p in list.open_id_connect_provider_list.unwrap_or_default().into_iter().filter_map(|p| p.arn) {
                if p.contains(&host) {
                    let _ = aws.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(p).send().await;
                }
            }
        }
        // roles and policies an earlier run of this proof made; the emulator pages at 100, so
        // ask for more, or a long-lived emulator keeps leftovers that collide on the next run
        if let Ok(roles) = aws.iam.list_roles().max_items(1000).send().await {
            for role in roles.roles.into_iter().map(|r| r.role_name).filter(|r| r.starts_with(&self.name)) {
                if let Ok(att) = aws.iam.list_attached_role_policies().role_name(&role).send().await {
                    for p in att.attached_policies.unwrap_or_default().into_iter().filter_map(|p| p.policy_arn) {
                        let _ = aws.iam.detach_role_policy().role_name(&role).policy_arn(p).send().await;
                    }
                }
                if let Ok(inline) = aws.iam.list_role_policies().role_name(&role).send().await {
                    for p in inline.policy_names {
                        let _ = aws.iam.delete_role_policy().role_name(&role).policy_name(p).send().await;
                    }
                }
                let _ = aws.iam.delete_role().role_name(&role).send().await;
            }
        }
        if let Ok(policies) = aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).max_items(1000).send().await {
            for p in policies.policies.unwrap_or_default() {
                if p.policy_name.as_deref().is_some_and(|n| n.starts_with(&self.name)) {
                    let _ = aws.iam.delete_policy().set_policy_arn(p.arn).send().await;
                }
            }
        }
    }

    /// A published asset as the learner receives it: rendered with the lab's variables (the
    /// product's own rendering). A lab default still written in it fails the proof.
    pub fn asset(&self, rel: &str) -> String {
        let (files, pack) = (&self.files, &self.pack);
        let text = kubedojo::content::assets::render_for(pack, files, rel, &self.vars).unwrap_or_else(|| panic!("assets/{rel} is missing or not text"));
        // the proof's values differ from every lab default: a default still in the file is a
        // value the learner would have to edit by hand
        let default_ns = pack.exercise("eks-cluster").and_then(|e| e.vars.get("appNs")).map_or("shop", String::as_str);
        let ns_default = format!("namespace: {default_ns}");
        let mut defaults = vec![(LAB_ACCOUNT, "{{account}}"), (LAB_REGION, "{{region}}"), (LAB_CLUSTER, "{{cluster}}")];
        if self.vars.get("appNs").is_some_and(|ns| ns != default_ns) {
            defaults.push((ns_default.as_str(), "{{appNs}}"));
        }
        for (default, var) in defaults {
            if let Some(line) = text.lines().position(|l| l.contains(default)) {
                panic!("assets/{rel}:{}: still has the lab default {default:?}: write {var}", line + 1);
            }
        }
        if let Some(line) =
            text.lines().position(|l| kubedojo::content::vars::placeholders(l).any(|(_, n)| !n.starts_with('.') && !n.contains(' ') && !n.starts_with("args.")))
        {
            panic!("assets/{rel}:{}: a variable no lab defines: {}", line + 1, text.lines().nth(line).unwrap_or_default());
        }
        text
    }

    pub fn localize(&self, text: &str) -> String {
        text.replace(LAB_ACCOUNT, ACCOUNT).replace(LAB_REGION, &self.region).replace(LAB_CLUSTER, &self.name)
    }

    pub fn var(&self, key: &str) -> &str {
        self.vars.get(key).map(String::as_str).unwrap_or_else(|| panic!("no exercise variable {key}"))
    }

    /// The real kubectl against this cluster; panics with its output when it fails.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = Command::new(self.own.kubectl_bin())
            .arg("--kubeconfig")
            .arg(self.own.kubeconfig())
            .args(args)
            .current_dir(self.workdir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write to kubectl");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("kubectl output");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "kubectl {args:?} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
        text
    }

    /// `kubectl apply -f <asset>` (localized), with what the pod identity webhook would add.
    pub async fn apply(&self, rel: &str) {
        let text = self.asset(rel);
        self.apply_text(&text).await;
    }

    pub async fn apply_text(&self, yaml: &str) {
        let mut docs = documents(yaml);
        for doc in &mut docs {
            self.pod_identity_webhook(doc).await;
        }
        let list = json!({"apiVersion": "v1", "kind": "List", "items": docs});
        self.kubectl(&["apply", "-f", "-"], Some(&list.to_string()));
    }

    /// What the EKS pod identity webhook injects into pods of a ServiceAccount annotated with
    /// a role: written into the pod template, so every pod made from it carries it.
    async fn pod_identity_webhook(&self, doc: &mut Value) {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let ns = doc["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
        let pod_spec = match kind.as_str() {
            "Deployment" | "DaemonSet" | "StatefulSet" | "Job" | "ReplicaSet" | "Rollout" => &mut doc["spec"]["template"]["spec"],
            "Pod" => &mut doc["spec"],
            _ => return,
        };
        let sa = pod_spec["serviceAccountName"].as_str().unwrap_or("default").to_string();
        // a Pod Identity association takes precedence over the annotation (handler.go)
        if self.front.is_some() {
            let listed = self.aws().eks.list_pod_identity_associations().cluster_name(&self.name).namespace(&ns).service_account(&sa).send().await;
            if listed.ok().and_then(|l| l.associations).is_some_and(|a| !a.is_empty()) {
                pod_identity_env(pod_spec);
                return;
            }
        }
        let api: Api<ServiceAccount> = Api::namespaced(self.client(), &ns);
        let Ok(Some(obj)) = api.get_opt(&sa).await else {
            return;
        };
        let Some(role) = obj.metadata.annotations.unwrap_or_default().get(ROLE_ANNOTATION).cloned() else {
            return;
        };
        let env = [
            json!({"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}),
            json!({"name": "AWS_DEFAULT_REGION", "value": self.region}),
            json!({"name": "AWS_REGION", "value": self.region}),
            json!({"name": "AWS_ROLE_ARN", "value": role}),
            json!({"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}),
        ];
        for c in pod_spec["containers"].as_array_mut().into_iter().flatten() {
            // as the webhook does: a variable the container already sets stays as it is
            let mut list = c["env"].as_array().cloned().unwrap_or_default();
            let missing: Vec<Value> = env.iter().filter(|w| !list.iter().any(|e| e["name"] == w["name"])).cloned().collect();
            list.extend(missing);
            c["env"] = Value::Array(list);
            let mounts = c["volumeMounts"].as_array().cloned().unwrap_or_default();
            let mut mounts: Vec<Value> = mounts.into_iter().filter(|m| m["name"] != "aws-iam-token").collect();
            mounts.push(json!({"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "readOnly": true}));
            c["volumeMounts"] = Value::Array(mounts);
        }
        let volumes = pod_spec["volumes"].as_array().cloned().unwrap_or_default();
        let mut volumes: Vec<Value> = volumes.into_iter().filter(|v| v["name"] != "aws-iam-token").collect();
        volumes.push(json!({"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}));
        pod_spec["volumes"] = Value::Array(volumes);
    }

    // ---- eksctl ---------------------------------------------------------------------------

    /// `eksctl create cluster -f <config>`: VPC with a public and a private subnet per AZ
    /// (tagged for load balancers as eksctl does), the cluster role, the cluster, the OIDC
    /// provider when `iam.withOIDC`, then every managed node group.
    pub async fn eksctl_create_cluster(&self, config_rel: &str) -> Value {
        let config = self.cluster_config(config_rel);
        self.create_cluster(&config).await;
        config
    }

    /// `eksctl create cluster` with a config already read (and perhaps changed by the test).
    pub async fn create_cluster(&self, config: &Value) {
        let aws = self.aws();
        let cidr = config["vpc"]["cidr"].as_str().unwrap_or("192.168.0.0/16");
        let vpc = aws.ec2.create_vpc().cidr_block(cidr).send().await.expect("ec2:CreateVpc").vpc.and_then(|v| v.vpc_id).expect("vpc id");
        let cluster_tag = || aws_sdk_ec2::types::Tag::builder().key("alpha.eksctl.io/cluster-name").value(&self.name).build();
        aws.ec2.create_tags().resources(&vpc).tags(cluster_tag()).send().await.expect("ec2:CreateTags (VPC)");
        let zones = self.zones(config);
        let mut private = Vec::new();
        let mut public = Vec::new();
        for (i, zone) in zones.iter().enumerate() {
            for (kind, list, third) in [("Public", &mut public, i * 32), ("Private", &mut private, 96 + i * 32)] {
                let block = format!("192.168.{third}.0/19");
                let id = aws
                    .ec2
                    .create_subnet()
                    .vpc_id(&vpc)
                    .cidr_block(block)
                    .availability_zone(zone)
                    .send()
                    .await
                    .expect("ec2:CreateSubnet")
                    .subnet
                    .and_then(|s| s.subnet_id)
                    .expect("subnet id");
                let role_tag = if kind == "Public" { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
                aws.ec2
                    .create_tags()
                    .resources(&id)
                    .tags(aws_sdk_ec2::types::Tag::builder().key(role_tag).value("1").build())
                    .tags(aws_sdk_ec2::types::Tag::builder().key("alpha.eksctl.io/cluster-name").value(&self.name).build())
                    .tags(
                        aws_sdk_ec2::types::Tag::builder()
                            .key("Name")
                            .value(format!("eksctl-{}-cluster/Subnet{kind}{}", self.name, zone.to_uppercase()))
                            .build(),
                    )
                    .send()
                    .await
                    .expect("ec2:CreateTags");
                list.push(id);
            }
        }
        // nat.gateway Single (eksctl's default): an Elastic IP and a NAT gateway in the first
        // zone's public subnet, tagged as the VPC stack's resources are
        if config["vpc"]["nat"]["gateway"].as_str().unwrap_or("Single") != "Disable" {
            let eip = |t| aws_sdk_ec2::types::TagSpecification::builder().resource_type(t).tags(cluster_tag()).build();
            let ip = aws
                .ec2
                .allocate_address()
                .domain(aws_sdk_ec2::types::DomainType::Vpc)
                .tag_specifications(eip(aws_sdk_ec2::types::ResourceType::ElasticIp))
                .send()
                .await
                .expect("ec2:AllocateAddress");
            aws.ec2
                .create_nat_gateway()
                .subnet_id(&public[0])
                .set_allocation_id(ip.allocation_id)
                .tag_specifications(eip(aws_sdk_ec2::types::ResourceType::Natgateway))
                .send()
                .await
                .expect("ec2:CreateNatGateway");
        }
        if let Some(days) = config["cloudWatch"]["clusterLogging"]["logRetentionInDays"].as_i64() {
            let group = format!("/aws/eks/{}/cluster", self.name);
            // EKS creates it when logging is on; a run before this one may have left it
            let _ = aws.logs.create_log_group().log_group_name(&group).send().await;
            aws.logs.put_retention_policy().log_group_name(&group).retention_in_days(days as i32).send().await.expect("logs:PutRetentionPolicy");
        }
        let role = self.role(&format!("{}-cluster-ServiceRole", self.name), &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})).await;
        let version = config["metadata"]["version"].as_str().unwrap_or("1.35");
        // endpoint access as the config asks (eksctl's defaults: public, open to all, not private)
        let endpoints = &config["vpc"]["clusterEndpoints"];
        let cidrs: Vec<String> = config["vpc"]["publicAccessCIDRs"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect();
        aws.eks
            .create_cluster()
            .name(&self.name)
            .version(version)
            .role_arn(role)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(public.iter().chain(&private).cloned().collect()))
                    .endpoint_public_access(endpoints["publicAccess"].as_bool().unwrap_or(true))
                    .endpoint_private_access(endpoints["privateAccess"].as_bool().unwrap_or(false))
                    .set_public_access_cidrs((!cidrs.is_empty()).then_some(cidrs))
                    .build(),
            )
            // eksctl's default (accessConfig.authenticationMode, eksctl pkg/apis/eksctl.io/v1alpha5)
            .set_access_config(self.front.is_some().then(|| {
                aws_sdk_eks::types::CreateAccessConfigRequest::builder().authentication_mode(aws_sdk_eks::types::AuthenticationMode::ApiAndConfigMap).build()
            }))
            .send()
            .await
            .expect("eks:CreateCluster");
        self.default_addons();
        if config["iam"]["withOIDC"].as_bool() == Some(true) {
            self.associate_oidc_provider().await;
        }
        self.create_nodegroups(config, None).await;
    }

    /// What EKS installs into kube-system of a new cluster (the vpc-cni, kube-proxy and
    /// coredns add-ons), with the add-ons' defaults where the checks read them: the VPC CNI
    /// without prefix delegation and with its network policy agent off.
    fn default_addons(&self) {
        let tolerate_all = json!([{"operator": "Exists"}]);
        let ds = |name: &str, containers: Value| {
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": "kube-system", "labels": {"k8s-app": name}},
                "spec": {"selector": {"matchLabels": {"k8s-app": name}}, "template": {"metadata": {"labels": {"k8s-app": name}},
                    "spec": {"priorityClassName": "system-node-critical", "hostNetwork": true, "tolerations": tolerate_all, "containers": containers}}}})
        };
        let aws_node = ds(
            "aws-node",
            json!([
                {"name": "aws-node", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1",
                 "env": [{"name": "ENABLE_PREFIX_DELEGATION", "value": "false"}, {"name": "WARM_ENI_TARGET", "value": "1"}, {"name": "ENABLE_POD_ENI", "value": "false"}]},
                {"name": "aws-eks-nodeagent", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.2.7-eksbuild.1",
                 "args": ["--enable-ipv6=false", "--enable-network-policy=false", "--enable-cloudwatch-logs=false", "--metrics-bind-addr=:8162", "--health-probe-bind-addr=:8163"]}
            ]),
        );
        let kube_proxy = ds(
            "kube-proxy",
            json!([{"name": "kube-proxy", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.35.0-minimal-eksbuild.2"}]),
        );
        let coredns = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}}, "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {"priorityClassName": "system-cluster-critical", "containers": [{"name": "coredns", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.12.4-eksbuild.1"}]}}}});
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [aws_node, kube_proxy, coredns]});
        self.kubectl(&["apply", "-f", "-"], Some(&self.localize(&list.to_string())));
    }

    /// `aws eks update-addon --addon-name vpc-cni --configuration-values <json>`: EKS's add-on
    /// manager writes the values into aws-node (the env, and the agent's
    /// --enable-network-policy flag). The emulator has no add-on API, so the DaemonSet is
    /// updated as the add-on manager would.
    pub fn vpc_cni_update_addon(&self, values: &Value) {
        let ds: Value = serde_json::from_str(&self.kubectl(&["-n", "kube-system", "get", "ds", "aws-node", "-o", "json"], None)).expect("aws-node JSON");
        let mut ds = ds;
        for c in ds["spec"]["template"]["spec"]["containers"].as_array_mut().expect("containers") {
            if c["name"] == "aws-node" {
                let mut env: Vec<Value> = c["env"].as_array().cloned().unwrap_or_default();
                for (k, v) in values["env"].as_object().into_iter().flatten() {
                    env.retain(|e| e["name"] != k.as_str());
                    env.push(json!({"name": k, "value": v}));
                }
                c["env"] = Value::Array(env);
            }
            if c["name"] == "aws-eks-nodeagent"
                && let Some(on) = values["enableNetworkPolicy"].as_str()
            {
                let args: Vec<Value> = c["args"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| !a.as_str().unwrap_or_default().starts_with("--enable-network-policy="))
                    .collect();
                let mut args = args;
                args.push(json!(format!("--enable-network-policy={on}")));
                c["args"] = Value::Array(args);
            }
        }
        ds["metadata"].as_object_mut().expect("metadata").retain(|k, _| k == "name" || k == "namespace" || k == "labels");
        ds.as_object_mut().expect("object").remove("status");
        self.kubectl(&["apply", "-f", "-"], Some(&ds.to_string()));
    }

    /// `eksctl utils update-cluster-vpc-config -f <config> --approve`: eks:UpdateClusterConfig
    /// with the config's endpoint access and public CIDRs (the subnets passed unchanged: the
    /// emulator replaces the whole VPC config with what it is given).
    pub async fn update_cluster_vpc_config(&self, config: &Value) {
        let aws = self.aws();
        let cluster = aws.eks.describe_cluster().name(&self.name).send().await.expect("eks:DescribeCluster").cluster.expect("cluster");
        let subnets = cluster.resources_vpc_config.and_then(|v| v.subnet_ids);
        let endpoints = &config["vpc"]["clusterEndpoints"];
        let cidrs: Vec<String> = config["vpc"]["publicAccessCIDRs"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect();
        aws.eks
            .update_cluster_config()
            .name(&self.name)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(subnets)
                    .endpoint_private_access(endpoints["privateAccess"].as_bool().unwrap_or(false))
                    .endpoint_public_access(endpoints["publicAccess"].as_bool().unwrap_or(true))
                    .set_public_access_cidrs((!cidrs.is_empty()).then_some(cidrs))
                    .build(),
            )
            .send()
            .await
            .expect("eks:UpdateClusterConfig");
    }

    /// alb-ingress/self-signed-cert.sh: a self-signed certificate for shop.kubedojo.test made
    /// with openssl, imported into ACM with the tag project=kubedojo; its ARN.
    pub async fn import_self_signed_certificate(&self) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .args(["-subj", "/CN=shop.kubedojo.test", "-addext", "subjectAltName=DNS:shop.kubedojo.test,DNS:*.elb.amazonaws.com"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl (the certificate script needs it)");
        assert!(status.success(), "openssl req failed");
        let read = |p: &std::path::Path| aws_sdk_acm::primitives::Blob::new(std::fs::read(p).expect("PEM"));
        self.aws()
            .acm
            .import_certificate()
            .certificate(read(&cert))
            .private_key(read(&key))
            .tags(aws_sdk_acm::types::Tag::builder().key("project").value("kubedojo").build().expect("tag"))
            .send()
            .await
            .expect("acm:ImportCertificate")
            .certificate_arn
            .expect("certificate ARN")
    }

    /// Stand-in for the AWS Load Balancer Controller reconciling Ingress NS/NAME: what it makes
    /// in AWS, tagged as it tags them (pkg/deploy/tracking/provider.go): the managed security
    /// group, the internet-facing ALB in the public subnets and an ip target group.
    pub async fn lbc_provision(&self, ns: &str, ingress: &str) {
        let aws = self.aws();
        let tags = |resource: &str| {
            [
                ("elbv2.k8s.aws/cluster", self.name.clone()),
                ("ingress.k8s.aws/stack", format!("{ns}/{ingress}")),
                ("ingress.k8s.aws/resource", resource.to_string()),
            ]
        };
        let elb_tags = |resource: &str| tags(resource).map(|(k, v)| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build()).to_vec();
        // the VPC of the cluster's subnets (the emulator's DescribeCluster leaves vpcId out)
        let tagged = aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(&self.name).build();
        let subnets = aws.ec2.describe_subnets().filters(tagged).send().await.expect("ec2:DescribeSubnets").subnets.unwrap_or_default();
        let vpc = subnets.iter().find_map(|s| s.vpc_id.clone()).expect("the cluster's VPC");
        let sg_tags = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
            .set_tags(Some(tags("ManagedLBSecurityGroup").map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).to_vec()))
            .build();
        let stack = format!("{}-{}", &ns[..ns.len().min(8)], &ingress[..ingress.len().min(8)]);
        let sg = aws
            .ec2
            .create_security_group()
            .group_name(format!("k8s-{stack}-3f9a1c2b7d"))
            .description("[k8s] Managed SecurityGroup for LoadBalancer")
            .vpc_id(&vpc)
            .tag_specifications(sg_tags)
            .send()
            .await
            .expect("ec2:CreateSecurityGroup")
            .group_id
            .expect("group id");
        let public: Vec<String> = self.subnets(false).await.into_iter().map(|(id, _)| id).collect();
        aws.elbv2
            .create_load_balancer()
            .name(format!("k8s-{stack}-3f9a1c2b7d"))
            .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::InternetFacing)
            .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Application)
            .set_subnets(Some(public))
            .security_groups(sg)
            .set_tags(Some(elb_tags("LoadBalancer")))
            .send()
            .await
            .expect("elasticloadbalancing:CreateLoadBalancer");
        aws.elbv2
            .create_target_group()
            .name(format!("k8s-{stack}-1c2b7d3f9a"))
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(8080)
            .vpc_id(&vpc)
            .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
            .set_tags(Some(elb_tags(&format!("{ns}/{ingress}-storefront:80"))))
            .send()
            .await
            .expect("elasticloadbalancing:CreateTargetGroup");
    }

    /// Stand-in for the controller finalizing a deleted Ingress: what it made for this cluster
    /// goes (the load balancers, then the target groups, then the security groups).
    pub async fn lbc_deprovision(&self) {
        let aws = self.aws();
        let ours = |tags: &[aws_sdk_elasticloadbalancingv2::types::Tag]| {
            tags.iter().any(|t| t.key.as_deref() == Some("elbv2.k8s.aws/cluster") && t.value.as_deref() == Some(&self.name))
        };
        let lbs = aws.elbv2.describe_load_balancers().send().await.expect("DescribeLoadBalancers").load_balancers.unwrap_or_default();
        let tgs = aws.elbv2.describe_target_groups().send().await.expect("DescribeTargetGroups").target_groups.unwrap_or_default();
        for arn in lbs.iter().filter_map(|l| l.load_balancer_arn.clone()) {
            let tags = aws.elbv2.describe_tags().resource_arns(&arn).send().await.expect("DescribeTags").tag_descriptions.unwrap_or_default();
            if tags.iter().any(|d| ours(d.tags())) {
                aws.elbv2.delete_load_balancer().load_balancer_arn(&arn).send().await.expect("DeleteLoadBalancer");
            }
        }
        for arn in tgs.iter().filter_map(|g| g.target_group_arn.clone()) {
            let tags = aws.elbv2.describe_tags().resource_arns(&arn).send().await.expect("DescribeTags").tag_descriptions.unwrap_or_default();
            if tags.iter().any(|d| ours(d.tags())) {
                aws.elbv2.delete_target_group().target_group_arn(&arn).send().await.expect("DeleteTargetGroup");
            }
        }
        let filter = aws_sdk_ec2::types::Filter::builder().name("tag:elbv2.k8s.aws/cluster").values(&self.name).build();
        for sg in aws.ec2.describe_security_groups().filters(filter).send().await.expect("DescribeSecurityGroups").security_groups.unwrap_or_default() {
            aws.ec2.delete_security_group().set_group_id(sg.group_id).send().await.expect("DeleteSecurityGroup");
        }
    }

    /// `eksctl delete nodegroup --wait`: the group and its nodes.
    pub async fn delete_nodegroup(&self, name: &str) {
        self.aws().eks.delete_nodegroup().cluster_name(&self.name).nodegroup_name(name).send().await.expect("eks:DeleteNodegroup");
        let nodes = Api::<Node>::all(self.client())
            .list(&kube::api::ListParams::default().labels(&format!("eks.amazonaws.com/nodegroup={name}")))
            .await
            .expect("list nodes");
        for n in nodes.items {
            let _ = Api::<Node>::all(self.client()).delete(n.metadata.name.as_deref().unwrap_or_default(), &Default::default()).await;
        }
    }

    /// What Cluster Autoscaler does to a node group (and `aws autoscaling set-desired-capacity`):
    /// the desired capacity of its Auto Scaling group, not the EKS scaling config.
    pub async fn scale_asg(&self, group: &str, desired: i32) {
        let aws = self.aws();
        let ng = aws
            .eks
            .describe_nodegroup()
            .cluster_name(&self.name)
            .nodegroup_name(group)
            .send()
            .await
            .expect("eks:DescribeNodegroup")
            .nodegroup
            .expect("node group");
        let asg = ng.resources.and_then(|r| r.auto_scaling_groups?.first()?.name.clone()).expect("ASG name");
        aws.autoscaling.set_desired_capacity().auto_scaling_group_name(asg).desired_capacity(desired).send().await.expect("autoscaling:SetDesiredCapacity");
    }

    /// `eksctl scale nodegroup --name NG --nodes N --nodes-min MIN`.
    pub async fn scale_nodegroup(&self, name: &str, desired: i32, min: i32) {
        let aws = self.aws();
        let group = aws
            .eks
            .describe_nodegroup()
            .cluster_name(&self.name)
            .nodegroup_name(name)
            .send()
            .await
            .expect("eks:DescribeNodegroup")
            .nodegroup
            .expect("node group");
        let max = group.scaling_config.and_then(|s| s.max_size).unwrap_or(desired.max(1));
        aws.eks
            .update_nodegroup_config()
            .cluster_name(&self.name)
            .nodegroup_name(name)
            .scaling_config(NodegroupScalingConfig::builder().min_size(min).desired_size(desired).max_size(max).build())
            .send()
            .await
            .expect("eks:UpdateNodegroupConfig");
        // the instances leave: EKS drains and terminates them
        let nodes = Api::<Node>::all(self.client())
            .list(&kube::api::ListParams::default().labels(&format!("eks.amazonaws.com/nodegroup={name}")))
            .await
            .expect("list nodes");
        for n in nodes.items.iter().skip(desired as usize) {
            let _ = Api::<Node>::all(self.client()).delete(n.metadata.name.as_deref().unwrap_or_default(), &Default::default()).await;
        }
    }

    /// `eksctl create nodegroup -f <config>`: the config's managed node groups on this cluster.
    pub async fn eksctl_create_nodegroup(&self, config_rel: &str) {
        let config = self.cluster_config(config_rel);
        self.create_nodegroups(&config, None).await;
    }

    /// `eksctl utils enable-secrets-encryption --key-arn KEY` calls eks:AssociateEncryptionConfig,
    /// which the emulator lacks: the cluster record is registered again with the same
    /// configuration plus the encryptionConfig that call leaves, and its node groups (from
    /// `config`) with it. The nodes in Kubernetes stay.
    pub async fn associate_encryption_config(&self, key_arn: &str, config: &Value) {
        let aws = self.aws();
        let cluster = aws.eks.describe_cluster().name(&self.name).send().await.expect("eks:DescribeCluster").cluster.expect("cluster");
        let groups = aws.eks.list_nodegroups().cluster_name(&self.name).send().await.expect("eks:ListNodegroups").nodegroups.unwrap_or_default();
        for ng in &groups {
            aws.eks.delete_nodegroup().cluster_name(&self.name).nodegroup_name(ng).send().await.expect("eks:DeleteNodegroup");
        }
        aws.eks.delete_cluster().name(&self.name).send().await.expect("eks:DeleteCluster");
        let vpc = cluster.resources_vpc_config.expect("vpc config");
        aws.eks
            .create_cluster()
            .name(&self.name)
            .set_version(cluster.version)
            .set_role_arn(cluster.role_arn)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(vpc.subnet_ids)
                    .endpoint_private_access(vpc.endpoint_private_access)
                    .endpoint_public_access(vpc.endpoint_public_access)
                    .set_public_access_cidrs(vpc.public_access_cidrs)
                    .build(),
            )
            .encryption_config(
                aws_sdk_eks::types::EncryptionConfig::builder()
                    .resources("secrets")
                    .provider(aws_sdk_eks::types::Provider::builder().key_arn(key_arn).build())
                    .build(),
            )
            .send()
            .await
            .expect("eks:CreateCluster (re-registered)");
        let subnets = self.subnets(true).await;
        for ng in config["managedNodeGroups"].as_array().into_iter().flatten().filter(|ng| groups.iter().any(|g| ng["name"] == g.as_str())) {
            self.create_nodegroup(ng, &subnets, false).await;
        }
    }

    /// `eksctl create addon --name aws-ebs-csi-driver --service-account-role-arn ROLE`: what the
    /// add-on installs (the CSIDriver, the controller Deployment, its ServiceAccount annotated
    /// with the role, the node DaemonSet).
    pub fn ebs_csi_addon(&self, role_arn: &str) {
        let labels = json!({"app": "ebs-csi-controller", "app.kubernetes.io/name": "aws-ebs-csi-driver"});
        let node_labels = json!({"app": "ebs-csi-node", "app.kubernetes.io/name": "aws-ebs-csi-driver"});
        let items = json!([
            {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "ebs.csi.aws.com"}, "spec": {"attachRequired": true, "podInfoOnMount": false, "fsGroupPolicy": "File"}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ebs-csi-controller-sa", "namespace": "kube-system", "annotations": {ROLE_ANNOTATION: role_arn}, "labels": {"app.kubernetes.io/name": "aws-ebs-csi-driver"}}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ebs-csi-controller", "namespace": "kube-system", "labels": labels},
             "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                "spec": {"serviceAccountName": "ebs-csi-controller-sa", "priorityClassName": "system-cluster-critical", "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                    "containers": [{"name": "ebs-plugin", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/aws-ebs-csi-driver:v1.50.1", "args": ["controller", "--endpoint=$(CSI_ENDPOINT)"]}]}}}},
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ebs-csi-node", "namespace": "kube-system", "labels": node_labels},
             "spec": {"selector": {"matchLabels": node_labels}, "template": {"metadata": {"labels": node_labels},
                "spec": {"tolerations": [{"operator": "Exists"}], "containers": [{"name": "ebs-plugin", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/aws-ebs-csi-driver:v1.50.1", "args": ["node"]}]}}}}
        ]);
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        self.kubectl(&["apply", "-f", "-"], Some(&self.localize(&list.to_string())));
    }

    pub fn cluster_config(&self, rel: &str) -> Value {
        serde_saphyr::from_str(&self.asset(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn zones(&self, config: &Value) -> Vec<String> {
        let zones: Vec<String> = config["availabilityZones"].as_array().into_iter().flatten().filter_map(|z| z.as_str().map(str::to_string)).collect();
        if zones.is_empty() { ["a", "b", "c"].iter().map(|s| format!("{}{s}", self.region)).collect() } else { zones }
    }

    /// The subnets eksctl created for this cluster (private ones host the nodes).
    pub async fn subnets(&self, private: bool) -> Vec<(String, String)> {
        let out = self
            .aws()
            .ec2
            .describe_subnets()
            .filters(aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(&self.name).build())
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag-key")
                    .values(if private { "kubernetes.io/role/internal-elb" } else { "kubernetes.io/role/elb" })
                    .build(),
            )
            .send()
            .await
            .expect("ec2:DescribeSubnets");
        out.subnets.unwrap_or_default().into_iter().filter_map(|s| Some((s.subnet_id?, s.availability_zone?))).collect()
    }

    /// `eksctl create nodegroup -f <config> [--include=...]`: managed node groups with their
    /// labels, taints and capacity type; their Auto Scaling groups with the tags EKS and
    /// `propagateASGTags` put on them; `desiredCapacity` Ready nodes spread over the AZs.
    pub async fn create_nodegroups(&self, config: &Value, only: Option<&[&str]>) {
        let subnets = self.subnets(true).await;
        for ng in config["managedNodeGroups"].as_array().into_iter().flatten() {
            let name = ng["name"].as_str().expect("node group name");
            if only.is_some_and(|o| !o.contains(&name)) {
                continue;
            }
            self.create_nodegroup(ng, &subnets, true).await;
        }
    }

    /// The node role of one node group's stack (eksctl makes one per group).
    async fn node_role(&self, group: &str) -> String {
        let name = format!("{}-ng-{group}-NodeInstanceRole", self.name);
        if let Ok(out) = self.aws().iam.get_role().role_name(&name).send().await {
            return out.role.map(|r| r.arn).expect("role arn");
        }
        self.role(
            &name,
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        )
        .await
    }

    async fn create_nodegroup(&self, ng: &Value, subnets: &[(String, String)], nodes: bool) {
        let aws = self.aws();
        let name = ng["name"].as_str().expect("node group name");
        let node_role = self.node_role(name).await;
        let spot = ng["spot"].as_bool() == Some(true);
        let types: Vec<String> = match ng["instanceTypes"].as_array() {
            Some(list) => list.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
            None => vec![ng["instanceType"].as_str().unwrap_or("m6i.large").to_string()],
        };
        let int = |key: &str, default: i64| ng[key].as_i64().unwrap_or(default) as i32;
        let (min, desired, max) = (int("minSize", 2), int("desiredCapacity", int("minSize", 2) as i64), int("maxSize", 2));
        let labels: BTreeMap<String, String> =
            ng["labels"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
        let taints: Vec<(String, String, String)> = ng["taints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["key"].as_str().unwrap_or_default().into(),
                    t["value"].as_str().unwrap_or_default().into(),
                    t["effect"].as_str().unwrap_or("NoSchedule").into(),
                )
            })
            .collect();
        let mut req = aws
            .eks
            .create_nodegroup()
            .cluster_name(&self.name)
            .nodegroup_name(name)
            .node_role(&node_role)
            .set_subnets(Some(subnets.iter().map(|(id, _)| id.clone()).collect()))
            .set_instance_types(Some(types.clone()))
            .capacity_type(if spot { CapacityTypes::Spot } else { CapacityTypes::OnDemand })
            .scaling_config(NodegroupScalingConfig::builder().min_size(min).desired_size(desired).max_size(max).build())
            .set_labels(Some(labels.clone().into_iter().collect()));
        for (key, value, effect) in &taints {
            let effect = match effect.as_str() {
                "NoExecute" => TaintEffect::NoExecute,
                "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                _ => TaintEffect::NoSchedule,
            };
            req = req.taints(Taint::builder().key(key).value(value).effect(effect).build());
        }
        let group = req.send().await.unwrap_or_else(|e| panic!("eks:CreateNodegroup {name}: {e:?}")).nodegroup.expect("node group");
        let asg = group.resources.and_then(|r| r.auto_scaling_groups?.first()?.name.clone()).expect("ASG name");
        // the ASG behind it, as EKS creates it
        let template = format!("{asg}-lt");
        aws.ec2
            .create_launch_template()
            .launch_template_name(&template)
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                    .image_id("ami-12c6146b")
                    .instance_type(aws_sdk_ec2::types::InstanceType::from(types[0].as_str()))
                    // as eksctl writes them (pkg/cfn/builder/nodegroup.go makeMetadataOptions):
                    // IMDSv2 unless disableIMDSv1 is false, hop limit 1 with disablePodIMDS, else 2
                    .metadata_options(
                        aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                            .http_tokens(if ng["disableIMDSv1"].as_bool() == Some(false) && ng["disablePodIMDS"].as_bool() != Some(true) {
                                aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Optional
                            } else {
                                aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required
                            })
                            .http_put_response_hop_limit(if ng["disablePodIMDS"].as_bool() == Some(true) { 1 } else { 2 })
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("ec2:CreateLaunchTemplate");
        let mut tags = vec![
            ("eks:cluster-name".to_string(), self.name.clone()),
            ("eks:nodegroup-name".to_string(), name.to_string()),
            ("k8s.io/cluster-autoscaler/enabled".to_string(), "true".to_string()),
            (format!("k8s.io/cluster-autoscaler/{}", self.name), "owned".to_string()),
        ];
        if ng["propagateASGTags"].as_bool() == Some(true) {
            tags.extend(labels.iter().map(|(k, v)| (format!("k8s.io/cluster-autoscaler/node-template/label/{k}"), v.clone())));
            tags.extend(taints.iter().map(|(k, v, e)| (format!("k8s.io/cluster-autoscaler/node-template/taint/{k}"), format!("{v}:{e}"))));
            tags.extend(ng["tags"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())));
        }
        let mut create = aws
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(&asg)
            .launch_template(aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_name(&template).version("$Latest").build())
            .min_size(min)
            .max_size(max)
            .desired_capacity(0)
            .vpc_zone_identifier(subnets.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(","))
            .capacity_rebalance(spot);
        for (k, v) in tags {
            create = create.tags(
                aws_sdk_autoscaling::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .resource_id(&asg)
                    .resource_type("auto-scaling-group")
                    .propagate_at_launch(true)
                    .build(),
            );
        }
        create.send().await.unwrap_or_else(|e| panic!("autoscaling:CreateAutoScalingGroup {asg}: {e:?}"));
        if !nodes {
            return;
        }
        // the instances joining the cluster, spread over the zones
        let zones: Vec<&String> = subnets.iter().map(|(_, z)| z).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        for i in 0..desired {
            let zone = zones[i as usize % zones.len()];
            let mut node_labels = labels.clone();
            let node_name = format!("ip-192-168-{}-{}.{}.compute.internal", 100 + i, 10 + name.len(), self.region);
            node_labels.extend([
                ("eks.amazonaws.com/nodegroup".to_string(), name.to_string()),
                ("eks.amazonaws.com/capacityType".to_string(), if spot { "SPOT" } else { "ON_DEMAND" }.to_string()),
                ("alpha.eksctl.io/cluster-name".to_string(), self.name.clone()),
                ("alpha.eksctl.io/nodegroup-name".to_string(), name.to_string()),
                ("topology.kubernetes.io/zone".to_string(), zone.to_string()),
                ("topology.kubernetes.io/region".to_string(), self.region.clone()),
                ("node.kubernetes.io/instance-type".to_string(), types[i as usize % types.len()].clone()),
                ("kubernetes.io/hostname".to_string(), node_name.clone()),
                ("kubernetes.io/os".to_string(), "linux".to_string()),
                ("kubernetes.io/arch".to_string(), "amd64".to_string()),
            ]);
            let node: Node = serde_json::from_value(json!({
                "metadata": {"name": format!("{name}-{i}-{node_name}"), "labels": node_labels},
                "spec": {
                    "providerID": format!("aws:///{zone}/i-0{:016x}", (name.len() as u64) << 32 | i as u64),
                    "taints": taints.iter().map(|(k, v, e)| json!({"key": k, "value": v, "effect": e})).collect::<Vec<_>>(),
                }
            }))
            .expect("node");
            Api::<Node>::all(self.client()).create(&PostParams::default(), &node).await.expect("create node");
        }
    }

    /// `eksctl utils associate-iam-oidc-provider --approve`.
    pub async fn associate_oidc_provider(&self) {
        let issuer = self.issuer().await;
        self.aws()
            .iam
            .create_open_id_connect_provider()
            .url(&issuer)
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
            .tags(aws_sdk_iam::types::Tag::builder().key("alpha.eksctl.io/cluster-name").value(&self.name).build().expect("tag"))
            .send()
            .await
            .expect("iam:CreateOpenIDConnectProvider");
    }

    /// `eksctl delete cluster --wait` and the control plane log group: the node groups, the
    /// cluster, the OIDC provider, the NAT gateway and its Elastic IP, the subnets and the VPC.
    pub async fn eksctl_delete_cluster(&self) {
        let aws = self.aws();
        let issuer = self.issuer().await;
        let groups = aws.eks.list_nodegroups().cluster_name(&self.name).send().await.expect("eks:ListNodegroups").nodegroups.unwrap_or_default();
        for g in groups {
            aws.eks.delete_nodegroup().cluster_name(&self.name).nodegroup_name(g).send().await.expect("eks:DeleteNodegroup");
        }
        aws.eks.delete_cluster().name(&self.name).send().await.expect("eks:DeleteCluster");
        let providers =
            aws.iam.list_open_id_connect_providers().send().await.expect("iam:ListOpenIDConnectProviders").open_id_connect_provider_list.unwrap_or_default();
        let host = issuer.trim_start_matches("https://");
        for arn in providers.into_iter().filter_map(|p| p.arn).filter(|a| a.ends_with(host)) {
            aws.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.expect("iam:DeleteOpenIDConnectProvider");
        }
        let ours = |tags: &[aws_sdk_ec2::types::Tag]| {
            tags.iter().any(|t| t.key.as_deref() == Some("alpha.eksctl.io/cluster-name") && t.value.as_deref() == Some(&self.name))
        };
        for g in
            aws.ec2.describe_nat_gateways().send().await.expect("ec2:DescribeNatGateways").nat_gateways.unwrap_or_default().iter().filter(|g| ours(g.tags()))
        {
            aws.ec2.delete_nat_gateway().set_nat_gateway_id(g.nat_gateway_id.clone()).send().await.expect("ec2:DeleteNatGateway");
        }
        for a in aws.ec2.describe_addresses().send().await.expect("ec2:DescribeAddresses").addresses.unwrap_or_default().iter().filter(|a| ours(a.tags())) {
            aws.ec2.release_address().set_allocation_id(a.allocation_id.clone()).send().await.expect("ec2:ReleaseAddress");
        }
        let tagged = aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(&self.name).build();
        for s in aws.ec2.describe_subnets().filters(tagged.clone()).send().await.expect("ec2:DescribeSubnets").subnets.unwrap_or_default() {
            aws.ec2.delete_subnet().set_subnet_id(s.subnet_id).send().await.expect("ec2:DeleteSubnet");
        }
        for v in aws.ec2.describe_vpcs().filters(tagged).send().await.expect("ec2:DescribeVpcs").vpcs.unwrap_or_default() {
            aws.ec2.delete_vpc().set_vpc_id(v.vpc_id).send().await.expect("ec2:DeleteVpc");
        }
        let group = format!("/aws/eks/{}/cluster", self.name);
        let _ = aws.logs.delete_log_group().log_group_name(group).send().await;
    }

    pub async fn issuer(&self) -> String {
        let cluster = self.aws().eks.describe_cluster().name(&self.name).send().await.expect("eks:DescribeCluster").cluster.expect("cluster");
        cluster.identity.and_then(|i| i.oidc?.issuer).expect("issuer")
    }

    /// The trust policy eksctl and `render-trust-policy.sh` write for one ServiceAccount.
    pub async fn irsa_trust_policy(&self, ns: &str, sa: &str) -> Value {
        let issuer = self.issuer().await;
        let host = issuer.trim_start_matches("https://");
        let text = self
            .asset("irsa-s3/trust-policy.json")
            .replace("oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", host)
            .replace(&format!("oidc.eks.{}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", self.region), host);
        // the published policy is for the IRSA lab's ServiceAccount; eksctl writes the same for any other
        let (lab_ns, lab_sa) = (self.vars.get("appNs").map_or("shop", String::as_str), self.vars.get("irsaSa").map_or("s3-reader", String::as_str));
        let text = text.replace(&format!("system:serviceaccount:{lab_ns}:{lab_sa}"), &format!("system:serviceaccount:{ns}:{sa}"));
        serde_json::from_str(&text).expect("trust policy JSON")
    }

    /// An IAM role with a trust policy; returns its ARN.
    pub async fn role(&self, name: &str, trust: &Value) -> String {
        let out = self
            .aws()
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("iam:CreateRole {name}: {e:?}"));
        out.role.map(|r| r.arn).expect("role arn")
    }

    /// `aws eks wait addon-active`: DescribeAddon until the front settles it ACTIVE.
    pub async fn wait_for_addon(&self, addon: &str) {
        for _ in 0..100 {
            let out = self.aws().eks.describe_addon().cluster_name(&self.name).addon_name(addon).send().await.expect("eks:DescribeAddon");
            if out.addon.and_then(|a| a.status).is_some_and(|s| s == aws_sdk_eks::types::AddonStatus::Active) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("add-on {addon} did not become ACTIVE");
    }

    /// Poll `aws eks describe-update` until the cluster update is no longer InProgress.
    pub async fn wait_for_update(&self, id: &str) {
        for _ in 0..100 {
            let out = self.aws().eks.describe_update().name(&self.name).update_id(id).send().await.expect("eks:DescribeUpdate");
            if out.update.and_then(|u| u.status).is_some_and(|s| s != aws_sdk_eks::types::UpdateStatus::InProgress) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("update {id} stayed InProgress");
    }

    /// A role and its policies gone: each attached customer managed policy detached and deleted
    /// (the labs' own), then the role (`aws iam detach-role-policy`, `delete-policy`, `delete-role`).
    pub async fn delete_role(&self, role: &str) {
        let iam = &self.aws().iam;
        let attached = iam.list_attached_role_policies().role_name(role).send().await.expect("list attached").attached_policies.unwrap_or_default();
        for arn in attached.into_iter().filter_map(|p| p.policy_arn) {
            iam.detach_role_policy().role_name(role).policy_arn(&arn).send().await.expect("detach-role-policy");
            if !arn.contains(":aws:policy/") {
                iam.delete_policy().policy_arn(&arn).send().await.expect("delete-policy");
            }
        }
        iam.delete_role().role_name(role).send().await.expect("delete-role");
    }

    /// `aws s3 rb s3://BUCKET --force`: the objects, then the bucket.
    pub async fn delete_bucket(&self, bucket: &str) {
        let s3 = &self.aws().s3;
        let objects = s3.list_objects_v2().bucket(bucket).send().await.expect("list objects").contents.unwrap_or_default();
        for key in objects.into_iter().filter_map(|o| o.key) {
            s3.delete_object().bucket(bucket).key(key).send().await.expect("delete object");
        }
        s3.delete_bucket().bucket(bucket).send().await.expect("delete bucket");
    }

    /// A customer managed policy from a JSON document; returns its ARN.
    pub async fn policy(&self, name: &str, document: &str) -> String {
        let out = self
            .aws()
            .iam
            .create_policy()
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .unwrap_or_else(|e| panic!("iam:CreatePolicy {name}: {e:?}"));
        out.policy.and_then(|p| p.arn).expect("policy arn")
    }

    pub async fn attach(&self, role: &str, policy_arn: &str) {
        self.aws()
            .iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("iam:AttachRolePolicy {role}: {e:?}"));
    }

    /// `eksctl create iamserviceaccount --namespace NS --name SA --role-name ROLE
    /// --attach-policy-arn ARN --approve`: the role trusting exactly that ServiceAccount, the
    /// policy attached, and the ServiceAccount annotated (unless `role_only`).
    pub async fn iam_service_account(&self, ns: &str, sa: &str, role_name: &str, policy_arn: &str, role_only: bool) -> String {
        let trust = self.irsa_trust_policy(ns, sa).await;
        let arn = self.role(role_name, &trust).await;
        self.attach(role_name, policy_arn).await;
        if !role_only {
            let sa_yaml = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns, "annotations": {ROLE_ANNOTATION: arn}, "labels": {"app.kubernetes.io/managed-by": "eksctl"}}});
            self.kubectl(&["apply", "-f", "-"], Some(&sa_yaml.to_string()));
        }
        arn
    }

    /// A backend for the same cluster whose AWS credentials belong to another account (a
    /// profile of another team's account): what a learner has before choosing the lab profile.
    pub async fn backend_in_other_account(&self, account: &str) -> Backend {
        let creds = self
            .aws()
            .sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/other-team"))
            .role_session_name("learner")
            .send()
            .await
            .expect("sts:AssumeRole")
            .credentials
            .expect("credentials");
        let key = aws_sdk_sts::config::Credentials::new(creds.access_key_id, creds.secret_access_key, Some(creds.session_token), None, "other-profile");
        let config = self.aws().config.to_builder().credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(key)).build();
        let mut b =
            Backend::connect(&TargetOptions { kind: Some(TargetKind::Eks), kubeconfig: Some(self.own.kubeconfig().into()), ..Default::default() }).await;
        b.aws = Some(Aws::from_config(config, true));
        b
    }

    /// What Cluster Autoscaler writes once it runs: its status ConfigMap, stamped now.
    pub fn cluster_autoscaler_status(&self, ns: &str) {
        let now = k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string();
        let status = format!("time: {now}\nautoscalerStatus: Running\nclusterWide:\n  health:\n    status: Healthy\n");
        let map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-autoscaler-status", "namespace": ns, "annotations": {"cluster-autoscaler.kubernetes.io/last-updated": now}}, "data": {"status": status}});
        self.kubectl(&["apply", "-f", "-"], Some(&map.to_string()));
    }

    /// What Fluent Bit ships once it runs: the application log group (auto_create_group) and,
    /// per running pod of `app` in `ns`, a stream `<node>-application.var.log.containers.<pod>_<ns>_<container>.log`
    /// with a few of the lines the pod prints.
    pub async fn fluent_bit_ships(&self, ns: &str, app: &str, line: &str) {
        use k8s_openapi::api::core::v1::Pod;
        let logs = &self.aws().logs;
        let group = format!("/aws/containerinsights/{}/application", self.name);
        let _ = logs.create_log_group().log_group_name(&group).send().await; // exists after the first pod
        let pods = Api::<Pod>::namespaced(self.client(), ns).list(&kube::api::ListParams::default().labels(&format!("app={app}"))).await.expect("list pods");
        let now = kubedojo::clock::unix_now() as i64 * 1000;
        for pod in pods.items {
            let (name, spec) = (pod.metadata.name.clone().unwrap_or_default(), pod.spec.clone().unwrap_or_default());
            let node = spec.node_name.clone().unwrap_or_default();
            for c in &spec.containers {
                let stream = format!("{node}-application.var.log.containers.{name}_{ns}_{}.log", c.name);
                logs.create_log_stream().log_group_name(&group).log_stream_name(&stream).send().await.expect("logs:CreateLogStream");
                let events: Vec<_> = (0..3)
                    .map(|i| {
                        aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                            .timestamp(now + i)
                            .message(line.replace("$i", &i.to_string()))
                            .build()
                            .expect("event")
                    })
                    .collect();
                logs.put_log_events().log_group_name(&group).log_stream_name(&stream).set_log_events(Some(events)).send().await.expect("logs:PutLogEvents");
            }
        }
    }

    /// Write an object's status through the status subresource, as its controller would.
    pub fn write_status(&self, resource: &str, ns: &str, name: &str, status: Value) {
        let patch = json!({"status": status}).to_string();
        self.kubectl(&["-n", ns, "patch", resource, name, "--subresource=status", "--type=merge", "-p", &patch], None);
    }
}

/// The YAML documents of a multi-document file, as JSON values (empty ones dropped).
/// What the pod identity webhook injects for EKS Pod Identity (its `--container-credentials-*`
/// defaults): the agent's URI, the token file and the projected token for pods.eks.amazonaws.com.
fn pod_identity_env(pod_spec: &mut Value) {
    let dir = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";
    let env = [
        json!({"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"}),
        json!({"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": format!("{dir}/eks-pod-identity-token")}),
    ];
    for c in pod_spec["containers"].as_array_mut().into_iter().flatten() {
        let mut list = c["env"].as_array().cloned().unwrap_or_default();
        list.extend(env.iter().filter(|w| !list.iter().any(|e| e["name"] == w["name"])).cloned().collect::<Vec<_>>());
        c["env"] = Value::Array(list);
        let mut mounts = c["volumeMounts"].as_array().cloned().unwrap_or_default();
        mounts.push(json!({"name": "eks-pod-identity-token", "mountPath": dir, "readOnly": true}));
        c["volumeMounts"] = Value::Array(mounts);
    }
    let mut volumes = pod_spec["volumes"].as_array().cloned().unwrap_or_default();
    volumes.push(json!({"name": "eks-pod-identity-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "pods.eks.amazonaws.com", "expirationSeconds": 86400, "path": "eks-pod-identity-token"}}]}}));
    pod_spec["volumes"] = Value::Array(volumes);
}

pub fn documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).unwrap_or_else(|e| panic!("YAML: {e}")).into_iter().filter(|d| !d.is_null()).collect()
}
