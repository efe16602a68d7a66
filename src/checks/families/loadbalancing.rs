//! AWS Load Balancer Controller, its IngressClass, and a TLS Ingress with an ALB address.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::ListParams;

use crate::checks::backend::TargetKind;
use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_error, fail, pass, skip, warn};

pub const LBC_CONTROLLER: &str = "ingress.k8s.aws/alb";
const ANN: &str = "alb.ingress.kubernetes.io/";

fn arg_value(args: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    args.iter().find_map(|a| a.strip_prefix(&prefix).map(str::to_string))
}

/// The lab's Helm install of the controller (alb-ingress, step install-controller), chart
/// version from the version table.
fn helm_install(ctx: &Ctx<'_>, ns: &str) -> String {
    let cluster = ctx.cluster();
    let version = ctx.vars.get("versions.aws-load-balancer-controller.chart").map(|v| format!(" --version {v}")).unwrap_or_default();
    let (set_region, aws_region) = super::common::region(ctx).map(|r| (format!(" --set region={r}"), format!(" --region {r}"))).unwrap_or_default();
    format!(
        "helm repo add eks https://aws.github.io/eks-charts; helm repo update eks; helm upgrade --install aws-load-balancer-controller eks/aws-load-balancer-controller -n {ns}{version} -f alb-ingress/values.yaml --set clusterName={cluster}{set_region} --set vpcId=$(aws eks describe-cluster --name {cluster}{aws_region} --query cluster.resourcesVpcConfig.vpcId --output text)"
    )
}

/// Applying the lab's Ingress with the learner's certificate ARN (alb-ingress, step tls-ingress).
fn apply_ingress(ctx: &Ctx<'_>) -> String {
    match (super::common::region(ctx), ctx.vars.get("account")) {
        (Some(region), Some(account)) => {
            let placeholder = format!("arn:aws:acm:{region}:{account}:certificate/00000000-0000-0000-0000-000000000000");
            format!(r#"with CERT_ARN set to your ACM certificate's ARN: sed "s|{placeholder}|$CERT_ARN|" alb-ingress/ingress.yaml | kubectl apply -f -"#)
        }
        _ => "kubectl apply -f alb-ingress/ingress.yaml, with its placeholder certificate-arn replaced by your ACM certificate's ARN".to_string(),
    }
}

/// The controller found by behaviour: its image, or the chart's default name.
fn is_lbc(d: &Deployment) -> bool {
    let by_image = d
        .spec
        .template
        .spec
        .as_ref()
        .is_some_and(|s| s.containers.iter().any(|c| c.image.as_deref().unwrap_or_default().contains("aws-load-balancer-controller")));
    by_image || d.metadata.name.as_deref() == Some("aws-load-balancer-controller")
}

pub async fn deployed(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ns = ctx.text("namespace", "lbcNamespace", "kube-system");
    let client = ctx.kube()?.clone();
    let api: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let list = kube_call(&format!("list deployments in {ns}"), api.list(&ListParams::default())).await?;
    let Some(d) = list.items.into_iter().find(is_lbc) else {
        return Ok(fail(format!("controller not found in {ns}: the AWS Load Balancer Controller is not installed"))
            .found_expected("no controller", "Deployment aws-load-balancer-controller")
            .next(helm_install(ctx, &ns)));
    };
    let name = d.metadata.name.clone().unwrap_or_default();
    let want = d.spec.replicas.unwrap_or(1);
    let available = d.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
    if available < 1 {
        return Ok(fail(format!("{name} 0/{want} available")).found_expected("0 available", "1 or more available").next(format!(
            "read why: kubectl -n {ns} describe deployment {name} (a missing ServiceAccount shows as ReplicaFailure), then kubectl -n {ns} logs deploy/{name}"
        )));
    }
    let pod = d.spec.template.spec.clone().unwrap_or_default();
    let args: Vec<String> =
        pod.containers.iter().flat_map(|c| c.args.clone().unwrap_or_default().into_iter().chain(c.command.clone().unwrap_or_default())).collect();
    let cluster = ctx.cluster();
    match arg_value(&args, "--cluster-name") {
        Some(found) if found == cluster => {}
        Some(found) => {
            return Ok(fail(format!("--cluster-name={found} ≠ {cluster}"))
                .found_expected(found, &cluster)
                .next(format!("reinstall with clusterName={cluster}: {}", helm_install(ctx, &ns))));
        }
        None => {
            return Ok(fail(format!("{name} has no --cluster-name")).found_expected("no --cluster-name", &cluster).next(helm_install(ctx, &ns)));
        }
    }
    let sa_name = pod.service_account_name.unwrap_or_else(|| "default".into());
    match super::identity::of_service_account(ctx, &ns, &sa_name).await? {
        Some(identity) => Ok(pass(format!("{name}: {available}/{want} available, --cluster-name={cluster}, SA {sa_name} uses {}", identity.describe()))),
        None if matches!(ctx.kind(), Some(TargetKind::Kind | TargetKind::Kwok)) && ctx.backend.aws.is_none() => {
            Ok(warn(format!("{name} runs for {cluster}, but SA {sa_name} has no AWS identity (IRSA or Pod Identity): on EKS its ELB API calls would fail")))
        }
        None => {
            let policy = format!("arn:aws:iam::{}:policy/AWSLoadBalancerControllerIAMPolicy", ctx.var("account", "<account>"));
            Ok(super::identity::none(ctx, &ns, &sa_name, "its ELB and EC2 API calls fail, so no load balancer is created", &policy))
        }
    }
}

pub async fn ingress_class(ctx: &Ctx<'_>) -> Step<Outcome> {
    let name = ctx.text("name", "ingressClass", "alb");
    let api: Api<IngressClass> = Api::all(ctx.kube()?.clone());
    let Some(class) = kube_call(&format!("get ingressclass {name}"), api.get_opt(&name)).await? else {
        let next = if name == "alb" {
            "kubectl apply -f alb-ingress/ingressclass.yaml".to_string()
        } else {
            format!(
                "create IngressClass {name} with spec.controller: {LBC_CONTROLLER} (as alb-ingress/ingressclass.yaml does for alb), then kubectl get ingressclass {name}"
            )
        };
        return Ok(fail(format!("IngressClass {name} missing (createIngressClassResource=false?)")).found_expected("no IngressClass", &name).next(next));
    };
    let controller = class.spec.and_then(|s| s.controller).unwrap_or_default();
    if controller != LBC_CONTROLLER {
        // spec.controller is immutable: the class must be recreated
        let recreate = if name == "alb" {
            "kubectl apply -f alb-ingress/ingressclass.yaml".to_string()
        } else {
            format!("recreate it with spec.controller: {LBC_CONTROLLER}")
        };
        return Ok(fail(format!("IngressClass {name} has controller {controller}, expected {LBC_CONTROLLER}"))
            .found_expected(controller, LBC_CONTROLLER)
            .next(format!("spec.controller cannot be changed: kubectl delete ingressclass {name}, then {recreate}")));
    }
    Ok(pass(format!("IngressClass {name} points at {LBC_CONTROLLER}")))
}

async fn get_ingress(ctx: &Ctx<'_>) -> Step<(String, String, Ingress)> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "ingress", "web");
    let api: Api<Ingress> = Api::namespaced(ctx.kube()?.clone(), &ns);
    match kube_call(&format!("get ingress {ns}/{name}"), api.get_opt(&name)).await? {
        Some(i) => Ok((ns, name, i)),
        None => Err(fail(format!("Ingress {ns}/{name} not found")).found_expected("no Ingress", format!("{ns}/{name}")).next(apply_ingress(ctx))),
    }
}

/// Whether an `alb.ingress.kubernetes.io/listen-ports` value has an HTTPS listener on 443.
fn has_https_443(listen_ports: &str) -> bool {
    serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(listen_ports)
        .is_ok_and(|ports| ports.iter().any(|p| p.get("HTTPS").and_then(serde_json::Value::as_u64) == Some(443)))
}

pub async fn tls_spec(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, ing) = get_ingress(ctx).await?;
    let annotations = ing.metadata.annotations.clone().unwrap_or_default();
    let spec = ing.spec.clone().unwrap_or_default();
    let class = spec.ingress_class_name.clone().or_else(|| annotations.get("kubernetes.io/ingress.class").cloned()).unwrap_or_default();
    let by_annotation = spec.ingress_class_name.is_none() && annotations.contains_key("kubernetes.io/ingress.class");
    let want_class = ctx.text("ingressClass", "ingressClass", "alb");
    if class != want_class {
        return Ok(fail(format!("ingressClassName {}, expected {want_class}", if class.is_empty() { "unset" } else { &class }))
            .found_expected(if class.is_empty() { "unset".to_string() } else { class }, &want_class)
            .next(format!(
                r#"{}kubectl -n {ns} patch ingress {name} --type merge -p '{{"spec":{{"ingressClassName":"{want_class}"}}}}'"#,
                // drop the deprecated annotation, so that only spec.ingressClassName names the class
                if by_annotation { format!("kubectl -n {ns} annotate ingress {name} kubernetes.io/ingress.class- && ") } else { String::new() }
            )));
    }
    let ports = annotations.get(&format!("{ANN}listen-ports")).cloned().unwrap_or_default();
    if !has_https_443(&ports) {
        return Ok(fail(format!("no HTTPS listener: listen-ports={}", if ports.is_empty() { "unset (HTTP 80 only)" } else { &ports }))
            .found_expected(if ports.is_empty() { "unset".to_string() } else { ports }, r#"[{"HTTP":80},{"HTTPS":443}]"#)
            .next(format!(r#"kubectl -n {ns} annotate ingress {name} --overwrite {ANN}listen-ports='[{{"HTTP":80}},{{"HTTPS":443}}]'"#)));
    }
    let cert = annotations.get(&format!("{ANN}certificate-arn")).filter(|c| !c.is_empty()).cloned();
    let tls_hosts = spec.tls.clone().unwrap_or_default().iter().any(|t| t.hosts.as_ref().is_some_and(|h| !h.is_empty()));
    if cert.is_none() && !tls_hosts {
        return Ok(fail("no certificate: set alb.ingress.kubernetes.io/certificate-arn or spec.tls hosts matching an ACM certificate")
            .found_expected("no certificate", "certificate-arn or spec.tls.hosts")
            .next(match super::common::region(ctx) {
                Some(r) => format!(
                    r#"set CERT_ARN to the ARN of an ACM certificate in {r} (no domain, lab only: CERT_ARN=$(REGION={r} ./alb-ingress/self-signed-cert.sh)), then kubectl -n {ns} annotate ingress {name} --overwrite {ANN}certificate-arn="$CERT_ARN""#
                ),
                None => format!(
                    r#"set CERT_ARN to the ARN of an ACM certificate in the cluster's region (no domain, lab only: CERT_ARN=$(./alb-ingress/self-signed-cert.sh)), then kubectl -n {ns} annotate ingress {name} --overwrite {ANN}certificate-arn="$CERT_ARN""#
                ),
            }));
    }
    let mut warnings = Vec::new();
    if !annotations.contains_key(&format!("{ANN}scheme")) {
        warnings.push("scheme unset → default internal (set internet-facing for a public site)");
    }
    if !annotations.contains_key(&format!("{ANN}ssl-redirect")) {
        warnings.push("ssl-redirect unset: plain HTTP is served, not redirected");
    }
    if !warnings.is_empty() {
        return Ok(warn(format!("Ingress {ns}/{name} asks for HTTPS, but {}", warnings.join("; "))));
    }
    Ok(pass(format!(
        "Ingress {ns}/{name}: class {want_class}, HTTPS 443, {}",
        cert.map_or("certificate by ACM discovery".to_string(), |c| format!("certificate {c}"))
    )))
}

pub async fn alb_ready(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = match ctx.aws() {
        Ok(a) => a,
        Err(_) => return Ok(skip("no ALB on a local cluster: the AWS Load Balancer Controller needs AWS")),
    };
    let (ns, name, ing) = get_ingress(ctx).await?;
    let hostname = ing.status.and_then(|s| s.load_balancer?.ingress?.into_iter().find_map(|i| i.hostname));
    if let Some(h) = hostname.as_ref().filter(|h| h.ends_with(".elb.amazonaws.com") || h.ends_with(".elb.amazonaws.com.cn")) {
        return Ok(pass(format!("Ingress {ns}/{name} is served by {h}")));
    }
    // why not: the controller's newest event on the Ingress, and the subnet tags it needs
    let events: Api<Event> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let list = kube_call(
        &format!("list events in {ns}"),
        events.list(&ListParams::default().fields(&format!("involvedObject.kind=Ingress,involvedObject.name={name}"))),
    )
    .await?;
    let newest = list.items.into_iter().max_by_key(|e| e.last_timestamp.clone().map(|t| t.0).or(e.event_time.clone().map(|t| t.0)));
    let event = newest.map(|e| format!("; last event {}: {}", e.reason.unwrap_or_default(), e.message.unwrap_or_default())).unwrap_or_default();
    let scheme = ing.metadata.annotations.as_ref().and_then(|a| a.get(&format!("{ANN}scheme")).cloned()).unwrap_or_else(|| "internal".into());
    let role_tag = if scheme == "internet-facing" { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
    let out = timed(
        "ec2:DescribeSubnets",
        aws.ec2.describe_subnets().filters(aws_sdk_ec2::types::Filter::builder().name(format!("tag:{role_tag}")).values("1").build()).send(),
    )
    .await?;
    let tagged = out.map_err(|e| aws_error(&e, "ec2:DescribeSubnets"))?.subnets.unwrap_or_default();
    let cluster = ctx.cluster();
    let aws_region = super::common::region(ctx).map(|r| format!(" --region {r}")).unwrap_or_default();
    let zones: std::collections::BTreeSet<String> = tagged.iter().filter_map(|s| s.availability_zone.clone()).collect();
    if zones.len() < 2 {
        return Ok(fail(format!("no address{event}; only {} subnets tagged {role_tag}=1 (in {} AZ): an ALB needs 2 AZs", tagged.len(), zones.len()))
            .found_expected(format!("{} tagged subnets", tagged.len()), format!("{role_tag}=1 on subnets in 2+ AZs"))
            .next(format!(
                "list the cluster's subnets: aws ec2 describe-subnets{aws_region} --subnet-ids $(aws eks describe-cluster --name {cluster}{aws_region} --query cluster.resourcesVpcConfig.subnetIds --output text) --query 'Subnets[].[SubnetId,AvailabilityZone,MapPublicIpOnLaunch]' --output table; then tag two {} ones in different AZs: aws ec2 create-tags{aws_region} --resources <subnet-id> <subnet-id> --tags Key={role_tag},Value=1",
                if scheme == "internet-facing" { "public" } else { "private" }
            )));
    }
    let found = hostname.unwrap_or_else(|| "no address".into());
    let lbc_ns = ctx.var("lbcNamespace", "kube-system");
    Ok(fail(format!("no ALB address yet{event}")).found_expected(found, "<name>.<region>.elb.amazonaws.com").next(format!(
        "wait a minute or two for SuccessfullyReconciled: kubectl -n {ns} describe ingress {name}; if an error shows instead, read the controller's log: kubectl -n {lbc_ns} logs deploy/aws-load-balancer-controller --since=10m"
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_ports_parsing() {
        assert!(super::has_https_443(r#"[{"HTTP": 80}, {"HTTPS": 443}]"#));
        assert!(!super::has_https_443(r#"[{"HTTP": 80}]"#));
        assert!(!super::has_https_443(r#"[{"HTTPS": 8443}]"#));
        assert!(!super::has_https_443("garbage"));
    }
}
