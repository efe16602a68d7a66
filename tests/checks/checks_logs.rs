//! Fluent Bit to CloudWatch Logs checks: Kubernetes objects in the API server, IAM and log
//! events in the emulator.

use crate::live::*;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ConfigMap;
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

const APP_CONF: &str = "[INPUT]\n    Name tail\n    Tag application.*\n\n[OUTPUT]\n    Name                cloudwatch_logs\n    Match               application.*\n    region              ${AWS_REGION}\n    log_group_name      /aws/containerinsights/${CLUSTER_NAME}/application\n    log_stream_prefix   ${HOST_NAME}-\n    auto_create_group   true\n";

async fn fluent_bit(c: &kube::Client, ns: &str, cluster_name: &str, conf: &str, sa_role: Option<&str>) {
    let _: ConfigMap = create(c, ns, json!({"metadata": {"name": "fluent-bit-cluster-info"}, "data": {"cluster.name": cluster_name, "logs.region": "eu-west-1", "http.server": "On", "http.port": "2020", "read.head": "Off", "read.tail": "On"}})).await;
    let _: ConfigMap = create(
        c,
        ns,
        json!({"metadata": {"name": "fluent-bit-config"}, "data": {"fluent-bit.conf": "@INCLUDE application-log.conf", "application-log.conf": conf}}),
    )
    .await;
    annotated_sa(c, ns, "fluent-bit", sa_role).await;
    let env = json!([
        {"name": "AWS_REGION", "valueFrom": {"configMapKeyRef": {"name": "fluent-bit-cluster-info", "key": "logs.region"}}},
        {"name": "CLUSTER_NAME", "valueFrom": {"configMapKeyRef": {"name": "fluent-bit-cluster-info", "key": "cluster.name"}}}
    ]);
    let _: DaemonSet = create(
        c,
        ns,
        json!({
            "metadata": {"name": "fluent-bit"},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "fluent-bit"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "fluent-bit"}},
                    "spec": {
                        "serviceAccountName": "fluent-bit",
                        "nodeSelector": {"type": "kwok"},
                        "tolerations": [{"operator": "Exists"}],
                        "containers": [{"name": "fluent-bit", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0", "env": env}]
                    }
                }
            }
        }),
    )
    .await;
}

#[tokio::test]
async fn daemonset_ready_or_missing() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "cw-ds").await;
    let s = spec("logs.fluentbit-ds", &[("namespace", &ns)]);
    assert_status(&run(&b, &s, &vars(&[])).await, Fail, "fluent-bit missing");
    fluent_bit(&c, &ns, "kubedojo-lab", APP_CONF, None).await;
    assert_status(&run_until(&b, &s, &vars(&[]), Pass, "2/2").await, Pass, "fluent-bit: 2/2 ready");
}

#[tokio::test]
async fn config_resolves_the_cluster_name_and_region() {
    let b = backend(None, false).await;
    let c = client(&b);
    let v = vars(&[("cluster", "kubedojo-lab"), ("region", "eu-west-1")]);
    let cases = [
        ("kubedojo-lab", APP_CONF, Pass, "application logs go to /aws/containerinsights/kubedojo-lab/application in eu-west-1"),
        ("lab-old", APP_CONF, Fail, "cluster.name=lab-old: logs land in /aws/containerinsights/lab-old/application"),
        ("kubedojo-lab", "[OUTPUT]\n    Name stdout\n    Match *\n", Fail, "no cloudwatch_logs OUTPUT for application.*"),
    ];
    for (cluster_name, conf, status, part) in cases {
        let ns = namespace(&c, "cw-conf").await;
        fluent_bit(&c, &ns, cluster_name, conf, None).await;
        assert_status(&run(&b, &spec("logs.fluentbit-config", &[("namespace", &ns)]), &v).await, status, part);
    }
    let ns = namespace(&c, "cw-region").await;
    fluent_bit(&c, &ns, "kubedojo-lab", APP_CONF, None).await;
    let other_region = vars(&[("cluster", "kubedojo-lab"), ("region", "us-east-1")]);
    assert_status(&run(&b, &spec("logs.fluentbit-config", &[("namespace", &ns)]), &other_region).await, Fail, "logs.region=eu-west-1");
}

#[tokio::test]
async fn iam_of_the_fluent_bit_role() {
    let b = backend(None, true).await;
    let c = client(&b);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let (good, bare) = (unique("fb-good"), unique("fb-bare"));
    let good_arn = iam_role(aws(&b), &good, trust).await;
    attach_policy(aws(&b), &good, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy").await;
    let bare_arn = iam_role(aws(&b), &bare, trust).await;
    inline_policy(
        aws(&b),
        &bare,
        "only-describe",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:DescribeLogStreams","Resource":"*"}]}"#,
    )
    .await;
    let v = vars(&[("cluster", "kubedojo-lab"), ("region", "eu-west-1")]);
    let ns = namespace(&c, "cw-iam").await;
    fluent_bit(&c, &ns, "kubedojo-lab", APP_CONF, Some(&good_arn)).await;
    assert_status(
        &run(&b, &spec("logs.fluentbit-iam", &[("namespace", &ns)]), &v).await,
        Pass,
        "may write to CloudWatch Logs (logs:CreateLogStream, logs:PutLogEvents, logs:DescribeLogStreams, logs:CreateLogGroup)",
    );
    let ns2 = namespace(&c, "cw-iam").await;
    fluent_bit(&c, &ns2, "kubedojo-lab", APP_CONF, Some(&bare_arn)).await;
    let r = run(&b, &spec("logs.fluentbit-iam", &[("namespace", &ns2)]), &v).await;
    assert_status(&r, Fail, &format!("IRSA role {bare_arn}: logs:CreateLogStream → implicitDeny"));
    assert!(
        r.next
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("aws iam attach-role-policy --role-name {bare} --policy-arn arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")),
        "names the command that fixes it: {r:?}"
    );
    assert_eq!(r.found.as_deref(), Some("logs:CreateLogStream implicitDeny"));

    // no identity of its own: the check never falls back to (or advises) the node role
    let ns3 = namespace(&c, "cw-iam").await;
    fluent_bit(&c, &ns3, "kubedojo-lab", APP_CONF, None).await;
    let r = run(&b, &spec("logs.fluentbit-iam", &[("namespace", &ns3)]), &v).await;
    assert_status(&r, Fail, &format!("ServiceAccount {ns3}/fluent-bit has no AWS identity of its own"));
    assert!(r.message.contains("never the node role") && r.message.contains("eksctl create podidentityassociation"), "{r:?}");
    assert!(!r.message.to_lowercase().contains("attach cloudwatchagentserverpolicy to the node"), "{r:?}");
    for n in [ns, ns2, ns3] {
        delete_namespace(&c, &n).await;
    }
}

#[tokio::test]
async fn log_events_arrived_recently() {
    let b = backend(None, true).await;
    let logs = &aws(&b).logs;
    let cluster = unique("cw");
    let v = vars(&[("cluster", &cluster)]);
    let s = spec("logs.cw-ingest", &[]);
    assert_status(&run(&b, &s, &v).await, Fail, "absent");
    let group = format!("/aws/containerinsights/{cluster}/application");
    logs.create_log_group().log_group_name(&group).send().await.expect("group");
    logs.create_log_stream().log_group_name(&group).log_stream_name("node-1-app").send().await.expect("stream");
    assert_status(&run(&b, &s, &v).await, Fail, "0 events");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("node-1-app")
        .log_events(aws_sdk_cloudwatchlogs::types::InputLogEvent::builder().timestamp(now).message("hello from the app").build().expect("event"))
        .send()
        .await
        .expect("put");
    assert_status(&run(&b, &s, &v).await, Pass, "log events reached");
}

#[tokio::test]
async fn config_missing_unset_cluster_or_another_log_group() {
    let b = backend(None, false).await;
    let c = client(&b);
    let v = vars(&[("cluster", "kubedojo-lab"), ("region", "eu-west-1")]);

    // the DaemonSet is there, the ConfigMap the step names is not
    let ns = namespace(&c, "cw-nomap").await;
    fluent_bit(&c, &ns, "kubedojo-lab", APP_CONF, None).await;
    let r = run(&b, &spec("logs.fluentbit-config", &[("namespace", &ns), ("configMap", "fluent-bit-absent")]), &v).await;
    assert_status(&r, Fail, &format!("ConfigMap {ns}/fluent-bit-absent missing"));
    assert_eq!(r.found.as_deref(), Some("no ConfigMap"));
    assert_eq!(r.expected.as_deref(), Some(format!("{ns}/fluent-bit-absent").as_str()));
    assert_eq!(r.next.as_deref(), Some("kubectl apply -f fluent-bit-logs/fluent-bit-config.yaml"));

    // fluent-bit-cluster-info lost its cluster.name: ${CLUSTER_NAME} resolves to nothing
    let ns = namespace(&c, "cw-nocluster").await;
    fluent_bit(&c, &ns, "kubedojo-lab", APP_CONF, None).await;
    let maps: kube::Api<ConfigMap> = kube::Api::namespaced(c.clone(), &ns);
    maps.patch("fluent-bit-cluster-info", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&json!({"data": {"cluster.name": null}})))
        .await
        .expect("drop cluster.name");
    let r = run(&b, &spec("logs.fluentbit-config", &[("namespace", &ns)]), &v).await;
    assert_status(&r, Fail, "CLUSTER_NAME is not set: fluent-bit-cluster-info has no cluster.name");
    assert_eq!(r.found.as_deref(), Some("unset"));
    assert_eq!(r.expected.as_deref(), Some("kubedojo-lab"));
    assert_eq!(
        r.next.as_deref(),
        Some(format!(r#"kubectl -n {ns} patch configmap fluent-bit-cluster-info --type merge -p '{{"data":{{"cluster.name":"kubedojo-lab"}}}}' && kubectl -n {ns} rollout restart ds/fluent-bit"#).as_str())
    );

    // log_group_name written out by hand, to a group the lab does not read
    let ns = namespace(&c, "cw-group").await;
    let conf = APP_CONF.replace("/aws/containerinsights/${CLUSTER_NAME}/application", "/aws/eks/kubedojo-lab/app-logs");
    fluent_bit(&c, &ns, "kubedojo-lab", &conf, None).await;
    let r = run(&b, &spec("logs.fluentbit-config", &[("namespace", &ns)]), &v).await;
    assert_status(&r, Fail, "log_group_name resolves to /aws/eks/kubedojo-lab/app-logs");
    assert_eq!(r.found.as_deref(), Some("/aws/eks/kubedojo-lab/app-logs"));
    assert_eq!(r.expected.as_deref(), Some("/aws/containerinsights/kubedojo-lab/application"));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.contains(&format!("set log_group_name to /aws/containerinsights/${{CLUSTER_NAME}}/application in ConfigMap {ns}/fluent-bit-config")), "{r:?}");
    assert!(next.ends_with(&format!("kubectl -n {ns} rollout restart ds/fluent-bit")), "{r:?}");
}
