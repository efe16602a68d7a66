//! The sandbox's AWS front in front of the test emulator, through the real aws-sdk clients: the
//! EKS APIs it answers (add-ons, Pod Identity associations, the cluster configuration and its
//! updates, access entries and policies, cluster versions: their lifecycle, errors and the
//! fields the SDK parses), what it passes to the emulator unchanged, and checks reading
//! through it.

use std::time::Duration;

use crate::live::*;
use aws_sdk_eks::error::ProvideErrorMetadata;
use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, AddonStatus, AuthenticationMode, CreateAccessConfigRequest, EncryptionConfig, LogSetup, LogType, Logging, Provider, Update,
    UpdateAccessConfigRequest, UpdateStatus, UpdateType, VersionStatus, VpcConfigRequest,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Backend;
use kubedojo::sandbox::front::{Front, FrontOptions};
use serde_json::json;

const SETTLE: Duration = Duration::from_millis(400);

pub(crate) async fn front() -> Front {
    let versions = builtin_pack().versions;
    let (addons, releases) = (kubedojo::sandbox::front::addon_versions(&versions), kubedojo::sandbox::front::kubernetes_releases(&versions));
    Front::start(FrontOptions { emulator: aws_endpoint(), settle: SETTLE, addons, releases, kubeconfig: None, pod_identities: None })
        .await
        .expect("start the front")
}

/// The test cluster, with AWS through the front.
pub(crate) async fn through(front: &Front) -> Backend {
    through_front(front.url()).await
}

fn builtin_pack() -> kubedojo::content::Pack {
    kubedojo::content::load(&kubedojo::content::PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds()).pack
}

async fn status(eks: &aws_sdk_eks::Client, cluster: &str, addon: &str) -> Option<AddonStatus> {
    eks.describe_addon().cluster_name(cluster).addon_name(addon).send().await.expect("describe addon").addon.and_then(|a| a.status)
}

#[tokio::test]
async fn an_addon_is_created_updated_and_deleted() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    // the cluster is the emulator's, created through the front
    let cluster = moto_cluster(aws(&b), "front").await;

    let created = eks
        .create_addon()
        .cluster_name(&cluster)
        .addon_name("vpc-cni")
        .configuration_values(r#"{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}"#)
        .tags("lab", "front")
        .send()
        .await
        .expect("create addon")
        .addon
        .expect("addon");
    assert_eq!(created.status, Some(AddonStatus::Creating));
    assert_eq!(created.cluster_name.as_deref(), Some(cluster.as_str()));
    let arn = created.addon_arn.as_deref().unwrap_or_default();
    assert!(arn.starts_with(&format!("arn:aws:eks:eu-west-1:123456789012:addon/{cluster}/vpc-cni/")), "{arn}");
    // the version of the course's table (components.eks-addon-vpc-cni)
    let table = builtin_pack().versions.components.iter().find(|c| c.id == "eks-addon-vpc-cni").map(|c| c.version.clone());
    assert_eq!(created.addon_version, table);
    assert!(created.created_at.is_some() && created.health.is_some(), "{created:?}");
    assert_eq!(created.tags.as_ref().and_then(|t| t.get("lab")).map(String::as_str), Some("front"));

    let again = eks.create_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect_err("a second create");
    assert_eq!((again.code(), again.message()), (Some("ResourceInUseException"), Some("Addon already exists.")));

    tokio::time::sleep(SETTLE).await;
    assert_eq!(status(eks, &cluster, "vpc-cni").await, Some(AddonStatus::Active));
    let listed = eks.list_addons().cluster_name(&cluster).send().await.expect("list").addons.unwrap_or_default();
    assert_eq!(listed, ["vpc-cni"]);

    let update = eks
        .update_addon()
        .cluster_name(&cluster)
        .addon_name("vpc-cni")
        .configuration_values(r#"{"env":{"ENABLE_PREFIX_DELEGATION":"true","WARM_PREFIX_TARGET":"1"}}"#)
        .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite)
        .send()
        .await
        .expect("update")
        .update
        .expect("update");
    assert_eq!(update.status, Some(UpdateStatus::InProgress));
    assert_eq!(status(eks, &cluster, "vpc-cni").await, Some(AddonStatus::Updating));
    let id = update.id.expect("update id");
    tokio::time::sleep(SETTLE).await;
    let done = eks.describe_update().name(&cluster).update_id(&id).addon_name("vpc-cni").send().await.expect("describe update").update.expect("update");
    assert_eq!(done.status, Some(UpdateStatus::Successful));
    let addon = eks.describe_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect("describe").addon.expect("addon");
    assert_eq!(addon.status, Some(AddonStatus::Active));
    assert_eq!(addon.configuration_values.as_deref(), Some(r#"{"env":{"ENABLE_PREFIX_DELEGATION":"true","WARM_PREFIX_TARGET":"1"}}"#));

    let deleting = eks.delete_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect("delete").addon.expect("addon");
    assert_eq!(deleting.status, Some(AddonStatus::Deleting));
    tokio::time::sleep(SETTLE).await;
    let gone = eks.describe_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect_err("deleted");
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    assert!(gone.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{gone:?}");
}

#[tokio::test]
async fn what_eks_refuses_the_front_refuses() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let nosuch = unique("nosuch");
    let e = eks.create_addon().cluster_name(&nosuch).addon_name("vpc-cni").send().await.expect_err("no cluster");
    assert_eq!((e.code(), e.message()), (Some("ResourceNotFoundException"), Some(format!("No cluster found for name: {nosuch}.").as_str())));

    let cluster = moto_cluster(aws(&b), "front").await;
    let e = eks.create_addon().cluster_name(&cluster).addon_name("not-an-addon").send().await.expect_err("unknown add-on");
    assert_eq!(e.code(), Some("InvalidParameterException"));
    let e = eks.create_addon().cluster_name(&cluster).addon_name("coredns").configuration_values("- a list").send().await.expect_err("not an object");
    assert_eq!(e.code(), Some("InvalidParameterException"));
    let e = eks.describe_addon().cluster_name(&cluster).addon_name("coredns").send().await.expect_err("never created");
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    let e = eks.describe_update().name(&cluster).update_id("0000").addon_name("coredns").send().await.expect_err("no update");
    assert_eq!((e.code(), e.message()), (Some("ResourceNotFoundException"), Some("No update found for ID: 0000")));
    // an update while the add-on is still being created
    eks.create_addon().cluster_name(&cluster).addon_name("coredns").configuration_values("replicaCount: 3\n").send().await.expect("YAML values");
    let e = eks.update_addon().cluster_name(&cluster).addon_name("coredns").addon_version("v0").send().await.expect_err("still CREATING");
    assert_eq!(e.code(), Some("ResourceInUseException"));
}

#[tokio::test]
async fn everything_else_passes_to_the_emulator() {
    let front = front().await;
    let b = through(&front).await;
    let aws = aws(&b);
    // EKS operations the front does not answer, and other services
    let cluster = moto_cluster(aws, "front").await;
    let described = aws.eks.describe_cluster().name(&cluster).send().await.expect("describe cluster").cluster.expect("cluster");
    assert_eq!(described.name.as_deref(), Some(cluster.as_str()));
    let who = aws.sts.get_caller_identity().send().await.expect("sts");
    assert!(who.account.is_some(), "{who:?}");
    let role = unique("front-role");
    let arn = iam_role(aws, &role, r#"{"Version": "2012-10-17", "Statement": []}"#).await;
    assert!(arn.ends_with(&role), "{arn}");
    let bucket = unique("front-bucket");
    crate::live::bucket(aws, &bucket).await;
    aws.s3.put_object().bucket(&bucket).key("k").body(b"through the front".to_vec().into()).send().await.expect("put");
    let got = aws.s3.get_object().bucket(&bucket).key("k").send().await.expect("get").body.collect().await.expect("body").into_bytes();
    assert_eq!(&got[..], b"through the front");
}

#[tokio::test]
async fn a_check_reads_an_addon_through_the_front() {
    let c = client(&backend(None, false).await);
    ebs_csi_driver(&c).await;
    let ns = ebs_csi_controller(&c, "front", Some("arn:aws:iam::123456789012:role/ebs-csi"), json!({"type": "kwok"})).await;
    let front = front().await;
    let b = through(&front).await;
    let cluster = moto_cluster(aws(&b), "front").await;
    aws(&b).eks.create_addon().cluster_name(&cluster).addon_name("aws-ebs-csi-driver").send().await.expect("create addon");
    let s = spec("csi.ebs", &[("namespace", &ns)]);
    let v = vars(&[("cluster", &cluster)]);
    tokio::time::sleep(SETTLE).await;
    let r = run_until(&b, &s, &v, Pass, "ebs-csi-controller available").await;
    assert_status(&r, Pass, "ebs.csi.aws.com: CSIDriver, ebs-csi-controller available");
}

#[tokio::test]
async fn a_pod_identity_association_is_created_listed_updated_and_deleted() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = moto_cluster(aws(&b), "front").await;
    let created = eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace("shop")
        .service_account("reader")
        .role_arn("arn:aws:iam::123456789012:role/reader")
        .tags("lab", "front")
        .send()
        .await
        .expect("create association")
        .association
        .expect("association");
    let id = created.association_id.clone().expect("id");
    assert!(id.starts_with("a-") && id.len() == 19 && id[2..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{id}");
    assert_eq!(created.association_arn.as_deref(), Some(format!("arn:aws:eks:eu-west-1:123456789012:podidentityassociation/{cluster}/{id}").as_str()));
    assert_eq!((created.namespace.as_deref(), created.service_account.as_deref()), (Some("shop"), Some("reader")));
    assert!(created.created_at.is_some(), "{created:?}");

    let again = eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace("shop")
        .service_account("reader")
        .role_arn("arn:aws:iam::123456789012:role/other")
        .send()
        .await
        .expect_err("one association per service account");
    assert_eq!(again.code(), Some("ResourceInUseException"));
    let missing = eks.create_pod_identity_association().cluster_name(&cluster).namespace("shop").send().await.expect_err("no role");
    assert_eq!(missing.code(), Some("InvalidParameterException"));

    let listed = |ns: &'static str, sa: &'static str| {
        let (eks, cluster) = (eks.clone(), cluster.clone());
        async move {
            eks.list_pod_identity_associations()
                .cluster_name(&cluster)
                .namespace(ns)
                .service_account(sa)
                .send()
                .await
                .expect("list")
                .associations
                .unwrap_or_default()
        }
    };
    assert_eq!(listed("shop", "reader").await.iter().filter_map(|a| a.association_id.clone()).collect::<Vec<_>>(), std::slice::from_ref(&id));
    assert!(listed("shop", "writer").await.is_empty());

    let updated = eks
        .update_pod_identity_association()
        .cluster_name(&cluster)
        .association_id(&id)
        .role_arn("arn:aws:iam::123456789012:role/reader-v2")
        .send()
        .await
        .expect("update")
        .association
        .expect("association");
    assert_eq!(updated.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/reader-v2"));
    let described = eks.describe_pod_identity_association().cluster_name(&cluster).association_id(&id).send().await.expect("describe").association.expect("a");
    assert_eq!(described.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/reader-v2"));

    eks.delete_pod_identity_association().cluster_name(&cluster).association_id(&id).send().await.expect("delete");
    let gone = eks.describe_pod_identity_association().cluster_name(&cluster).association_id(&id).send().await.expect_err("deleted");
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    assert!(listed("shop", "reader").await.is_empty());
}

#[tokio::test]
async fn a_check_finds_a_pod_identity_association_through_the_front() {
    let c = client(&backend(None, false).await);
    let ns = namespace(&c, "front-podid").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "aws-load-balancer-controller"}})).await;
    let front = front().await;
    let b = through(&front).await;
    let cluster = moto_cluster(aws(&b), "front").await;
    let _: Deployment = create(&c, &ns, json!({"metadata": {"name": "aws-load-balancer-controller"}, "spec": {"selector": {"matchLabels": {"app": "lbc"}},
        "template": {"metadata": {"labels": {"app": "lbc"}}, "spec": {"serviceAccountName": "aws-load-balancer-controller", "nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "controller", "image": "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0", "args": [format!("--cluster-name={cluster}")]}]}}}})).await;
    let role = "arn:aws:iam::123456789012:role/lbc-podid";
    let id = aws(&b)
        .eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace(&ns)
        .service_account("aws-load-balancer-controller")
        .role_arn(role)
        .send()
        .await
        .expect("association")
        .association
        .and_then(|a| a.association_id)
        .expect("id");
    let s = spec("lbc.deployed", &[("namespace", &ns)]);
    let v = vars(&[("cluster", &cluster), ("account", "123456789012")]);
    // whether the agent runs is another test's business (kube-system is shared): either way the
    // check has found the association the learner made through the front
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let r = loop {
        let r = run(&b, &s, &v).await;
        if r.message.contains("Pod Identity association") || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(r.message.contains(&format!("Pod Identity association {id} (role {role})")), "{r:#?}");
    delete_namespace(&c, &ns).await;
}

/// A cluster created through the front with `mode` as its authentication mode (None: none given).
pub(crate) async fn cluster_with(eks: &aws_sdk_eks::Client, mode: Option<AuthenticationMode>, version: Option<&str>) -> String {
    let name = unique("front-cfg");
    let mut req = eks
        .create_cluster()
        .name(&name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .set_version(version.map(str::to_string))
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-a").build());
    let expected = mode.clone().unwrap_or(AuthenticationMode::ConfigMap);
    if let Some(m) = mode {
        req = req.access_config(CreateAccessConfigRequest::builder().authentication_mode(m).build());
    }
    let created = req.send().await.expect("create cluster").cluster.expect("cluster");
    // moto drops accessConfig: the front answers with the one asked for, or EKS's default
    assert_eq!(created.access_config.and_then(|a| a.authentication_mode), Some(expected));
    name
}

async fn described(eks: &aws_sdk_eks::Client, cluster: &str) -> aws_sdk_eks::types::Cluster {
    eks.describe_cluster().name(cluster).send().await.expect("describe cluster").cluster.expect("cluster")
}

async fn update_status(eks: &aws_sdk_eks::Client, cluster: &str, id: &str) -> Option<UpdateStatus> {
    eks.describe_update().name(cluster).update_id(id).send().await.expect("describe update").update.and_then(|u| u.status)
}

fn params(update: &Update) -> Vec<(String, String)> {
    update.params().iter().map(|p| (p.r#type.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(), p.value.clone().unwrap_or_default())).collect()
}

#[tokio::test]
async fn cluster_config_updates_are_in_progress_then_settle() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = cluster_with(eks, Some(AuthenticationMode::ApiAndConfigMap), None).await;
    let c = described(eks, &cluster).await;
    // the access configuration moto drops is kept; EKS's defaults where the request gave none
    let access = c.access_config.expect("accessConfig");
    assert_eq!((access.authentication_mode, access.bootstrap_cluster_creator_admin_permissions), (Some(AuthenticationMode::ApiAndConfigMap), Some(true)));
    let vpc = c.resources_vpc_config.expect("vpc");
    assert_eq!((vpc.endpoint_public_access, vpc.endpoint_private_access, vpc.public_access_cidrs()), (true, false, &["0.0.0.0/0".to_string()][..]));
    assert_eq!(vpc.subnet_ids(), ["subnet-a"]);
    assert!(c.encryption_config.is_none(), "{:?}", c.encryption_config);
    assert_eq!(c.status, Some(aws_sdk_eks::types::ClusterStatus::Active));

    let update = eks
        .update_cluster_config()
        .name(&cluster)
        .resources_vpc_config(VpcConfigRequest::builder().endpoint_private_access(true).public_access_cidrs("203.0.113.0/24").build())
        .send()
        .await
        .expect("endpoint update")
        .update
        .expect("update");
    assert_eq!((update.r#type.clone(), update.status.clone()), (Some(UpdateType::EndpointAccessUpdate), Some(UpdateStatus::InProgress)));
    assert_eq!(
        params(&update),
        [
            ("EndpointPublicAccess".into(), "true".into()),
            ("EndpointPrivateAccess".into(), "true".into()),
            ("PublicAccessCidrs".into(), r#"["203.0.113.0/24"]"#.into())
        ]
    );
    let id = update.id.clone().expect("id");
    // not applied yet, and nothing else may change meanwhile
    assert!(!described(eks, &cluster).await.resources_vpc_config.expect("vpc").endpoint_private_access);
    let busy = eks
        .update_cluster_config()
        .name(&cluster)
        .logging(Logging::builder().cluster_logging(LogSetup::builder().types(LogType::Api).enabled(true).build()).build())
        .send()
        .await
        .expect_err("an update in progress");
    assert_eq!(
        (busy.code(), busy.message()),
        (Some("ResourceInUseException"), Some(format!("Cannot LoggingUpdate because cluster {cluster} currently has update {id} in progress").as_str()))
    );
    tokio::time::sleep(SETTLE).await;
    assert_eq!(update_status(eks, &cluster, &id).await, Some(UpdateStatus::Successful));
    let vpc = described(eks, &cluster).await.resources_vpc_config.expect("vpc");
    assert_eq!((vpc.endpoint_public_access, vpc.endpoint_private_access, vpc.public_access_cidrs()), (true, true, &["203.0.113.0/24".to_string()][..]));
    assert_eq!(vpc.subnet_ids(), ["subnet-a"], "the subnets stay (moto alone would drop them)");
    let same = eks.update_cluster_config().name(&cluster).resources_vpc_config(VpcConfigRequest::builder().endpoint_private_access(true).build()).send().await;
    let same = same.expect_err("no change");
    assert_eq!(
        (same.code(), same.message()),
        (
            Some("InvalidParameterException"),
            Some(
                "Cluster is already at the desired configuration with endpointPrivateAccess: true , endpointPublicAccess: true, and Public Endpoint Restrictions: [203.0.113.0/24]"
            )
        )
    );
    let none = eks
        .update_cluster_config()
        .name(&cluster)
        .resources_vpc_config(VpcConfigRequest::builder().endpoint_private_access(false).endpoint_public_access(false).build())
        .send()
        .await
        .expect_err("no endpoint at all");
    assert_eq!(none.message(), Some("Both private and public endpoint access cannot be false"));

    // logging: enabled types first, then the disabled ones
    let logging = Logging::builder().cluster_logging(LogSetup::builder().types(LogType::Api).types(LogType::Audit).enabled(true).build()).build();
    let update = eks.update_cluster_config().name(&cluster).logging(logging.clone()).send().await.expect("logging update").update.expect("update");
    assert_eq!(update.r#type, Some(UpdateType::LoggingUpdate));
    assert_eq!(params(&update), [("ClusterLogging".into(), r#"{"clusterLogging":[{"types":["api","audit"],"enabled":true}]}"#.into())]);
    tokio::time::sleep(SETTLE).await;
    let setups = described(eks, &cluster).await.logging.expect("logging").cluster_logging.unwrap_or_default();
    assert_eq!(setups[0].types(), [LogType::Api, LogType::Audit]);
    assert_eq!((setups[0].enabled, setups[1].enabled, setups[1].types().len()), (Some(true), Some(false), 3));
    let same = eks.update_cluster_config().name(&cluster).logging(logging).send().await.expect_err("no change");
    assert_eq!(same.message(), Some("No changes needed for the logging config provided"));

    // one type of update at a time; the authentication mode one step forward, never back
    let two = eks
        .update_cluster_config()
        .name(&cluster)
        .resources_vpc_config(VpcConfigRequest::builder().endpoint_public_access(false).build())
        .access_config(UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::Api).build())
        .send()
        .await
        .expect_err("two types");
    assert_eq!((two.code(), two.message()), (Some("InvalidParameterException"), Some("Only one type of update can be allowed.")));
    let update = eks
        .update_cluster_config()
        .name(&cluster)
        .access_config(UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::Api).build())
        .send()
        .await
        .expect("mode update")
        .update
        .expect("update");
    assert_eq!((update.r#type.clone(), params(&update)), (Some(UpdateType::AccessConfigUpdate), vec![("AuthenticationMode".into(), r#""API""#.into())]));
    tokio::time::sleep(SETTLE).await;
    assert_eq!(described(eks, &cluster).await.access_config.and_then(|a| a.authentication_mode), Some(AuthenticationMode::Api));
    let back = eks
        .update_cluster_config()
        .name(&cluster)
        .access_config(UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::ConfigMap).build())
        .send()
        .await
        .expect_err("never back");
    assert_eq!(back.message(), Some("Unsupported authentication mode update from API to CONFIG_MAP"));

    // the cluster's updates, newest last; add-on updates stay the add-ons'
    let ids = eks.list_updates().name(&cluster).send().await.expect("list updates").update_ids.unwrap_or_default();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], id);
    assert!(eks.list_updates().name(&cluster).addon_name("vpc-cni").send().await.expect("add-on updates").update_ids.unwrap_or_default().is_empty());
    let e = eks.describe_update().name(&cluster).update_id("0000").send().await.expect_err("no such update");
    assert_eq!((e.code(), e.message()), (Some("ResourceNotFoundException"), Some("No update found for ID: 0000")));
}

#[tokio::test]
async fn a_config_map_cluster_moves_to_access_entries_one_step_at_a_time() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    // EKS refuses a CONFIG_MAP cluster whose creator gets no admin
    let e = eks
        .create_cluster()
        .name(unique("front-cfg"))
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-a").build())
        .access_config(
            CreateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::ConfigMap).bootstrap_cluster_creator_admin_permissions(false).build(),
        )
        .send()
        .await
        .expect_err("CONFIG_MAP without the creator's admin");
    assert_eq!(e.message(), Some("bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"));

    let cluster = cluster_with(eks, None, None).await;
    let access = described(eks, &cluster).await.access_config.expect("accessConfig");
    assert_eq!((access.authentication_mode, access.bootstrap_cluster_creator_admin_permissions), (Some(AuthenticationMode::ConfigMap), Some(true)));
    let e = eks.list_access_entries().cluster_name(&cluster).send().await.expect_err("CONFIG_MAP has no access entries");
    assert_eq!(
        (e.code(), e.message()),
        (Some("InvalidRequestException"), Some("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."))
    );
    let mode = |m| UpdateAccessConfigRequest::builder().authentication_mode(m).build();
    let e = eks.update_cluster_config().name(&cluster).access_config(mode(AuthenticationMode::Api)).send().await.expect_err("two steps at once");
    assert_eq!(e.message(), Some("Unsupported authentication mode update from CONFIG_MAP to API"));
    eks.update_cluster_config().name(&cluster).access_config(mode(AuthenticationMode::ApiAndConfigMap)).send().await.expect("one step");
    tokio::time::sleep(SETTLE).await;
    // the creator (moto's caller identity for the test's keys) now has its admin entry, as EKS gives it
    let entries = eks.list_access_entries().cluster_name(&cluster).send().await.expect("list entries").access_entries.unwrap_or_default();
    assert_eq!(entries, ["arn:aws:iam::123456789012:user/moto"]);
    let e = eks.update_cluster_config().name(&cluster).access_config(mode(AuthenticationMode::ApiAndConfigMap)).send().await.expect_err("already there");
    assert_eq!(e.message(), Some("Unsupported authentication mode update from API_AND_CONFIG_MAP to API_AND_CONFIG_MAP"));
}

#[tokio::test]
async fn secrets_encryption_is_associated_once() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = moto_cluster(aws(&b), "front").await;
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let config = |resource: &str| EncryptionConfig::builder().resources(resource).provider(Provider::builder().key_arn(key).build()).build();
    let e = eks.associate_encryption_config().cluster_name(&cluster).encryption_config(config("configmaps")).send().await.expect_err("secrets only");
    assert_eq!(e.code(), Some("InvalidParameterException"));
    let update =
        eks.associate_encryption_config().cluster_name(&cluster).encryption_config(config("secrets")).send().await.expect("associate").update.expect("update");
    assert_eq!((update.r#type.clone(), update.status.clone()), (Some(UpdateType::AssociateEncryptionConfig), Some(UpdateStatus::InProgress)));
    assert_eq!(params(&update), [("EncryptionConfig".into(), format!(r#"[{{"resources":["secrets"],"provider":{{"keyArn":"{key}"}}}}]"#))]);
    assert!(described(eks, &cluster).await.encryption_config.is_none());
    tokio::time::sleep(SETTLE).await;
    assert_eq!(update_status(eks, &cluster, update.id().unwrap_or_default()).await, Some(UpdateStatus::Successful));
    let configs = described(eks, &cluster).await.encryption_config.unwrap_or_default();
    assert_eq!(configs.first().and_then(|c| c.provider.as_ref()).and_then(|p| p.key_arn.as_deref()), Some(key));
    let e = eks.associate_encryption_config().cluster_name(&cluster).encryption_config(config("secrets")).send().await.expect_err("once");
    assert_eq!((e.code(), e.message()), (Some("InvalidParameterException"), Some("Encryption is already enabled on the cluster")));
}

#[tokio::test]
async fn cluster_versions_come_from_the_course_table() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let table = builtin_pack().versions.kubernetes.expect("the table's Kubernetes releases");
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
    let secs = |d: jiff::civil::Date| d.to_zoned(jiff::tz::TimeZone::UTC).expect("zoned").timestamp().as_second();
    let all = eks.describe_cluster_versions().include_all(true).send().await.expect("versions").cluster_versions.unwrap_or_default();
    let released: Vec<_> = table.releases.iter().filter(|r| r.released <= today).collect();
    assert_eq!(all.len(), released.len());
    for r in released {
        let v = all.iter().find(|v| v.cluster_version.as_deref() == Some(r.version.as_str())).unwrap_or_else(|| panic!("{} listed", r.version));
        assert_eq!(v.end_of_standard_support_date.map(|d| d.secs()), Some(secs(r.end_of_standard)), "{v:?}");
        assert_eq!(v.end_of_extended_support_date.map(|d| d.secs()), Some(secs(r.end_of_extended)), "{v:?}");
        assert_eq!(v.release_date.map(|d| d.secs()), Some(secs(r.released)), "{v:?}");
        let status = match r.support_on(today) {
            kubedojo::content::versions::Support::Standard => VersionStatus::StandardSupport,
            kubedojo::content::versions::Support::Extended => VersionStatus::ExtendedSupport,
            kubedojo::content::versions::Support::Unsupported => VersionStatus::Unsupported,
        };
        assert_eq!(v.version_status, Some(status), "{v:?}");
        assert_eq!(v.cluster_type.as_deref(), Some("eks"));
    }
    assert_eq!(all.iter().filter(|v| v.default_version).count(), 1, "{all:?}");
    let one =
        eks.describe_cluster_versions().cluster_versions(&table.lab).include_all(true).send().await.expect("one version").cluster_versions.unwrap_or_default();
    assert_eq!(one.iter().filter_map(|v| v.cluster_version.as_deref()).collect::<Vec<_>>(), [table.lab.as_str()]);
    // without includeAll, only what is still supported
    let supported = eks.describe_cluster_versions().send().await.expect("versions").cluster_versions.unwrap_or_default();
    assert!(supported.iter().all(|v| v.version_status != Some(VersionStatus::Unsupported)), "{supported:?}");
}

#[tokio::test]
async fn an_access_entry_is_created_described_updated_and_deleted() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = cluster_with(eks, Some(AuthenticationMode::Api), None).await;
    // the creator's entry, as bootstrapClusterCreatorAdminPermissions (default true) makes it
    let creator = "arn:aws:iam::123456789012:user/moto";
    let admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    let policies = eks.list_associated_access_policies().cluster_name(&cluster).principal_arn(creator).send().await.expect("creator's policies");
    let policies = policies.associated_access_policies.unwrap_or_default();
    assert_eq!(policies.iter().filter_map(|p| p.policy_arn.as_deref()).collect::<Vec<_>>(), [admin]);
    assert_eq!(policies[0].access_scope.as_ref().and_then(|s| s.r#type.clone()), Some(AccessScopeType::Cluster));

    let role = "arn:aws:iam::123456789012:role/dev/reader";
    let created = eks
        .create_access_entry()
        .cluster_name(&cluster)
        .principal_arn(role)
        .kubernetes_groups("readers")
        .tags("lab", "front")
        .send()
        .await
        .expect("create entry")
        .access_entry
        .expect("entry");
    assert_eq!(created.r#type.as_deref(), Some("STANDARD"));
    assert_eq!(created.username.as_deref(), Some("arn:aws:sts::123456789012:assumed-role/reader/{{SessionName}}"));
    assert_eq!(created.kubernetes_groups(), ["readers"]);
    let arn = created.access_entry_arn.clone().unwrap_or_default();
    assert!(arn.starts_with(&format!("arn:aws:eks:eu-west-1:123456789012:access-entry/{cluster}/role/123456789012/reader/")), "{arn}");
    assert!(created.created_at.is_some() && created.tags.as_ref().is_some_and(|t| t.get("lab").is_some()), "{created:?}");
    let again = eks.create_access_entry().cluster_name(&cluster).principal_arn(role).send().await.expect_err("one entry per principal");
    assert_eq!(
        (again.code(), again.message()),
        (Some("ResourceInUseException"), Some("The specified access entry resource is already in use on this cluster."))
    );

    let updated = eks
        .update_access_entry()
        .cluster_name(&cluster)
        .principal_arn(role)
        .kubernetes_groups("viewers")
        .username("reader:{{SessionName}}")
        .send()
        .await
        .expect("update entry")
        .access_entry
        .expect("entry");
    assert_eq!((updated.kubernetes_groups(), updated.username.as_deref()), (&["viewers".to_string()][..], Some("reader:{{SessionName}}")));
    let view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
    let associated = eks
        .associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(role)
        .policy_arn(view)
        .access_scope(AccessScope::builder().r#type(AccessScopeType::Namespace).namespaces("shop").build())
        .send()
        .await
        .expect("associate");
    assert_eq!(associated.principal_arn.as_deref(), Some(role));
    let scope = associated.associated_access_policy.and_then(|a| a.access_scope).expect("scope");
    assert_eq!((scope.r#type.clone(), scope.namespaces()), (Some(AccessScopeType::Namespace), &["shop".to_string()][..]));
    let with_view = eks.list_access_entries().cluster_name(&cluster).associated_policy_arn(view).send().await.expect("list").access_entries.unwrap_or_default();
    assert_eq!(with_view, [role]);
    let every = eks.list_access_entries().cluster_name(&cluster).send().await.expect("list").access_entries.unwrap_or_default();
    assert_eq!(every.len(), 2, "{every:?}");

    eks.disassociate_access_policy().cluster_name(&cluster).principal_arn(role).policy_arn(view).send().await.expect("disassociate");
    let left = eks
        .list_associated_access_policies()
        .cluster_name(&cluster)
        .principal_arn(role)
        .send()
        .await
        .expect("list")
        .associated_access_policies
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    eks.delete_access_entry().cluster_name(&cluster).principal_arn(role).send().await.expect("delete");
    let gone = eks.describe_access_entry().cluster_name(&cluster).principal_arn(role).send().await.expect_err("deleted");
    assert_eq!(
        (gone.code(), gone.message()),
        (
            Some("ResourceNotFoundException"),
            Some("The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
        )
    );
}

#[tokio::test]
async fn what_eks_refuses_in_access_entries_the_front_refuses() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let policies = eks.list_access_policies().send().await.expect("access policies").access_policies.unwrap_or_default();
    for name in ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"] {
        assert!(
            policies
                .iter()
                .any(|p| p.name.as_deref() == Some(name) && p.arn.as_deref() == Some(format!("arn:aws:eks::aws:cluster-access-policy/{name}").as_str())),
            "{name} in {policies:?}"
        );
    }
    let cluster = cluster_with(eks, Some(AuthenticationMode::ApiAndConfigMap), None).await;
    let role = "arn:aws:iam::123456789012:role/lab";
    eks.create_access_entry().cluster_name(&cluster).principal_arn(role).send().await.expect("entry");
    let scope = |t: AccessScopeType| AccessScope::builder().r#type(t).build();
    let e = eks
        .associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(role)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy")
        .access_scope(scope(AccessScopeType::Namespace))
        .send()
        .await
        .expect_err("a namespace scope needs namespaces");
    assert_eq!(e.code(), Some("InvalidParameterException"));
    let e = eks
        .associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(role)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSRootPolicy")
        .access_scope(scope(AccessScopeType::Cluster))
        .send()
        .await
        .expect_err("no such policy");
    assert_eq!(e.code(), Some("InvalidParameterException"));
    let e = eks
        .associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn("arn:aws:iam::123456789012:role/nobody")
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(scope(AccessScopeType::Cluster))
        .send()
        .await
        .expect_err("no such entry");
    assert_eq!(e.code(), Some("ResourceNotFoundException"));

    // node entries: EKS's username and group, no groups of one's own, no policies
    let node = "arn:aws:iam::123456789012:role/nodes";
    let e = eks.create_access_entry().cluster_name(&cluster).principal_arn(node).r#type("EC2_LINUX").kubernetes_groups("admins").send().await;
    assert_eq!(e.expect_err("no groups on a node entry").code(), Some("InvalidParameterException"));
    let entry =
        eks.create_access_entry().cluster_name(&cluster).principal_arn(node).r#type("EC2_LINUX").send().await.expect("node entry").access_entry.expect("e");
    assert_eq!((entry.username.as_deref(), entry.kubernetes_groups()), (Some("system:node:{{EC2PrivateDNSName}}"), &["system:nodes".to_string()][..]));
    let e = eks
        .associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(node)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(scope(AccessScopeType::Cluster))
        .send()
        .await
        .expect_err("STANDARD only");
    assert_eq!(e.message(), Some("This operation can only be performed on Access Entries with a type of \"STANDARD\"."));

    // a session, a service-linked role, a reserved username
    for (principal, username) in [
        ("arn:aws:sts::123456789012:assumed-role/lab/session", None),
        ("arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", None),
        ("arn:aws:iam::123456789012:role/other", Some("system:admin")),
    ] {
        let e = eks.create_access_entry().cluster_name(&cluster).principal_arn(principal).set_username(username.map(str::to_string)).send().await;
        assert_eq!(e.expect_err(principal).code(), Some("InvalidParameterException"), "{principal}");
    }
    let nosuch = unique("nosuch");
    let e = eks.list_access_entries().cluster_name(&nosuch).send().await.expect_err("no cluster");
    assert_eq!((e.code(), e.message()), (Some("ResourceNotFoundException"), Some(format!("No cluster found for name: {nosuch}.").as_str())));
}

#[tokio::test]
async fn checks_read_the_cluster_configuration_through_the_front() {
    let front = front().await;
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let lab = builtin_pack().versions.kubernetes.expect("table").lab;
    let cluster = cluster_with(eks, Some(AuthenticationMode::ApiAndConfigMap), Some(&lab)).await;
    let v = table_vars(&[("cluster", &cluster), ("region", "eu-west-1")]);

    // EKS's endpoint defaults (public, not private) until the learner changes them
    let endpoint = spec("cluster.private-endpoint", &[]);
    assert_status(&run(&b, &endpoint, &v).await, Fail, "endpointPrivateAccess=false");
    let vpc = VpcConfigRequest::builder().endpoint_private_access(true).endpoint_public_access(false).build();
    eks.update_cluster_config().name(&cluster).resources_vpc_config(vpc).send().await.expect("endpoint update");
    tokio::time::sleep(SETTLE).await;
    assert_status(&run(&b, &endpoint, &v).await, Pass, "private endpoint only");

    let kms = spec("secrets.kms", &[]);
    assert_status(&run(&b, &kms, &v).await, Fail, "Secrets not envelope-encrypted");
    let key = "arn:aws:kms:eu-west-1:123456789012:key/front";
    let config = EncryptionConfig::builder().resources("secrets").provider(Provider::builder().key_arn(key).build()).build();
    eks.associate_encryption_config().cluster_name(&cluster).encryption_config(config).send().await.expect("associate");
    tokio::time::sleep(SETTLE).await;
    assert_status(&run(&b, &kms, &v).await, Pass, &format!("Secrets are envelope-encrypted with {key}"));

    // the support status now comes from eks:DescribeClusterVersions, with the table's dates
    let r = run(&b, &spec("cluster.active", &[]), &v).await;
    assert!(matches!(r.status, Pass | Warn), "{r:?}");
    assert!(r.message.contains(&format!("Kubernetes {lab}")) && r.message.contains("(source: eks:DescribeClusterVersions)"), "{r:?}");
}

/// The add-on manager: an add-on's objects appear in the cluster (server-side applied by `eks`),
/// with the learner's configuration values, and go with the add-on. vpc-cni only: kube-system
/// is shared by the tests, and no other test owns aws-node there.
#[tokio::test]
async fn an_addons_objects_follow_it_into_the_cluster() {
    use k8s_openapi::api::apps::v1::DaemonSet;
    let c = client(&backend(None, false).await);
    let addons = kubedojo::sandbox::front::addon_versions(&builtin_pack().versions);
    let releases = kubedojo::sandbox::front::kubernetes_releases(&builtin_pack().versions);
    let front =
        Front::start(FrontOptions { emulator: aws_endpoint(), settle: SETTLE, addons, releases, kubeconfig: Some(kubeconfig().into()), pod_identities: None })
            .await
            .expect("front");
    let b = through(&front).await;
    let eks = &aws(&b).eks;
    let cluster = moto_cluster(aws(&b), "front").await;
    eks.create_addon()
        .cluster_name(&cluster)
        .addon_name("vpc-cni")
        .configuration_values(r#"{"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}"#)
        .send()
        .await
        .expect("create addon");
    let ds: kube::Api<DaemonSet> = kube::Api::namespaced(c.clone(), "kube-system");
    let aws_node = ds.get("aws-node").await.expect("aws-node written by the add-on manager");
    let managers: Vec<String> = aws_node.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
    assert!(managers.contains(&"eks".to_string()), "{managers:?}");
    let containers = aws_node.spec.template.spec.map(|p| p.containers).unwrap_or_default();
    let env: Vec<(String, String)> = containers[0].env.iter().flatten().map(|e| (e.name.clone(), e.value.clone().unwrap_or_default())).collect();
    assert!(env.contains(&("ENABLE_PREFIX_DELEGATION".into(), "true".into())) && env.contains(&("WARM_ENI_TARGET".into(), "1".into())), "{env:?}");
    tokio::time::sleep(SETTLE).await;
    eks.update_addon().cluster_name(&cluster).addon_name("vpc-cni").configuration_values(r#"{"enableNetworkPolicy": "true"}"#).send().await.expect("update");
    let agent = ds.get("aws-node").await.expect("aws-node").spec.template.spec.map(|p| p.containers).unwrap_or_default();
    assert!(agent[1].args.iter().flatten().any(|a| a == "--enable-network-policy=true"), "{:?}", agent[1].args);
    tokio::time::sleep(SETTLE).await;
    eks.delete_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect("delete");
    assert!(ds.get_opt("aws-node").await.expect("get").is_none_or(|d| d.metadata.deletion_timestamp.is_some()), "aws-node goes with the add-on");
}

/// DescribeCluster names the cluster's VPC (moto leaves vpcId null; labs read it).
#[tokio::test]
async fn describe_cluster_names_the_vpc_of_its_subnets() {
    let front = front().await;
    let b = through(&front).await;
    let ec2 = &aws(&b).ec2;
    let vpc = ec2.create_vpc().cidr_block("10.42.0.0/16").send().await.expect("vpc").vpc.and_then(|v| v.vpc_id).expect("vpc id");
    let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.42.1.0/24").send().await.expect("subnet").subnet.and_then(|s| s.subnet_id).expect("subnet id");
    let name = unique("front-vpc");
    let eks = &aws(&b).eks;
    eks.create_cluster()
        .name(&name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids(&subnet).build())
        .send()
        .await
        .expect("cluster");
    let got = eks.describe_cluster().name(&name).send().await.expect("describe").cluster.and_then(|c| c.resources_vpc_config).and_then(|v| v.vpc_id);
    assert_eq!(got.as_deref(), Some(vpc.as_str()));
}
