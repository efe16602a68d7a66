//! The EKS add-on API (eks:DescribeAddon) is the one API the checks call that the AWS emulator
//! lacks, so its answers come from aws-smithy-mocks here; everything else (the CSIDriver, the
//! controller, its ServiceAccount) is real, on the test cluster.

mod live;

use aws_sdk_eks::operation::describe_addon::{DescribeAddonError, DescribeAddonOutput};
use aws_sdk_eks::types::{Addon, AddonHealth, AddonIssue, AddonIssueCode, AddonStatus};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::storage::v1::CSIDriver;
use kube::api::{Api, PostParams};
use kubedojo::checks::CheckStatus::*;
use live::*;
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
    let driver: CSIDriver = serde_json::from_value(json!({"metadata": {"name": "ebs.csi.aws.com"}, "spec": {"attachRequired": true}})).expect("driver");
    let _ = Api::<CSIDriver>::all(c.clone()).create(&PostParams::default(), &driver).await; // shared, may exist
    let ns = namespace(&c, "addon").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "ebs-csi-controller-sa", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ebs-csi"}}})).await;
    let _: Deployment = create(&c, &ns, json!({"metadata": {"name": "ebs-csi-controller"}, "spec": {"selector": {"matchLabels": {"app": "ebs"}},
        "template": {"metadata": {"labels": {"app": "ebs"}}, "spec": {"nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "ebs-plugin", "image": "x"}]}}}})).await;
    let s = spec("csi.ebs", &[("namespace", &ns)]);
    let v = vars(&[("cluster", "lab")]);

    let active = mock!(aws_sdk_eks::Client::describe_addon).match_requests(|r| r.addon_name() == Some("aws-ebs-csi-driver") && r.cluster_name() == Some("lab")).then_output(|| addon(AddonStatus::Active, None));
    let b = backend_with_addon_answer(&active).await;
    assert_status(&run_until(&b, &s, &v, Pass, "ebs-csi-controller available").await, Pass, "ebs.csi.aws.com: CSIDriver, ebs-csi-controller available, ebs-csi-controller-sa uses arn:aws:iam::123456789012:role/ebs-csi");
    assert!(active.num_calls() >= 1, "the add-on status was read");

    let degraded = mock!(aws_sdk_eks::Client::describe_addon).then_output(|| addon(AddonStatus::Degraded, Some("ebs-csi-controller has 0 of 2 replicas ready")));
    let b = backend_with_addon_answer(&degraded).await;
    let r = run(&b, &s, &v).await;
    assert_status(&r, Fail, "addon aws-ebs-csi-driver DEGRADED: ebs-csi-controller has 0 of 2 replicas ready");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("DEGRADED"), Some("ACTIVE")));

    // installed with Helm, not as an EKS add-on: the API knows no such add-on, the rest decides
    let helm = mock!(aws_sdk_eks::Client::describe_addon).then_error(|| {
        DescribeAddonError::ResourceNotFoundException(aws_sdk_eks::types::error::ResourceNotFoundException::builder().message("No addon: aws-ebs-csi-driver found in cluster: lab").build())
    });
    let b = backend_with_addon_answer(&helm).await;
    assert_status(&run(&b, &s, &v).await, Pass, "ebs-csi-controller available");

    // the checker's credentials may not read add-ons: the checker's problem, not the learner's
    let denied = mock!(aws_sdk_eks::Client::describe_addon).then_error(|| DescribeAddonError::generic(aws_sdk_eks::error::ErrorMetadata::builder().code("AccessDeniedException").message("not authorized to perform: eks:DescribeAddon").build()));
    let b = backend_with_addon_answer(&denied).await;
    let r = run(&b, &s, &v).await;
    assert_eq!(r.status, Error, "{r:?}");
    assert!(r.message.contains("eks:DescribeAddon"), "names the missing permission: {r:?}");
    delete_namespace(&c, &ns).await;
}
