//! The supervisor's loop: a watcher on every pod; for a pod of a known image on a kwok node, the
//! program runs on the host while the pod exists, and stops when the pod goes (or is
//! terminating, or has finished), or when the supervisor is told to stop (SIGTERM, from `down`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, PostParams};
use kube::runtime::{WatchStreamExt as _, watcher};

use super::identity;
use super::launch::{self, Launch};
use super::table::{self, Program};
use super::{Entry, State};

/// Who the Events on pods are from.
const COMPONENT: &str = "kubedojo-sandbox";

struct Running {
    child: tokio::process::Child,
    token_file: PathBuf,
    service_account: String,
}

struct Supervisor {
    dir: PathBuf,
    kubeconfig: PathBuf,
    client: kube::Client,
    /// What became of each pod (by uid), as `status` shows it.
    entries: HashMap<String, Entry>,
    running: HashMap<String, Running>,
    /// Whether a node is a kwok node (annotated `kwok.x-k8s.io/node`), by name.
    kwok_nodes: HashMap<String, bool>,
    /// Each program's version, as it prints it.
    versions: HashMap<String, Result<String, String>>,
}

pub async fn run(dir: PathBuf, kubeconfig: PathBuf) -> Result<(), String> {
    let config = kube::config::Kubeconfig::read_from(&kubeconfig).map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
    let config = kube::Config::from_custom_kubeconfig(config, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
    let client = kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
    std::fs::create_dir_all(super::folder(&dir)).map_err(|e| format!("{}: {e}", super::folder(&dir).display()))?;
    let mut s = Supervisor {
        dir,
        kubeconfig,
        client: client.clone(),
        entries: HashMap::new(),
        running: HashMap::new(),
        kwok_nodes: HashMap::new(),
        versions: HashMap::new(),
    };
    s.save();
    // before anything else: webhook configurations that name a Service go to 127.0.0.1
    let endpoint = super::webhooks::listen().await?;
    println!("admission webhooks that name a Service are answered at {}", endpoint.url);
    let rewriting = tokio::spawn(super::webhooks::keep_rewriting(client.clone(), endpoint));
    // Karpenter's instances register as nodes, as their kubelets would
    let registering = tokio::spawn(super::nodeclaims::keep_registering(client.clone(), s.dir.clone()));
    let mut pods = watcher(Api::<Pod>::all(client), watcher::Config::default()).default_backoff().boxed();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    let mut refresh = tokio::time::interval(Duration::from_secs((identity::TOKEN_SECONDS / 2) as u64));
    refresh.tick().await;
    let mut reap = tokio::time::interval(Duration::from_millis(500));
    let mut listing: Option<HashSet<String>> = None;
    loop {
        tokio::select! {
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = refresh.tick() => s.refresh_tokens().await,
            _ = reap.tick() => s.reap().await,
            event = pods.next() => match event {
                Some(Ok(watcher::Event::Init)) => listing = Some(HashSet::new()),
                Some(Ok(watcher::Event::InitApply(pod))) => {
                    if let Some(seen) = listing.as_mut() {
                        seen.insert(launch::identity(&pod).2);
                    }
                    s.pod(&pod).await;
                }
                Some(Ok(watcher::Event::InitDone)) => {
                    if let Some(seen) = listing.take() {
                        let gone: Vec<String> = s.entries.keys().filter(|uid| !seen.contains(*uid)).cloned().collect();
                        for uid in gone {
                            s.gone(&uid).await;
                        }
                    }
                }
                Some(Ok(watcher::Event::Apply(pod))) => s.pod(&pod).await,
                Some(Ok(watcher::Event::Delete(pod))) => s.gone(&launch::identity(&pod).2).await,
                Some(Err(e)) => eprintln!("watching pods: {e} (retrying)"),
                None => break,
            },
        }
    }
    rewriting.abort();
    registering.abort();
    let uids: Vec<String> = s.running.keys().cloned().collect();
    for uid in uids {
        s.gone(&uid).await;
    }
    Ok(())
}

impl Supervisor {
    fn save(&self) {
        let mut entries: Vec<&Entry> = self.entries.values().collect();
        entries.sort_by(|a, b| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)));
        if let Err(e) = super::save_entries(&self.dir, &entries) {
            eprintln!("{e}");
        }
    }

    /// Whether the program should run for this pod: scheduled on a kwok node, not terminating,
    /// not finished.
    async fn wanted(&mut self, pod: &Pod) -> bool {
        let finished = pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_some_and(|p| p == "Succeeded" || p == "Failed");
        if pod.metadata.deletion_timestamp.is_some() || finished {
            return false;
        }
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else { return false };
        if let Some(kwok) = self.kwok_nodes.get(&node) {
            return *kwok;
        }
        let api: Api<Node> = Api::all(self.client.clone());
        match tokio::time::timeout(Duration::from_secs(10), api.get(&node)).await {
            Ok(Ok(n)) => {
                let kwok = n.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kwok.x-k8s.io/node"));
                self.kwok_nodes.insert(node, kwok);
                kwok
            }
            _ => false,
        }
    }

    async fn pod(&mut self, pod: &Pod) {
        let Some((container, program)) = launch::known_container(pod) else { return };
        let (namespace, name, uid) = launch::identity(pod);
        if !self.wanted(pod).await {
            if self.entries.contains_key(&uid) {
                self.gone(&uid).await;
            }
            return;
        }
        if self.entries.contains_key(&uid) {
            return;
        }
        let log = super::pod_folder(&self.dir, &namespace, &name).join("log");
        let mut entry = Entry {
            namespace: namespace.clone(),
            pod: name.clone(),
            container: container.name.clone(),
            image: container.image.clone().unwrap_or_default(),
            program: program.program.clone(),
            version: None,
            pid: None,
            log: log.clone(),
            state: State::NotRun,
            message: String::new(),
        };
        let (kind, reason) = match self.start(pod, container, program, &mut entry).await {
            Ok(()) => ("Normal", "SandboxStarted"),
            Err((reason, message)) => {
                entry.message = message;
                ("Warning", reason)
            }
        };
        let message = match entry.state {
            State::Running => format!(
                "kubedojo sandbox runs {} {} on the host for container {} (pid {}, log {}), as ServiceAccount {}",
                entry.program,
                entry.version.as_deref().unwrap_or("?"),
                entry.container,
                entry.pid.unwrap_or_default(),
                entry.log.display(),
                launch::service_account(pod)
            ),
            _ => entry.message.clone(),
        };
        eprintln!("{namespace}/{name}: {message}");
        self.event(pod, &entry.container, kind, reason, &message).await;
        self.entries.insert(uid, entry);
        self.save();
    }

    async fn version(&mut self, program: &Program, path: &Path) -> Result<String, String> {
        if let Some(v) = self.versions.get(&program.program) {
            return v.clone();
        }
        if let Some(module) = &program.module {
            let v = super::buildinfo::module_version(path, module);
            self.versions.insert(program.program.clone(), v.clone());
            return v;
        }
        let out = tokio::time::timeout(Duration::from_secs(10), tokio::process::Command::new(path).args(&program.version).stdin(Stdio::null()).output()).await;
        let v = match out {
            Ok(Ok(o)) => table::version_in(&String::from_utf8_lossy(&o.stdout))
                .ok_or_else(|| format!("`{} {}` printed no version", path.display(), program.version.join(" "))),
            Ok(Err(e)) => Err(format!("{}: {e}", path.display())),
            Err(_) => Err(format!("`{} {}` did not finish within 10 s", path.display(), program.version.join(" "))),
        };
        self.versions.insert(program.program.clone(), v.clone());
        v
    }

    /// Start the program for the pod, or say (reason, message) why not.
    async fn start(
        &mut self,
        pod: &Pod,
        container: &k8s_openapi::api::core::v1::Container,
        program: &Program,
        entry: &mut Entry,
    ) -> Result<(), (&'static str, String)> {
        let (namespace, name, uid) = launch::identity(pod);
        let Some(path) = super::super::find_on_path(&program.program) else {
            return Err((
                "SandboxProgramMissing",
                format!(
                    "{} is not on the sandbox's PATH, so nothing does this container's work: install it ({}), then `kubedojo sandbox down` and `up`",
                    program.program, program.component
                ),
            ));
        };
        let version = self.version(program, &path).await.map_err(|e| ("SandboxProgramBroken", e))?;
        entry.version = Some(version.clone());
        let (_, tag) = table::split_image(&entry.image);
        if !table::same_version(tag, &version, program.tag_without_v) {
            entry.state = State::VersionMismatch;
            return Err((
                "SandboxVersionMismatch",
                format!(
                    "image {} asks for {}, but the sandbox's {} is {version}: not run. Use the image tag {} (the version the sandbox has), or put {} {} on PATH and `kubedojo sandbox down` and `up`",
                    entry.image,
                    tag.unwrap_or("latest"),
                    program.program,
                    table::tag_of(&version, program.tag_without_v),
                    program.program,
                    tag.unwrap_or("of that version")
                ),
            ));
        }
        let folder = super::pod_folder(&self.dir, &namespace, &name);
        std::fs::create_dir_all(&folder).map_err(|e| ("SandboxFailed", format!("{}: {e}", folder.display())))?;
        let service_account = launch::service_account(pod);
        let token_file = folder.join("token");
        let token = identity::token(&self.client, &namespace, &service_account, &name, &uid).await.map_err(|e| ("SandboxFailed", e))?;
        identity::write_private(&token_file, &token).map_err(|e| ("SandboxFailed", e))?;
        let kubeconfig = folder.join("kubeconfig");
        let text = identity::kubeconfig(&self.kubeconfig, &token_file, &namespace).map_err(|e| ("SandboxFailed", e))?;
        identity::write_private(&kubeconfig, &text).map_err(|e| ("SandboxFailed", e))?;
        let ports = super::super::free_ports(program.ports.len()).map_err(|e| ("SandboxFailed", e))?;
        let Launch { args, mut env, mut notes } =
            launch::launch(pod, container, program, &kubeconfig.display().to_string(), &ports).map_err(|e| ("SandboxRefused", e))?;
        if program.aws {
            let front = super::super::load(&self.dir).and_then(|s| s.front.or(s.emulator)).ok_or((
                "SandboxFailed",
                format!(
                    "{} calls AWS, but the sandbox has no AWS emulator: `pip install 'moto[server]'`, then `kubedojo sandbox down` and `up`",
                    program.program
                ),
            ))?;
            let access = super::aws::access(&front.url, &namespace, &service_account, &name, &env).await.map_err(|e| ("SandboxFailed", e))?;
            env.retain(|(k, _)| !super::aws::pod_only(k) && !access.env.iter().any(|(a, _)| a == k));
            env.extend(access.env);
            notes.push(access.note);
        }
        let mut log = std::fs::File::create(&entry.log).map_err(|e| ("SandboxFailed", format!("{}: {e}", entry.log.display())))?;
        {
            use std::io::Write as _;
            let _ = writeln!(log, "# kubedojo sandbox: {} {}", path.display(), args.join(" "));
            for note in &notes {
                let _ = writeln!(log, "# {note}");
            }
        }
        let stderr = log.try_clone().map_err(|e| ("SandboxFailed", e.to_string()))?;
        let child = tokio::process::Command::new(&path)
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &folder)
            .envs(env)
            .current_dir(&folder)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ("SandboxFailed", format!("starting {}: {e}", path.display())))?;
        entry.pid = child.id();
        entry.state = State::Running;
        self.running.insert(uid, Running { child, token_file, service_account });
        Ok(())
    }

    /// The pod went (or no longer wants the program): stop it.
    async fn gone(&mut self, uid: &str) {
        if let Some(mut r) = self.running.remove(uid) {
            if let Some(pid) = r.child.id() {
                let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
            }
            if tokio::time::timeout(Duration::from_secs(5), r.child.wait()).await.is_err() {
                let _ = r.child.kill().await;
            }
            let _ = std::fs::remove_file(&r.token_file);
        }
        if let Some(e) = self.entries.remove(uid) {
            eprintln!("{}/{}: gone; {} stopped", e.namespace, e.pod, e.program);
        }
        self.save();
    }

    /// A program that exited by itself (a wrong flag, a refused permission): say so on its pod.
    async fn reap(&mut self) {
        let mut exited = Vec::new();
        for (uid, r) in self.running.iter_mut() {
            if let Ok(Some(status)) = r.child.try_wait() {
                exited.push((uid.clone(), status));
            }
        }
        for (uid, status) in exited {
            let r = self.running.remove(&uid);
            let Some(entry) = self.entries.get_mut(&uid) else { continue };
            let tail = std::fs::read_to_string(&entry.log).unwrap_or_default();
            let last: Vec<&str> = tail.lines().filter(|l| !l.starts_with("# ")).rev().take(3).collect();
            let last: Vec<&str> = last.into_iter().rev().collect();
            entry.state = State::Exited;
            entry.pid = None;
            entry.message = format!("{} exited ({status}); the end of its log {}: {}", entry.program, entry.log.display(), last.join(" | "));
            let (namespace, pod, container, message) = (entry.namespace.clone(), entry.pod.clone(), entry.container.clone(), entry.message.clone());
            if let Some(r) = r {
                let _ = std::fs::remove_file(&r.token_file);
            }
            eprintln!("{namespace}/{pod}: {message}");
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
            if let Ok(Ok(p)) = tokio::time::timeout(Duration::from_secs(10), api.get(&pod)).await {
                self.event(&p, &container, "Warning", "SandboxExited", &message).await;
            }
            self.save();
        }
    }

    /// A new token for every running program, before the old one expires.
    async fn refresh_tokens(&mut self) {
        for (uid, r) in &self.running {
            let Some(e) = self.entries.get(uid) else { continue };
            match identity::token(&self.client, &e.namespace, &r.service_account, &e.pod, uid).await {
                Ok(t) => {
                    if let Err(err) = identity::write_private(&r.token_file, &t) {
                        eprintln!("{}/{}: {err}", e.namespace, e.pod);
                    }
                }
                Err(err) => eprintln!("{}/{}: refreshing its token: {err}", e.namespace, e.pod),
            }
        }
    }

    /// An Event on the pod (`kubectl describe pod` and `kubectl get events` show it).
    async fn event(&self, pod: &Pod, container: &str, kind: &str, reason: &str, message: &str) {
        let (namespace, name, uid) = launch::identity(pod);
        let now = jiff::Timestamp::from_second(i64::try_from(crate::clock::unix_now()).unwrap_or_default()).unwrap_or_default().to_string();
        let event = serde_json::json!({
            "metadata": {"generateName": format!("{name}."), "namespace": namespace},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": namespace, "name": name, "uid": uid, "fieldPath": format!("spec.containers{{{container}}}")},
            "reason": reason, "message": message, "type": kind,
            "source": {"component": COMPONENT}, "reportingComponent": COMPONENT, "reportingInstance": COMPONENT,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1
        });
        let Ok(event) = serde_json::from_value::<Event>(event) else { return };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        match tokio::time::timeout(Duration::from_secs(10), api.create(&PostParams::default(), &event)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("{namespace}/{name}: cannot record the event {reason}: {e}"),
            Err(_) => eprintln!("{namespace}/{name}: cannot record the event {reason}: no answer within 10 s"),
        }
    }
}
