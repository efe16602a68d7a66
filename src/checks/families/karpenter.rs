//! Karpenter: the node role and its access entry, subnet and security-group discovery, the
//! interruption queue and its EventBridge rules, the controller, the EC2NodeClass and the
//! NodePool, a node it launched, and consolidation within a budget.
//!
//! Sources (aws/karpenter-provider-aws@v1.14.4 and sigs.k8s.io/karpenter@v1.14.3 unless named):
//! the getting-started CloudFormation template (node role `KarpenterNodeRole-CLUSTER` trusting
//! ec2.amazonaws.com with AmazonEKS_CNI_Policy, AmazonEKSWorkerNodePolicy,
//! AmazonEC2ContainerRegistryPullOnly and AmazonSSMManagedInstanceCore; the queue named after
//! the cluster, MessageRetentionPeriod 300, SqsManagedSseEnabled; its policy lets
//! events.amazonaws.com and sqs.amazonaws.com send; rules for the five event types below);
//! EKS access entries of type EC2_LINUX for a node role (EKS user guide, "Create access
//! entries"); pkg/apis/v1/ec2nodeclass_status.go (the conditions behind Ready) and the CRD's
//! metadataOptions defaults (httpTokens required, httpPutResponseHopLimit 1); core
//! pkg/apis/v1/nodepool.go (disruption, budgets: default `nodes: 10%`), labels
//! `karpenter.sh/nodepool`, the NodeClaim conditions Launched, Registered, Initialized, Ready,
//! and the event `DisruptionTerminating` ("Disrupting NodeClaim: ...") of
//! pkg/controllers/disruption/events.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::Value;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail, pass, warn};
use crate::iam::policy as iam_policy;

use super::common::{node_ready, region_flag};

/// The AWS managed policies of Karpenter's node role (the getting-started template).
pub const NODE_POLICIES: [&str; 4] =
    ["AmazonEKS_CNI_Policy", "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"];
/// The tag Karpenter's selectors match on, as the lab sets it (value: the cluster's name).
pub const DISCOVERY: &str = "karpenter.sh/discovery";
/// The event types Karpenter handles from its queue: (source, detail-type, the lab's rule: its
/// name after `CLUSTER-` and its pattern file under karpenter/rules/).
pub const EVENTS: [(&str, &str, &str, &str); 5] = [
    ("aws.health", "AWS Health Event", "kpt-scheduled", "scheduled"),
    ("aws.ec2", "EC2 Spot Instance Interruption Warning", "kpt-spot", "spot"),
    ("aws.ec2", "EC2 Instance Rebalance Recommendation", "kpt-rebalance", "rebalance"),
    ("aws.ec2", "EC2 Instance State-change Notification", "kpt-state", "state"),
    ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning", "kpt-capacity", "capacity"),
];

/// SQS's "no such queue": `AWS.SimpleQueueService.NonExistentQueue` from the query-compatible
/// error header, else the JSON protocol's `QueueDoesNotExist` (aws-sdk-sqs 1.93
/// `parse_http_error_metadata`).
pub fn no_such_queue<E: aws_sdk_sqs::error::ProvideErrorMetadata, R>(e: &aws_sdk_sqs::error::SdkError<E, R>) -> bool {
    matches!(aws_code(e), Some("AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist"))
}
/// The lab's folder: the files the messages name.
const FOLDER: &str = "karpenter";

fn api(ctx: &Ctx<'_>, group: &str, kind: &str, plural: &str) -> Step<Api<DynamicObject>> {
    Ok(Api::all_with(ctx.kube()?.clone(), &ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural)))
}

fn node_role(ctx: &Ctx<'_>) -> String {
    ctx.text("role", "karpenterNodeRole", &format!("KarpenterNodeRole-{}", ctx.cluster()))
}

/// A condition of an object's `status.conditions`: (status, reason, message).
fn condition<'a>(o: &'a DynamicObject, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    o.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| (c["status"].as_str().unwrap_or_default(), c["reason"].as_str().unwrap_or_default(), c["message"].as_str().unwrap_or_default()))
}

/// The first of `kinds` that is not True, as "Type=Status (reason: message)".
fn not_true(o: &DynamicObject, kinds: &[&str]) -> Option<String> {
    kinds.iter().find_map(|k| match condition(o, k) {
        Some(("True", _, _)) => None,
        Some((status, reason, message)) => {
            Some(format!("{k}={status}{}", if message.is_empty() && reason.is_empty() { String::new() } else { format!(" ({reason}: {message})") }))
        }
        None => Some(format!("{k} not reported yet")),
    })
}

pub async fn node_role_check(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    let name = node_role(ctx);
    let role = match timed("iam:GetRole", aws.iam.get_role().role_name(&name).send()).await? {
        Ok(o) => o.role,
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
            return Ok(fail(format!("role {name} does not exist: Karpenter's nodes have no identity to join {cluster} with"))
                .found_expected("no such role", format!("role {name} trusting ec2.amazonaws.com"))
                .next(format!("aws iam create-role --role-name {name} --assume-role-policy-document file://{FOLDER}/node-trust-policy.json")));
        }
        Err(e) => return Err(aws_error(&e, "iam:GetRole")),
    };
    let (arn, document) = role.map(|r| (r.arn, r.assume_role_policy_document.unwrap_or_default())).unwrap_or_default();
    let trust = iam_policy::parse(&document).map_err(|e| crate::checks::outcome::error(format!("role {name}'s trust policy: {e}")))?;
    let principals: Vec<&str> = trust.statements.iter().filter(|s| s.allow && s.allows_action("sts:AssumeRole")).flat_map(|s| s.principal("Service")).collect();
    let others: Vec<String> = trust
        .statements
        .iter()
        .filter(|s| s.allow)
        .flat_map(|s| s.principals.iter())
        .filter(|(k, v)| !(k == "Service" && v == "ec2.amazonaws.com"))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !principals.contains(&"ec2.amazonaws.com") || !others.is_empty() {
        let found = if others.is_empty() { "no ec2.amazonaws.com".to_string() } else { others.join(", ") };
        return Ok(fail(format!("role {name} must be trusted by EC2 instances alone (an instance profile hands it to Karpenter's nodes), not by {found}"))
            .found_expected(found, "Service ec2.amazonaws.com may sts:AssumeRole, nothing else")
            .next(format!("aws iam update-assume-role-policy --role-name {name} --policy-document file://{FOLDER}/node-trust-policy.json")));
    }
    let attached = match timed("iam:ListAttachedRolePolicies", aws.iam.list_attached_role_policies().role_name(&name).send()).await? {
        // by ARN: a customer managed policy of the same name is not AWS's
        Ok(o) => o
            .attached_policies
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.policy_arn)
            .filter_map(|a| a.split_once(":iam::aws:policy/").map(|(_, n)| n.to_string()))
            .collect::<Vec<_>>(),
        Err(e) => return Err(aws_error(&e, "iam:ListAttachedRolePolicies")),
    };
    let missing: Vec<&str> = NODE_POLICIES.iter().copied().filter(|p| !attached.iter().any(|a| a == p)).collect();
    if let Some(first) = missing.first() {
        return Ok(fail(format!("role {name} lacks {}: its nodes cannot {}", missing.join(", "), consequence(first)))
            .found_expected(if attached.is_empty() { "no AWS managed policies".to_string() } else { attached.join(", ") }, NODE_POLICIES.join(", "))
            .next(
                missing
                    .iter()
                    .map(|p| format!("aws iam attach-role-policy --role-name {name} --policy-arn arn:aws:iam::aws:policy/{p}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
    }
    let entry = match timed("eks:DescribeAccessEntry", aws.eks.describe_access_entry().cluster_name(&cluster).principal_arn(&arn).send()).await? {
        Ok(o) => o.access_entry,
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => None,
        // EKS: "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
        Err(e) if aws_code(&e) == Some("InvalidRequestException") => {
            return Ok(fail(format!(
                "cluster {cluster} takes no access entries (authentication mode CONFIG_MAP): role {name} can join it only through the aws-auth ConfigMap"
            ))
            .found_expected("authentication mode CONFIG_MAP", "API_AND_CONFIG_MAP or API, and an EC2_LINUX access entry for the role")
            .next(format!(
                "aws eks update-cluster-config --name {cluster}{region} --access-config authenticationMode=API_AND_CONFIG_MAP (the pod-identity-access lab moves it on to API), then aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --type EC2_LINUX"
            )));
        }
        Err(e) => return Err(aws_error(&e, "eks:DescribeAccessEntry")),
    };
    let create = format!("aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --type EC2_LINUX");
    match entry.as_ref().and_then(|e| e.r#type.as_deref()) {
        Some("EC2_LINUX") => Ok(pass(format!("role {name} is trusted by EC2 only, has the four node policies, and an EC2_LINUX access entry on {cluster}"))),
        None => Ok(fail(format!("role {name} has no access entry on {cluster}: its nodes boot but the API server refuses their kubelets, so they never join"))
            .found_expected("no access entry", "an access entry of type EC2_LINUX")
            .next(create)),
        Some(other) => Ok(fail(format!(
            "role {name}'s access entry on {cluster} is of type {other}: kubelets are let in as nodes only by an EC2_LINUX entry (system:nodes, named system:node:<private DNS name>)"
        ))
        .found_expected(format!("type {other}"), "type EC2_LINUX")
        .next(format!("the type cannot be changed: aws eks delete-access-entry --cluster-name {cluster}{region} --principal-arn {arn}, then {create}"))),
    }
}

fn consequence(policy: &str) -> &'static str {
    match policy {
        "AmazonEKSWorkerNodePolicy" => "describe the cluster and join it",
        "AmazonEKS_CNI_Policy" => "give pods addresses (the VPC CNI runs as the node)",
        "AmazonEC2ContainerRegistryPullOnly" => "pull images from ECR",
        _ => "be reached by Session Manager (no SSH needed to debug one)",
    }
}

pub async fn discovery(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let cluster = ctx.cluster();
    let region = region_flag(ctx);
    let filter = aws_sdk_ec2::types::Filter::builder().name(format!("tag:{DISCOVERY}")).values(&cluster).build();
    let subnets = match timed("ec2:DescribeSubnets", aws.ec2.describe_subnets().filters(filter.clone()).send()).await? {
        Ok(o) => o.subnets.unwrap_or_default(),
        Err(e) => return Err(aws_error(&e, "ec2:DescribeSubnets")),
    };
    let tag_subnets = format!(
        "for s in $(aws ec2 describe-subnets{region} --filters Name=tag:alpha.eksctl.io/cluster-name,Values={cluster} Name=tag:kubernetes.io/role/internal-elb,Values=1 --query 'Subnets[].SubnetId' --output text); do aws ec2 create-tags{region} --resources \"$s\" --tags Key={DISCOVERY},Value={cluster}; done"
    );
    let public: Vec<String> = subnets.iter().filter(|s| s.map_public_ip_on_launch == Some(true)).filter_map(|s| s.subnet_id.clone()).collect();
    if !public.is_empty() {
        return Ok(fail(format!(
            "{} carry {DISCOVERY}={cluster} but give instances public addresses: Karpenter would launch nodes reachable from the internet",
            public.join(", ")
        ))
        .found_expected(format!("public subnets {}", public.join(", ")), "only the cluster's private subnets")
        .next(format!("aws ec2 delete-tags{region} --resources {} --tags Key={DISCOVERY}", public.join(" "))));
    }
    let mut zones: Vec<String> = subnets.iter().filter_map(|s| s.availability_zone.clone()).collect();
    zones.sort();
    zones.dedup();
    if zones.len() < 2 {
        let found = if subnets.is_empty() { "no subnet".to_string() } else { format!("subnets in {}", zones.join(", ")) };
        return Ok(fail(format!(
            "{found} tagged {DISCOVERY}={cluster}: Karpenter can launch nodes in at most one zone, so a zone's outage takes every node it made"
        ))
        .found_expected(found, "private subnets in two or more zones")
        .next(tag_subnets));
    }
    let groups = match timed("ec2:DescribeSecurityGroups", aws.ec2.describe_security_groups().filters(filter).send()).await? {
        Ok(o) => o.security_groups.unwrap_or_default(),
        Err(e) => return Err(aws_error(&e, "ec2:DescribeSecurityGroups")),
    };
    if groups.is_empty() {
        return Ok(fail(format!("no security group is tagged {DISCOVERY}={cluster}: the EC2NodeClass's selector finds none, so it never becomes Ready"))
            .found_expected("no security group", format!("the cluster security group tagged {DISCOVERY}={cluster}"))
            .next(format!(
                "aws ec2 create-tags{region} --resources $(aws eks describe-cluster --name {cluster}{region} --query cluster.resourcesVpcConfig.clusterSecurityGroupId --output text) --tags Key={DISCOVERY},Value={cluster}"
            )));
    }
    Ok(pass(format!("{} private subnets in {} and {} security group(s) carry {DISCOVERY}={cluster}", subnets.len(), zones.join(", "), groups.len())))
}

pub async fn interruption_queue(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let cluster = ctx.cluster();
    let queue = ctx.text("queue", "karpenterQueue", &cluster);
    let region = region_flag(ctx);
    let create = format!("aws sqs create-queue{region} --queue-name {queue} --attributes file://{FOLDER}/queue-attributes.json");
    let url = match timed("sqs:GetQueueUrl", aws.sqs.get_queue_url().queue_name(&queue).send()).await? {
        Ok(o) => o.queue_url.unwrap_or_default(),
        Err(e) if no_such_queue(&e) => {
            return Ok(fail(format!(
                "no SQS queue {queue}: Karpenter gets no notice of Spot interruptions, rebalance recommendations or scheduled maintenance"
            ))
            .found_expected("no queue", format!("queue {queue}"))
            .next(create));
        }
        Err(e) => return Err(aws_error(&e, "sqs:GetQueueUrl")),
    };
    let attributes = match timed(
        "sqs:GetQueueAttributes",
        aws.sqs.get_queue_attributes().queue_url(&url).attribute_names(aws_sdk_sqs::types::QueueAttributeName::All).send(),
    )
    .await?
    {
        Ok(o) => o.attributes.unwrap_or_default(),
        Err(e) => return Err(aws_error(&e, "sqs:GetQueueAttributes")),
    };
    let get = |k: aws_sdk_sqs::types::QueueAttributeName| attributes.get(&k).cloned().unwrap_or_default();
    let arn = get(aws_sdk_sqs::types::QueueAttributeName::QueueArn);
    let set = format!("aws sqs set-queue-attributes{region} --queue-url {url} --attributes file://{FOLDER}/queue-attributes.json");
    let policy = get(aws_sdk_sqs::types::QueueAttributeName::Policy);
    let senders: Vec<String> = iam_policy::parse(&policy)
        .map(|p| {
            p.statements.iter().filter(|s| s.allow && s.allows_action("sqs:SendMessage")).flat_map(|s| s.principal("Service")).map(str::to_string).collect()
        })
        .unwrap_or_default();
    if !senders.iter().any(|s| s == "events.amazonaws.com") {
        return Ok(fail(format!("queue {queue}'s policy does not let EventBridge (events.amazonaws.com) send to it: the rules' events are dropped"))
            .found_expected(if senders.is_empty() { "no sender allowed".to_string() } else { senders.join(", ") }, "events.amazonaws.com may sqs:SendMessage")
            .next(set));
    }
    let sse =
        get(aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled) == "true" || !get(aws_sdk_sqs::types::QueueAttributeName::KmsMasterKeyId).is_empty();
    if !sse {
        return Ok(fail(format!("queue {queue} is not encrypted at rest")).found_expected("SqsManagedSseEnabled false", "SqsManagedSseEnabled true").next(set));
    }
    let mut rules = Vec::new();
    let mut token = None;
    loop {
        let call = aws.events.list_rule_names_by_target().target_arn(&arn).set_next_token(token).send();
        let page = match timed("events:ListRuleNamesByTarget", call).await? {
            Ok(o) => o,
            Err(e) => return Err(aws_error(&e, "events:ListRuleNamesByTarget")),
        };
        rules.extend(page.rule_names.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut covered: Vec<(String, String)> = Vec::new();
    for rule in &rules {
        let described = match timed("events:DescribeRule", aws.events.describe_rule().name(rule).send()).await? {
            Ok(o) => o,
            Err(e) => return Err(aws_error(&e, "events:DescribeRule")),
        };
        if described.state.as_ref().map(|s| s.as_str()) == Some("DISABLED") {
            continue;
        }
        let pattern: Value = serde_json::from_str(described.event_pattern.as_deref().unwrap_or("{}")).unwrap_or_default();
        let strings = |v: &Value| match v {
            Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        };
        for source in strings(&pattern["source"]) {
            for detail in strings(&pattern["detail-type"]) {
                covered.push((source.clone(), detail));
            }
        }
    }
    let missing: Vec<&(&str, &str, &str, &str)> = EVENTS.iter().filter(|(s, d, _, _)| !covered.iter().any(|(cs, cd)| cs == s && cd == d)).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|(s, d, _, _)| format!("{s} \"{d}\"")).collect();
        let commands: Vec<String> = missing
            .iter()
            .map(|(_, _, rule, file)| {
                format!(
                    "aws events put-rule{region} --name {cluster}-{rule} --event-pattern file://{FOLDER}/rules/{file}.json && aws events put-targets{region} --rule {cluster}-{rule} --targets Id=KarpenterInterruptionQueueTarget,Arn={arn}"
                )
            })
            .collect();
        return Ok(fail(format!(
            "{} of the {} event types Karpenter handles reach queue {queue}: no enabled rule sends {}",
            EVENTS.len() - missing.len(),
            EVENTS.len(),
            names.join(", ")
        ))
        .found_expected(format!("{} rule(s) targeting the queue", rules.len()), "a rule for each of the five event types, targeting the queue")
        .next(commands.join("; ")));
    }
    let retention = get(aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod);
    if retention.parse::<u64>().is_ok_and(|r| r > 300) {
        return Ok(warn(format!(
            "queue {queue} is wired to all {} event types, but keeps messages {retention} s: an interruption notice older than 5 minutes is past acting on (the template uses 300)",
            EVENTS.len()
        )));
    }
    Ok(pass(format!("queue {queue} is encrypted, EventBridge may send to it, and {} rule(s) bring it all {} event types", rules.len(), EVENTS.len())))
}

pub async fn ready(ctx: &Ctx<'_>) -> Step<Outcome> {
    let client = ctx.kube()?.clone();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let ns = ctx.text("namespace", "karpenterNamespace", "kube-system");
    let version = ctx.vars.get("versions.karpenter").map(|v| format!(" --version {v}")).unwrap_or_default();
    let install = format!(
        "helm upgrade --install karpenter oci://public.ecr.aws/karpenter/karpenter{version} --namespace {ns} --set settings.clusterName={} --set settings.interruptionQueue={} --wait (its IAM role and node role come first: karpenter.sh, Getting Started)",
        ctx.cluster(),
        ctx.cluster()
    );
    for crd in ["nodepools.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws", "nodeclaims.karpenter.sh"] {
        if kube_call(&format!("get customresourcedefinition {crd}"), crds.get_opt(crd)).await?.is_none() {
            return Ok(fail(format!("CRD {crd} missing: install Karpenter's chart (it ships the CRDs)")).found_expected("no CRD", crd).next(install));
        }
    }
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    let Some(d) = kube_call(&format!("get deployment {ns}/karpenter"), deployments.get_opt("karpenter")).await? else {
        return Ok(fail(format!("Deployment {ns}/karpenter not found")).found_expected("no controller", format!("{ns}/karpenter")).next(install));
    };
    if d.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0) < 1 {
        return Ok(fail("karpenter has no available replica").found_expected("0 available", "1 or more").next(format!(
            "read why in the events and its log: kubectl -n {ns} describe deployment karpenter, then kubectl -n {ns} logs deployment/karpenter --tail=50"
        )));
    }
    let sa = d.spec.template.spec.as_ref().and_then(|p| p.service_account_name.clone()).unwrap_or_else(|| "default".into());
    if ctx.backend.aws.is_some() && super::identity::of_service_account(ctx, &ns, &sa).await?.is_none() {
        return Ok(super::identity::none(
            ctx,
            &ns,
            &sa,
            "Karpenter cannot call EC2 to launch a node",
            &format!(
                "arn:aws:iam::{account}:policy/KarpenterControllerNodeLifecyclePolicy-{cluster} arn:aws:iam::{account}:policy/KarpenterControllerPolicy-{cluster}",
                account = ctx.var("account", "111122223333"),
                cluster = ctx.cluster()
            ),
        ));
    }
    if !super::autoscaling::has_interruption_queue(&d) {
        return Ok(warn(format!(
            "Karpenter runs as {ns}/{sa}, but settings.interruptionQueue is unset: Spot interruptions are not handled ahead of time (helm upgrade karpenter ... --reuse-values --set settings.interruptionQueue={})",
            ctx.cluster()
        )));
    }
    Ok(pass(format!("Karpenter runs in {ns} as ServiceAccount {sa}, with its own AWS identity and an interruption queue")))
}

async fn get(api: &Api<DynamicObject>, what: &str, name: &str) -> Step<Option<DynamicObject>> {
    match crate::checks::context::timed(&format!("get {what} {name}"), api.get_opt(name)).await? {
        Ok(o) => Ok(o),
        // the CRD is not installed: no such object either
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(crate::checks::outcome::kube_error(e, &format!("get {what} {name}"))),
    }
}

pub async fn nodeclass(ctx: &Ctx<'_>) -> Step<Outcome> {
    let name = ctx.text("name", "karpenterNodeClass", "default");
    let role = node_role(ctx);
    let cluster = ctx.cluster();
    let apply = format!("kubectl apply -f {FOLDER}/nodeclass.yaml");
    let Some(nc) = get(&api(ctx, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses")?, "ec2nodeclass", &name).await? else {
        return Ok(fail(format!("no EC2NodeClass {name}: a NodePool that references it launches nothing"))
            .found_expected("no EC2NodeClass", &name)
            .next(apply));
    };
    let spec = &nc.data["spec"];
    let spec_role = spec["role"].as_str().unwrap_or_default();
    if spec_role != role {
        let found =
            if spec_role.is_empty() { format!("instanceProfile {}", spec["instanceProfile"].as_str().unwrap_or("?")) } else { format!("role {spec_role}") };
        return Ok(fail(format!("EC2NodeClass {name} gives its nodes {found}, not {role}, the role with the node policies and the access entry"))
            .found_expected(found, format!("role {role}"))
            .next(format!("set spec.role: {role} in {FOLDER}/nodeclass.yaml, then {apply}")));
    }
    for (field, what) in [("subnetSelectorTerms", "subnets"), ("securityGroupSelectorTerms", "security groups")] {
        let by_tag = spec[field].as_array().is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["tags"][DISCOVERY].as_str() == Some(cluster.as_str())));
        if !by_tag {
            return Ok(fail(format!(
                "EC2NodeClass {name} does not pick its {what} by the tag {DISCOVERY}={cluster}: ids written down break when the network changes"
            ))
            .found_expected(format!("{field}: {}", spec[field]), format!("{field}: [{{tags: {{{DISCOVERY}: {cluster}}}}}]"))
            .next(format!("select by tag in {FOLDER}/nodeclass.yaml, then {apply}")));
        }
    }
    let imds = &spec["metadataOptions"];
    let tokens = imds["httpTokens"].as_str().unwrap_or("required");
    let hops = imds["httpPutResponseHopLimit"].as_i64().unwrap_or(1);
    if tokens != "required" || hops > 1 {
        return Ok(fail(format!(
            "EC2NodeClass {name} lets pods reach the instance metadata (httpTokens {tokens}, hop limit {hops}): any pod could take the node role's credentials"
        ))
        .found_expected(format!("httpTokens {tokens}, httpPutResponseHopLimit {hops}"), "httpTokens required, httpPutResponseHopLimit 1")
        .next(format!("set metadataOptions.httpTokens: required and httpPutResponseHopLimit: 1 in {FOLDER}/nodeclass.yaml, then {apply}")));
    }
    if let Some(problem) = not_true(&nc, &["SubnetsReady", "SecurityGroupsReady", "AMIsReady", "InstanceProfileReady", "ValidationSucceeded", "Ready"]) {
        return Ok(fail(format!("EC2NodeClass {name} is not Ready: {problem}"))
            .found_expected(problem, "Ready=True")
            .next(format!(
                "kubectl describe ec2nodeclass {name} lists every condition; kubectl -n kube-system logs deploy/karpenter | grep -i {name} says why (a selector that matches nothing: the {DISCOVERY} tags; the instance profile: the controller's iam:CreateInstanceProfile and iam:PassRole on {role})"
            )));
    }
    let aliases: Vec<&str> = spec["amiSelectorTerms"].as_array().into_iter().flatten().filter_map(|t| t["alias"].as_str()).collect();
    if aliases.iter().any(|a| a.ends_with("@latest")) {
        return Ok(warn(format!(
            "EC2NodeClass {name} is Ready, but its AMI alias {} follows every new release: each one drifts and replaces every node; pin it to a version (al2023@vYYYYMMDD)",
            aliases.join(", ")
        )));
    }
    Ok(pass(format!(
        "EC2NodeClass {name} is Ready: role {role}, subnets and security groups by {DISCOVERY}, IMDSv2 with hop limit 1, AMI {}",
        aliases.join(", ")
    )))
}

pub async fn nodepool(ctx: &Ctx<'_>) -> Step<Outcome> {
    let name = ctx.text("name", "karpenterNodePool", "default");
    let apply = format!("kubectl apply -f {FOLDER}/nodepool.yaml");
    let Some(np) = get(&api(ctx, "karpenter.sh", "NodePool", "nodepools")?, "nodepool", &name).await? else {
        return Ok(fail(format!("no NodePool {name}: Karpenter launches nothing for pending pods")).found_expected("no NodePool", &name).next(apply));
    };
    let template = &np.data["spec"]["template"]["spec"];
    let requirement = |key: &str| {
        template["requirements"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["key"] == key && r["operator"] == "In")
            .map(|r| r["values"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>())
    };
    let capacity = requirement("karpenter.sh/capacity-type").unwrap_or_default();
    if !(capacity.iter().any(|c| c == "spot") && capacity.iter().any(|c| c == "on-demand")) {
        let found =
            if capacity.is_empty() { "no karpenter.sh/capacity-type requirement".to_string() } else { format!("capacity types {}", capacity.join(", ")) };
        return Ok(fail(format!("NodePool {name} offers {found}: with both, Karpenter takes Spot where it is offered and falls back to On-Demand"))
            .found_expected(found, "karpenter.sh/capacity-type In [spot, on-demand]")
            .next(format!("add the requirement in {FOLDER}/nodepool.yaml, then {apply}")));
    }
    let families = requirement("karpenter.k8s.aws/instance-family").or_else(|| requirement("karpenter.k8s.aws/instance-category"));
    if families.as_ref().is_none_or(Vec::is_empty) {
        return Ok(fail(format!("NodePool {name} does not limit the instance families: Karpenter may pick any of hundreds of types, GPUs and metal included"))
            .found_expected("no karpenter.k8s.aws/instance-family (or -category) In requirement", "a short list of families, e.g. [m7i, m6i, c7i, c6i]")
            .next(format!("add the requirement in {FOLDER}/nodepool.yaml, then {apply}")));
    }
    let cpu = np.data["spec"]["limits"]["cpu"].clone();
    if cpu.is_null() {
        return Ok(fail(format!("NodePool {name} has no limits.cpu: a runaway Deployment makes Karpenter launch nodes without end"))
            .found_expected("no limits.cpu", "limits.cpu, e.g. \"32\"")
            .next(format!("set spec.limits.cpu in {FOLDER}/nodepool.yaml, then {apply}")));
    }
    if let Some(problem) = not_true(&np, &["ValidationSucceeded", "NodeClassReady", "Ready"]) {
        let class = template["nodeClassRef"]["name"].as_str().unwrap_or("?");
        return Ok(fail(format!("NodePool {name} is not Ready: {problem}"))
            .found_expected(problem, "Ready=True")
            .next(format!("kubectl describe nodepool {name}; NodeClassReady waits for EC2NodeClass {class}: kubectl describe ec2nodeclass {class}")));
    }
    let cpu = cpu.as_str().map_or_else(|| cpu.to_string(), str::to_string);
    Ok(pass(format!("NodePool {name} is Ready: Spot and On-Demand, families {}, at most {cpu} vCPUs", families.unwrap_or_default().join(", "))))
}

/// The NodeClaims of pool `name`.
async fn claims_of(ctx: &Ctx<'_>, pool: &str) -> Step<Vec<DynamicObject>> {
    let claims = api(ctx, "karpenter.sh", "NodeClaim", "nodeclaims")?;
    match timed("list nodeclaims", claims.list(&ListParams::default().labels(&format!("karpenter.sh/nodepool={pool}")))).await? {
        Ok(l) => Ok(l.items),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
        Err(e) => Err(crate::checks::outcome::kube_error(e, "list nodeclaims")),
    }
}

pub async fn provisioned(ctx: &Ctx<'_>) -> Step<Outcome> {
    let pool = ctx.text("nodepool", "karpenterNodePool", "default");
    let claims = claims_of(ctx, &pool).await?;
    if claims.is_empty() {
        return Ok(fail(format!("NodePool {pool} has launched no node: no NodeClaim carries karpenter.sh/nodepool={pool}"))
            .found_expected("0 NodeClaims", "1 or more")
            .next(format!(
                "pods that fit no node make Karpenter launch one: kubectl apply -f {FOLDER}/inflate.yaml; if none appears, kubectl get events -A --field-selector reason=FailedScheduling and kubectl -n kube-system logs deploy/karpenter --tail=50 say why"
            )));
    }
    let nodes: Api<Node> = Api::all(ctx.kube()?.clone());
    let labelled = kube_call("list nodes", nodes.list(&ListParams::default().labels(&format!("karpenter.sh/nodepool={pool}")))).await?.items;
    let ready_nodes: Vec<&Node> = labelled.iter().filter(|n| node_ready(n)).collect();
    let ready_claims: Vec<&DynamicObject> = claims.iter().filter(|c| not_true(c, &["Launched", "Registered", "Initialized", "Ready"]).is_none()).collect();
    if ready_claims.is_empty() || ready_nodes.is_empty() {
        let claim = claims.iter().find(|c| not_true(c, &["Launched", "Registered", "Initialized", "Ready"]).is_some()).unwrap_or(&claims[0]);
        let problem = not_true(claim, &["Launched", "Registered", "Initialized", "Ready"]).unwrap_or_else(|| "its node is not Ready".into());
        let cname = claim.metadata.name.clone().unwrap_or_default();
        return Ok(fail(format!("NodeClaim {cname} of NodePool {pool} is not Ready yet: {problem}")).found_expected(problem, "Launched, Registered, Initialized, Ready").next(
            format!(
                "a node takes a minute or two to boot and join; kubectl describe nodeclaim {cname} says where it stands (Registered stays Unknown when the node role's access entry is missing)"
            ),
        ));
    }
    let types: Vec<String> = ready_nodes.iter().filter_map(|n| n.metadata.labels.as_ref()?.get("node.kubernetes.io/instance-type").cloned()).collect();
    Ok(pass(format!("NodePool {pool} launched {} Ready node(s) ({})", ready_nodes.len(), types.join(", "))))
}

pub async fn consolidated(ctx: &Ctx<'_>) -> Step<Outcome> {
    let pool = ctx.text("nodepool", "karpenterNodePool", "default");
    let Some(np) = get(&api(ctx, "karpenter.sh", "NodePool", "nodepools")?, "nodepool", &pool).await? else {
        return Ok(fail(format!("no NodePool {pool}")).found_expected("no NodePool", &pool).next(format!("kubectl apply -f {FOLDER}/nodepool.yaml")));
    };
    let budgets = np.data["spec"]["disruption"]["budgets"].as_array().cloned().unwrap_or_default();
    let default_only = budgets.is_empty() || (budgets.len() == 1 && budgets[0]["nodes"] == "10%" && budgets[0]["schedule"].is_null());
    if default_only {
        return Ok(fail(format!("NodePool {pool} has only the default disruption budget (10% of its nodes at once)"))
            .found_expected(
                if budgets.is_empty() { "no budgets".to_string() } else { "budgets: [{nodes: 10%}]".to_string() },
                "a budget of your own, e.g. [{nodes: \"1\"}]",
            )
            .next(format!("kubectl patch nodepool {pool} --type merge -p '{{\"spec\":{{\"disruption\":{{\"budgets\":[{{\"nodes\":\"1\"}}]}}}}}}'")));
    }
    let client = ctx.kube()?.clone();
    let events: Api<Event> = Api::all(client.clone());
    let all = kube_call("list events", events.list(&ListParams::default().fields("reason=DisruptionTerminating"))).await?.items;
    let now = jiff::Timestamp::from_second(i64::try_from(ctx.now).unwrap_or_default()).unwrap_or_default();
    // a pool's NodeClaims are named generateName `POOL-` (sigs.k8s.io/karpenter@v1.14.3
    // nodeclaimtemplate.go): the base cut to 58 characters, then 5 random ones; only
    // consolidation's reasons count (a Drifted or Expired node is replaced, not consolidated)
    let base: String = format!("{pool}-").chars().take(58).collect();
    let of_pool =
        |n: &str| n.strip_prefix(base.as_str()).is_some_and(|rest| rest.len() == 5 && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let recent: Vec<&Event> = all
        .iter()
        .filter(|e| e.involved_object.kind.as_deref() == Some("NodeClaim") && e.involved_object.name.as_deref().is_some_and(of_pool))
        .filter(|e| e.message.as_deref().is_some_and(|m| m.ends_with(": Empty") || m.ends_with(": Underutilized")))
        .filter(|e| {
            let at = e.last_timestamp.as_ref().map(|t| t.0).or_else(|| e.event_time.as_ref().map(|t| t.0));
            at.is_some_and(|t| now.as_second() - t.as_second() <= 3600)
        })
        .collect();
    if recent.is_empty() {
        return Ok(fail(format!("Karpenter has not consolidated NodePool {pool} in the last hour: no NodeClaim of it was disrupted (event DisruptionTerminating)"))
            .found_expected("no DisruptionTerminating event", "a NodeClaim disrupted as Empty or Underutilized")
            .next(format!(
                "leave it spare capacity: kubectl -n {} scale deployment inflate --replicas=1, then wait consolidateAfter; kubectl get events -A --field-selector reason=Unconsolidatable says why a node stays",
                ctx.var("appNs", "default")
            )));
    }
    // no node of the pool left without a pod of a workload (DaemonSets do not count)
    let pods: Api<Pod> = Api::all(client.clone());
    let running = kube_call("list pods", pods.list(&ListParams::default())).await?.items;
    let nodes: Api<Node> = Api::all(client);
    let labelled = kube_call("list nodes", nodes.list(&ListParams::default().labels(&format!("karpenter.sh/nodepool={pool}")))).await?.items;
    let empty: Vec<String> = labelled
        .iter()
        .filter(|n| n.metadata.deletion_timestamp.is_none())
        .filter_map(|n| n.metadata.name.clone())
        .filter(|name| {
            !running.iter().any(|p| {
                p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str())
                    && !p.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet")
                    && p.metadata.deletion_timestamp.is_none()
            })
        })
        .collect();
    if !empty.is_empty() {
        return Ok(fail(format!("Karpenter consolidated NodePool {pool}, but {} still run(s) no workload and bill(s)", empty.join(", ")))
            .found_expected(format!("{} empty node(s)", empty.len()), "no empty node")
            .next(format!(
                "consolidation waits consolidateAfter and goes one budget at a time: give it a minute, then kubectl get nodeclaims -l karpenter.sh/nodepool={pool}"
            )));
    }
    let why: Vec<&str> = recent.iter().filter_map(|e| e.message.as_deref()).collect();
    Ok(pass(format!("Karpenter consolidated NodePool {pool} within its budget: {}", why.first().copied().unwrap_or("a NodeClaim was disrupted"))))
}
