//! The EKS add-on API (eks:DescribeAddon) is the one API the checks call that the AWS emulator
//! lacks, so its answers come from aws-smithy-mocks here; everything else (the CSIDriver, the
//! controller, its ServiceAccount) is real, on the test cluster.

use crate::live::*;
use aws_sdk_eks::operation::describe_addon::{DescribeAddonError, DescribeAddonOutput};
use aws_sdk_eks::types::{Addon, AddonHealth, AddonIssue, AddonIssueCode, AddonStatus};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

/// The test backend with its EKS client answering DescribeAddon from `rule`.
async fn backend_with_addon_answer(rule: &Rule) -> kubedojo::checks::backend::Backend {
    let mut b = backend(None, true).await;
    let interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(rule);
    let aws = b.aws.as_mut().expect("emulator configured");
    aws.eks = aws_sdk_eks::Client::from_conf(aws_sdk_eks::config::Builder::from(&aws.config).interceptor(interceptor).build());
    b
}

fn addon(status: AddonStatus, issue: Option<&str>) -> DescribeAddonOutput {
    let mut a = Addon::builder().addon_name("aws-ebs-csi-driver").cluster_name("lab").status(status);
    if let Some(message) = issue {
        a = a.health(AddonHealth::builder().issues(AddonIssue::builder().code(AddonIssueCode::InsufficientNumberOfReplicas).message(message).build()).build());
    }
    DescribeAddonOutput::builder().addon(a.build()).build()
}

#[tokio::test]
async fn ebs_csi_reads_the_addon_status() {
    // a healthy driver installation on the real cluster: CSIDriver, controller, role
    let c = client(&backend(None, false).await);
    ebs_csi_driver(&c).await; // shared, may exist
    let ns = ebs_csi_controller(&c, "addon", Some("arn:aws:iam::123456789012:role/ebs-csi"), json!({"type": "kwok"})).await;
    let s = spec("csi.ebs", &[("namespace", &ns)]);
    let v = vars(&[("cluster", "lab")]);

    let active = mock!(aws_sdk_eks::Client::describe_addon)
        .match_requests(|r| r.addon_name() == Some("aws-ebs-csi-driver") && r.cluster_name() == Some("lab"))
        .then_output(|| addon(AddonStatus::Active, None));
    let b = backend_with_addon_answer(&active).await;
    assert_status(
        &run_until(&b, &s, &v, Pass, "ebs-csi-controller available").await,
        Pass,
        "ebs.csi.aws.com: CSIDriver, ebs-csi-controller available, ebs-csi-controller-sa uses IRSA role arn:aws:iam::123456789012:role/ebs-csi",
    );
    assert!(active.num_calls() >= 1, "the add-on status was read");

    let degraded =
        mock!(aws_sdk_eks::Client::describe_addon).then_output(|| addon(AddonStatus::Degraded, Some("ebs-csi-controller has 0 of 2 replicas ready")));
    let b = backend_with_addon_answer(&degraded).await;
    let r = run(&b, &s, &v).await;
    assert_status(&r, Fail, "addon aws-ebs-csi-driver DEGRADED: ebs-csi-controller has 0 of 2 replicas ready");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("DEGRADED"), Some("ACTIVE")));

    // installed with Helm, not as an EKS add-on: the API knows no such add-on, the rest decides
    let helm = mock!(aws_sdk_eks::Client::describe_addon).then_error(|| {
        DescribeAddonError::ResourceNotFoundException(
            aws_sdk_eks::types::error::ResourceNotFoundException::builder().message("No addon: aws-ebs-csi-driver found in cluster: lab").build(),
        )
    });
    let b = backend_with_addon_answer(&helm).await;
    assert_status(&run(&b, &s, &v).await, Pass, "ebs-csi-controller available");

    // the checker's credentials may not read add-ons: the checker's problem, not the learner's
    let denied = mock!(aws_sdk_eks::Client::describe_addon).then_error(|| {
        DescribeAddonError::generic(
            aws_sdk_eks::error::ErrorMetadata::builder().code("AccessDeniedException").message("not authorized to perform: eks:DescribeAddon").build(),
        )
    });
    let b = backend_with_addon_answer(&denied).await;
    let r = run(&b, &s, &v).await;
    assert_eq!(r.status, Error, "{r:?}");
    assert!(r.message.contains("eks:DescribeAddon"), "names the missing permission: {r:?}");
    delete_namespace(&c, &ns).await;
}

/// The test backend with its EKS client answering from `rules`; every other call goes to the
/// emulator.
async fn backend_with_eks_answers(region: Option<&str>, rules: &[&Rule]) -> kubedojo::checks::backend::Backend {
    let mut b = backend(region, true).await;
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).allow_passthrough();
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let aws = b.aws.as_mut().expect("emulator configured");
    aws.eks = aws_sdk_eks::Client::from_conf(aws_sdk_eks::config::Builder::from(&aws.config).interceptor(interceptor).build());
    b
}

fn day(s: &str) -> aws_sdk_eks::primitives::DateTime {
    let ts: jiff::Timestamp = format!("{s}T00:00:00Z").parse().expect("day");
    aws_sdk_eks::primitives::DateTime::from_secs(ts.as_second())
}

#[tokio::test]
async fn cluster_support_status_from_the_account() {
    let plain = backend(None, true).await;
    let name = unique("versions");
    aws(&plain)
        .eks
        .create_cluster()
        .name(&name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .version("1.35")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-a").build())
        .send()
        .await
        .expect("cluster");
    let v = table_vars(&[("cluster", &name), ("region", "eu-west-1")]);
    let s = spec("cluster.active", &[]);

    // the account says extended support: its answer wins over the course's table (which says standard on this day)
    let extended =
        mock!(aws_sdk_eks::Client::describe_cluster_versions).match_requests(|r| r.cluster_versions().contains(&"1.35".to_string())).then_output(|| {
            aws_sdk_eks::operation::describe_cluster_versions::DescribeClusterVersionsOutput::builder()
                .cluster_versions(
                    aws_sdk_eks::types::ClusterVersionInformation::builder()
                        .cluster_version("1.35")
                        .version_status(aws_sdk_eks::types::VersionStatus::ExtendedSupport)
                        .end_of_standard_support_date(day("2026-11-01"))
                        .end_of_extended_support_date(day("2027-11-01"))
                        .build(),
                )
                .build()
        });
    let b = backend_with_eks_answers(None, &[&extended]).await;
    let r = run_on(&b, &s, &v, "2026-12-06").await;
    assert_status(&r, Fail, "Kubernetes 1.35 is in extended support since 2026-11-01 (until 2027-11-01)");
    assert!(r.message.contains("(source: eks:DescribeClusterVersions)"), "{r:?}");
    assert!(extended.num_calls() >= 1);

    // the checker may not ask: the table decides, and the message says why
    let denied = mock!(aws_sdk_eks::Client::describe_cluster_versions).then_error(|| {
        aws_sdk_eks::operation::describe_cluster_versions::DescribeClusterVersionsError::generic(
            aws_sdk_eks::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: eks:DescribeClusterVersions")
                .build(),
        )
    });
    let b = backend_with_eks_answers(None, &[&denied]).await;
    let r = run_on(&b, &s, &v, "2026-12-06").await;
    assert_status(
        &r,
        Pass,
        "in standard support until 2027-03-27 (source: the course's version table, verified 2026-12-06 (the checker may not call eks:DescribeClusterVersions))",
    );
}

fn association(ns: &str, sa: &str, id: &'static str, role: String) -> [Rule; 2] {
    let (ns, sa) = (ns.to_string(), sa.to_string());
    let list = mock!(aws_sdk_eks::Client::list_pod_identity_associations)
        .match_requests(move |r| r.namespace() == Some(ns.as_str()) && r.service_account() == Some(sa.as_str()))
        .then_output(move || {
            aws_sdk_eks::operation::list_pod_identity_associations::ListPodIdentityAssociationsOutput::builder()
                .associations(aws_sdk_eks::types::PodIdentityAssociationSummary::builder().association_id(id).build())
                .build()
        });
    let describe =
        mock!(aws_sdk_eks::Client::describe_pod_identity_association).match_requests(move |r| r.association_id() == Some(id)).then_output(move || {
            aws_sdk_eks::operation::describe_pod_identity_association::DescribePodIdentityAssociationOutput::builder()
                .association(aws_sdk_eks::types::PodIdentityAssociation::builder().association_id(id).role_arn(role.clone()).build())
                .build()
        });
    [list, describe]
}

#[tokio::test]
async fn pod_identity_is_an_identity_of_its_own() {
    use k8s_openapi::api::apps::v1::DaemonSet;
    let c = client(&backend(None, false).await);
    let ns = namespace(&c, "podid").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "aws-load-balancer-controller"}})).await;
    let _: Deployment = create(&c, &ns, json!({"metadata": {"name": "aws-load-balancer-controller"}, "spec": {"selector": {"matchLabels": {"app": "lbc"}},
        "template": {"metadata": {"labels": {"app": "lbc"}}, "spec": {"serviceAccountName": "aws-load-balancer-controller", "nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "controller", "image": "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0", "args": ["--cluster-name=lab"]}]}}}})).await;
    let s = spec("lbc.deployed", &[("namespace", &ns)]);
    let v = vars(&[("cluster", "lab"), ("account", "123456789012")]);

    // neither IRSA nor Pod Identity (the emulator has no association API): the learner is told
    // how to give it one, never to use the node role
    let b = backend(None, true).await;
    let r = run_until(&b, &s, &v, Fail, "no AWS identity").await;
    assert_status(&r, Fail, &format!("ServiceAccount {ns}/aws-load-balancer-controller has no AWS identity of its own"));
    assert!(
        r.message.contains(&format!("eksctl create podidentityassociation --cluster lab --namespace {ns} --service-account-name aws-load-balancer-controller")),
        "{r:?}"
    );

    // an association, but no agent to serve it
    let rules = association(&ns, "aws-load-balancer-controller", "a-0123456789abcdef0", "arn:aws:iam::123456789012:role/lbc-podid".into());
    let b = backend_with_eks_answers(None, &[&rules[0], &rules[1]]).await;
    let agents: Api<DaemonSet> = Api::namespaced(c.clone(), "kube-system");
    let _ = agents.delete("eks-pod-identity-agent", &Default::default()).await;
    let r = run_until(&b, &s, &v, Fail, "Pod Identity agent is not running").await;
    assert_status(
        &r,
        Fail,
        "Pod Identity association a-0123456789abcdef0 (role arn:aws:iam::123456789012:role/lbc-podid) is in place, but the Pod Identity agent is not running",
    );
    assert!(r.message.contains("aws eks create-addon --cluster-name lab --addon-name eks-pod-identity-agent"), "{r:?}");

    // the add-on's DaemonSet runs: the controller has its own identity, and the check says which
    let agent: DaemonSet = serde_json::from_value(json!({"metadata": {"name": "eks-pod-identity-agent", "namespace": "kube-system"}, "spec": {"selector": {"matchLabels": {"app": "eks-pod-identity-agent"}},
        "template": {"metadata": {"labels": {"app": "eks-pod-identity-agent"}}, "spec": {"nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "agent", "image": "x"}]}}}})).expect("agent");
    agents.create(&PostParams::default(), &agent).await.expect("create the agent DaemonSet");
    let r = run_until(&b, &s, &v, Pass, "Pod Identity association").await;
    assert_status(
        &r,
        Pass,
        "SA aws-load-balancer-controller uses Pod Identity association a-0123456789abcdef0 (role arn:aws:iam::123456789012:role/lbc-podid)",
    );

    // the same identity answers for Fluent Bit's permissions: simulated on the association's role
    let role = unique("fb-podid");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    let arn = iam_role(aws(&b), &role, trust).await;
    attach_policy(aws(&b), &role, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "fluent-bit"}})).await;
    let _: DaemonSet = create(&c, &ns, json!({"metadata": {"name": "fluent-bit"}, "spec": {"selector": {"matchLabels": {"app": "fb"}},
        "template": {"metadata": {"labels": {"app": "fb"}}, "spec": {"serviceAccountName": "fluent-bit", "nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "fb", "image": "x"}]}}}})).await;
    let fb = association(&ns, "fluent-bit", "a-0fb0000000000000f", arn.clone());
    let b = backend_with_eks_answers(None, &[&fb[0], &fb[1]]).await;
    let r = run(&b, &spec("logs.fluentbit-iam", &[("namespace", &ns)]), &vars(&[("cluster", "lab"), ("region", "eu-west-1")])).await;
    assert_status(&r, Pass, &format!("Pod Identity association a-0fb0000000000000f (role {arn}) may write to CloudWatch Logs"));

    agents.delete("eks-pod-identity-agent", &Default::default()).await.expect("delete the agent DaemonSet");
    delete_namespace(&c, &ns).await;
}
