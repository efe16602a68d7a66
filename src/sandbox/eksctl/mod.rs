//! The sandbox's `eksctl` (`kubedojo sandbox eksctl ARGS`, what `<state>/bin/eksctl` runs): the
//! subset of eksctl the labs use, doing in the sandbox what eksctl does in an account, through
//! the same AWS APIs (EC2, EKS, IAM, Auto Scaling; the SDK pointed at the sandbox's AWS front)
//! and the sandbox cluster's Kubernetes API. What eksctl does with CloudFormation stacks is done
//! with the calls those stacks make; the EC2 instances that would join as nodes are kwok nodes
//! labelled as EKS labels managed nodes.
//!
//! Messages and log lines follow eksctl (eksctl-io/eksctl: cmd/eksctl/logger.go for the
//! `2006-01-02 15:04:05 [ℹ]  ...` shape, on stdout; cmd/eksctl/main.go for `Error: ...`).

mod cluster;
pub mod config;
mod iam;
mod nodegroup;

use clap::{Args, Parser, Subcommand};

use std::collections::BTreeMap;

use config::ClusterConfig;

use super::Sandbox;
use super::shell::REGION;
use crate::checks::backend::Aws;

/// What the sandbox's eksctl says once, first.
pub const BANNER: &str = "the sandbox's eksctl (simulated, kubedojo): it makes what eksctl makes through the sandbox's AWS APIs and kwok nodes; \
no CloudFormation stacks, no EC2 instances, no NAT gateway; the kubeconfig stays the sandbox's (its context stays current)";

#[derive(Debug, Parser)]
#[command(name = "eksctl", no_binary_name = true, disable_version_flag = true)]
struct Eksctl {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    Create {
        #[command(subcommand)]
        what: Create,
    },
    Delete {
        #[command(subcommand)]
        what: Delete,
    },
    Get {
        #[command(subcommand)]
        what: Get,
    },
    Scale {
        #[command(subcommand)]
        what: Scale,
    },
    Utils {
        #[command(subcommand)]
        what: Utils,
    },
    Version,
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Args)]
struct Target {
    /// The cluster (`--cluster`, or the config file's metadata.name).
    #[arg(long, short = 'c')]
    cluster: Option<String>,
    #[arg(long, short = 'r')]
    region: Option<String>,
    #[arg(long = "config-file", short = 'f')]
    config_file: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Create {
    Cluster {
        #[arg(long = "config-file", short = 'f')]
        config_file: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    Nodegroup {
        #[arg(long = "config-file", short = 'f')]
        config_file: Option<String>,
        #[arg(long, value_delimiter = ',')]
        include: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
    },
    Iamserviceaccount(iam::ServiceAccountArgs),
    Podidentityassociation(iam::PodIdentityArgs),
    Addon(iam::AddonArgs),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
enum Delete {
    Cluster {
        #[arg(long, short = 'n')]
        name: Option<String>,
        #[command(flatten)]
        target: Target,
        #[arg(long, short = 'w')]
        wait: bool,
    },
    Nodegroup {
        #[arg(long, short = 'n')]
        name: String,
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        drain: Option<bool>,
        #[arg(long, short = 'w')]
        wait: bool,
    },
    Iamserviceaccount {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "default")]
        namespace: String,
        #[arg(long)]
        name: String,
        #[arg(long, short = 'w')]
        wait: bool,
        #[arg(long)]
        approve: bool,
    },
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
enum Get {
    Cluster {
        #[arg(long, short = 'n')]
        name: Option<String>,
        #[arg(long, short = 'r')]
        region: Option<String>,
    },
    Nodegroup {
        #[command(flatten)]
        target: Target,
        #[arg(long, short = 'n')]
        name: Option<String>,
    },
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
enum Scale {
    Nodegroup(nodegroup::ScaleArgs),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
enum Utils {
    AssociateIamOidcProvider {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        approve: bool,
    },
    UpdateClusterVpcConfig(cluster::VpcConfigArgs),
    EnableSecretsEncryption {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        key_arn: Option<String>,
        #[arg(long)]
        approve: bool,
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
        encrypt_existing_secrets: bool,
    },
    #[command(external_subcommand)]
    Other(Vec<String>),
}

/// The AWS clients (the sandbox's front, its test credentials) and the sandbox cluster's client.
pub struct Ctx {
    pub aws: Aws,
    pub kube: kube::Client,
    pub region: String,
    /// The sandbox kubeconfig's current context.
    pub context: Option<String>,
}

impl Ctx {
    async fn connect(s: &Sandbox, region: &str) -> Result<Self, String> {
        let endpoint = s
            .front
            .as_ref()
            .or(s.emulator.as_ref())
            .ok_or("the sandbox has no AWS emulator: `pip install 'moto[server]'`, then `kubedojo sandbox down` and `up`")?;
        let config = crate::sandbox::aws::sdk_config(&endpoint.url, region).await;
        let kubeconfig = kube::config::Kubeconfig::read_from(&s.kubeconfig).map_err(|e| format!("the sandbox's kubeconfig {}: {e}", s.kubeconfig.display()))?;
        let context = kubeconfig.current_context.clone();
        let mut kc = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.map_err(|e| format!("the sandbox's kubeconfig: {e}"))?;
        crate::checks::backend::direct_to_loopback(&mut kc);
        let kube = kube::Client::try_from(kc).map_err(|e| format!("the sandbox's cluster: {e}"))?;
        Ok(Self { aws: Aws::from_config(config, true), kube, region: region.to_string(), context })
    }
}

/// eksctl's log line (cmd/eksctl/logger.go): the local time, the icon, two spaces, the text.
pub fn log(icon: char, text: &str) {
    let now = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S");
    println!("{now} [{icon}]  {text}");
}

pub fn info(text: &str) {
    log('ℹ', text);
}

pub fn success(text: &str) {
    log('✔', text);
}

/// What the sandbox's eksctl models, for the message that refuses the rest.
const DOES: &str = "create cluster|nodegroup|iamserviceaccount|podidentityassociation|addon, delete cluster|nodegroup|iamserviceaccount, get cluster|nodegroup, \
scale nodegroup, utils associate-iam-oidc-provider|update-cluster-vpc-config|enable-secrets-encryption, version";

fn not_simulated(what: &[&str], rest: &[String]) -> String {
    let words = [what.to_vec(), rest.iter().take(1).map(String::as_str).collect()].concat().join(" ");
    format!("`eksctl {words}` is not simulated by the sandbox's eksctl (it does: {DOES})")
}

/// Run `eksctl ARGS` in sandbox `s`; the exit code (eksctl: 1 on an error).
pub async fn run(s: &Sandbox, args: &[String]) -> i32 {
    let parsed = match Eksctl::try_parse_from(args) {
        Ok(p) => p,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) => {
            info(BANNER);
            println!("{}", e.render());
            return 0;
        }
        Err(e) => {
            eprintln!("Error: {}", e.render().to_string().trim_start_matches("error: ").trim());
            return 1;
        }
    };
    if let Verb::Version = parsed.verb {
        println!("0.0.0-kubedojo-sandbox (simulated eksctl)");
        return 0;
    }
    info(BANNER);
    match dispatch(parsed.verb, s).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

fn region_of(flag: Option<&str>, config: Option<&config::ClusterConfig>) -> String {
    config
        .map(|c| c.metadata.region.clone())
        .or(flag.map(str::to_string))
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| REGION.to_string())
}

fn read_config(file: &str) -> Result<config::ClusterConfig, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading config file {file:?}: {e}"))?;
    config::parse(&text, file)
}

/// A `--cluster`/`-f` pair as eksctl resolves it: the config file's metadata, else the flag
/// (configfile.go: `cannot use --cluster when --config-file/-f is set`, `--cluster must be set`).
fn resolve(t: &Target, flag: &str) -> Result<(String, String, Option<config::ClusterConfig>), String> {
    match &t.config_file {
        Some(file) => {
            if t.cluster.is_some() {
                return Err(format!("cannot use {flag} when --config-file/-f is set"));
            }
            let c = read_config(file)?;
            Ok((c.metadata.name.clone(), c.metadata.region.clone(), Some(c)))
        }
        None => {
            let name = t.cluster.clone().ok_or(format!("{flag} must be set"))?;
            Ok((name, region_of(t.region.as_deref(), None), None))
        }
    }
}

async fn dispatch(verb: Verb, s: &Sandbox) -> Result<(), String> {
    match verb {
        Verb::Create { what } => match what {
            Create::Cluster { config_file, dry_run } => {
                let file = config_file.ok_or("the sandbox's eksctl creates clusters from a config file only: eksctl create cluster -f cluster.yaml")?;
                let c = read_config(&file)?;
                config::validate(&c)?;
                if dry_run {
                    print!("{}", cluster::dry_run(&c)?);
                    return Ok(());
                }
                cluster::create(&Ctx::connect(s, &c.metadata.region).await?, &c).await
            }
            Create::Nodegroup { config_file, include, exclude } => {
                let file = config_file.ok_or("the sandbox's eksctl creates node groups from a config file only: eksctl create nodegroup -f FILE")?;
                let c = read_config(&file)?;
                config::validate(&c)?;
                if c.managed_node_groups.is_empty() {
                    return Err("managedNodeGroups field must be set".into());
                }
                nodegroup::create_from_config(&Ctx::connect(s, &c.metadata.region).await?, &c, &include, &exclude).await
            }
            Create::Iamserviceaccount(a) => {
                let region = region_of(a.region.as_deref(), None);
                iam::service_account(&Ctx::connect(s, &region).await?, &a).await
            }
            Create::Podidentityassociation(a) => {
                let region = region_of(a.region.as_deref(), None);
                iam::pod_identity(&Ctx::connect(s, &region).await?, &a).await
            }
            Create::Addon(a) => {
                let region = region_of(a.region.as_deref(), None);
                iam::addon(&Ctx::connect(s, &region).await?, &a).await
            }
            Create::Other(rest) => Err(not_simulated(&["create"], &rest)),
        },
        Verb::Delete { what } => match what {
            Delete::Cluster { name, target, wait: _ } => {
                let t = Target { cluster: name, ..target };
                let (name, region, _) = resolve(&t, "--name")?;
                cluster::delete(&Ctx::connect(s, &region).await?, &name).await
            }
            Delete::Nodegroup { name, target, drain: _, wait: _ } => {
                let (cluster, region, _) = resolve(&target, "--cluster")?;
                nodegroup::delete(&Ctx::connect(s, &region).await?, &cluster, &name).await
            }
            Delete::Iamserviceaccount { target, namespace, name, wait: _, approve: _ } => {
                let (cluster, region, _) = resolve(&target, "--cluster")?;
                iam::delete_service_account(&Ctx::connect(s, &region).await?, &cluster, &namespace, &name).await
            }
            Delete::Other(rest) => Err(not_simulated(&["delete"], &rest)),
        },
        Verb::Get { what } => match what {
            Get::Cluster { name, region } => {
                let region = region_of(region.as_deref(), None);
                cluster::get(&Ctx::connect(s, &region).await?, name.as_deref()).await
            }
            Get::Nodegroup { target, name } => {
                let (cluster, region, _) = resolve(&target, "--cluster")?;
                nodegroup::get(&Ctx::connect(s, &region).await?, &cluster, name.as_deref()).await
            }
            Get::Other(rest) => Err(not_simulated(&["get"], &rest)),
        },
        Verb::Scale { what } => match what {
            Scale::Nodegroup(a) => {
                let region = region_of(a.region.as_deref(), None);
                nodegroup::scale(&Ctx::connect(s, &region).await?, &a).await
            }
            Scale::Other(rest) => Err(not_simulated(&["scale"], &rest)),
        },
        Verb::Utils { what } => match what {
            Utils::AssociateIamOidcProvider { target, approve } => {
                let (cluster, region, _) = resolve(&target, "--cluster")?;
                iam::associate_oidc(&Ctx::connect(s, &region).await?, &cluster, approve).await
            }
            Utils::UpdateClusterVpcConfig(a) => {
                let (cluster, region, c) = resolve(&a.target, "--cluster")?;
                cluster::update_vpc_config(&Ctx::connect(s, &region).await?, &cluster, &a, c.as_ref()).await
            }
            // --approve is taken and ignored, as eksctl does (next function's comment)
            Utils::EnableSecretsEncryption { target, key_arn, approve: _, encrypt_existing_secrets } => {
                let (cluster, region, c) = resolve(&target, "--cluster")?;
                let key = match (&c, key_arn) {
                    (Some(_), Some(_)) => return Err("cannot use --key-arn when --config-file/-f is set".into()),
                    (Some(c), None) => c
                        .secrets_encryption
                        .as_ref()
                        .map(|s| s.key_arn.clone())
                        .filter(|k| !k.is_empty())
                        .ok_or("field secretsEncryption.keyARN is required")?,
                    (None, Some(k)) => k,
                    (None, None) => return Err("--key-arn is required when a config file is not specified".into()),
                };
                cluster::enable_secrets_encryption(&Ctx::connect(s, &region).await?, &cluster, &key, encrypt_existing_secrets).await
            }
            Utils::Other(rest) => Err(not_simulated(&["utils"], &rest)),
        },
        Verb::Version => Ok(()),
        Verb::Other(rest) => Err(not_simulated(&[], &rest)),
    }
}

/// eksctl's plan mode (cmdutils.LogPlanModeWarning): without `--approve` it says what it would do.
pub fn plan_warning() {
    log('!', "no changes were applied, run again with '--approve' to apply the changes");
}

pub const VERSION_TAG_VALUE: &str = "0.0.0-kubedojo-sandbox";

/// The tags eksctl's stacks put on what they create (types.go), and the config's own.
pub fn eksctl_tags(c: &ClusterConfig) -> BTreeMap<String, String> {
    let mut tags = c.metadata.tags.clone();
    tags.insert("alpha.eksctl.io/cluster-name".into(), c.metadata.name.clone());
    tags.insert("eksctl.cluster.k8s.io/v1alpha1/cluster-name".into(), c.metadata.name.clone());
    tags.insert("alpha.eksctl.io/eksctl-version".into(), VERSION_TAG_VALUE.into());
    tags
}

/// eksctl's table printer: columns padded to the widest cell, three spaces apart.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            r.iter().enumerate().map(|(i, cell)| if i + 1 == N { cell.clone() } else { format!("{cell:<w$}", w = widths[i] + 3) }).collect::<String>() + "\n"
        })
        .collect()
}

/// A stable 64-bit hash (FNV-1a): names and instance IDs that are the same on every run.
pub fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// An AWS SDK error as one line: the call, the service's code and message.
pub fn aws_err(call: &str, e: impl std::error::Error) -> String {
    format!("{call}: {}", aws_sdk_eks::error::DisplayErrorContext(&e))
}
