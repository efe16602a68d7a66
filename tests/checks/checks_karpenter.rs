//! Karpenter's checks against the test environment: AWS through the sandbox's front (access
//! entries live there), Karpenter's objects with the status its controller writes. The lab's
//! own path, with the real controller, is the sandbox proof's (tests/cli/sandbox_labs.rs).

use crate::live::*;
use crate::sandbox_front::{front, through};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

const NODE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn cluster_with_vpc(b: &kubedojo::checks::backend::Backend, prefix: &str) -> (String, String, Vec<String>) {
    let aws = aws(b);
    let vpc = aws.ec2.create_vpc().cidr_block("10.77.0.0/16").send().await.expect("vpc").vpc.and_then(|v| v.vpc_id).expect("vpc id");
    let mut subnets = Vec::new();
    for (zone, cidr) in [("eu-west-1a", "10.77.0.0/20"), ("eu-west-1b", "10.77.16.0/20"), ("eu-west-1c", "10.77.32.0/20")] {
        let s = aws.ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr).availability_zone(zone).send().await.expect("subnet");
        subnets.push(s.subnet.and_then(|s| s.subnet_id).expect("subnet id"));
    }
    let name = unique(prefix);
    aws.eks
        .create_cluster()
        .name(&name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().set_subnet_ids(Some(subnets.clone())).build())
        .send()
        .await
        .expect("cluster");
    (name, vpc, subnets)
}

async fn tag(b: &kubedojo::checks::backend::Backend, ids: &[String], key: &str, value: &str) {
    aws(b)
        .ec2
        .create_tags()
        .set_resources(Some(ids.to_vec()))
        .tags(aws_sdk_ec2::types::Tag::builder().key(key).value(value).build())
        .send()
        .await
        .expect("tags");
}

#[tokio::test]
async fn the_node_role_needs_ec2_trust_the_four_policies_and_an_ec2_linux_access_entry() {
    let f = front().await;
    let b = through(&f).await;
    let (cluster, _, _) = cluster_with_vpc(&b, "kp-role").await;
    let v = vars(&[("cluster", &cluster)]);
    let s = spec("karpenter.node-role", &[]);
    let role = format!("KarpenterNodeRole-{cluster}");
    assert_status(&run(&b, &s, &v).await, Fail, &format!("role {role} does not exist"));
    let aws = aws(&b);
    let both = NODE_TRUST.replace(r#""Service":"ec2.amazonaws.com""#, r#""Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]"#);
    let arn = iam_role(aws, &role, &both).await;
    assert_status(&run(&b, &s, &v).await, Fail, "must be trusted by EC2 instances alone");
    aws.iam.update_assume_role_policy().role_name(&role).policy_document(NODE_TRUST).send().await.expect("trust");
    assert_status(&run(&b, &s, &v).await, Fail, "lacks AmazonEKS_CNI_Policy, AmazonEKSWorkerNodePolicy");
    for p in ["AmazonEKS_CNI_Policy", "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"] {
        attach_policy(aws, &role, &format!("arn:aws:iam::aws:policy/{p}")).await;
    }
    assert_status(&run(&b, &s, &v).await, Fail, "takes no access entries");
    aws.eks
        .update_cluster_config()
        .name(&cluster)
        .access_config(
            aws_sdk_eks::types::UpdateAccessConfigRequest::builder().authentication_mode(aws_sdk_eks::types::AuthenticationMode::ApiAndConfigMap).build(),
        )
        .send()
        .await
        .expect("access mode");
    let mut r = run(&b, &s, &v).await;
    for _ in 0..30 {
        if !r.message.contains("takes no access entries") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        r = run(&b, &s, &v).await;
    }
    assert_status(&r, Fail, "has no access entry");
    aws.eks.create_access_entry().cluster_name(&cluster).principal_arn(&arn).r#type("STANDARD").send().await.expect("entry");
    assert_status(&run(&b, &s, &v).await, Fail, "is of type STANDARD");
    aws.eks.delete_access_entry().cluster_name(&cluster).principal_arn(&arn).send().await.expect("delete entry");
    aws.eks.create_access_entry().cluster_name(&cluster).principal_arn(&arn).r#type("EC2_LINUX").send().await.expect("entry");
    assert_status(&run(&b, &s, &v).await, Pass, "an EC2_LINUX access entry");
}

#[tokio::test]
async fn discovery_wants_private_subnets_in_two_zones_and_a_security_group() {
    let b = backend(None, true).await;
    let (cluster, vpc, subnets) = cluster_with_vpc(&b, "kp-disc").await;
    let v = vars(&[("cluster", &cluster)]);
    let s = spec("karpenter.discovery", &[]);
    assert_status(&run(&b, &s, &v).await, Fail, "no subnet tagged karpenter.sh/discovery");
    tag(&b, &subnets[..1], "karpenter.sh/discovery", &cluster).await;
    assert_status(&run(&b, &s, &v).await, Fail, "at most one zone");
    let aws = aws(&b);
    aws.ec2
        .modify_subnet_attribute()
        .subnet_id(&subnets[2])
        .map_public_ip_on_launch(aws_sdk_ec2::types::AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .expect("public");
    tag(&b, &subnets[1..], "karpenter.sh/discovery", &cluster).await;
    assert_status(&run(&b, &s, &v).await, Fail, "give instances public addresses");
    aws.ec2.delete_tags().resources(&subnets[2]).tags(aws_sdk_ec2::types::Tag::builder().key("karpenter.sh/discovery").build()).send().await.expect("untag");
    assert_status(&run(&b, &s, &v).await, Fail, "no security group is tagged");
    let sg = aws.ec2.create_security_group().group_name(unique("nodes")).description("nodes").vpc_id(&vpc).send().await.expect("sg").group_id.expect("id");
    tag(&b, &[sg], "karpenter.sh/discovery", &cluster).await;
    assert_status(&run(&b, &s, &v).await, Pass, "2 private subnets in eu-west-1a, eu-west-1b");
}

#[tokio::test]
async fn the_interruption_queue_must_take_eventbridges_five_event_types() {
    let b = backend(None, true).await;
    let aws = aws(&b);
    let queue = unique("kp-queue");
    let v = vars(&[("cluster", &queue)]);
    let s = spec("karpenter.interruption-queue", &[]);
    assert_status(&run(&b, &s, &v).await, Fail, &format!("no SQS queue {queue}"));
    let url = aws.sqs.create_queue().queue_name(&queue).send().await.expect("queue").queue_url.expect("url");
    let arn = format!("arn:aws:sqs:eu-west-1:123456789012:{queue}");
    assert_status(&run(&b, &s, &v).await, Fail, "does not let EventBridge");
    let policy = json!({"Version": "2012-10-17", "Id": "EC2InterruptionPolicy", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}, "Action": "sqs:SendMessage", "Resource": arn}]});
    // with the policy each time: moto 5.2.5 drops a queue's policy on a SetQueueAttributes without one
    let set = |k: aws_sdk_sqs::types::QueueAttributeName, v: String| {
        aws.sqs.set_queue_attributes().queue_url(&url).attributes(aws_sdk_sqs::types::QueueAttributeName::Policy, policy.to_string()).attributes(k, v).send()
    };
    set(aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled, "false".into()).await.expect("sse off");
    assert_status(&run(&b, &s, &v).await, Fail, "is not encrypted at rest");
    set(aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled, "true".into()).await.expect("sse");
    assert_status(&run(&b, &s, &v).await, Fail, "0 of the 5 event types Karpenter handles reach");
    for (i, (source, detail)) in kubedojo_events().iter().enumerate() {
        let rule = format!("{queue}-{i}");
        let pattern = json!({"source": [source], "detail-type": [detail]});
        aws.events.put_rule().name(&rule).event_pattern(pattern.to_string()).send().await.expect("rule");
        aws.events
            .put_targets()
            .rule(&rule)
            .targets(aws_sdk_eventbridge::types::Target::builder().id("KarpenterInterruptionQueueTarget").arn(&arn).build().expect("target"))
            .send()
            .await
            .expect("targets");
    }
    set(aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod, "345600".into()).await.expect("retention");
    assert_status(&run(&b, &s, &v).await, Warn, "keeps messages 345600 s");
    set(aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod, "300".into()).await.expect("retention");
    assert_status(&run(&b, &s, &v).await, Pass, "all 5 event types");
    // teardown: the queue and the rules are leftovers until deleted
    let rules: Vec<String> = (0..5).map(|i| format!("{queue}-{i}")).collect();
    let t = spec_lists("teardown.clean", &[("queues", vec![queue.clone()]), ("eventRules", rules.clone())]);
    assert_status(&run(&b, &t, &v).await, Fail, &format!("SQS queue {queue}"));
    for r in &rules {
        aws.events.remove_targets().rule(r).ids("KarpenterInterruptionQueueTarget").send().await.expect("remove targets");
        aws.events.delete_rule().name(r).send().await.expect("delete rule");
    }
    aws.sqs.delete_queue().queue_url(&url).send().await.expect("delete queue");
    assert_status(&run(&b, &t, &v).await, Pass, "nothing the lab created is left");
}

fn kubedojo_events() -> [(&'static str, &'static str); 5] {
    [
        ("aws.health", "AWS Health Event"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
    ]
}

fn spec_lists(kind: &str, lists: &[(&str, Vec<String>)]) -> kubedojo::content::CheckSpec {
    let mut s = spec(kind, &[]);
    for (k, v) in lists {
        s.params.insert(k.to_string(), kubedojo::content::ParamValue::List(v.clone()));
    }
    s
}

/// What Karpenter leaves in EC2 and IAM for a cluster: named by teardown.clean karpenterOf.
#[tokio::test]
async fn teardown_names_the_instances_templates_and_profiles_karpenter_made() {
    let b = backend(None, true).await;
    let aws = aws(&b);
    let cluster = unique("kp-left");
    let v = vars(&[("cluster", &cluster)]);
    let t = spec_lists("teardown.clean", &[("karpenterOf", vec![cluster.clone()])]);
    assert_status(&run(&b, &t, &v).await, Pass, "nothing the lab created is left");
    let image = aws.ec2.describe_images().owners("amazon").send().await.expect("images").images.unwrap_or_default()[0].image_id.clone().expect("ami");
    let tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
        .tags(aws_sdk_ec2::types::Tag::builder().key("karpenter.sh/nodepool").value("default").build())
        .tags(aws_sdk_ec2::types::Tag::builder().key(format!("kubernetes.io/cluster/{cluster}")).value("owned").build())
        .build();
    let run_out = aws
        .ec2
        .run_instances()
        .image_id(&image)
        .instance_type(aws_sdk_ec2::types::InstanceType::M6iLarge)
        .min_count(1)
        .max_count(1)
        .tag_specifications(tags)
        .send()
        .await
        .expect("instance");
    let instance = run_out.instances()[0].instance_id().expect("id").to_string();
    let lt_tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::LaunchTemplate)
        .tags(aws_sdk_ec2::types::Tag::builder().key("eks:eks-cluster-name").value(&cluster).build())
        .build();
    let lt_name = format!("karpenter.k8s.aws/{}", unique("lt"));
    aws.ec2
        .create_launch_template()
        .launch_template_name(&lt_name)
        .launch_template_data(aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id(&image).build())
        .tag_specifications(lt_tags)
        .send()
        .await
        .expect("launch template");
    let profile = format!("{cluster}_123");
    aws.iam.create_instance_profile().instance_profile_name(&profile).path(format!("/karpenter/eu-west-1/{cluster}/uid/")).send().await.expect("profile");
    let r = run(&b, &t, &v).await;
    assert_status(&r, Fail, &format!("EC2 instance {instance} (m6i.large) Karpenter launched for {cluster}"));
    assert!(r.message.contains(&format!("launch template {lt_name}")) && r.message.contains(&format!("instance profile {profile}")), "{}", r.message);
    assert!(r.message.contains("1 of them bills"), "{}", r.message);
    aws.ec2.terminate_instances().instance_ids(&instance).send().await.expect("terminate");
    aws.ec2.delete_launch_template().launch_template_name(&lt_name).send().await.expect("delete lt");
    aws.iam.delete_instance_profile().instance_profile_name(&profile).send().await.expect("delete profile");
    assert_status(&run(&b, &t, &v).await, Pass, "nothing the lab created is left");
}

fn dynamic(c: &kube::Client, group: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    Api::all_with(c.clone(), &ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural))
}

async fn put(api: &Api<DynamicObject>, obj: serde_json::Value) {
    let name = obj["metadata"]["name"].as_str().expect("name").to_string();
    let _ = api.delete(&name, &Default::default()).await;
    for _ in 0..50 {
        if api.get_opt(&name).await.ok().flatten().is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = obj["status"].clone();
    let o: DynamicObject = serde_json::from_value(obj).expect("object");
    api.create(&PostParams::default(), &o).await.expect("create");
    // Karpenter's own CRDs (applied by hand, or by a sandbox on this cluster) have a status
    // subresource, which a create ignores: write it as the controller does
    if !status.is_null() {
        match api.patch_status(&name, &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&json!({"status": status}))).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => panic!("status of {name}: {e}"),
        }
    }
}

fn conditions(falses: &[(&str, &str, &str)], types: &[&str]) -> serde_json::Value {
    let at = k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!(
        types
            .iter()
            .map(|t| match falses.iter().find(|f| f.0 == *t) {
                Some((_, reason, message)) => json!({"type": t, "status": "False", "reason": reason, "message": message, "lastTransitionTime": at}),
                None => json!({"type": t, "status": "True", "reason": t, "message": "", "lastTransitionTime": at}),
            })
            .collect::<Vec<_>>()
    )
}

/// The controller, the EC2NodeClass, the NodePool, a launched node and consolidation, in one
/// test: they share Karpenter's CRDs (karpenter_cases starts by deleting them).
#[tokio::test]
async fn karpenter_objects_from_install_to_consolidation() {
    // on the heap: the steps' future outgrows a test thread's stack in a debug build
    Box::pin(objects_flow()).await;
}

async fn objects_flow() {
    let f = front().await;
    let b = through(&f).await;
    let c = client(&b);
    let (cluster, _, _) = cluster_with_vpc(&b, "kp-obj").await;
    let v = vars(&[("cluster", &cluster), ("appNs", "default")]);
    // start from no Karpenter (the cluster may keep CRDs from an earlier run)
    let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
    let _ = crds.delete("nodepools.karpenter.sh", &Default::default()).await;
    let ns = namespace(&c, "karpenter").await;
    let ready = spec("karpenter.ready", &[("namespace", &ns)]);
    assert_status(&run_until(&b, &ready, &v, Fail, "nodepools").await, Fail, "CRD nodepools.karpenter.sh missing");
    crate::checks_autoscaling::crd(&c, "karpenter.sh", "NodePool", "nodepools", "v1", "Cluster").await;
    crate::checks_autoscaling::crd(&c, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", "v1", "Cluster").await;
    crate::checks_autoscaling::crd(&c, "karpenter.sh", "NodeClaim", "nodeclaims", "v1", "Cluster").await;
    let pool = unique("pool");
    let class = unique("class");

    // the controller: its own identity, then the queue
    assert_status(&run_until(&b, &ready, &v, Fail, "not found").await, Fail, &format!("Deployment {ns}/karpenter not found"));
    let deployment = |queue: bool| {
        let env = if queue { json!([{"name": "INTERRUPTION_QUEUE", "value": "q"}]) } else { json!([]) };
        json!({"metadata": {"name": "karpenter"}, "spec": {"selector": {"matchLabels": {"app": "karpenter"}}, "template": {"metadata": {"labels": {"app": "karpenter"}}, "spec": {"serviceAccountName": "karpenter", "nodeSelector": {"type": "kwok"}, "containers": [{"name": "controller", "image": "public.ecr.aws/karpenter/controller:1.14.4", "env": env}]}}}})
    };
    // a Deployment whose pod cannot schedule has no available replica
    let stuck = namespace(&c, "karpenter").await;
    let _: k8s_openapi::api::core::v1::ServiceAccount = create(&c, &stuck, json!({"metadata": {"name": "karpenter"}})).await;
    let mut pending = deployment(false);
    pending["spec"]["template"]["spec"]["nodeSelector"] = json!({"lab/pool": "nowhere"});
    let _: Deployment = create(&c, &stuck, pending).await;
    assert_status(&run(&b, &spec("karpenter.ready", &[("namespace", &stuck)]), &v).await, Fail, "karpenter has no available replica");
    let _: k8s_openapi::api::core::v1::ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "karpenter"}})).await;
    let _: Deployment = create(&c, &ns, deployment(false)).await;
    assert_status(&run_until(&b, &ready, &v, Fail, "no AWS identity").await, Fail, "has no AWS identity of its own");
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(c.clone(), &ns);
    let irsa = json!({"metadata": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/kp"}}});
    accounts.patch("karpenter", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&irsa)).await.expect("annotate");
    assert_status(&run(&b, &ready, &v).await, Warn, "settings.interruptionQueue is unset");
    let api: Api<Deployment> = Api::namespaced(c.clone(), &ns);
    let _ = api.delete("karpenter", &Default::default()).await;
    for _ in 0..50 {
        if api.get_opt("karpenter").await.ok().flatten().is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _: Deployment = create(&c, &ns, deployment(true)).await;
    assert_status(&run_until(&b, &ready, &v, Pass, "interruption queue").await, Pass, "with its own AWS identity and an interruption queue");

    node_class_flow(&b, &v, &cluster, &class).await;
    pool_flow(&b, &v, &pool, &class).await;
}

async fn node_class_flow(b: &kubedojo::checks::backend::Backend, v: &std::collections::BTreeMap<String, String>, cluster: &str, class: &str) {
    let (b, v, c) = (b, v, client(b));
    let classes = dynamic(&c, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses");
    let nc = spec("karpenter.nodeclass", &[("name", class)]);
    assert_status(&run(b, &nc, v).await, Fail, &format!("no EC2NodeClass {class}"));
    let types = ["SubnetsReady", "SecurityGroupsReady", "AMIsReady", "InstanceProfileReady", "ValidationSucceeded", "Ready"];
    let node_class = |role: &str, subnet_tag: &str, hops: i64, alias: &str, falses: &[(&str, &str, &str)]| {
        json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": class},
            "spec": {"role": role, "amiSelectorTerms": [{"alias": alias}],
                "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": subnet_tag}}], "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster}}],
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": hops}},
            "status": {"conditions": conditions(falses, &types)}})
    };
    let role = format!("KarpenterNodeRole-{cluster}");
    put(&classes, node_class("other", cluster, 1, "al2023@v20261120", &[])).await;
    assert_status(&run(b, &nc, v).await, Fail, "gives its nodes role other");
    put(&classes, node_class(&role, "other", 1, "al2023@v20261120", &[])).await;
    assert_status(&run(b, &nc, v).await, Fail, "does not pick its subnets by the tag");
    put(&classes, node_class(&role, cluster, 2, "al2023@v20261120", &[])).await;
    assert_status(&run(b, &nc, v).await, Fail, "lets pods reach the instance metadata");
    let none = [("SubnetsReady", "SubnetsNotFound", "SubnetSelector did not match any Subnets"), ("Ready", "UnhealthyDependents", "SubnetsReady=False")];
    put(&classes, node_class(&role, cluster, 1, "al2023@v20261120", &none)).await;
    assert_status(&run(b, &nc, v).await, Fail, "SubnetsReady=False (SubnetsNotFound: SubnetSelector did not match any Subnets)");
    put(&classes, node_class(&role, cluster, 1, "al2023@latest", &[])).await;
    assert_status(&run(b, &nc, v).await, Warn, "follows every new release");
    put(&classes, node_class(&role, cluster, 1, "al2023@v20261120", &[])).await;
    assert_status(&run(b, &nc, v).await, Pass, "IMDSv2 with hop limit 1, AMI al2023@v20261120");

    let _ = classes.delete(class, &Default::default()).await;
}

async fn pool_flow(b: &kubedojo::checks::backend::Backend, v: &std::collections::BTreeMap<String, String>, pool: &str, class: &str) {
    let (b, v, c) = (b, v, client(b));
    let pools = dynamic(&c, "karpenter.sh", "NodePool", "nodepools");
    let np = spec("karpenter.nodepool", &[("name", pool)]);
    assert_status(&run(b, &spec("karpenter.consolidated", &[("nodepool", pool)]), v).await, Fail, &format!("no NodePool {pool}"));
    assert_status(&run(b, &np, v).await, Fail, &format!("no NodePool {pool}"));
    let node_pool = |capacity: &[&str], families: bool, cpu: bool, budgets: serde_json::Value, ready: bool| {
        let mut requirements = vec![json!({"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity})];
        if families {
            requirements.push(json!({"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["m7i", "m6i"]}));
        }
        let falses: Vec<(&str, &str, &str)> = if ready {
            vec![]
        } else {
            vec![("NodeClassReady", "NodeClassNotReady", "EC2NodeClass not ready"), ("Ready", "UnhealthyDependents", "NodeClassReady=False")]
        };
        json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": pool},
            "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": class}, "requirements": requirements}},
                "limits": if cpu { json!({"cpu": "32"}) } else { json!({}) },
                "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m", "budgets": budgets}},
            "status": {"conditions": conditions(&falses, &["ValidationSucceeded", "NodeClassReady", "Ready"])}})
    };
    let default_budget = json!([{"nodes": "10%"}]);
    put(&pools, node_pool(&["on-demand"], true, true, default_budget.clone(), true)).await;
    assert_status(&run(b, &np, v).await, Fail, "offers capacity types on-demand");
    put(&pools, node_pool(&["spot", "on-demand"], false, true, default_budget.clone(), true)).await;
    assert_status(&run(b, &np, v).await, Fail, "does not limit the instance families");
    put(&pools, node_pool(&["spot", "on-demand"], true, false, default_budget.clone(), true)).await;
    assert_status(&run(b, &np, v).await, Fail, "has no limits.cpu");
    put(&pools, node_pool(&["spot", "on-demand"], true, true, default_budget.clone(), false)).await;
    assert_status(&run(b, &np, v).await, Fail, "NodeClassReady=False (NodeClassNotReady: EC2NodeClass not ready)");
    put(&pools, node_pool(&["spot", "on-demand"], true, true, default_budget.clone(), true)).await;
    assert_status(&run(b, &np, v).await, Pass, "families m7i, m6i, at most 32 vCPUs");

    // a node it launched
    let pr = spec("karpenter.provisioned", &[("nodepool", pool)]);
    assert_status(&run(b, &pr, v).await, Fail, &format!("NodePool {pool} has launched no node"));
    let claims = dynamic(&c, "karpenter.sh", "NodeClaim", "nodeclaims");
    let claim = format!("{pool}-abcde");
    let claim_types = ["Launched", "Registered", "Initialized", "Ready"];
    let node_claim = |falses: &[(&str, &str, &str)]| {
        json!({"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim", "metadata": {"name": claim, "labels": {"karpenter.sh/nodepool": pool}},
            "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": class}, "requirements": []},
            "status": {"providerID": "aws:///eu-west-1a/i-0abc", "conditions": conditions(falses, &claim_types)}})
    };
    put(&claims, node_claim(&[("Registered", "NodeNotFound", "Node not registered with cluster")])).await;
    assert_status(&run(b, &pr, v).await, Fail, "Registered=False (NodeNotFound: Node not registered with cluster)");
    put(&claims, node_claim(&[])).await;
    let node = unique("ip-10-77-1-2");
    kwok_node(&c, &node, json!({"karpenter.sh/nodepool": pool, "node.kubernetes.io/instance-type": "m7i.xlarge"}), json!([]), true).await;
    assert_status(&run_until(b, &pr, v, Pass, "Ready node").await, Pass, "launched 1 Ready node(s) (m7i.xlarge)");

    // consolidation within a budget
    let co = spec("karpenter.consolidated", &[("nodepool", pool)]);
    assert_status(&run(b, &co, v).await, Fail, "has only the default disruption budget");
    put(&pools, node_pool(&["spot", "on-demand"], true, true, json!([{"nodes": "1"}]), true)).await;
    assert_status(&run(b, &co, v).await, Fail, "has not consolidated NodePool");
    let events: Api<Event> = Api::namespaced(c.clone(), "default");
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let event: Event = serde_json::from_value(json!({"metadata": {"generateName": "kp."}, "involvedObject": {"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim", "name": format!("{pool}-gone1")},
        "reason": "DisruptionTerminating", "message": "Disrupting NodeClaim: Empty", "type": "Normal", "firstTimestamp": now, "lastTimestamp": now, "count": 1, "source": {"component": "karpenter"}}))
    .expect("event");
    events.create(&PostParams::default(), &event).await.expect("event");
    assert_status(&run(b, &co, v).await, Fail, &format!("{node} still run(s) no workload"));
    let _: Pod = create(
        &c,
        "default",
        json!({"metadata": {"name": unique("inflate")}, "spec": {"nodeName": node, "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10"}]}}),
    )
    .await;
    assert_status(&run(b, &co, v).await, Pass, "Disrupting NodeClaim: Empty");
    delete_nodes(&c, &[node]).await;
    let _ = pools.delete(pool, &Default::default()).await;
    let _ = claims.delete(&claim, &Default::default()).await;
}
