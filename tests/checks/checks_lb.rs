//! AWS Load Balancer Controller, IngressClass and TLS Ingress checks.

use crate::live::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

fn controller(cluster_arg: Option<&str>) -> serde_json::Value {
    let args: Vec<String> = cluster_arg.map(|c| vec![format!("--cluster-name={c}"), "--ingress-class=alb".into()]).unwrap_or_default();
    json!({
        "metadata": {"name": "aws-load-balancer-controller"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "lbc"}},
            "template": {
                "metadata": {"labels": {"app": "lbc"}},
                "spec": {
                    "serviceAccountName": "aws-load-balancer-controller",
                    "containers": [{"name": "controller", "image": "public.ecr.aws/eks/aws-load-balancer-controller:v2.14.0", "args": args}]
                }
            }
        }
    })
}

#[tokio::test]
async fn controller_found_by_behaviour_with_cluster_name_and_role() {
    let b = backend(None, false).await;
    let c = client(&b);
    let v = vars(&[("cluster", "kubedojo-lab")]);
    let ns = namespace(&c, "lbc").await;
    let s = spec("lbc.deployed", &[("namespace", &ns)]);
    assert_status(&run(&b, &s, &v).await, Fail, &format!("controller not found in {ns}"));
    let _: ServiceAccount = create(
        &c,
        &ns,
        json!({"metadata": {"name": "aws-load-balancer-controller", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/lbc"}}}),
    )
    .await;
    let _: Deployment = create(&c, &ns, controller(Some("kubedojo-lab"))).await;
    assert_status(
        &run_until(&b, &s, &v, Pass, "available").await,
        Pass,
        "--cluster-name=kubedojo-lab, SA aws-load-balancer-controller uses IRSA role arn:aws:iam::111122223333:role/lbc",
    );
    let other = vars(&[("cluster", "prod")]);
    assert_status(&run(&b, &s, &other).await, Fail, "--cluster-name=kubedojo-lab ≠ prod");

    let ns2 = namespace(&c, "lbc-norole").await;
    let _: ServiceAccount = create(&c, &ns2, json!({"metadata": {"name": "aws-load-balancer-controller"}})).await;
    let _: Deployment = create(&c, &ns2, controller(Some("kubedojo-lab"))).await;
    let s2 = spec("lbc.deployed", &[("namespace", &ns2)]);
    assert_status(&run_until(&b, &s2, &v, Warn, "no eks").await, Warn, "on EKS its ELB API calls would fail");
    let eks = eks_backend().await;
    assert_status(
        &run(&eks, &s2, &v).await,
        Fail,
        "has no AWS identity of its own (no eks.amazonaws.com/role-arn annotation, no Pod Identity association): its ELB and EC2 API calls fail",
    );

    let ns3 = namespace(&c, "lbc-noarg").await;
    let _: ServiceAccount = create(&c, &ns3, json!({"metadata": {"name": "aws-load-balancer-controller"}})).await;
    let _: Deployment = create(&c, &ns3, controller(None)).await;
    let s3 = spec("lbc.deployed", &[("namespace", &ns3)]);
    assert_status(&run_until(&b, &s3, &v, Fail, "no --cluster-name").await, Fail, "has no --cluster-name");
}

async fn ingress_class(c: &kube::Client, name: &str, controller: &str) {
    let api: Api<IngressClass> = Api::all(c.clone());
    let ic: IngressClass = serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"controller": controller}})).expect("class");
    api.create(&PostParams::default(), &ic).await.expect("create ingressclass");
}

#[tokio::test]
async fn ingress_class_points_at_the_controller() {
    let b = backend(None, false).await;
    let c = client(&b);
    let (good, wrong) = (unique("alb"), unique("nginx"));
    ingress_class(&c, &good, "ingress.k8s.aws/alb").await;
    ingress_class(&c, &wrong, "k8s.io/ingress-nginx").await;
    let v = vars(&[]);
    assert_status(&run(&b, &spec("lbc.ingressclass", &[("name", &good)]), &v).await, Pass, "points at ingress.k8s.aws/alb");
    assert_status(&run(&b, &spec("lbc.ingressclass", &[("name", &wrong)]), &v).await, Fail, "has controller k8s.io/ingress-nginx");
    assert_status(&run(&b, &spec("lbc.ingressclass", &[("name", "absent-class")]), &v).await, Fail, "IngressClass absent-class missing");
}

fn ingress(name: &str, class: &str, annotations: serde_json::Value, tls_hosts: &[&str]) -> serde_json::Value {
    let tls = if tls_hosts.is_empty() { json!(null) } else { json!([{"hosts": tls_hosts}]) };
    json!({
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "ingressClassName": class,
            "tls": tls,
            "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]
        }
    })
}

#[tokio::test]
async fn tls_ingress_spec_cases() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "ing").await;
    let full = json!({
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/listen-ports": "[{\"HTTP\":80},{\"HTTPS\":443}]",
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:111122223333:certificate/xyz"
    });
    let cases = [
        ("good", ingress("good", "alb", full.clone(), &[]), Pass, "HTTPS 443, certificate arn:aws:acm"),
        ("nginx", ingress("nginx", "nginx", full.clone(), &[]), Fail, "ingressClassName nginx, expected alb"),
        ("http", ingress("http", "alb", json!({"alb.ingress.kubernetes.io/scheme": "internet-facing"}), &[]), Fail, "no HTTPS listener: listen-ports=unset"),
        (
            "nocert",
            ingress(
                "nocert",
                "alb",
                json!({"alb.ingress.kubernetes.io/listen-ports": "[{\"HTTPS\":443}]", "alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/ssl-redirect": "443"}),
                &[],
            ),
            Fail,
            "no certificate",
        ),
        (
            "discovery",
            ingress(
                "discovery",
                "alb",
                json!({"alb.ingress.kubernetes.io/listen-ports": "[{\"HTTPS\":443}]", "alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/ssl-redirect": "443"}),
                &["shop.example.com"],
            ),
            Pass,
            "ACM discovery",
        ),
        (
            "internal",
            ingress(
                "internal",
                "alb",
                json!({"alb.ingress.kubernetes.io/listen-ports": "[{\"HTTPS\":443}]", "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:1:certificate/x"}),
                &[],
            ),
            Warn,
            "scheme unset → default internal",
        ),
    ];
    for (name, obj, status, part) in cases {
        let _: Ingress = create(&c, &ns, obj).await;
        let r = run(&b, &spec("ingress.tls-spec", &[("namespace", &ns), ("name", name)]), &vars(&[])).await;
        assert_status(&r, status, part);
    }
    let r = run(&b, &spec("ingress.tls-spec", &[("namespace", &ns), ("name", "absent")]), &vars(&[])).await;
    assert_status(&r, Fail, &format!("Ingress {ns}/absent not found"));
}

#[tokio::test]
async fn alb_address_written_by_the_controller_or_why_not() {
    let b = backend(Some("sa-east-1"), true).await;
    let c = client(&b);
    let ns = namespace(&c, "alb").await;
    // the emulator outlives test runs: untag subnets an earlier run tagged in this region
    let ec2 = &aws(&b).ec2;
    let old = ec2
        .describe_subnets()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:kubernetes.io/role/elb").values("1").build())
        .send()
        .await
        .expect("subnets");
    for s in old.subnets.unwrap_or_default() {
        ec2.delete_tags()
            .resources(s.subnet_id.unwrap_or_default())
            .tags(aws_sdk_ec2::types::Tag::builder().key("kubernetes.io/role/elb").build())
            .send()
            .await
            .expect("untag");
    }
    let annotations = json!({"alb.ingress.kubernetes.io/scheme": "internet-facing"});
    let _: Ingress = create(&c, &ns, ingress("web", "alb", annotations, &[])).await;
    let s = spec("ingress.alb-ready", &[("namespace", &ns), ("name", "web")]);
    // the controller's event on a missing subnet tag, as LBC writes it
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(c.clone(), &ns);
    let ev: k8s_openapi::api::core::v1::Event = serde_json::from_value(json!({
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Ingress", "name": "web", "namespace": ns},
        "reason": "FailedBuildModel",
        "message": "Failed build model due to couldn't auto-discover subnets: unable to resolve at least one subnet",
        "type": "Warning",
        "lastTimestamp": "2026-11-26T00:00:00Z"
    }))
    .expect("event");
    events.create(&PostParams::default(), &ev).await.expect("create event");
    // its own region: no subnet tagged yet
    let r = run(&b, &s, &vars(&[])).await;
    assert_status(&r, Fail, "last event FailedBuildModel: Failed build model");
    assert!(r.message.contains("only 0 subnets tagged kubernetes.io/role/elb=1"), "{r:?}");
    // tag public subnets in two AZs; still no address: the controller has not written one
    let vpc = ec2.create_vpc().cidr_block("10.9.0.0/16").send().await.expect("vpc").vpc.and_then(|v| v.vpc_id).expect("vpc id");
    for (i, az) in ["sa-east-1a", "sa-east-1b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.9.{i}.0/24"))
            .availability_zone(*az)
            .send()
            .await
            .expect("subnet")
            .subnet
            .and_then(|s| s.subnet_id)
            .expect("id");
        ec2.create_tags()
            .resources(subnet)
            .tags(aws_sdk_ec2::types::Tag::builder().key("kubernetes.io/role/elb").value("1").build())
            .send()
            .await
            .expect("tag");
    }
    assert_status(&run(&b, &s, &vars(&[])).await, Fail, "no ALB address yet; last event FailedBuildModel");
    // the controller's success: the hostname in the status subresource
    let api: Api<Ingress> = Api::namespaced(c.clone(), &ns);
    let status = json!({"status": {"loadBalancer": {"ingress": [{"hostname": "k8s-shop-web-0a1b.sa-east-1.elb.amazonaws.com"}]}}});
    api.patch_status("web", &PatchParams::default(), &Patch::Merge(&status)).await.expect("status");
    assert_status(&run(&b, &s, &vars(&[])).await, Pass, "served by k8s-shop-web-0a1b.sa-east-1.elb.amazonaws.com");
    let local = backend(None, false).await;
    assert_status(&run(&local, &s, &vars(&[])).await, Skip, "no ALB on a local cluster");
}
