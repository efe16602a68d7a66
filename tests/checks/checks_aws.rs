//! Cluster and IRSA checks against the real API server and the AWS emulator (moto).
//! moto gives every cluster of a region the same OIDC issuer, so tests that need their own
//! issuer (and provider) each use their own region.

use crate::live::*;
use aws_sdk_eks::types::{EncryptionConfig, Provider, VpcConfigRequest};
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use serde_json::json;

const ACCOUNT: &str = "123456789012"; // moto's account

async fn create_cluster(aws: &Aws, name: &str, private: bool, public_cidrs: &[&str], kms: bool) -> String {
    let mut vpc = VpcConfigRequest::builder()
        .subnet_ids("subnet-aaaa")
        .subnet_ids("subnet-bbbb")
        .endpoint_private_access(private)
        .endpoint_public_access(!public_cidrs.is_empty());
    for c in public_cidrs {
        vpc = vpc.public_access_cidrs(*c);
    }
    let mut req = aws.eks.create_cluster().name(name).role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks")).version("1.35").resources_vpc_config(vpc.build());
    if kms {
        req = req.encryption_config(
            EncryptionConfig::builder()
                .resources("secrets")
                .provider(Provider::builder().key_arn(format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/abc")).build())
                .build(),
        );
    }
    let out = req.send().await.expect("create cluster in moto");
    out.cluster.and_then(|c| c.identity?.oidc?.issuer).unwrap_or_default()
}

#[tokio::test]
async fn identity_resolves_and_account_is_compared() {
    let b = backend(None, true).await;
    let r = run(&b, &spec("preflight.identity", &[]), &vars(&[("account", ACCOUNT)])).await;
    assert_status(&r, Pass, &format!("in account {ACCOUNT}"));
    let r = run(&b, &spec("preflight.identity", &[]), &vars(&[("account", "111122223333")])).await;
    assert_status(&r, Fail, "Account 123456789012 ≠ lab account 111122223333");
}

#[tokio::test]
async fn aws_checks_skip_without_aws() {
    let b = backend(None, false).await;
    for kind in ["preflight.identity", "cluster.private-endpoint", "secrets.kms", "irsa.oidc-provider", "irsa.trust-policy"] {
        let r = run(&b, &spec(kind, &[]), &vars(&[])).await;
        assert_status(&r, Skip, "a kwok cluster has none");
    }
}

#[tokio::test]
async fn cluster_active_found_or_not_and_degraded_without_aws() {
    let b = backend(None, true).await;
    let name = unique("active");
    create_cluster(aws(&b), &name, true, &[], false).await;
    let v = table_vars(&[("cluster", &name), ("region", "eu-west-1")]);
    // the emulator has no eks:DescribeClusterVersions: the course's table decides, and says so
    let r = run_on(&b, &spec("cluster.active", &[]), &v, "2026-12-06").await;
    assert_status(&r, Pass, &format!("cluster {name} is ACTIVE, Kubernetes 1.35, in standard support until 2027-03-27"));
    assert!(r.message.contains("(source: the course's version table, verified 2026-12-06 (this endpoint has no eks:DescribeClusterVersions))"), "{r:?}");
    let r = run(&b, &spec("cluster.active", &[("minVersion", "1.36")]), &v).await;
    assert_status(&r, Fail, "version 1.35 < 1.36: upgrade one minor version at a time: eksctl upgrade cluster");
    let r = run(&b, &spec("cluster.active", &[]), &vars(&[("cluster", "no-such-cluster")])).await;
    assert_status(&r, Fail, "Cluster no-such-cluster not found in eu-west-1");
    let local = backend(None, false).await;
    let r = run(&local, &spec("cluster.active", &[("minVersion", "1.33")]), &vars(&[])).await;
    assert_status(&r, Pass, "API server reachable, Kubernetes v1.");
}

#[tokio::test]
async fn cluster_support_status_through_the_calendar() {
    let b = backend(None, true).await;
    let name = unique("support");
    create_cluster(aws(&b), &name, true, &[], false).await;
    let v = table_vars(&[("cluster", &name), ("region", "eu-west-1")]);
    let s = spec("cluster.active", &[]);

    // 54 days before the end of standard support: a warning with the date and the way out
    let r = run_on(&b, &s, &v, "2027-02-01").await;
    assert_status(&r, Warn, "Kubernetes 1.35: standard support ends in 54 days (2027-03-27), then the control plane bills $0.60/h instead of $0.10/h");
    assert!(r.message.contains(&format!("eksctl upgrade cluster --name {name} --region eu-west-1 --version 1.36 --approve")), "{r:?}");

    // in extended support: found, expected, the cost difference and the upgrade command
    let r = run_on(&b, &s, &v, "2027-04-01").await;
    assert_status(
        &r,
        Fail,
        "Kubernetes 1.35 is in extended support since 2027-03-27 (until 2028-03-27): the control plane bills $0.60/h instead of $0.10/h ($0.50/h, about $365 a month, more)",
    );
    assert!(r.message.contains(&format!("eksctl upgrade cluster --name {name} --region eu-west-1 --version 1.36 --approve")), "{r:?}");
    assert!(r.message.contains("source: the course's version table"), "{r:?}");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("Kubernetes 1.35, extended support"), Some("a Kubernetes version in EKS standard support")));

    // past extended support
    let r = run_on(&b, &s, &v, "2028-04-01").await;
    assert_status(&r, Fail, "Kubernetes 1.35 is past the end of extended support (2028-03-27)");

    // a version the table does not know: said, not guessed
    let newer = unique("support");
    aws(&b)
        .eks
        .create_cluster()
        .name(&newer)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks"))
        .version("1.99")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-aaaa").build())
        .send()
        .await
        .expect("cluster");
    let r = run_on(&b, &s, &table_vars(&[("cluster", &newer)]), "2026-12-06").await;
    assert_status(&r, Warn, "Kubernetes 1.99, whose support status neither source knows");
    // a version older than every release in the table left support long ago
    let older = unique("support");
    aws(&b)
        .eks
        .create_cluster()
        .name(&older)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks"))
        .version("1.27")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-aaaa").build())
        .send()
        .await
        .expect("cluster");
    let r = run_on(&b, &s, &table_vars(&[("cluster", &older), ("region", "eu-west-1")]), "2026-12-06").await;
    assert_status(&r, Fail, "Kubernetes 1.27 is past the end of extended support");
}

#[tokio::test]
async fn private_endpoint_pass_warn_fail() {
    let b = backend(None, true).await;
    let (private, open, public) = (unique("priv"), unique("open"), unique("pub"));
    create_cluster(aws(&b), &private, true, &[], false).await;
    create_cluster(aws(&b), &open, true, &["0.0.0.0/0"], false).await;
    create_cluster(aws(&b), &public, false, &["0.0.0.0/0"], false).await;
    let cases =
        [(private.as_str(), Pass, "private endpoint only"), (&open, Warn, "public endpoint open to 0.0.0.0/0"), (&public, Fail, "endpointPrivateAccess=false")];
    assert_per_cluster(&b, &spec("cluster.private-endpoint", &[]), &cases).await;
}

#[tokio::test]
async fn secrets_kms_pass_or_fail() {
    let b = backend(None, true).await;
    let (with, without) = (unique("kms"), unique("nokms"));
    create_cluster(aws(&b), &with, true, &[], true).await;
    create_cluster(aws(&b), &without, true, &[], false).await;
    let cases = [(with.as_str(), Pass, "envelope-encrypted with arn:aws:kms"), (&without, Fail, "Secrets not envelope-encrypted")];
    assert_per_cluster(&b, &spec("secrets.kms", &[]), &cases).await;
}

async fn provider(aws: &Aws, issuer: &str, audiences: &[&str]) -> String {
    let mut req = aws.iam.create_open_id_connect_provider().url(issuer).thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280");
    for a in audiences {
        req = req.client_id_list(*a);
    }
    req.send().await.expect("create OIDC provider").open_id_connect_provider_arn.unwrap_or_default()
}

#[tokio::test]
async fn oidc_provider_missing_then_wrong_audience_then_right() {
    // its own region: the provider must be absent at first
    let b = backend(Some("ap-southeast-2"), true).await;
    let name = unique("oidc");
    let issuer = create_cluster(aws(&b), &name, true, &[], false).await;
    // the emulator outlives test runs: remove a provider an earlier run left for this issuer
    let host = issuer.trim_start_matches("https://");
    for p in aws(&b).iam.list_open_id_connect_providers().send().await.expect("list").open_id_connect_provider_list.unwrap_or_default() {
        if let Some(arn) = p.arn.filter(|a| a.ends_with(host)) {
            aws(&b).iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.expect("delete");
        }
    }
    let s = spec("irsa.oidc-provider", &[]);
    let v = vars(&[("cluster", &name)]);
    assert_status(&run(&b, &s, &v).await, Fail, "No IAM OIDC provider for https://oidc.eks.ap-southeast-2");
    let arn = provider(aws(&b), &issuer, &["other-audience"]).await;
    assert_status(&run(&b, &s, &v).await, Fail, "lack sts.amazonaws.com");
    // moto lacks AddClientIDToOpenIDConnectProvider: replace the provider instead
    aws(&b).iam.delete_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.expect("delete provider");
    provider(aws(&b), &issuer, &["sts.amazonaws.com"]).await;
    assert_status(&run(&b, &s, &v).await, Pass, "trusts sts.amazonaws.com");
}

fn trust(provider_arn: &str, host: &str, sub: &str, aud: Option<&str>) -> String {
    let mut cond = serde_json::Map::new();
    if !sub.is_empty() {
        cond.insert(format!("{host}:sub"), json!(sub));
    }
    if let Some(a) = aud {
        cond.insert(format!("{host}:aud"), json!(a));
    }
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": provider_arn},
        "Condition": {"StringEquals": cond}
    }]})
    .to_string()
}

#[tokio::test]
async fn sa_annotation_cases() {
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-sa").await;
    let role_name = unique("reader");
    let arn = iam_role(aws(&b), &role_name, &trust("arn:aws:iam::123456789012:oidc-provider/x", "x", "system:serviceaccount:a:b", None)).await;
    annotated_sa(&c, &ns, "good", Some(&arn)).await;
    annotated_sa(&c, &ns, "missing-role", Some("arn:aws:iam::123456789012:role/no-such-role-xyz")).await;
    annotated_sa(&c, &ns, "bad-arn", Some("s3-reader")).await;
    annotated_sa(&c, &ns, "bare", None).await;
    let check = |sa: &str| spec("irsa.sa-annotation", &[("namespace", &ns), ("serviceAccount", sa)]).clone();
    let v = vars(&[]);
    assert_status(&run(&b, &check("good"), &v).await, Pass, "which exists");
    assert_status(&run(&b, &check("missing-role"), &v).await, Fail, "NoSuchEntity");
    assert_status(&run(&b, &check("bad-arn"), &v).await, Fail, "is not a role ARN");
    assert_status(&run(&b, &check("bare"), &v).await, Fail, "has no eks.amazonaws.com/role-arn annotation");
    assert_status(&run(&b, &check("nobody"), &v).await, Fail, "not found");
    // without AWS: the annotation alone
    let local = backend(None, false).await;
    assert_status(&run(&local, &check("good"), &v).await, Pass, "not looked up: no AWS");
}

#[tokio::test]
async fn trust_policy_pass_and_every_failure() {
    let b = backend(Some("eu-north-1"), true).await;
    let c = client(&b);
    let cluster = unique("trust");
    let issuer = create_cluster(aws(&b), &cluster, true, &[], false).await;
    let host = issuer.trim_start_matches("https://").to_string();
    let provider_arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{host}");
    let ns = namespace(&c, "irsa-trust").await;
    let subject = format!("system:serviceaccount:{ns}:s3-reader");
    let cases = [
        ("good", trust(&provider_arn, &host, &subject, Some("sts.amazonaws.com")), Pass, "trusts exactly"),
        ("badaud", trust(&provider_arn, &host, &subject, Some("sts.amazon.com")), Fail, "aud sts.amazon.com, expected sts.amazonaws.com"),
        ("badsub", trust(&provider_arn, &host, &format!("system:serviceaccount:{ns}:s3-readr"), Some("sts.amazonaws.com")), Fail, "sub system:serviceaccount"),
        (
            "othercluster",
            trust(&format!("arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-north-1.amazonaws.com/id/OTHER"), &host, &subject, None),
            Fail,
            "role built for another cluster",
        ),
        ("nosub", trust(&provider_arn, &host, "", Some("sts.amazonaws.com")), Warn, "every ServiceAccount"),
    ];
    for (label, doc, status, part) in cases {
        let role_name = unique(label);
        let arn = iam_role(aws(&b), &role_name, &doc).await;
        let api: kube::Api<ServiceAccount> = kube::Api::namespaced(c.clone(), &ns);
        let _ = api.delete("s3-reader", &Default::default()).await;
        annotated_sa(&c, &ns, "s3-reader", Some(&arn)).await;
        let r = run(&b, &spec("irsa.trust-policy", &[("namespace", &ns), ("serviceAccount", "s3-reader")]), &vars(&[("cluster", &cluster)])).await;
        assert_status(&r, status, part);
    }
}

/// A pod running as `sa` with `env`, and the projected token volume the webhook adds when
/// `with_token`.
fn pod(name: &str, sa: &str, env: serde_json::Value, with_token: bool) -> serde_json::Value {
    pod_with(name, sa, env, if with_token { token_volume("sts.amazonaws.com") } else { json!([]) })
}

#[tokio::test]
async fn pod_injection_pass_warn_and_fail() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-pod").await;
    let arn = "arn:aws:iam::123456789012:role/s3-reader";
    annotated_sa(&c, &ns, "s3-reader", Some(arn)).await;
    let s = spec("irsa.pod-injection", &[("namespace", &ns), ("serviceAccount", "s3-reader")]);
    let v = vars(&[]);
    assert_status(&run(&b, &s, &v).await, Fail, "no running pod");
    // a pod as the webhook would have mutated it on EKS
    let injected = json!([{"name": "AWS_ROLE_ARN", "value": arn}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]);
    let _: Pod = create(&c, &ns, pod("app", "s3-reader", injected, true)).await;
    assert_status(&run_until(&b, &s, &v, Pass, "AWS_ROLE_ARN").await, Pass, &format!("AWS_ROLE_ARN={arn}"));

    let ns2 = namespace(&c, "irsa-pod2").await;
    annotated_sa(&c, &ns2, "s3-reader", Some(arn)).await;
    let s2 = spec("irsa.pod-injection", &[("namespace", &ns2), ("serviceAccount", "s3-reader")]);
    let _: Pod = create(&c, &ns2, pod("plain", "s3-reader", json!([]), false)).await;
    assert_status(&run_until(&b, &s2, &v, Warn, "webhook").await, Warn, "no pod identity webhook");

    let ns3 = namespace(&c, "irsa-pod3").await;
    annotated_sa(&c, &ns3, "s3-reader", Some(arn)).await;
    let s3 = spec("irsa.pod-injection", &[("namespace", &ns3), ("serviceAccount", "s3-reader")]);
    let wrong = json!([{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::123456789012:role/old"}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]);
    let _: Pod = create(&c, &ns3, pod("stale", "s3-reader", wrong, true)).await;
    assert_status(&run_until(&b, &s3, &v, Fail, "restart").await, Fail, "restart the pods");
}

#[tokio::test]
async fn s3_access_by_policy_and_bucket() {
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-s3").await;
    let bucket = unique("bucket");
    let (reader, nothing) = (unique("s3-reader"), unique("s3-none"));
    let trust = trust("arn:aws:iam::123456789012:oidc-provider/x", "x", "system:serviceaccount:a:b", None);
    let reader_arn = iam_role(aws(&b), &reader, &trust).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    inline_policy(aws(&b), &reader, "read", &policy.to_string()).await;
    let nothing_arn = iam_role(aws(&b), &nothing, &trust).await;
    annotated_sa(&c, &ns, "s3-reader", Some(&reader_arn)).await;
    annotated_sa(&c, &ns, "s3-none", Some(&nothing_arn)).await;
    let check = |sa: &str| spec("irsa.s3-access", &[("namespace", &ns), ("serviceAccount", sa), ("bucket", &bucket)]);
    let v = vars(&[]);
    assert_status(&run(&b, &check("s3-none"), &v).await, Fail, &format!("s3:ListBucket on arn:aws:s3:::{bucket}: implicitDeny"));
    assert_status(&run(&b, &check("s3-reader"), &v).await, Fail, &format!("bucket {bucket} missing"));
    crate::live::bucket(aws(&b), &bucket).await;
    // allowed and the bucket exists, but the app is not deployed yet
    assert_status(&run(&b, &check("s3-reader"), &v).await, Fail, "no running pod in");
    let _: Pod = create(&c, &ns, pod("app", "s3-reader", json!([]), false)).await;
    let r = run_until(&b, &check("s3-reader"), &v, Pass, "may read").await;
    assert_status(&r, Pass, &format!("may read {bucket}"));
    // kwok serves no container logs: the result says so instead of guessing
    assert!(r.message.contains("app log not read"), "{r:?}");
}

#[tokio::test]
async fn admin_cidr_is_the_learners_own_range() {
    let b = backend(None, false).await;
    let s = spec("preflight.admin-cidr", &[]);
    let r = run(&b, &s, &vars(&[("adminCidr", "203.0.113.10/32")])).await;
    assert_status(&r, Fail, "adminCidr 203.0.113.10/32 is a documentation address (the lab's placeholder), so you would lock yourself out");
    assert!(r.message.contains("adminCidr = \"<address>/32\"") && r.message.contains("kubedojo files again"), "says what to do: {r:?}");
    assert_eq!(r.found.as_deref(), Some("203.0.113.10/32"));
    assert_status(&run(&b, &s, &vars(&[("adminCidr", "0.0.0.0/0")])).await, Fail, "is the whole internet");
    assert_status(&run(&b, &s, &vars(&[("adminCidr", "198.18.7.10")])).await, Fail, "is not a CIDR (198.18.7.10 has no /prefix)");
    assert_status(&run(&b, &s, &vars(&[])).await, Fail, "adminCidr is not set");
    assert_status(&run(&b, &s, &vars(&[("adminCidr", "198.18.0.0/15")])).await, Warn, "opens the lab's endpoints to a wide range");
    assert_status(&run(&b, &s, &vars(&[("adminCidr", "198.18.7.10/32")])).await, Pass, "the lab's public endpoints answer 198.18.7.10/32 only");
}

/// A backend whose EKS client answers the calls `eks` names (aws-smithy-mocks), every other call
/// going to the emulator; and whose S3 client, when `s3` is given, answers from `s3` alone (an
/// HTTP status the emulator never sends needs the mock HTTP client, which has no passthrough).
fn with_mocks(
    mut b: kubedojo::checks::backend::Backend,
    eks: &[&aws_smithy_mocks::Rule],
    s3: &[&aws_smithy_mocks::Rule],
) -> kubedojo::checks::backend::Backend {
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode};
    let interceptor = |rules: &[&aws_smithy_mocks::Rule]| {
        let mut i = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).allow_passthrough();
        for r in rules {
            i = i.with_rule(r);
        }
        i
    };
    let aws = b.aws.as_mut().expect("emulator configured");
    if !eks.is_empty() {
        aws.eks = aws_sdk_eks::Client::from_conf(aws_sdk_eks::config::Builder::from(&aws.config).interceptor(interceptor(eks)).build());
    }
    if !s3.is_empty() {
        let mut i = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for r in s3 {
            i = i.with_rule(r);
        }
        let conf =
            aws_sdk_s3::config::Builder::from(&aws.config).force_path_style(true).http_client(aws_smithy_mocks::create_mock_http_client()).interceptor(i);
        aws.s3 = aws_sdk_s3::Client::from_conf(conf.build());
    }
    b
}

#[tokio::test]
async fn oidc_provider_of_a_cluster_without_issuer() {
    // a cluster still CREATING has no issuer yet; moto gives every cluster one at once, so
    // DescribeCluster answers here as EKS does before the cluster is ACTIVE
    let name = unique("noissuer");
    let creating = {
        let name = name.clone();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::describe_cluster).match_requests(move |r| r.name() == Some(name.as_str())).then_output(|| {
            aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput::builder()
                .cluster(aws_sdk_eks::types::Cluster::builder().name("creating").status(aws_sdk_eks::types::ClusterStatus::Creating).build())
                .build()
        })
    };
    let b = with_mocks(backend(None, true).await, &[&creating], &[]);
    let r = run(&b, &spec("irsa.oidc-provider", &[]), &vars(&[("cluster", &name)])).await;
    assert_status(&r, Fail, &format!("cluster {name} has no OIDC issuer"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no issuer"), Some("an OIDC issuer URL")));
    assert!(r.next.as_deref().is_some_and(|n| n.contains(&format!("aws eks wait cluster-active --name {name} --region eu-west-1"))), "{r:?}");
    assert!(creating.num_calls() >= 1, "the cluster was described");
}

#[tokio::test]
async fn trust_policy_of_a_bad_arn_a_missing_role_and_no_web_identity() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cluster = unique("trust-bad");
    create_cluster(aws(&b), &cluster, true, &[], false).await;
    let ns = namespace(&c, "irsa-trust-bad").await;
    let service = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"Service": "pods.eks.amazonaws.com"}}]}).to_string();
    let podid = unique("podid-only");
    let podid_arn = iam_role(aws(&b), &podid, &service).await;
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique("gone"));
    annotated_sa(&c, &ns, "bad-arn", Some("s3-reader")).await;
    annotated_sa(&c, &ns, "missing", Some(&missing)).await;
    annotated_sa(&c, &ns, "podid", Some(&podid_arn)).await;
    let v = vars(&[("cluster", &cluster)]);
    let check = |sa: &str| spec("irsa.trust-policy", &[("namespace", &ns), ("serviceAccount", sa)]);

    let r = run(&b, &check("bad-arn"), &v).await;
    assert_status(&r, Fail, "eks.amazonaws.com/role-arn is not a role ARN: s3-reader");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("s3-reader"), Some("a role ARN")));
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains(&format!(
            "kubectl -n {ns} annotate serviceaccount bad-arn --overwrite eks.amazonaws.com/role-arn=$(aws iam get-role --role-name {cluster}-bad-arn"
        ))),
        "{r:?}"
    );

    let r = run(&b, &check("missing"), &v).await;
    assert_status(&r, Fail, &format!("role {missing} does not exist"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no such role"), Some(missing.as_str())));
    assert!(
        r.next
            .as_deref()
            .is_some_and(|n| n.contains("create role gone-") && n.contains(&format!("kubectl -n {ns} annotate serviceaccount missing --overwrite"))),
        "{r:?}"
    );

    // a role made for Pod Identity trusts pods.eks.amazonaws.com, never the cluster's provider
    let r = run(&b, &check("podid"), &v).await;
    assert_status(&r, Fail, &format!("role {podid} has no Allow statement for sts:AssumeRoleWithWebIdentity"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no web identity statement"), Some("Action sts:AssumeRoleWithWebIdentity")));
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains(&format!("CLUSTER={cluster} REGION=eu-west-1 NS={ns} SA=podid ./irsa-s3/render-trust-policy.sh"))
            && n.contains(&format!("aws iam update-assume-role-policy --role-name {podid} "))),
        "{r:?}"
    );
    delete_namespace(&c, &ns).await;
}

/// A pod running as `sa` with `env` and `volumes`, as the webhook (or the learner) left it.
fn pod_with(name: &str, sa: &str, env: serde_json::Value, volumes: serde_json::Value) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "serviceAccountName": sa,
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "app", "image": "public.ecr.aws/aws-cli/aws-cli:2.27.49", "env": env}],
            "volumes": volumes
        }
    })
}

fn token_volume(audience: &str) -> serde_json::Value {
    json!([{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"audience": audience, "expirationSeconds": 86400, "path": "token"}}]}}])
}

#[tokio::test]
async fn pod_injection_failures_on_eks() {
    // on EKS the webhook exists, so a pod without its injection is the learner's to fix
    let b = eks_backend().await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-pod-eks").await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/s3-reader");
    let role_env = |file: &str| json!([{"name": "AWS_ROLE_ARN", "value": arn}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": file}]);
    let cases = [
        ("podid", json!([{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"}]), token_volume("sts.amazonaws.com")),
        ("plain", json!([]), json!([])),
        ("ownfile", role_env("/tmp/token"), token_volume("sts.amazonaws.com")),
        ("badaud", role_env("/var/run/secrets/eks.amazonaws.com/serviceaccount/token"), token_volume("sts.amazon.com")),
        ("novolume", role_env("/var/run/secrets/eks.amazonaws.com/serviceaccount/token"), json!([])),
    ];
    for (sa, env, volumes) in cases {
        annotated_sa(&c, &ns, sa, Some(&arn)).await;
        let _: Pod = create(&c, &ns, pod_with(&format!("{sa}-app"), sa, env, volumes)).await;
    }
    let v = vars(&[("cluster", "lab")]);
    let check = |sa: &str| spec("irsa.pod-injection", &[("namespace", &ns), ("serviceAccount", sa)]);
    let recreate = |pod: &str| format!("recreate pod {ns}/{pod} (kubectl -n {ns} delete pod {pod}, then apply its manifest again)");

    let r = run_until(&b, &check("podid"), &v, Fail, "EKS Pod Identity").await;
    assert_status(&r, Fail, "pod podid-app uses EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI); this exercise requires IRSA");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("EKS Pod Identity credentials"), Some(format!("IRSA: AWS_ROLE_ARN={arn}").as_str())));
    let next = r.next.clone().unwrap_or_default();
    assert!(next.contains(&format!("aws eks delete-pod-identity-association --cluster-name lab --region eu-west-1 --association-id $(aws eks list-pod-identity-associations --cluster-name lab --region eu-west-1 --namespace {ns} --service-account podid")), "{next}");
    assert!(next.contains(&recreate("podid-app")), "{next}");

    let r = run_until(&b, &check("plain"), &v, Fail, "lacks AWS_ROLE_ARN").await;
    assert_status(&r, Fail, "pod plain-app lacks AWS_ROLE_ARN: created ");
    assert!(r.message.contains("before the annotation, kubectl rollout restart"), "{r:?}");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no AWS_ROLE_ARN"), Some(arn.as_str())));
    assert!(r.next.as_deref().is_some_and(|n| n.starts_with("the webhook injects it only into new pods: ") && n.contains(&recreate("plain-app"))), "{r:?}");

    let r = run_until(&b, &check("ownfile"), &v, Fail, "AWS_WEB_IDENTITY_TOKEN_FILE").await;
    assert_status(&r, Fail, "pod ownfile-app: AWS_WEB_IDENTITY_TOKEN_FILE is not /var/run/secrets/eks.amazonaws.com/serviceaccount/token");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("/tmp/token"), Some("/var/run/secrets/eks.amazonaws.com/serviceaccount/token")));
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains("remove any AWS_WEB_IDENTITY_TOKEN_FILE of your own") && n.contains(&recreate("ownfile-app"))),
        "{r:?}"
    );

    let r = run_until(&b, &check("badaud"), &v, Fail, "token audience").await;
    assert_status(&r, Fail, "pod badaud-app: token audience sts.amazon.com");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("sts.amazon.com"), Some("sts.amazonaws.com")));
    assert!(
        r.next.as_deref().is_some_and(
            |n| n.contains(&format!("kubectl -n {ns} annotate serviceaccount badaud eks.amazonaws.com/audience-")) && n.contains(&recreate("badaud-app"))
        ),
        "{r:?}"
    );

    let r = run_until(&b, &check("novolume"), &v, Fail, "aws-iam-token volume").await;
    assert_status(&r, Fail, "pod novolume-app has no projected aws-iam-token volume");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no token volume"), Some("projected aws-iam-token")));
    assert!(
        r.next
            .as_deref()
            .is_some_and(|n| n.starts_with("the webhook adds it only to pods created after the annotation: ") && n.contains(&recreate("novolume-app"))),
        "{r:?}"
    );
    delete_namespace(&c, &ns).await;
}

#[tokio::test]
async fn s3_access_of_roles_that_cannot_be_evaluated_and_a_bucket_elsewhere() {
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-s3-more").await;
    let bucket = unique("bucket-far");
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique("gone"));
    annotated_sa(&c, &ns, "bare-name", Some("s3-reader")).await;
    annotated_sa(&c, &ns, "missing", Some(&missing)).await;
    let check = |sa: &str| spec("irsa.s3-access", &[("namespace", &ns), ("serviceAccount", sa), ("bucket", &bucket)]);
    let v = vars(&[]);

    // the emulator has no policy simulator: the role's own policies are read, and need the role
    let r = run(&b, &check("bare-name"), &v).await;
    assert_status(&r, Fail, "s3-reader is not a role ARN");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("s3-reader"), Some("arn:aws:iam::<account>:role/<name>")));
    assert!(r.next.as_deref().is_some_and(|n| n.contains("aws iam get-role --role-name <role> --query Role.Arn --output text")), "{r:?}");

    let r = run(&b, &check("missing"), &v).await;
    assert_status(&r, Fail, &format!("role {missing} does not exist"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no such role"), Some(missing.as_str())));
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains("aws iam list-roles --query 'Roles[].Arn'") && n.contains(&format!("{missing} is what it names now"))),
        "{r:?}"
    );

    // a role that may read, and a bucket S3 answers for from another region (301, which moto
    // never sends: the HeadBucket answer is mocked)
    let reader = unique("s3-far");
    let trust = trust("arn:aws:iam::123456789012:oidc-provider/x", "x", "system:serviceaccount:a:b", None);
    let reader_arn = s3_read_role(aws(&b), &reader, &trust, &bucket).await;
    annotated_sa(&c, &ns, "reader", Some(&reader_arn)).await;
    let moved = {
        let bucket = bucket.clone();
        aws_smithy_mocks::mock!(aws_sdk_s3::Client::head_bucket)
            .match_requests(move |r| r.bucket() == Some(bucket.as_str()))
            .sequence()
            .http_status(301, None)
            .build()
    };
    let far = with_mocks(backend(None, true).await, &[], &[&moved]);
    let r = run(&far, &check("reader"), &v).await;
    assert_status(&r, Fail, &format!("bucket {bucket} is in another region than the checker's"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("a bucket in another region"), Some("a bucket in eu-west-1")));
    assert!(
        r.next.as_deref().is_some_and(
            |n| n.contains(&format!("aws s3api get-bucket-location --bucket {bucket}")) && n.contains("kubedojo check irsa-s3 --aws-region <that region>")
        ),
        "{r:?}"
    );
    assert!(moved.num_calls() >= 1, "HeadBucket was asked");
    delete_namespace(&c, &ns).await;
}

/// A kubelet of our own that serves container logs: kwok's serves none. It answers
/// `/containerLogs/<ns>/<pod>/<container>` with `logs[pod]`; returns its port.
async fn fake_kubelet(logs: &[(&str, &str)]) -> u16 {
    use axum::extract::Path;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
    let tls =
        axum_server::tls_rustls::RustlsConfig::from_pem(cert.cert.pem().into_bytes(), cert.signing_key.serialize_pem().into_bytes()).await.expect("tls config");
    let logs: std::collections::HashMap<String, String> = logs.iter().map(|(p, l)| (p.to_string(), l.to_string())).collect();
    let logs = std::sync::Arc::new(logs);
    let app = axum::Router::new().route(
        "/containerLogs/{ns}/{pod}/{container}",
        axum::routing::get(move |Path((_ns, pod, _container)): Path<(String, String, String)>| {
            let logs = logs.clone();
            async move { logs.get(&pod).cloned().unwrap_or_default() }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = axum_server::from_tcp_rustls(listener, tls).expect("server");
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    port
}

#[tokio::test]
async fn s3_access_reads_the_apps_log() {
    use k8s_openapi::api::core::v1::Node;
    use kube::api::{Api, Patch, PatchParams};
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-s3-log").await;
    let denied =
        "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity";
    let port = fake_kubelet(&[("denied-app", &format!("round 1\n{denied}\n")), ("quiet-app", "round 1: listing the bucket\n")]).await;
    // a node the API server reaches at our kubelet (kwok does not manage it); room for no pods,
    // so the scheduler never puts another test's pod there (ours are bound by nodeName)
    let node = unique("logs-node");
    kwok_node(&c, &node, json!({}), json!([]), false).await;
    let nodes: Api<Node> = Api::all(c.clone());
    let status = json!({"status": {"addresses": [{"type": "Hostname", "address": "127.0.0.1"}], "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "capacity": {"pods": "0"}, "allocatable": {"pods": "0"}}});
    nodes.patch_status(&node, &PatchParams::default(), &Patch::Merge(&status)).await.expect("node status");

    let bucket = unique("bucket-log");
    crate::live::bucket(aws(&b), &bucket).await;
    let reader = unique("s3-log");
    let trust = trust("arn:aws:iam::123456789012:oidc-provider/x", "x", "system:serviceaccount:a:b", None);
    let arn = s3_read_role(aws(&b), &reader, &trust, &bucket).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), &ns);
    for sa in ["denied", "quiet"] {
        annotated_sa(&c, &ns, sa, Some(&arn)).await;
        let mut p = pod_with(&format!("{sa}-app"), sa, json!([]), json!([]));
        p["spec"]["nodeName"] = json!(node);
        let _: Pod = create(&c, &ns, p).await;
        pods.patch_status(&format!("{sa}-app"), &PatchParams::default(), &Patch::Merge(&json!({"status": {"phase": "Running"}}))).await.expect("pod status");
    }
    let check = |sa: &str| spec("irsa.s3-access", &[("namespace", &ns), ("serviceAccount", sa), ("bucket", &bucket)]);
    let v = vars(&[("cluster", "lab")]);

    // the app's own AccessDenied on AssumeRoleWithWebIdentity: the trust policy is at fault
    let r = run(&b, &check("denied"), &v).await;
    assert_status(&r, Fail, &format!("app log: {denied}"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some(denied), Some("S3_READ_OK")));
    assert!(
        r.next.as_deref().is_some_and(|n| n.contains(&format!("CLUSTER=lab REGION=eu-west-1 NS={ns} SA=denied ./irsa-s3/render-trust-policy.sh"))
            && n.contains(&format!("--role-name {reader} "))),
        "{r:?}"
    );

    // the role may read and the bucket is there, but the app has not said so yet
    let r = run(&b, &check("quiet"), &v).await;
    assert_status(&r, Fail, &format!("role {arn} may read {bucket}, but the app log has no S3_READ_OK yet: check the app"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no marker"), Some("S3_READ_OK")));
    assert_eq!(
        r.next.as_deref(),
        Some(format!("read what the app prints instead (a round runs every 30 s): kubectl -n {ns} logs quiet-app --tail=50").as_str())
    );

    // without AWS the log is all there is
    let local = backend(None, false).await;
    let r = run(&local, &check("quiet"), &v).await;
    assert_status(&r, Fail, "app log has no S3_READ_OK yet");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no marker"), Some("S3_READ_OK")));
    assert!(r.next.as_deref().is_some_and(|n| n.ends_with(&format!("kubectl -n {ns} logs quiet-app --tail=50"))), "{r:?}");

    delete_namespace(&c, &ns).await;
    delete_nodes(&c, &[node]).await;
}

// cluster.*: the failures the emulator's defaults do not give

#[tokio::test]
async fn cluster_active_local_version_below_the_minimum() {
    let local = backend(None, false).await;
    let r = run(&local, &spec("cluster.active", &[("minVersion", "1.99")]), &vars(&[])).await;
    assert_status(&r, Fail, "< 1.99");
    assert!(r.message.starts_with("version v1."), "names the API server's version: {r:?}");
    assert!(r.found.as_deref().is_some_and(|f| f.starts_with("v1.")), "{r:?}");
    assert_eq!(r.expected.as_deref(), Some(">= 1.99"));
    assert!(
        r.next.as_deref().is_some_and(|n| n.starts_with("recreate the local cluster with Kubernetes 1.99 or newer") && n.contains("kubedojo sandbox up")),
        "{r:?}"
    );
}
/// Credentials that never resolve, as when no profile, environment variable or instance role
/// gives any.
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(aws_credential_types::provider::error::CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

#[tokio::test]
async fn identity_without_credentials() {
    let mut b = backend(None, true).await;
    let config = aws(&b).config.to_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(NoCredentials)).build();
    b.aws = Some(Aws::from_config(config, true));
    let r = run(&b, &spec("preflight.identity", &[]), &vars(&[("account", ACCOUNT)])).await;
    assert_status(&r, Fail, "No AWS credentials resolved");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no credentials"), Some("an AWS identity")));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.starts_with("export AWS_PROFILE=<your lab profile>") && next.ends_with("then aws sts get-caller-identity"), "{r:?}");
}

/// A modeled EKS `ResourceNotFoundException`, with the error code the checks read.
fn eks_not_found() -> aws_sdk_eks::types::error::ResourceNotFoundException {
    aws_sdk_eks::types::error::ResourceNotFoundException::builder()
        .message("No cluster found")
        .meta(aws_sdk_eks::error::ErrorMetadata::builder().code("ResourceNotFoundException").message("No cluster found").build())
        .build()
}

#[tokio::test]
async fn cluster_and_node_groups_in_states_the_emulator_never_reaches() {
    // moto makes every cluster and node group ACTIVE and healthy at once, and answers
    // ListNodegroups of a missing cluster with a 500; EKS answers these as mocked here
    // (aws-smithy-mocks on the calls named, everything else to the emulator)
    use aws_sdk_eks::operation::{describe_cluster::DescribeClusterOutput, describe_nodegroup::DescribeNodegroupOutput, list_nodegroups::ListNodegroupsOutput};
    use aws_sdk_eks::types::{Cluster, ClusterStatus, Issue, Nodegroup, NodegroupHealth, NodegroupIssueCode, NodegroupStatus};
    let creating = unique("creating");
    let unhealthy = unique("unhealthy");
    let growing = unique("growing");
    let missing = unique("gone");
    let cluster_creating = {
        let name = creating.clone();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::describe_cluster).match_requests(move |r| r.name() == Some(name.as_str())).then_output(|| {
            DescribeClusterOutput::builder().cluster(Cluster::builder().name("c").status(ClusterStatus::Creating).version("1.36").build()).build()
        })
    };
    let list_general = {
        let (a, b) = (unhealthy.clone(), growing.clone());
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::list_nodegroups)
            .match_requests(move |r| r.cluster_name() == Some(a.as_str()) || r.cluster_name() == Some(b.as_str()))
            .then_output(|| ListNodegroupsOutput::builder().nodegroups("general").build())
    };
    let list_missing = {
        let name = missing.clone();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::list_nodegroups)
            .match_requests(move |r| r.cluster_name() == Some(name.as_str()))
            .then_error(|| aws_sdk_eks::operation::list_nodegroups::ListNodegroupsError::ResourceNotFoundException(eks_not_found()))
    };
    let group_unhealthy = {
        let name = unhealthy.clone();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::describe_nodegroup).match_requests(move |r| r.cluster_name() == Some(name.as_str())).then_output(|| {
            let issue = Issue::builder()
                .code(NodegroupIssueCode::AsgInstanceLaunchFailures)
                .message("Could not launch On-Demand Instances. InsufficientInstanceCapacity")
                .build();
            DescribeNodegroupOutput::builder()
                .nodegroup(
                    Nodegroup::builder()
                        .nodegroup_name("general")
                        .status(NodegroupStatus::Degraded)
                        .health(NodegroupHealth::builder().issues(issue).build())
                        .build(),
                )
                .build()
        })
    };
    let group_creating = {
        let name = growing.clone();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::describe_nodegroup).match_requests(move |r| r.cluster_name() == Some(name.as_str())).then_output(|| {
            DescribeNodegroupOutput::builder().nodegroup(Nodegroup::builder().nodegroup_name("general").status(NodegroupStatus::Creating).build()).build()
        })
    };
    let b = with_mocks(backend(None, true).await, &[&cluster_creating, &list_general, &list_missing, &group_unhealthy, &group_creating], &[]);

    let r = run(&b, &spec("cluster.active", &[]), &vars(&[("cluster", &creating)])).await;
    assert_status(&r, Fail, "status CREATING, expected ACTIVE");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("CREATING"), Some("ACTIVE")));
    assert_eq!(r.next.as_deref(), Some(format!("wait for it: aws eks wait cluster-active --name {creating} --region eu-west-1").as_str()));

    let general = spec("nodegroup.present", &[("nodegroups", "general")]);
    let r = run(&b, &general, &vars(&[("cluster", &unhealthy)])).await;
    assert_status(&r, Fail, "general status DEGRADED: AsgInstanceLaunchFailures Could not launch On-Demand Instances");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("AsgInstanceLaunchFailures"), Some("no health issues")));
    assert!(
        r.next
            .as_deref()
            .is_some_and(|n| n.contains(&format!("aws eks describe-nodegroup --cluster-name {unhealthy} --region eu-west-1 --nodegroup-name general"))),
        "{r:?}"
    );

    let r = run(&b, &general, &vars(&[("cluster", &growing)])).await;
    assert_status(&r, Fail, "general status CREATING, expected ACTIVE");
    assert_eq!(
        r.next.as_deref(),
        Some(format!("wait for it: aws eks wait nodegroup-active --cluster-name {growing} --region eu-west-1 --nodegroup-name general").as_str())
    );

    let r = run(&b, &general, &vars(&[("cluster", &missing)])).await;
    assert_status(&r, Fail, &format!("Cluster {missing} not found"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no cluster"), Some(missing.as_str())));
    assert!(r.next.as_deref().is_some_and(|n| n.contains("eksctl create cluster -f eks-cluster/cluster.yaml")), "{r:?}");
    for rule in [&cluster_creating, &group_unhealthy, &group_creating, &list_missing] {
        assert!(rule.num_calls() >= 1, "every mocked state was read");
    }
}

#[tokio::test]
async fn a_check_without_credentials_says_so_not_that_aws_is_unreachable() {
    let mut b = backend(None, true).await;
    let config = aws(&b).config.to_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(NoCredentials)).build();
    b.aws = Some(Aws::from_config(config, true));
    let r = run(&b, &spec("cluster.active", &[]), &vars(&[("cluster", "any")])).await;
    assert_status(&r, Error, "no AWS credentials resolved to call eks:DescribeCluster");
    assert!(r.message.contains("set AWS_PROFILE") && !r.message.contains("cannot reach AWS"), "{r:?}");
}
