//! What an EKS add-on puts in the cluster, as the front's add-on manager writes it into the
//! sandbox's cluster when the learner creates, updates or deletes the add-on: the DaemonSets,
//! Deployments, ServiceAccounts and CSIDriver of vpc-cni, kube-proxy, coredns,
//! aws-ebs-csi-driver and eks-pod-identity-agent, with the add-on's version as the image tag and
//! its `configurationValues` applied where the course's checks read them (aws-node's env, the
//! network policy agent's `--enable-network-policy`). EKS applies an add-on with server-side
//! apply under the field manager `eks` (EKS user guide, "Determine fields you can customize for
//! Amazon EKS add-ons"), and so does the front.
//!
//! What is simulated, and how it differs: only the objects the course looks at, not every
//! object of the add-on's manifest (no ConfigMaps, RBAC, PodDisruptionBudgets, Services); the
//! images name registry account 602401143452, which serves most regions (the user guide's
//! "View Amazon container image registries" lists the others); kwok runs no container.

use std::path::Path;

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

/// The add-on manager: None when the front has no cluster to write to (the tests of the API alone).
pub struct Installer {
    client: Option<kube::Client>,
    /// The same cluster without kube's retries of 429 answers: an eviction a disruption budget
    /// refuses is an answer to read at once, not to retry (kube retries 429 up to 15 times,
    /// honouring Retry-After).
    once: Option<kube::Client>,
}

/// What an add-on change asks of the cluster.
pub enum Work {
    Apply { name: String, version: String, region: String, configuration: Option<String>, role: Option<String> },
    Remove { name: String },
}

impl Installer {
    pub fn none() -> Installer {
        Installer { client: None, once: None }
    }

    /// A client for the sandbox's cluster, from its kubeconfig.
    pub async fn connect(kubeconfig: &Path) -> Result<Installer, String> {
        let config = Kubeconfig::read_from(kubeconfig).map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
        let mut config = kube::Config::from_custom_kubeconfig(config, &KubeConfigOptions::default())
            .await
            .map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
        crate::checks::backend::direct_to_loopback(&mut config);
        let mut without_retries = config.clone();
        without_retries.default_retry = false;
        let client = kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
        let once = kube::Client::try_from(without_retries).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
        Ok(Installer { client: Some(client), once: Some(once) })
    }

    /// A client for the sandbox's cluster that does not retry refusals (429); None in the tests
    /// of the API alone.
    pub fn client_without_retries(&self) -> Option<&kube::Client> {
        self.once.as_ref()
    }

    /// Do it; what went wrong, said for the front's log (the add-on's API answer stands).
    pub async fn run(&self, work: Work) -> Result<(), String> {
        let Some(client) = &self.client else { return Ok(()) };
        let (objects, remove) = match &work {
            Work::Apply { name, version, region, configuration, role } => {
                let values = configuration.as_deref().and_then(|v| serde_json::from_str::<Value>(v).ok().or_else(|| serde_saphyr::from_str::<Value>(v).ok()));
                (objects(name, version, region, values.as_ref(), role.as_deref()), false)
            }
            Work::Remove { name } => (objects(name, "v0", "us-east-1", None, None), true),
        };
        for object in objects {
            let (api, name) = api_for(client, &object)?;
            let result = if remove {
                api.delete(&name, &DeleteParams::default()).await.map(|_| ()).or_else(|e| match e {
                    kube::Error::Api(s) if s.code == 404 => Ok(()),
                    e => Err(e),
                })
            } else {
                api.patch(&name, &PatchParams::apply("eks").force(), &Patch::Apply(&object)).await.map(|_| ())
            };
            result.map_err(|e| format!("{} {name}: {}", object["kind"].as_str().unwrap_or("object"), error_text(&e)))?;
        }
        Ok(())
    }
}

fn error_text(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("the API server answered {}: {}", s.code, s.message),
        other => format!("cannot reach the sandbox's API server: {other}"),
    }
}

fn api_for(client: &kube::Client, object: &Value) -> Result<(Api<DynamicObject>, String), String> {
    let (api_version, kind) = (object["apiVersion"].as_str().unwrap_or_default(), object["kind"].as_str().unwrap_or_default());
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let plural = match kind {
        "DaemonSet" => "daemonsets",
        "Deployment" => "deployments",
        "ServiceAccount" => "serviceaccounts",
        "CSIDriver" => "csidrivers",
        other => return Err(format!("the add-on manager cannot write a {other}")),
    };
    let resource = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let api = match object["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    Ok((api, name))
}

/// The objects of add-on `name` at `version` (an EKS add-on version, `v1.21.1-eksbuild.7`).
pub fn objects(name: &str, version: &str, region: &str, values: Option<&Value>, role: Option<&str>) -> Vec<Value> {
    let image = |repo: &str, tag: &str| format!("602401143452.dkr.ecr.{region}.amazonaws.com/{repo}:{tag}");
    // the drivers' images carry the upstream release, without EKS's build suffix
    let upstream = version.split("-eksbuild").next().unwrap_or(version);
    let sa = |sa: &str| {
        let mut o = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": "kube-system", "labels": {"app.kubernetes.io/managed-by": "EKS"}}});
        if let Some(role) = role {
            o["metadata"]["annotations"] = json!({ "eks.amazonaws.com/role-arn": role });
        }
        o
    };
    let daemonset = |ds: &str, labels: Value, sa: Option<&str>, containers: Value| {
        let mut pod = json!({"priorityClassName": "system-node-critical", "tolerations": [{"operator": "Exists"}], "containers": containers});
        if let Some(sa) = sa {
            pod["serviceAccountName"] = json!(sa);
        }
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": ds, "namespace": "kube-system", "labels": labels},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}}})
    };
    match name {
        "vpc-cni" => {
            // the add-on's defaults that the course reads, then the learner's env on top
            let mut env: Vec<(String, String)> = [("ENABLE_PREFIX_DELEGATION", "false"), ("WARM_ENI_TARGET", "1"), ("ENABLE_POD_ENI", "false")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            for (k, v) in values.and_then(|v| v["env"].as_object()).into_iter().flatten() {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                env.retain(|(name, _)| name != k);
                env.push((k.clone(), v));
            }
            let policy = values.and_then(|v| v["enableNetworkPolicy"].as_str()).unwrap_or("false");
            let env: Vec<Value> = env.into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
            vec![
                sa("aws-node"),
                daemonset(
                    "aws-node",
                    json!({"k8s-app": "aws-node"}),
                    Some("aws-node"),
                    json!([
                        {"name": "aws-node", "image": image("amazon-k8s-cni", version), "env": env},
                        // the agent's own version is not in the course's table: the one the tests knew
                        {"name": "aws-eks-nodeagent", "image": image("amazon/aws-network-policy-agent", "v1.2.7-eksbuild.1"),
                         "args": [format!("--enable-network-policy={policy}"), "--enable-ipv6=false", "--enable-cloudwatch-logs=false", "--metrics-bind-addr=:8162", "--health-probe-bind-addr=:8163"]}
                    ]),
                ),
            ]
        }
        // the add-on runs the minimal image (EKS user guide, kube-proxy add-on: image types)
        "kube-proxy" => vec![daemonset(
            "kube-proxy",
            json!({"k8s-app": "kube-proxy"}),
            None,
            json!([{"name": "kube-proxy", "image": image("eks/kube-proxy", &version.replacen("-eksbuild", "-minimal-eksbuild", 1))}]),
        )],
        "coredns" => {
            let labels = json!({"k8s-app": "kube-dns"});
            vec![json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
                "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                    "spec": {"priorityClassName": "system-cluster-critical", "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                        "containers": [{"name": "coredns", "image": image("eks/coredns", version)}]}}}})]
        }
        "aws-ebs-csi-driver" => {
            let labels = json!({"app": "ebs-csi-controller", "app.kubernetes.io/name": "aws-ebs-csi-driver"});
            vec![
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "ebs.csi.aws.com"}, "spec": {"attachRequired": true, "podInfoOnMount": false, "fsGroupPolicy": "File"}}),
                sa("ebs-csi-controller-sa"),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ebs-csi-controller", "namespace": "kube-system", "labels": labels},
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                        "spec": {"serviceAccountName": "ebs-csi-controller-sa", "priorityClassName": "system-cluster-critical", "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                            "containers": [{"name": "ebs-plugin", "image": image("eks/aws-ebs-csi-driver", upstream), "args": ["controller"]}]}}}}),
                daemonset(
                    "ebs-csi-node",
                    json!({"app": "ebs-csi-node", "app.kubernetes.io/name": "aws-ebs-csi-driver"}),
                    None,
                    json!([{"name": "ebs-plugin", "image": image("eks/aws-ebs-csi-driver", upstream), "args": ["node"]}]),
                ),
            ]
        }
        "eks-pod-identity-agent" => vec![daemonset(
            "eks-pod-identity-agent",
            json!({"app.kubernetes.io/name": "eks-pod-identity-agent"}),
            None,
            json!([{"name": "eks-pod-identity-agent", "image": image("eks/eks-pod-identity-agent", upstream), "args": ["server", "--port", "80"]}]),
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpc_cni_takes_the_learners_env_and_network_policy() {
        let values = json!({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}, "enableNetworkPolicy": "true"});
        let objects = objects("vpc-cni", "v1.21.1-eksbuild.7", "eu-west-1", Some(&values), Some("arn:aws:iam::111122223333:role/cni"));
        assert_eq!(objects[0]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], "arn:aws:iam::111122223333:role/cni");
        let containers = &objects[1]["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.21.1-eksbuild.7");
        let env: Vec<(String, String)> =
            containers[0]["env"].as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap().into(), e["value"].as_str().unwrap().into())).collect();
        assert!(env.contains(&("ENABLE_PREFIX_DELEGATION".into(), "true".into())) && env.contains(&("WARM_PREFIX_TARGET".into(), "1".into())), "{env:?}");
        assert_eq!(env.iter().filter(|(n, _)| n == "ENABLE_PREFIX_DELEGATION").count(), 1);
        assert_eq!(containers[1]["args"][0], "--enable-network-policy=true");
    }

    #[test]
    fn an_unknown_add_on_writes_nothing() {
        assert!(objects("aws-guardduty-agent", "v1.0.0-eksbuild.1", "eu-west-1", None, None).is_empty());
    }
}
