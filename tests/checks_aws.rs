//! Cluster and IRSA checks against the real API server and the AWS emulator (moto).
//! moto gives every cluster of a region the same OIDC issuer, so tests that need their own
//! issuer (and provider) each use their own region.

mod live;

use aws_sdk_eks::types::{EncryptionConfig, Provider, VpcConfigRequest};
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use live::*;
use serde_json::json;

const ACCOUNT: &str = "123456789012"; // moto's account

async fn create_cluster(
    aws: &Aws,
    name: &str,
    private: bool,
    public_cidrs: &[&str],
    kms: bool,
) -> String {
    let mut vpc = VpcConfigRequest::builder()
        .subnet_ids("subnet-aaaa")
        .subnet_ids("subnet-bbbb")
        .endpoint_private_access(private)
        .endpoint_public_access(!public_cidrs.is_empty());
    for c in public_cidrs {
        vpc = vpc.public_access_cidrs(*c);
    }
    let mut req = aws
        .eks
        .create_cluster()
        .name(name)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks"))
        .version("1.35")
        .resources_vpc_config(vpc.build());
    if kms {
        req = req.encryption_config(
            EncryptionConfig::builder()
                .resources("secrets")
                .provider(
                    Provider::builder()
                        .key_arn(format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/abc"))
                        .build(),
                )
                .build(),
        );
    }
    let out = req.send().await.expect("create cluster in moto");
    out.cluster
        .and_then(|c| c.identity?.oidc?.issuer)
        .unwrap_or_default()
}

#[tokio::test]
async fn identity_resolves_and_account_is_compared() {
    let b = backend(None, true).await;
    let r = run(
        &b,
        &spec("preflight.identity", &[]),
        &vars(&[("account", ACCOUNT)]),
    )
    .await;
    assert_status(&r, Pass, &format!("in account {ACCOUNT}"));
    let r = run(
        &b,
        &spec("preflight.identity", &[]),
        &vars(&[("account", "111122223333")]),
    )
    .await;
    assert_status(&r, Fail, "Account 123456789012 ≠ lab account 111122223333");
}

#[tokio::test]
async fn aws_checks_skip_without_aws() {
    let b = backend(None, false).await;
    for kind in [
        "preflight.identity",
        "cluster.private-endpoint",
        "secrets.kms",
        "irsa.oidc-provider",
        "irsa.trust-policy",
    ] {
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
    assert_status(&r, Fail, "Kubernetes 1.35 is in extended support since 2027-03-27 (until 2028-03-27): the control plane bills $0.60/h instead of $0.10/h ($0.50/h, about $365 a month, more)");
    assert!(r.message.contains(&format!("eksctl upgrade cluster --name {name} --region eu-west-1 --version 1.36 --approve")), "{r:?}");
    assert!(r.message.contains("source: the course's version table"), "{r:?}");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("Kubernetes 1.35, extended support"), Some("a Kubernetes version in EKS standard support")));

    // past extended support
    let r = run_on(&b, &s, &v, "2028-04-01").await;
    assert_status(&r, Fail, "Kubernetes 1.35 is past the end of extended support (2028-03-27)");

    // a version the table does not know: said, not guessed
    let newer = unique("support");
    aws(&b).eks.create_cluster().name(&newer).role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks")).version("1.99")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-aaaa").build()).send().await.expect("cluster");
    let r = run_on(&b, &s, &table_vars(&[("cluster", &newer)]), "2026-12-06").await;
    assert_status(&r, Warn, "Kubernetes 1.99, whose support status neither source knows");
    // a version older than every release in the table left support long ago
    let older = unique("support");
    aws(&b).eks.create_cluster().name(&older).role_arn(format!("arn:aws:iam::{ACCOUNT}:role/eks")).version("1.27")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-aaaa").build()).send().await.expect("cluster");
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
    let s = spec("cluster.private-endpoint", &[]);
    assert_status(
        &run(&b, &s, &vars(&[("cluster", &private)])).await,
        Pass,
        "private endpoint only",
    );
    assert_status(
        &run(&b, &s, &vars(&[("cluster", &open)])).await,
        Warn,
        "public endpoint open to 0.0.0.0/0",
    );
    assert_status(
        &run(&b, &s, &vars(&[("cluster", &public)])).await,
        Fail,
        "endpointPrivateAccess=false",
    );
}

#[tokio::test]
async fn secrets_kms_pass_or_fail() {
    let b = backend(None, true).await;
    let (with, without) = (unique("kms"), unique("nokms"));
    create_cluster(aws(&b), &with, true, &[], true).await;
    create_cluster(aws(&b), &without, true, &[], false).await;
    let s = spec("secrets.kms", &[]);
    assert_status(
        &run(&b, &s, &vars(&[("cluster", &with)])).await,
        Pass,
        "envelope-encrypted with arn:aws:kms",
    );
    assert_status(
        &run(&b, &s, &vars(&[("cluster", &without)])).await,
        Fail,
        "Secrets not envelope-encrypted",
    );
}

async fn provider(aws: &Aws, issuer: &str, audiences: &[&str]) -> String {
    let mut req = aws
        .iam
        .create_open_id_connect_provider()
        .url(issuer)
        .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280");
    for a in audiences {
        req = req.client_id_list(*a);
    }
    req.send()
        .await
        .expect("create OIDC provider")
        .open_id_connect_provider_arn
        .unwrap_or_default()
}

#[tokio::test]
async fn oidc_provider_missing_then_wrong_audience_then_right() {
    // its own region: the provider must be absent at first
    let b = backend(Some("ap-southeast-2"), true).await;
    let name = unique("oidc");
    let issuer = create_cluster(aws(&b), &name, true, &[], false).await;
    // the emulator outlives test runs: remove a provider an earlier run left for this issuer
    let host = issuer.trim_start_matches("https://");
    for p in aws(&b)
        .iam
        .list_open_id_connect_providers()
        .send()
        .await
        .expect("list")
        .open_id_connect_provider_list
        .unwrap_or_default()
    {
        if let Some(arn) = p.arn.filter(|a| a.ends_with(host)) {
            aws(&b)
                .iam
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
                .expect("delete");
        }
    }
    let s = spec("irsa.oidc-provider", &[]);
    let v = vars(&[("cluster", &name)]);
    assert_status(
        &run(&b, &s, &v).await,
        Fail,
        "No IAM OIDC provider for https://oidc.eks.ap-southeast-2",
    );
    let arn = provider(aws(&b), &issuer, &["other-audience"]).await;
    assert_status(&run(&b, &s, &v).await, Fail, "lack sts.amazonaws.com");
    // moto lacks AddClientIDToOpenIDConnectProvider: replace the provider instead
    aws(&b)
        .iam
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("delete provider");
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

async fn role(aws: &Aws, name: &str, trust: &str) -> String {
    aws.iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("create role")
        .role
        .map(|r| r.arn)
        .unwrap_or_default()
}

async fn annotated_sa(c: &kube::Client, ns: &str, sa: &str, arn: Option<&str>) {
    let annotations = arn.map(|a| json!({"eks.amazonaws.com/role-arn": a}));
    let _: ServiceAccount = create(
        c,
        ns,
        json!({"metadata": {"name": sa, "annotations": annotations}}),
    )
    .await;
}

#[tokio::test]
async fn sa_annotation_cases() {
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-sa").await;
    let role_name = unique("reader");
    let arn = role(
        aws(&b),
        &role_name,
        &trust(
            "arn:aws:iam::123456789012:oidc-provider/x",
            "x",
            "system:serviceaccount:a:b",
            None,
        ),
    )
    .await;
    annotated_sa(&c, &ns, "good", Some(&arn)).await;
    annotated_sa(
        &c,
        &ns,
        "missing-role",
        Some("arn:aws:iam::123456789012:role/no-such-role-xyz"),
    )
    .await;
    annotated_sa(&c, &ns, "bad-arn", Some("s3-reader")).await;
    annotated_sa(&c, &ns, "bare", None).await;
    let check = |sa: &str| {
        spec(
            "irsa.sa-annotation",
            &[("namespace", &ns), ("serviceAccount", sa)],
        )
        .clone()
    };
    let v = vars(&[]);
    assert_status(&run(&b, &check("good"), &v).await, Pass, "which exists");
    assert_status(
        &run(&b, &check("missing-role"), &v).await,
        Fail,
        "NoSuchEntity",
    );
    assert_status(
        &run(&b, &check("bad-arn"), &v).await,
        Fail,
        "is not a role ARN",
    );
    assert_status(
        &run(&b, &check("bare"), &v).await,
        Fail,
        "has no eks.amazonaws.com/role-arn annotation",
    );
    assert_status(&run(&b, &check("nobody"), &v).await, Fail, "not found");
    // without AWS: the annotation alone
    let local = backend(None, false).await;
    assert_status(
        &run(&local, &check("good"), &v).await,
        Pass,
        "not looked up: no AWS",
    );
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
        (
            "good",
            trust(&provider_arn, &host, &subject, Some("sts.amazonaws.com")),
            Pass,
            "trusts exactly",
        ),
        (
            "badaud",
            trust(&provider_arn, &host, &subject, Some("sts.amazon.com")),
            Fail,
            "aud sts.amazon.com, expected sts.amazonaws.com",
        ),
        (
            "badsub",
            trust(
                &provider_arn,
                &host,
                &format!("system:serviceaccount:{ns}:s3-readr"),
                Some("sts.amazonaws.com"),
            ),
            Fail,
            "sub system:serviceaccount",
        ),
        (
            "othercluster",
            trust(
                &format!(
                    "arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-north-1.amazonaws.com/id/OTHER"
                ),
                &host,
                &subject,
                None,
            ),
            Fail,
            "role built for another cluster",
        ),
        (
            "nosub",
            trust(&provider_arn, &host, "", Some("sts.amazonaws.com")),
            Warn,
            "every ServiceAccount",
        ),
    ];
    for (label, doc, status, part) in cases {
        let role_name = unique(label);
        let arn = role(aws(&b), &role_name, &doc).await;
        let api: kube::Api<ServiceAccount> = kube::Api::namespaced(c.clone(), &ns);
        let _ = api.delete("s3-reader", &Default::default()).await;
        annotated_sa(&c, &ns, "s3-reader", Some(&arn)).await;
        let r = run(
            &b,
            &spec(
                "irsa.trust-policy",
                &[("namespace", &ns), ("serviceAccount", "s3-reader")],
            ),
            &vars(&[("cluster", &cluster)]),
        )
        .await;
        assert_status(&r, status, part);
    }
}

fn pod(name: &str, sa: &str, env: serde_json::Value, token_volume: bool) -> serde_json::Value {
    let volumes = if token_volume {
        json!([{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}])
    } else {
        json!([])
    };
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

#[tokio::test]
async fn pod_injection_pass_warn_and_fail() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-pod").await;
    let arn = "arn:aws:iam::123456789012:role/s3-reader";
    annotated_sa(&c, &ns, "s3-reader", Some(arn)).await;
    let s = spec(
        "irsa.pod-injection",
        &[("namespace", &ns), ("serviceAccount", "s3-reader")],
    );
    let v = vars(&[]);
    assert_status(&run(&b, &s, &v).await, Fail, "no running pod");
    // a pod as the webhook would have mutated it on EKS
    let injected = json!([{"name": "AWS_ROLE_ARN", "value": arn}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]);
    let _: Pod = create(&c, &ns, pod("app", "s3-reader", injected, true)).await;
    assert_status(
        &run_until(&b, &s, &v, Pass, "AWS_ROLE_ARN").await,
        Pass,
        &format!("AWS_ROLE_ARN={arn}"),
    );

    let ns2 = namespace(&c, "irsa-pod2").await;
    annotated_sa(&c, &ns2, "s3-reader", Some(arn)).await;
    let s2 = spec(
        "irsa.pod-injection",
        &[("namespace", &ns2), ("serviceAccount", "s3-reader")],
    );
    let _: Pod = create(&c, &ns2, pod("plain", "s3-reader", json!([]), false)).await;
    assert_status(
        &run_until(&b, &s2, &v, Warn, "webhook").await,
        Warn,
        "no pod identity webhook",
    );

    let ns3 = namespace(&c, "irsa-pod3").await;
    annotated_sa(&c, &ns3, "s3-reader", Some(arn)).await;
    let s3 = spec(
        "irsa.pod-injection",
        &[("namespace", &ns3), ("serviceAccount", "s3-reader")],
    );
    let wrong = json!([{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::123456789012:role/old"}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]);
    let _: Pod = create(&c, &ns3, pod("stale", "s3-reader", wrong, true)).await;
    assert_status(
        &run_until(&b, &s3, &v, Fail, "restart").await,
        Fail,
        "restart the pods",
    );
}

#[tokio::test]
async fn s3_access_by_policy_and_bucket() {
    let b = backend(None, true).await;
    let c = client(&b);
    let ns = namespace(&c, "irsa-s3").await;
    let bucket = unique("bucket");
    let iam = &aws(&b).iam;
    let (reader, nothing) = (unique("s3-reader"), unique("s3-none"));
    let trust = trust(
        "arn:aws:iam::123456789012:oidc-provider/x",
        "x",
        "system:serviceaccount:a:b",
        None,
    );
    let reader_arn = role(aws(&b), &reader, &trust).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    iam.put_role_policy()
        .role_name(&reader)
        .policy_name("read")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("policy");
    let nothing_arn = role(aws(&b), &nothing, &trust).await;
    annotated_sa(&c, &ns, "s3-reader", Some(&reader_arn)).await;
    annotated_sa(&c, &ns, "s3-none", Some(&nothing_arn)).await;
    let check = |sa: &str| {
        spec(
            "irsa.s3-access",
            &[
                ("namespace", &ns),
                ("serviceAccount", sa),
                ("bucket", &bucket),
            ],
        )
    };
    let v = vars(&[]);
    assert_status(
        &run(&b, &check("s3-none"), &v).await,
        Fail,
        &format!("s3:ListBucket on arn:aws:s3:::{bucket}: implicitDeny"),
    );
    assert_status(
        &run(&b, &check("s3-reader"), &v).await,
        Fail,
        &format!("bucket {bucket} missing"),
    );
    aws(&b)
        .s3
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    // allowed and the bucket exists, but the app is not deployed yet
    assert_status(
        &run(&b, &check("s3-reader"), &v).await,
        Fail,
        "no running pod in",
    );
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
