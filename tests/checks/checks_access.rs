//! Who may reach the cluster, through the sandbox's AWS front (the emulator has no access
//! entries): `access.mode` names every principal aws-auth maps that no access entry covers,
//! before the switch to API (who would be locked out) and after it (who was); `access.entry`
//! says what is wrong with a read-only team's entry, one thing at a time.

use crate::live::*;
use crate::sandbox_front::{cluster_with, front, through};
use aws_sdk_eks::types::{AccessScope, AccessScopeType, AuthenticationMode, UpdateAccessConfigRequest};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, PostParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
}

#[tokio::test]
async fn the_switch_to_api_names_who_would_lose_access() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = cluster_with(eks, Some(AuthenticationMode::ApiAndConfigMap), None).await;
    let v = vars(&[("cluster", &cluster), ("region", "eu-west-1")]);
    // aws-auth as a self-managed node group and an admin team left it (kube-system is the
    // test cluster's own: no other test writes aws-auth)
    let (nodes, admins) = (format!("arn:aws:iam::123456789012:role/{cluster}-nodes"), format!("arn:aws:iam::123456789012:role/{cluster}-admins"));
    let roles = format!(
        "- rolearn: {nodes}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: {admins}\n  username: admin\n  groups:\n    - system:masters\n"
    );
    let cms: Api<ConfigMap> = Api::namespaced(client(&b), "kube-system");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "aws-auth"}, "data": {"mapRoles": roles}})).expect("configmap");
    cms.create(&PostParams::default(), &cm).await.expect("create aws-auth");
    let mode = spec("access.mode", &[("mode", "API")]);

    let r = run(&b, &mode, &v).await;
    assert_status(&r, Fail, &format!("switching now would lock out {nodes} (nodes), {admins}"));
    let next = r.next.clone().unwrap_or_default();
    assert!(next.contains(&format!("--principal-arn {nodes} --type EC2_LINUX")) && next.contains("authenticationMode=API"), "{r:#?}");

    eks.create_access_entry().cluster_name(&cluster).principal_arn(&nodes).r#type("EC2_LINUX").send().await.expect("node entry");
    assert_status(&run(&b, &mode, &v).await, Fail, &format!("switching now would lock out {admins}:"));
    eks.create_access_entry().cluster_name(&cluster).principal_arn(&admins).send().await.expect("admin entry");
    assert_status(&run(&b, &mode, &v).await, Fail, "so the switch is safe");

    let api = UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::Api).build();
    eks.update_cluster_config().name(&cluster).access_config(api).send().await.expect("to API");
    settle().await;
    assert_status(&run(&b, &mode, &v).await, Pass, "authenticates with API: access entries only");

    // an entry deleted after the switch: aws-auth is no longer read, so that role lost access
    eks.delete_access_entry().cluster_name(&cluster).principal_arn(&admins).send().await.expect("delete");
    let r = run(&b, &mode, &v).await;
    assert_status(&r, Fail, &format!("{admins} has no access entry: it lost access"));
    assert!(r.next.as_deref().unwrap_or_default().contains(&format!("--principal-arn {admins} --type STANDARD")), "{r:#?}");
    cms.delete("aws-auth", &DeleteParams::default()).await.expect("delete aws-auth");
}

#[tokio::test]
async fn a_read_only_team_gets_one_policy_in_one_namespace() {
    let front = front().await;
    let b = through(&front).await;
    let (eks, iam) = (&aws(&b).eks, &aws(&b).iam);
    let cluster = cluster_with(eks, Some(AuthenticationMode::Api), None).await;
    let role = format!("{cluster}-viewers");
    let v = vars(&[("cluster", &cluster), ("region", "eu-west-1")]);
    let entry = spec("access.entry", &[("role", &role), ("policy", "AmazonEKSViewPolicy")]);
    let mut entry = entry;
    entry.params.insert("namespaces".into(), kubedojo::content::ParamValue::List(vec!["shop".into()]));

    assert_status(&run(&b, &entry, &v).await, Fail, &format!("role {role} does not exist"));
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    let arn = iam.create_role().role_name(&role).assume_role_policy_document(trust.to_string()).send().await.expect("role").role.expect("role").arn;
    let r = run(&b, &entry, &v).await;
    assert_status(&r, Fail, &format!("role {role} has no access entry"));
    assert!(r.next.as_deref().unwrap_or_default().contains("--access-scope type=namespace,namespaces=shop"), "{r:#?}");

    eks.create_access_entry().cluster_name(&cluster).principal_arn(&arn).kubernetes_groups("shop-viewers").send().await.expect("entry");
    assert_status(&run(&b, &entry, &v).await, Fail, "also puts it in Kubernetes groups shop-viewers");
    eks.update_access_entry().cluster_name(&cluster).principal_arn(&arn).set_kubernetes_groups(Some(vec![])).send().await.expect("no groups");
    assert_status(&run(&b, &entry, &v).await, Fail, "has no access policy");

    let cluster_wide = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    eks.associate_access_policy().cluster_name(&cluster).principal_arn(&arn).policy_arn(VIEW).access_scope(cluster_wide).send().await.expect("associate");
    assert_status(&run(&b, &entry, &v).await, Fail, "AmazonEKSViewPolicy applies to the whole cluster");
    let shop = AccessScope::builder().r#type(AccessScopeType::Namespace).namespaces("shop").build();
    eks.associate_access_policy().cluster_name(&cluster).principal_arn(&arn).policy_arn(VIEW).access_scope(shop.clone()).send().await.expect("scope");
    assert_status(&run(&b, &entry, &v).await, Pass, "may use AmazonEKSViewPolicy in shop through its access entry, nothing more");

    eks.associate_access_policy().cluster_name(&cluster).principal_arn(&arn).policy_arn(EDIT).access_scope(shop).send().await.expect("edit too");
    let r = run(&b, &entry, &v).await;
    assert_status(&r, Fail, "is also granted AmazonEKSEditPolicy");
    assert!(
        r.next
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("disassociate-access-policy --cluster-name {cluster} --region eu-west-1 --principal-arn {arn} --policy-arn {EDIT}")),
        "{r:#?}"
    );
}

#[tokio::test]
async fn the_mode_moves_one_way_and_is_read_after_its_update() {
    let front = front().await;
    let b = through(&front).await;
    let (eks, iam) = (&aws(&b).eks, &aws(&b).iam);
    let mode = spec("access.mode", &[("mode", "API")]);

    // a cluster made through the API: CONFIG_MAP, no access entries yet
    let legacy = cluster_with(eks, None, None).await;
    let v = vars(&[("cluster", &legacy), ("region", "eu-west-1")]);
    let r = run(&b, &mode, &v).await;
    assert_status(&r, Fail, "it has no access entries yet");
    assert!(r.next.as_deref().unwrap_or_default().contains("authenticationMode=API_AND_CONFIG_MAP"), "{r:#?}");
    // an access entry asked of it
    let role = format!("{legacy}-viewers");
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    let arn = iam.create_role().role_name(&role).assume_role_policy_document(trust.to_string()).send().await.expect("role").role.expect("role").arn;
    let entry = spec("access.entry", &[("role", &role), ("policy", "AmazonEKSViewPolicy")]);
    assert_status(&run(&b, &entry, &v).await, Fail, "its authentication mode is CONFIG_MAP");

    // while the update runs, the cluster is UPDATING (as on EKS), then the next step is named
    let both = UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::ApiAndConfigMap).build();
    eks.update_cluster_config().name(&legacy).access_config(both).send().await.expect("update");
    assert_status(&run(&b, &mode, &v).await, Fail, "is UPDATING (authentication mode CONFIG_MAP so far)");
    settle().await;
    // (what else it says depends on kube-system/aws-auth, which the test above writes)
    assert_status(&run(&b, &mode, &v).await, Fail, "authenticates with API_AND_CONFIG_MAP, not API");

    // an entry of another type than STANDARD takes no access policy
    eks.create_access_entry().cluster_name(&legacy).principal_arn(&arn).r#type("EC2_LINUX").send().await.expect("entry");
    assert_status(&run(&b, &entry, &v).await, Fail, "is of type EC2_LINUX: only STANDARD entries take access policies");

    // a lab that expects the dual mode on a cluster already in API: it cannot go back
    let api = cluster_with(eks, Some(AuthenticationMode::Api), None).await;
    let back = spec("access.mode", &[("mode", "API_AND_CONFIG_MAP")]);
    assert_status(&run(&b, &back, &vars(&[("cluster", &api), ("region", "eu-west-1")])).await, Fail, "the mode cannot go back");
}
