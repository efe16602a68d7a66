//! The published solution of each lab, applied to a simulated EKS step by step. The content
//! proof runs them with a proving [`Proof`] (checks fail before each step, pass after); break-fix
//! scenario tests run them with a setting-up one to reach the solved state.

use super::eks::{ACCOUNT, SimEks};
use super::proof::Proof;

pub async fn eks_cluster(p: &mut Proof, sim: &mut SimEks) {
    // preflight: the default profile belongs to another account until the lab profile is chosen
    let other = sim.backend_in_other_account("210987654321").await;
    let lab = std::mem::replace(&mut sim.backend, other);
    p.before(sim, "preflight").await;
    sim.backend = lab;
    p.after(sim, "preflight").await;

    p.before(sim, "create-cluster").await;
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    p.after(sim, "create-cluster").await;

    p.already(sim, "node-groups", "`eksctl create cluster -f cluster.yaml` (it creates every managed node group of the config)").await;

    p.before(sim, "critical-pool").await;
    sim.apply("eks-cluster/critical-workload.yaml").await;
    p.after(sim, "critical-pool").await;

    p.already(sim, "spot-pool", "`eksctl create cluster -f cluster.yaml` (the spot group is in the config)").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    sim.eksctl_delete_cluster().await;
    p.after(sim, "teardown").await;
}

pub async fn irsa_s3(p: &mut Proof, sim: &SimEks) {
    // a cluster made without `iam.withOIDC` (the case the first step is about)
    let mut config = sim.cluster_config("eks-cluster/cluster.yaml");
    config["iam"]["withOIDC"] = false.into();
    sim.create_cluster(&config).await;
    let (cluster, bucket, ns, sa) = (sim.name.clone(), sim.var("bucket").to_string(), sim.var("appNs").to_string(), sim.var("irsaSa").to_string());

    p.before(sim, "oidc-provider").await;
    sim.associate_oidc_provider().await; // eksctl utils associate-iam-oidc-provider --approve
    p.after(sim, "oidc-provider").await;

    p.before(sim, "role-and-serviceaccount").await;
    let s3 = &sim.aws().s3;
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(sim.region.as_str()))
        .build();
    s3.create_bucket().bucket(&bucket).create_bucket_configuration(location).send().await.expect("s3api create-bucket");
    let block = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block().bucket(&bucket).public_access_block_configuration(block).send().await.expect("s3api put-public-access-block");
    let hello = sim.asset("irsa-s3/hello.txt");
    s3.put_object().bucket(&bucket).key("hello.txt").body(hello.into_bytes().into()).send().await.expect("s3 cp hello.txt");
    let policy = sim.policy(&format!("{cluster}-s3-reader"), &sim.asset("irsa-s3/s3-read-policy.json").replace(&format!("{cluster}-assets"), &bucket)).await;
    let trust = sim.irsa_trust_policy(&ns, &sa).await; // render-trust-policy.sh
    sim.role(&format!("{cluster}-s3-reader"), &trust).await;
    sim.attach(&format!("{cluster}-s3-reader"), &policy).await;
    sim.apply("irsa-s3/serviceaccount.yaml").await;
    p.after(sim, "role-and-serviceaccount").await;

    p.before(sim, "deploy-app").await;
    sim.apply("irsa-s3/app.yaml").await;
    p.after(sim, "deploy-app").await;

    p.already(sim, "verify-access", "deploy-app (the step only reads the app's log and simulates the role's policy)").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    sim.kubectl(&["-n", &ns, "delete", "deployment/s3-reader", &format!("serviceaccount/{sa}"), "--ignore-not-found"], None);
    sim.delete_role(&format!("{cluster}-s3-reader")).await; // detach-role-policy, delete-policy, delete-role
    sim.delete_bucket(&bucket).await; // aws s3 rb --force
    p.after(sim, "teardown").await;
}

pub async fn pod_identity_access(p: &mut Proof, sim: &SimEks) {
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let (cluster, bucket, ns, sa) = (sim.name.clone(), sim.var("bucket").to_string(), sim.var("appNs").to_string(), sim.var("podSa").to_string());
    let eks = &sim.aws().eks;

    p.before(sim, "agent").await;
    eks.create_addon().cluster_name(&cluster).addon_name("eks-pod-identity-agent").send().await.expect("eks create-addon");
    sim.wait_for_addon("eks-pod-identity-agent").await; // aws eks wait addon-active
    p.after(sim, "agent").await;

    p.before(sim, "role-and-association").await;
    super::bucket(sim.aws(), &bucket).await;
    let hello = sim.asset("pod-identity-access/hello.txt");
    sim.aws().s3.put_object().bucket(&bucket).key("hello.txt").body(hello.into_bytes().into()).send().await.expect("s3 cp hello.txt");
    let trust: serde_json::Value = serde_json::from_str(&sim.asset("pod-identity-access/trust-policy.json")).expect("trust-policy.json");
    let role = sim.role(&format!("{cluster}-{sa}"), &trust).await;
    let policy = sim.policy(&format!("{cluster}-{sa}-s3-read"), &sim.asset("pod-identity-access/s3-read-policy.json")).await;
    sim.attach(&format!("{cluster}-{sa}"), &policy).await;
    eks.create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace(&ns)
        .service_account(&sa)
        .role_arn(&role)
        .send()
        .await
        .expect("eks create-pod-identity-association");
    p.after(sim, "role-and-association").await;

    p.before(sim, "deploy-app").await;
    sim.apply("pod-identity-access/app.yaml").await;
    p.after(sim, "deploy-app").await;

    p.before(sim, "api-mode").await;
    let access = aws_sdk_eks::types::UpdateAccessConfigRequest::builder().authentication_mode(aws_sdk_eks::types::AuthenticationMode::Api).build();
    let update = eks
        .update_cluster_config()
        .name(&cluster)
        .access_config(access)
        .send()
        .await
        .expect("eks update-cluster-config")
        .update
        .and_then(|u| u.id)
        .expect("update id");
    sim.wait_for_update(&update).await; // the solution's describe-update loop
    p.after(sim, "api-mode").await;

    p.before(sim, "read-only-team").await;
    let trust: serde_json::Value = serde_json::from_str(&sim.asset("pod-identity-access/viewers-trust-policy.json")).expect("viewers-trust-policy.json");
    let viewers = sim.role(&format!("{cluster}-viewers"), &trust).await;
    eks.create_access_entry().cluster_name(&cluster).principal_arn(&viewers).r#type("STANDARD").send().await.expect("eks create-access-entry");
    let scope = aws_sdk_eks::types::AccessScope::builder().r#type(aws_sdk_eks::types::AccessScopeType::Namespace).namespaces(&ns).build();
    eks.associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(&viewers)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(scope)
        .send()
        .await
        .expect("eks associate-access-policy");
    p.after(sim, "read-only-team").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    let id = eks.list_pod_identity_associations().cluster_name(&cluster).namespace(&ns).service_account(&sa).send().await.expect("list associations");
    for a in id.associations.unwrap_or_default().into_iter().filter_map(|a| a.association_id) {
        eks.delete_pod_identity_association().cluster_name(&cluster).association_id(a).send().await.expect("delete association");
    }
    eks.delete_access_entry().cluster_name(&cluster).principal_arn(&viewers).send().await.expect("delete access entry");
    eks.delete_addon().cluster_name(&cluster).addon_name("eks-pod-identity-agent").send().await.expect("delete add-on");
    sim.kubectl(&["-n", &ns, "delete", "deployment/report-reader", &format!("serviceaccount/{sa}"), "--ignore-not-found"], None);
    sim.delete_role(&format!("{cluster}-{sa}")).await;
    sim.delete_role(&format!("{cluster}-viewers")).await;
    sim.delete_bucket(&bucket).await;
    p.after(sim, "teardown").await;
}

pub async fn cluster_autoscaler(p: &mut Proof, sim: &SimEks) {
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let cluster = sim.name.clone();

    p.before(sim, "irsa-role").await;
    let policy = sim.policy(&format!("{cluster}-cluster-autoscaler"), &sim.asset("cluster-autoscaler/iam-policy.json")).await;
    sim.iam_service_account("kube-system", "cluster-autoscaler", &format!("{cluster}-cluster-autoscaler"), &policy, false).await;
    p.after(sim, "irsa-role").await;

    p.before(sim, "deploy").await;
    sim.apply("cluster-autoscaler/cluster-autoscaler.yaml").await;
    // stand-in for Cluster Autoscaler itself, which cannot run here: it writes its status
    sim.cluster_autoscaler_status("kube-system");
    p.after(sim, "deploy").await;

    p.already(sim, "permissions", "irsa-role (the policy from iam-policy.json is attached; the step verifies it)").await;

    p.before(sim, "scale-up").await;
    sim.apply("cluster-autoscaler/scale-test.yaml").await;
    // the scale-up CA makes (stood in): the general group's ASG to 4
    sim.scale_asg("general", 4).await;
    p.after(sim, "scale-up").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    let ns = sim.var("appNs").to_string();
    sim.kubectl(&["-n", &ns, "delete", "deployment", "scale-test", "--ignore-not-found"], None);
    sim.kubectl(&["delete", "-f", "-", "--ignore-not-found"], Some(&sim.asset("cluster-autoscaler/cluster-autoscaler.yaml")));
    sim.kubectl(&["-n", "kube-system", "delete", "serviceaccount", "cluster-autoscaler"], None); // eksctl delete iamserviceaccount
    sim.delete_role(&format!("{cluster}-cluster-autoscaler")).await; // its stack's role, then aws iam delete-policy
    sim.scale_asg("general", 2).await; // aws autoscaling set-desired-capacity ... minSize
    p.after(sim, "teardown").await;
}

pub async fn fluent_bit_logs(p: &mut Proof, sim: &SimEks) {
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let cluster = sim.name.clone();

    p.before(sim, "namespace-and-cluster-info").await;
    sim.apply("fluent-bit-logs/namespace.yaml").await;
    sim.apply("fluent-bit-logs/cluster-info.yaml").await;
    p.after(sim, "namespace-and-cluster-info").await;

    p.before(sim, "irsa-role").await;
    sim.iam_service_account("amazon-cloudwatch", "fluent-bit", &format!("{cluster}-fluent-bit"), "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", true)
        .await;
    sim.apply("fluent-bit-logs/serviceaccount.yaml").await;
    p.after(sim, "irsa-role").await;

    p.before(sim, "pipeline-and-daemonset").await;
    sim.apply("fluent-bit-logs/fluent-bit-config.yaml").await;
    sim.apply("fluent-bit-logs/daemonset.yaml").await;
    p.after(sim, "pipeline-and-daemonset").await;

    p.before(sim, "verify-ingest").await;
    sim.apply("fluent-bit-logs/log-generator.yaml").await;
    let ns = sim.var("appNs").to_string();
    sim.kubectl(&["-n", &ns, "rollout", "status", "deploy/log-generator", "--timeout=60s"], None);
    // stand-in for Fluent Bit itself, which cannot run here: it ships the generator's lines
    sim.fluent_bit_ships(&ns, "log-generator", r#"{"level":"info","msg":"kubedojo order processed","seq":$i}"#).await;
    p.after(sim, "verify-ingest").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    sim.kubectl(&["-n", &ns, "delete", "deployment/log-generator", "--ignore-not-found"], None);
    sim.kubectl(&["delete", "namespace", "amazon-cloudwatch", "--ignore-not-found", "--wait=false"], None);
    sim.kubectl(&["delete", "clusterrolebinding/fluent-bit-role-binding", "clusterrole/fluent-bit-role", "--ignore-not-found"], None);
    sim.delete_role(&format!("{cluster}-fluent-bit")).await; // eksctl delete iamserviceaccount: its stack's role
    let prefix = format!("/aws/containerinsights/{cluster}/");
    let logs = &sim.aws().logs;
    let groups = logs.describe_log_groups().log_group_name_prefix(&prefix).send().await.expect("describe-log-groups").log_groups.unwrap_or_default();
    for g in groups.into_iter().filter_map(|g| g.log_group_name) {
        logs.delete_log_group().log_group_name(g).send().await.expect("delete-log-group");
    }
    p.after(sim, "teardown").await;
}

pub async fn alb_ingress(p: &mut Proof, sim: &SimEks) {
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let cluster = sim.name.clone();

    p.before(sim, "controller-iam").await;
    // the upstream iam_policy.json is downloaded from GitHub in the solution; the emulator gets
    // its load-balancing statements (the checks read the role, not the document)
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["elasticloadbalancing:*", "ec2:Describe*", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "acm:ListCertificates", "acm:DescribeCertificate", "iam:CreateServiceLinkedRole"], "Resource": "*"}
    ]});
    let policy = sim.policy(&format!("{cluster}-AWSLoadBalancerControllerIAMPolicy"), &document.to_string()).await;
    sim.iam_service_account("kube-system", "aws-load-balancer-controller", &format!("{cluster}-aws-load-balancer-controller"), &policy, false).await;
    p.after(sim, "controller-iam").await;

    p.before(sim, "install-controller").await;
    let vpc = sim
        .aws()
        .eks
        .describe_cluster()
        .name(&cluster)
        .send()
        .await
        .expect("describe-cluster")
        .cluster
        .and_then(|c| c.resources_vpc_config?.vpc_id)
        .unwrap_or_default();
    let values: serde_json::Value = serde_saphyr::from_str(&sim.asset("alb-ingress/values.yaml")).expect("values.yaml");
    sim.apply_text(&lbc_chart(sim, &values, &vpc)).await;
    p.after(sim, "install-controller").await;

    p.before(sim, "deploy-app").await;
    sim.apply("alb-ingress/app.yaml").await;
    p.after(sim, "deploy-app").await;

    p.before(sim, "tls-ingress").await;
    // self-signed-cert.sh imports a certificate into ACM and prints its ARN
    let cert = sim.import_self_signed_certificate().await;
    let ingress = sim
        .asset("alb-ingress/ingress.yaml")
        .replace(&format!("arn:aws:acm:{}:{}:certificate/00000000-0000-0000-0000-000000000000", sim.region, ACCOUNT), &cert);
    assert!(ingress.contains(&cert), "the published ingress.yaml has the placeholder certificate ARN the solution's sed replaces");
    sim.apply_text(&ingress).await;
    p.after(sim, "tls-ingress").await;

    p.before(sim, "alb-ready").await;
    // stand-in for the controller: it provisions the ALB and writes its DNS name to the status
    let ns = sim.var("appNs").to_string();
    let hostname = format!("k8s-{}-storefro-3f9a1c2b7d-1234567890.{}.elb.amazonaws.com", &ns[..ns.len().min(8)], sim.region);
    sim.write_status("ingress", &ns, "storefront", serde_json::json!({"loadBalancer": {"ingress": [{"hostname": hostname}]}}));
    sim.lbc_provision(&ns, "storefront").await;
    p.after(sim, "alb-ready").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    sim.kubectl(&["-n", &ns, "delete", "ingress", "storefront", "--ignore-not-found"], None);
    sim.lbc_deprovision().await; // the controller, finalizing the Ingress
    sim.kubectl(&["-n", &ns, "delete", "deployment/storefront", "service/storefront", "--ignore-not-found"], None);
    // helm uninstall: what the chart stand-in applied
    sim.kubectl(&["-n", "kube-system", "delete", "deployment", "aws-load-balancer-controller", "--ignore-not-found"], None);
    sim.kubectl(&["delete", "ingressclass", "alb", "--ignore-not-found"], None);
    sim.kubectl(&["-n", "kube-system", "delete", "serviceaccount", "aws-load-balancer-controller", "--ignore-not-found"], None); // eksctl delete iamserviceaccount
    sim.delete_role(&format!("{cluster}-aws-load-balancer-controller")).await; // its role, then aws iam delete-policy
    // every certificate for the script's domain, as the step's list-certificates | xargs does
    let acm = &sim.aws().acm;
    let certs = acm.list_certificates().send().await.expect("acm:ListCertificates").certificate_summary_list.unwrap_or_default();
    for arn in certs.into_iter().filter(|c| c.domain_name.as_deref() == Some("shop.kubedojo.test")).filter_map(|c| c.certificate_arn) {
        acm.delete_certificate().certificate_arn(arn).send().await.expect("acm:DeleteCertificate");
    }
    assert!(!cert.is_empty());
    p.after(sim, "teardown").await;
}

pub async fn argo_rollouts_bluegreen(p: &mut Proof, sim: &SimEks) {
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let (ns, name) = (sim.var("appNs").to_string(), sim.var("rollout").to_string());

    p.before(sim, "install-controller").await;
    argo::install(sim);
    p.after(sim, "install-controller").await;

    p.before(sim, "deploy-blue").await;
    sim.apply("argo-rollouts-bluegreen/services.yaml").await;
    sim.apply("argo-rollouts-bluegreen/rollout.yaml").await;
    argo::reconcile(sim, &ns, &name, false);
    p.after(sim, "deploy-blue").await;

    p.before(sim, "release-green").await;
    // kubectl argo rollouts set image web web=<green>, or the published JSON patch (rendered
    // with the lab's greenImage)
    let patch = sim.asset("argo-rollouts-bluegreen/green-patch.json");
    sim.kubectl(&["-n", &ns, "patch", "rollout", &name, "--type=json", "-p", &patch], None);
    argo::reconcile(sim, &ns, &name, false);
    p.after(sim, "release-green").await;

    p.before(sim, "promote").await;
    argo::reconcile(sim, &ns, &name, true); // kubectl argo rollouts promote web
    p.after(sim, "promote").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    sim.kubectl(&["-n", &ns, "delete", "rollout", &name, "--ignore-not-found"], None);
    sim.kubectl(&["-n", &ns, "delete", "service", "web-active", "web-preview", "--ignore-not-found"], None);
    argo::uninstall(sim);
    p.after(sim, "teardown").await;
}

pub async fn production_hardening(p: &mut Proof, sim: &SimEks) {
    let cluster_config = sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    let cluster = sim.name.clone();

    p.before(sim, "pdb").await;
    sim.apply("production-hardening/payments.yaml").await;
    let ns = sim.var("appNs").to_string();
    sim.kubectl(&["-n", &ns, "rollout", "status", "deploy/payments", "--timeout=60s"], None);
    sim.apply("production-hardening/pdb-payments.yaml").await;
    p.after(sim, "pdb").await;

    p.before(sim, "vpc-cni").await;
    let values: serde_json::Value = serde_json::from_str(&sim.asset("production-hardening/vpc-cni-config.json")).expect("vpc-cni-config.json");
    sim.vpc_cni_update_addon(&values); // aws eks update-addon --addon-name vpc-cni --configuration-values file://...
    sim.apply("production-hardening/networkpolicies.yaml").await;
    p.after(sim, "vpc-cni").await;

    p.before(sim, "control-plane").await;
    let control_plane = sim.cluster_config("production-hardening/control-plane.yaml");
    sim.update_cluster_vpc_config(&control_plane).await;
    // aws kms create-key, create-alias alias/CLUSTER-secrets (the step's commands; the config's
    // keyARN is the key they made)
    let kms = &sim.aws().kms;
    let key =
        kms.create_key().description(format!("{cluster} Kubernetes Secrets envelope key")).send().await.expect("kms:CreateKey").key_metadata.expect("key").arn;
    let key = key.expect("key ARN");
    kms.create_alias().alias_name(format!("alias/{cluster}-secrets")).target_key_id(&key).send().await.expect("kms:CreateAlias");
    assert!(control_plane["secretsEncryption"]["keyARN"].is_string(), "control-plane.yaml names the key");
    sim.associate_encryption_config(&key, &cluster_config).await;
    p.after(sim, "control-plane").await;

    p.before(sim, "ebs-csi").await;
    let role = sim
        .iam_service_account(
            "kube-system",
            "ebs-csi-controller-sa",
            &format!("{cluster}-ebs-csi"),
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            true,
        )
        .await;
    sim.ebs_csi_addon(&role);
    sim.apply("production-hardening/storageclass-gp3.yaml").await;
    sim.apply("production-hardening/ebs-test.yaml").await;
    sim.kubectl(&["-n", &ns, "delete", "-f", "-", "--wait=false"], Some(&sim.asset("production-hardening/ebs-test.yaml")));
    p.after(sim, "ebs-csi").await;

    p.before(sim, "spot-interruption").await;
    sim.apply("production-hardening/spot-workloads.yaml").await;
    p.after(sim, "spot-interruption").await;

    p.before(sim, "dev-scale-to-zero").await;
    sim.eksctl_create_nodegroup("production-hardening/dev-nodegroup.yaml").await;
    sim.scale_nodegroup("dev", 0, 0).await;
    sim.apply("production-hardening/dev-workload.yaml").await;
    p.after(sim, "dev-scale-to-zero").await;
    if p.setting_up() {
        return;
    }

    p.before(sim, "teardown").await;
    for file in ["ebs-test", "dev-workload", "spot-workloads", "networkpolicies", "pdb-payments"] {
        sim.kubectl(&["delete", "-f", "-", "--ignore-not-found"], Some(&sim.asset(&format!("production-hardening/{file}.yaml"))));
    }
    sim.kubectl(&["delete", "storageclass", "gp3", "--ignore-not-found"], None);
    sim.delete_nodegroup("dev").await; // eksctl delete nodegroup --name dev --wait
    // aws eks delete-addon: the emulator has no add-on API (the sandbox's front has one)
    sim.delete_role(&format!("{cluster}-ebs-csi")).await; // eksctl delete iamserviceaccount
    p.after(sim, "teardown").await;
}

/// Stand-in for `helm upgrade --install aws-load-balancer-controller eks/aws-load-balancer-controller
/// -f values.yaml --set clusterName=... --set region=... --set vpcId=...` (the chart repository
/// cannot be reached from tests): the objects the chart renders from those values that the
/// checks read (Deployment with its args, and the IngressClass when createIngressClassResource).
pub fn lbc_chart(sim: &SimEks, values: &serde_json::Value, vpc: &str) -> String {
    let args = vec![
        format!("--cluster-name={}", sim.name),
        format!("--ingress-class={}", values["ingressClass"].as_str().unwrap_or("alb")),
        format!("--aws-region={}", sim.region),
        format!("--aws-vpc-id={vpc}"),
    ];
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "aws-load-balancer-controller", "namespace": "kube-system", "labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
        "spec": {
            "replicas": values["replicaCount"].as_i64().unwrap_or(2),
            "selector": {"matchLabels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
                "spec": {
                    "serviceAccountName": values["serviceAccount"]["name"],
                    "nodeSelector": values["nodeSelector"],
                    "priorityClassName": "system-cluster-critical",
                    "containers": [{"name": "aws-load-balancer-controller", "image": "public.ecr.aws/eks/aws-load-balancer-controller:v2.14.0", "args": args}]
                }
            }
        }
    });
    let mut docs = vec![deployment.to_string()];
    if values["createIngressClassResource"].as_bool() == Some(true) {
        docs.push(sim.asset("alb-ingress/ingressclass.yaml"));
    }
    docs.join("\n---\n")
}

/// Stand-in for Argo Rollouts v1.8.3, whose install.yaml and controller image come from GitHub
/// and quay.io: the CRD (structural, with the status subresource), the controller Deployment,
/// and `reconcile`, which writes what the blue-green reconciler writes where the checks read it
/// (the Services' `rollouts-pod-template-hash` selectors and the Rollout's status).
pub mod argo {
    use super::SimEks;
    use serde_json::{Value, json};

    pub fn install(sim: &SimEks) {
        sim.kubectl(&["create", "namespace", "argo-rollouts"], None);
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "rollouts.argoproj.io"},
            "spec": {
                "group": "argoproj.io",
                "names": {"kind": "Rollout", "listKind": "RolloutList", "plural": "rollouts", "singular": "rollout", "shortNames": ["ro"]},
                "scope": "Namespaced",
                "versions": [{"name": "v1alpha1", "served": true, "storage": true, "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
            }
        });
        let controller = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "argo-rollouts", "namespace": "argo-rollouts"},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "argo-rollouts"}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": "argo-rollouts"}},
                    "spec": {"containers": [{"name": "argo-rollouts", "image": "quay.io/argoproj/argo-rollouts:v1.8.3"}]}}}
        });
        sim.kubectl(&["apply", "-f", "-"], Some(&json!({"apiVersion": "v1", "kind": "List", "items": [crd, controller]}).to_string()));
        sim.kubectl(&["wait", "--for=condition=Established", "crd/rollouts.argoproj.io", "--timeout=60s"], None);
    }

    /// `kubectl delete -n argo-rollouts -f install.yaml` and the namespace: the CRD (and any
    /// Rollout left) and the controller go.
    pub fn uninstall(sim: &SimEks) {
        sim.kubectl(&["delete", "crd", "rollouts.argoproj.io", "--ignore-not-found", "--wait=true"], None);
        sim.kubectl(&["delete", "namespace", "argo-rollouts", "--ignore-not-found", "--wait=false"], None);
    }

    /// A pod template hash as the controller derives one: stable for the same template.
    fn pod_hash(template: &Value) -> String {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in template.to_string().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
        format!("{:x}", h)[..10].to_string()
    }

    /// One reconcile of a blue-green Rollout; `promote` is `kubectl argo rollouts promote`.
    pub fn reconcile(sim: &SimEks, ns: &str, name: &str, promote: bool) {
        let r: Value = serde_json::from_str(&sim.kubectl(&["-n", ns, "get", "rollout", name, "-o", "json"], None)).expect("rollout JSON");
        let hash = pod_hash(&r["spec"]["template"]);
        let bg = &r["spec"]["strategy"]["blueGreen"];
        let stable = r["status"]["stableRS"].as_str().unwrap_or_default().to_string();
        let paused = r["spec"]["paused"].as_bool() == Some(true);
        let (active, preview, phase) = if paused && !promote {
            // kubectl argo rollouts pause: the controller holds the Rollout where it is
            (if stable.is_empty() { hash.clone() } else { stable.clone() }, hash.clone(), "Paused")
        } else if stable.is_empty() || stable == hash || promote {
            (hash.clone(), hash.clone(), "Healthy")
        } else {
            (stable.clone(), hash.clone(), "Paused")
        };
        for (service, selector) in [(&bg["activeService"], &active), (&bg["previewService"], &preview)] {
            let patch = json!({"spec": {"selector": {"rollouts-pod-template-hash": selector}}}).to_string();
            sim.kubectl(&["-n", ns, "patch", "service", service.as_str().expect("service name"), "--type=merge", "-p", &patch], None);
        }
        let pause = if phase == "Paused" { json!([{"reason": "BlueGreenPause", "startTime": "2026-11-26T00:00:00Z"}]) } else { Value::Null };
        let status = json!({
            "observedGeneration": r["metadata"]["generation"].as_i64().unwrap_or(1).to_string(),
            "phase": phase,
            "pauseConditions": pause,
            "currentPodHash": hash,
            "stableRS": active,
            "blueGreen": {"activeSelector": active, "previewSelector": preview},
            "replicas": r["spec"]["replicas"], "readyReplicas": r["spec"]["replicas"], "availableReplicas": r["spec"]["replicas"]
        });
        sim.write_status("rollout", ns, name, status);
    }
}
