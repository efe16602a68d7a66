//! What runs for a pod's container: the program with the container's own command line, env and
//! the pod's identity, as a kubelet would start it, plus what a host process needs instead of a
//! container's network (a kubeconfig, free ports). Plain logic; `watch` starts it.

use k8s_openapi::api::core::v1::{Container, Pod};

use super::table::{KubeconfigBy, Program};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The arguments after the program (the container's, then the supervisor's).
    pub args: Vec<String>,
    /// The environment (nothing of the host's but PATH and HOME).
    pub env: Vec<(String, String)>,
    /// What the pod asks for that the host process does not get (said in its log).
    pub notes: Vec<String>,
}

/// The pod's namespace, name and uid.
pub fn identity(pod: &Pod) -> (String, String, String) {
    let m = &pod.metadata;
    (m.namespace.clone().unwrap_or_else(|| "default".into()), m.name.clone().unwrap_or_default(), m.uid.clone().unwrap_or_default())
}

/// The ServiceAccount the pod runs as (Kubernetes: `default` when unset).
pub fn service_account(pod: &Pod) -> String {
    pod.spec.as_ref().and_then(|s| s.service_account_name.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "default".into())
}

/// The first container of the pod whose image the table knows, with its program.
pub fn known_container(pod: &Pod) -> Option<(&Container, &'static Program)> {
    pod.spec.as_ref()?.containers.iter().find_map(|c| Some((c, super::table::for_image(c.image.as_deref()?)?)))
}

/// The command line and environment for `container` of `pod`; `ports` are the free ports, one
/// per `program.ports` flag. Refuses a `command` that is not the image's entrypoint: the host
/// has only the program.
pub fn launch(pod: &Pod, container: &Container, program: &Program, kubeconfig: &str, ports: &[u16]) -> Result<Launch, String> {
    let mut args = Vec::new();
    if let Some(command) = container.command.as_ref().filter(|c| !c.is_empty()) {
        let entry = &command[0];
        let named = entry == &program.entrypoint || entry == &program.program || entry.rsplit('/').next() == Some(program.program.as_str());
        if !named {
            return Err(format!(
                "container {} runs `{entry}`, but the image's program is {} (the image's ENTRYPOINT {}): the sandbox can run only that program",
                container.name, program.program, program.entrypoint
            ));
        }
        args.extend(command[1..].iter().cloned());
    }
    args.extend(container.args.iter().flatten().cloned());
    let (namespace, name, _) = identity(pod);
    if program.kubeconfig == KubeconfigBy::Flag {
        args.push(format!("--kubeconfig={kubeconfig}"));
    }
    for (flag, port) in program.ports.iter().zip(ports) {
        args.push(format!("{flag}={port}"));
    }
    let mut env = Vec::new();
    let mut notes = Vec::new();
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(from)) => match from.field_ref.as_ref().map(|f| f.field_path.as_str()) {
                Some("metadata.namespace") => Some(namespace.clone()),
                Some("metadata.name") => Some(name.clone()),
                Some("spec.serviceAccountName") => Some(service_account(pod)),
                Some("spec.nodeName") => pod.spec.as_ref().and_then(|s| s.node_name.clone()),
                _ => None,
            },
            (None, None) => Some(String::new()),
        };
        match value {
            Some(v) => env.push((var.name.clone(), v)),
            None => notes.push(format!(
                "env {} is not set: the sandbox takes literal values and fieldRef metadata.namespace, metadata.name, spec.serviceAccountName, spec.nodeName",
                var.name
            )),
        }
    }
    if container.env_from.as_ref().is_some_and(|e| !e.is_empty()) {
        notes.push("envFrom is not read: the sandbox takes only the container's env".into());
    }
    // a container's hostname is its pod's name
    if !env.iter().any(|(k, _)| k == "HOSTNAME") {
        env.push(("HOSTNAME".into(), name));
    }
    if let Some(var) = program.namespace_env.as_ref().filter(|v| !env.iter().any(|(k, _)| k == *v)) {
        env.push((var.clone(), namespace.clone()));
    }
    if program.kubeconfig == KubeconfigBy::Env {
        env.retain(|(k, _)| k != "KUBECONFIG");
        env.push(("KUBECONFIG".into(), kubeconfig.to_string()));
    }
    Ok(Launch { args, env, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(container: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "argo-rollouts-5d8f", "namespace": "argo-rollouts", "uid": "u1"},
            "spec": {"serviceAccountName": "argo-rollouts", "nodeName": "node-1", "containers": [container]}
        }))
        .expect("pod")
    }

    fn argo() -> &'static Program {
        super::super::table::for_image("quay.io/argoproj/argo-rollouts:v1.9.1").expect("known")
    }

    #[test]
    fn the_containers_args_come_first_and_the_ports_win() {
        let p = pod(serde_json::json!({"name": "c", "image": "quay.io/argoproj/argo-rollouts:v1.9.1", "args": ["--loglevel", "debug", "--healthzPort=8080"],
            "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}, {"name": "A", "value": "b"},
                    {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}));
        let (c, program) = known_container(&p).expect("known container");
        let l = launch(&p, c, program, "/k", &[1, 2]).expect("launch");
        assert_eq!(l.args, ["--loglevel", "debug", "--healthzPort=8080", "--kubeconfig=/k", "--metricsPort=1", "--healthzPort=2"]);
        assert_eq!(
            l.env,
            [("POD_NAMESPACE".to_string(), "argo-rollouts".to_string()), ("A".into(), "b".into()), ("HOSTNAME".into(), "argo-rollouts-5d8f".into())]
        );
        assert_eq!(l.notes.len(), 1, "{:?}", l.notes);
        assert_eq!(service_account(&p), "argo-rollouts");
    }

    #[test]
    fn a_command_must_be_the_images_entrypoint() {
        let ok =
            pod(serde_json::json!({"name": "c", "image": "quay.io/argoproj/argo-rollouts:v1.9.1", "command": ["/bin/rollouts-controller", "--namespaced"]}));
        assert_eq!(launch(&ok, &ok.spec.as_ref().expect("spec").containers[0], argo(), "/k", &[]).expect("launch").args, ["--namespaced", "--kubeconfig=/k"]);
        let bad = pod(serde_json::json!({"name": "c", "image": "quay.io/argoproj/argo-rollouts:v1.9.1", "command": ["sh", "-c", "sleep 1"]}));
        let e = launch(&bad, &bad.spec.as_ref().expect("spec").containers[0], argo(), "/k", &[]).expect_err("refused");
        assert!(e.contains("runs `sh`") && e.contains("rollouts-controller"), "{e}");
    }
}
