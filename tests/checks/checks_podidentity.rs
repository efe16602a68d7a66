//! The Pod Identity checks' failures, through the sandbox's AWS front (the emulator has no
//! add-on or association API): the agent's DaemonSet missing behind an ACTIVE add-on, an
//! unknown cluster, an association naming what is not a role or a role that is gone, a trust
//! policy others may use or bound to another account, and what the pods carry.

use std::time::{Duration, Instant};

use crate::live::*;
use crate::sandbox_front::{front, through};
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::{Api, DeleteParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::{Value, json};

const URI: &str = "http://169.254.170.23/v1/credentials";
const TOKEN: &str = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";

fn token_volume(audience: &str) -> Value {
    json!({"name": "eks-pod-identity-token", "projected": {"sources": [{"serviceAccountToken": {"audience": audience, "expirationSeconds": 86400, "path": "eks-pod-identity-token"}}]}})
}

/// A pod of `sa` on a kwok node with `env` and `volumes`, once it is Running.
async fn running_pod(c: &kube::Client, ns: &str, sa: &str, name: &str, env: Value, volumes: Value) {
    let _: Pod = create(
        c,
        ns,
        json!({"metadata": {"name": name}, "spec": {"serviceAccountName": sa, "nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}],
        "containers": [{"name": "app", "image": "public.ecr.aws/aws-cli/aws-cli:2.36.7", "env": env}], "volumes": volumes}}),
    )
    .await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), ns);
    let deadline = Instant::now() + Duration::from_secs(60);
    while pods.get(name).await.ok().and_then(|p| p.status?.phase).as_deref() != Some("Running") {
        assert!(Instant::now() < deadline, "pod {ns}/{name} did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn gone(c: &kube::Client, ns: &str, name: &str) {
    let pods: Api<Pod> = Api::namespaced(c.clone(), ns);
    let _ = pods.delete(name, &DeleteParams { grace_period_seconds: Some(0), ..Default::default() }).await;
}

#[tokio::test]
async fn the_agent_and_the_association_fail_with_what_is_missing() {
    let front = front().await;
    let b = through(&front).await;
    let (eks, iam) = (&aws(&b).eks, &aws(&b).iam);
    let cluster = moto_cluster(aws(&b), "front-pid").await;
    let v = vars(&[("cluster", &cluster), ("region", "eu-west-1"), ("appNs", "shop"), ("podSa", "reader")]);

    // an ACTIVE add-on whose agent never came (this front installs nothing in the cluster)
    eks.create_addon().cluster_name(&cluster).addon_name("eks-pod-identity-agent").send().await.expect("add-on");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_status(&run(&b, &spec("podidentity.agent", &[]), &v).await, Fail, "no DaemonSet kube-system/eks-pod-identity-agent");

    let association = spec("podidentity.association", &[]);
    assert_status(
        &run(&b, &association, &vars(&[("cluster", "kd-no-such-cluster"), ("appNs", "shop"), ("podSa", "reader")])).await,
        Fail,
        "cluster kd-no-such-cluster not found",
    );

    let user = "arn:aws:iam::123456789012:user/reader";
    let id = eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace("shop")
        .service_account("reader")
        .role_arn(user)
        .send()
        .await
        .expect("association");
    let id = id.association.and_then(|a| a.association_id).expect("id");
    assert_status(&run(&b, &association, &v).await, Fail, &format!("association {id} names {user}, which is not a role ARN"));
    let role = format!("{cluster}-reader");
    let arn = format!("arn:aws:iam::123456789012:role/{role}");
    eks.update_pod_identity_association().cluster_name(&cluster).association_id(&id).role_arn(&arn).send().await.expect("update");
    assert_status(&run(&b, &association, &v).await, Fail, &format!("names role {arn}, which does not exist"));

    // trust: someone besides pods.eks.amazonaws.com, then another account's requests only
    let trust = spec("podidentity.trust-policy", &[]);
    let shared = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    iam.create_role().role_name(&role).assume_role_policy_document(shared.to_string()).send().await.expect("role");
    assert_status(&run(&b, &trust, &v).await, Fail, "may also be assumed by AWS arn:aws:iam::123456789012:root");
    let elsewhere = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": "210987654321"}}}]});
    iam.update_assume_role_policy().role_name(&role).policy_document(elsewhere.to_string()).send().await.expect("trust");
    assert_status(&run(&b, &trust, &v).await, Fail, "only for account 210987654321, not this one (123456789012)");
}

#[tokio::test]
async fn pod_injection_names_what_a_pod_lacks_or_carries_besides() {
    let c = client(&backend(None, false).await);
    let ns = namespace(&c, "front-pid-pods").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "reader"}})).await;
    let front = front().await;
    let b = through(&front).await;
    let cluster = moto_cluster(aws(&b), "front-pid-pods").await;
    let arn = "arn:aws:iam::123456789012:role/pid-reader";
    aws(&b)
        .eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace(&ns)
        .service_account("reader")
        .role_arn(arn)
        .send()
        .await
        .expect("association");
    let v = vars(&[("cluster", &cluster), ("region", "eu-west-1"), ("appNs", &ns), ("podSa", "reader")]);
    let check = spec("podidentity.pod-injection", &[]);
    let good = json!([{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": URI}, {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": TOKEN}]);
    let cases = [
        (
            "irsa",
            json!([{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::123456789012:role/old"}]),
            json!([]),
            "carries IRSA's AWS_ROLE_ARN=arn:aws:iam::123456789012:role/old",
        ),
        ("older", json!([]), json!([]), "has no AWS_CONTAINER_CREDENTIALS_FULL_URI: created"),
        (
            "own-uri",
            json!([{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://127.0.0.1:9/creds"}]),
            json!([]),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is http://127.0.0.1:9/creds",
        ),
        (
            "no-token-file",
            json!([{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": URI}]),
            json!([]),
            &format!("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not {TOKEN}"),
        ),
        ("no-volume", good.clone(), json!([]), "has no projected eks-pod-identity-token volume for audience pods.eks.amazonaws.com"),
        ("sts-audience", good.clone(), json!([token_volume("sts.amazonaws.com")]), "has no projected eks-pod-identity-token volume"),
    ];
    for (name, env, volumes, expected) in cases {
        running_pod(&c, &ns, "reader", name, env, volumes).await;
        assert_status(&run(&b, &check, &v).await, Fail, expected);
        gone(&c, &ns, name).await;
    }
    running_pod(&c, &ns, "reader", "injected", good, json!([token_volume("pods.eks.amazonaws.com")])).await;
    assert_status(&run(&b, &check, &v).await, Pass, &format!("get credentials for {arn} from the agent"));
    delete_namespace(&c, &ns).await;
}

#[tokio::test]
async fn a_teardown_entry_the_checker_cannot_read_is_an_error_not_a_pass() {
    let b = backend(None, true).await;
    let v = vars(&[("cluster", "kd-no-such-cluster"), ("region", "eu-west-1")]);
    let r = run(&b, &spec("teardown.clean", &[("iamServiceAccounts", "kube-system/cluster-autoscaler")]), &v).await;
    assert_status(&r, Error, "the iamServiceAccounts entry \"kube-system/cluster-autoscaler\" is not NAMESPACE/NAME:ROLE");
}
