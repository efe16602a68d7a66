//! IAM SimulatePrincipalPolicy answered by the sandbox's AWS front (the emulator answers it with
//! HTTP 500): the labs' `aws iam simulate-principal-policy` commands with the real AWS CLI v1
//! through the front, and the checks that simulate (irsa.s3-access, ca.iam) taking the
//! simulator's path through it instead of their local fallback.

use crate::live::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Backend;
use kubedojo::sandbox::front::{Front, FrontOptions};
use serde_json::json;

/// The checks' note when they evaluate the role's policies themselves (checks::simulate).
const LOCAL_NOTE: &str = "no policy simulator here";

async fn front() -> Front {
    Front::start(FrontOptions {
        emulator: aws_endpoint(),
        settle: std::time::Duration::from_millis(400),
        addons: vec![],
        releases: vec![],
        kubeconfig: None,
        pod_identities: None,
    })
    .await
    .expect("start the front")
}

/// The test cluster, with AWS through the front.
async fn through(front: &Front) -> Backend {
    through_front(front.url()).await
}

struct Cli {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `aws ARGS` (the test environment's AWS CLI v1) with the front as its endpoint, as the
/// sandbox's shell sets it; run off the runtime's thread, which serves the front.
async fn aws_cli(front: &Front, args: &[&str]) -> Cli {
    let bin = std::env::var("KUBEDOJO_TEST_AWSCLI_BIN").expect("KUBEDOJO_TEST_AWSCLI_BIN (tests/testenv.sh installs the AWS CLI)");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let url = front.url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(format!("{bin}/aws"))
            .args(&args)
            .env("AWS_ENDPOINT_URL", url)
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("run the AWS CLI")
    })
    .await
    .expect("join");
    Cli { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

/// The rows of `--output table` for `--query 'EvaluationResults[].[EvalActionName,EvalDecision]'`.
fn rows(table: &str) -> Vec<(String, String)> {
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            (cells.len() == 2 && cells[0].contains(':')).then(|| (cells[0].to_string(), cells[1].to_string()))
        })
        .collect()
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter().map(|(a, d)| (a.to_string(), d.to_string())).collect()
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;

#[tokio::test]
async fn the_aws_cli_simulates_a_roles_policies_through_the_front() {
    let front = front().await;
    let b = backend(None, true).await;
    let iam = &aws(&b).iam;
    let bucket = unique("sim-bucket");
    let (reader, ca) = (unique("sim-reader"), unique("sim-ca"));
    // the bucket from a managed policy, its objects from an inline one, a secret prefix denied
    iam_role(aws(&b), &reader, TRUST).await;
    let list = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")}]});
    let policy = iam.create_policy().policy_name(&reader).policy_document(list.to_string()).send().await.expect("create policy").policy.and_then(|p| p.arn);
    attach_policy(aws(&b), &reader, &policy.expect("policy arn")).await;
    let get = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/secret/*")}
    ]});
    inline_policy(aws(&b), &reader, "read", &get.to_string()).await;

    // the labs' command, verbatim but for the names
    let role_arn = format!("arn:aws:iam::123456789012:role/{reader}");
    let (bucket_arn, objects) = (format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*"));
    let query = ["--query", "EvaluationResults[].[EvalActionName,EvalDecision]", "--output", "table"];
    let base = ["iam", "simulate-principal-policy", "--policy-source-arn", &role_arn, "--action-names", "s3:ListBucket", "s3:GetObject"];
    let lab = aws_cli(&front, &[&base[..], &["--resource-arns", &bucket_arn, &objects], &query[..]].concat()).await;
    assert_eq!(lab.code, Some(0), "{}\n{}", lab.stdout, lab.stderr);
    // each action on each resource: ListBucket on the bucket, GetObject on its objects
    assert_eq!(
        rows(&lab.stdout),
        pairs(&[("s3:ListBucket", "allowed"), ("s3:ListBucket", "implicitDeny"), ("s3:GetObject", "implicitDeny"), ("s3:GetObject", "allowed")]),
        "{}",
        lab.stdout
    );
    // one result a page: the CLI follows the front's Markers to the same four
    let paged = aws_cli(&front, &[&base[..], &["--resource-arns", &bucket_arn, &objects, "--page-size", "1"], &query[..]].concat()).await;
    assert_eq!(rows(&paged.stdout), rows(&lab.stdout), "{}\n{}", paged.stdout, paged.stderr);

    // the deny wins, and the JSON names the deciding policies
    let secret = format!("arn:aws:s3:::{bucket}/secret/key");
    let json_out = aws_cli(&front, &[&base[..], &["--resource-arns", &bucket_arn, &secret, "--output", "json"]].concat()).await;
    assert_eq!(json_out.code, Some(0), "{}", json_out.stderr);
    let v: serde_json::Value = serde_json::from_str(&json_out.stdout).expect("json");
    let results = v["EvaluationResults"].as_array().expect("results");
    assert_eq!(results.len(), 4, "{v}");
    assert_eq!((results[3]["EvalActionName"].as_str(), results[3]["EvalDecision"].as_str()), (Some("s3:GetObject"), Some("explicitDeny")));
    assert_eq!(results[3]["EvalResourceName"].as_str(), Some(secret.as_str()));
    assert_eq!(results[3]["MatchedStatements"], json!([{"SourcePolicyId": "read", "SourcePolicyType": "role"}]));
    assert_eq!(results[3]["ResourceSpecificResults"][0]["EvalResourceDecision"].as_str(), Some("explicitDeny"));
    assert_eq!(results[0]["MatchedStatements"], json!([{"SourcePolicyId": reader, "SourcePolicyType": "user-managed"}]), "{v}");
    // the CLI pages through Marker itself (botocore's iam paginators-1.json), so no IsTruncated shows
    assert!(v.get("IsTruncated").is_none(), "{v}");

    // the cluster autoscaler's condition on the ASG's tag: implicitly denied without the context
    // entry, allowed with it
    iam_role(aws(&b), &ca, TRUST).await;
    let scaling = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/lab": "owned"}}}]});
    inline_policy(aws(&b), &ca, "ca", &scaling.to_string()).await;
    let ca_arn = format!("arn:aws:iam::123456789012:role/{ca}");
    let ca_base = ["iam", "simulate-principal-policy", "--policy-source-arn", &ca_arn, "--action-names", "autoscaling:SetDesiredCapacity"];
    let bare = aws_cli(&front, &[&ca_base[..], &query[..]].concat()).await;
    assert_eq!(rows(&bare.stdout), pairs(&[("autoscaling:SetDesiredCapacity", "implicitDeny")]), "{}{}", bare.stdout, bare.stderr);
    let missing = aws_cli(&front, &[&ca_base[..], &["--query", "EvaluationResults[0].MissingContextValues", "--output", "text"]].concat()).await;
    assert_eq!(missing.stdout.trim(), "aws:ResourceTag/k8s.io/cluster-autoscaler/lab");
    let entry = "ContextKeyName=aws:ResourceTag/k8s.io/cluster-autoscaler/lab,ContextKeyValues=owned,ContextKeyType=string";
    let tagged = aws_cli(&front, &[&ca_base[..], &["--context-entries", entry], &query[..]].concat()).await;
    assert_eq!(rows(&tagged.stdout), pairs(&[("autoscaling:SetDesiredCapacity", "allowed")]), "{}{}", tagged.stdout, tagged.stderr);
    let other = "ContextKeyName=aws:ResourceTag/k8s.io/cluster-autoscaler/lab,ContextKeyValues=shared,ContextKeyType=string";
    let wrong = aws_cli(&front, &[&ca_base[..], &["--context-entries", other], &query[..]].concat()).await;
    assert_eq!(rows(&wrong.stdout), pairs(&[("autoscaling:SetDesiredCapacity", "implicitDeny")]), "{}", wrong.stdout);

    // an unknown role: the CLI's NoSuchEntity error, in AWS's words
    let ghost = unique("ghost");
    let gone = aws_cli(
        &front,
        &["iam", "simulate-principal-policy", "--policy-source-arn", &format!("arn:aws:iam::123456789012:role/{ghost}"), "--action-names", "s3:ListBucket"],
    )
    .await;
    assert_ne!(gone.code, Some(0));
    assert_eq!(
        gone.stderr.trim(),
        format!("An error occurred (NoSuchEntity) when calling the SimulatePrincipalPolicy operation: The role with name {ghost} cannot be found.")
    );
    // no role ARN at all
    let bad =
        aws_cli(&front, &["iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:s3:::not-a-principal", "--action-names", "s3:ListBucket"]).await;
    assert_eq!(
        bad.stderr.trim(),
        "An error occurred (InvalidInput) when calling the SimulatePrincipalPolicy operation: Invalid Entity Arn: arn:aws:s3:::not-a-principal"
    );
    // everything else in IAM is still the emulator's
    let listed = aws_cli(&front, &["iam", "get-role", "--role-name", &ca, "--query", "Role.Arn", "--output", "text"]).await;
    assert_eq!(listed.stdout.trim(), ca_arn);
}

#[tokio::test]
async fn a_user_is_simulated_with_its_groups_policies() {
    let front = front().await;
    let b = backend(None, true).await;
    let iam = &aws(&b).iam;
    let (user, group) = (unique("sim-user"), unique("sim-group"));
    iam.create_user().user_name(&user).send().await.expect("create user");
    iam.create_group().group_name(&group).send().await.expect("create group");
    iam.add_user_to_group().group_name(&group).user_name(&user).send().await.expect("add to group");
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:Describe*", "Resource": "*"}]});
    iam.put_group_policy().group_name(&group).policy_name("eks-read").policy_document(doc.to_string()).send().await.expect("group policy");
    let arn = format!("arn:aws:iam::123456789012:user/{user}");
    let out = aws_cli(
        &front,
        &["iam", "simulate-principal-policy", "--policy-source-arn", &arn, "--action-names", "eks:DescribeCluster", "eks:DeleteCluster", "--output", "json"],
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    let decisions: Vec<(&str, &str, &str)> = v["EvaluationResults"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["EvalActionName"].as_str().unwrap_or_default(),
                r["EvalResourceName"].as_str().unwrap_or_default(),
                r["EvalDecision"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(decisions, [("eks:DescribeCluster", "*", "allowed"), ("eks:DeleteCluster", "*", "implicitDeny")]);
    assert_eq!(v["EvaluationResults"][0]["MatchedStatements"], json!([{"SourcePolicyId": "eks-read", "SourcePolicyType": "group"}]));
    let gone = aws_cli(
        &front,
        &["iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::123456789012:user/nobody-here", "--action-names", "s3:ListBucket"],
    )
    .await;
    assert!(
        gone.stderr.contains("(NoSuchEntity) when calling the SimulatePrincipalPolicy operation: The user with name nobody-here cannot be found."),
        "{}",
        gone.stderr
    );
}

fn app_pod(sa: &str) -> serde_json::Value {
    json!({"metadata": {"name": "app"}, "spec": {"serviceAccountName": sa, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "app", "image": "public.ecr.aws/aws-cli/aws-cli:2.27.49"}]}})
}

#[tokio::test]
async fn irsa_s3_access_takes_the_simulators_path_through_the_front() {
    let front = front().await;
    let b = through(&front).await;
    let c = client(&b);
    let ns = namespace(&c, "sim-s3").await;
    let bucket = unique("sim-s3-bucket");
    let (reader, nothing) = (unique("sim-s3-reader"), unique("sim-s3-none"));
    let reader_arn = s3_read_role(aws(&b), &reader, TRUST, &bucket).await;
    let nothing_arn = iam_role(aws(&b), &nothing, TRUST).await;
    annotated_sa(&c, &ns, "reader", Some(&reader_arn)).await;
    annotated_sa(&c, &ns, "none", Some(&nothing_arn)).await;
    annotated_sa(&c, &ns, "bare", Some("s3-reader")).await;
    let check = |sa: &str| spec("irsa.s3-access", &[("namespace", &ns), ("serviceAccount", sa), ("bucket", &bucket)]);
    let v = vars(&[]);
    let r = run(&b, &check("none"), &v).await;
    assert_status(&r, Fail, &format!("s3:ListBucket on arn:aws:s3:::{bucket}: implicitDeny"));
    assert!(!r.message.contains(LOCAL_NOTE), "the simulator answered: {r:?}");
    // IAM refuses an ARN that names no role; the check says what to do
    assert_status(&run(&b, &check("bare"), &v).await, Fail, "s3-reader is not a role ARN");
    crate::live::bucket(aws(&b), &bucket).await;
    let _: Pod = create(&c, &ns, app_pod("reader")).await;
    let r = run_until(&b, &check("reader"), &v, Pass, "may read").await;
    assert_status(&r, Pass, &format!("may read {bucket}"));
    assert!(!r.message.contains(LOCAL_NOTE), "the simulator answered: {r:?}");

    // straight to the emulator, the same check evaluates locally and says so
    let bare = backend(None, true).await;
    let r = run(&bare, &check("none"), &v).await;
    assert_status(&r, Fail, LOCAL_NOTE);
}

#[tokio::test]
async fn ca_iam_takes_the_simulators_path_through_the_front() {
    let front = front().await;
    let b = through(&front).await;
    let c = client(&b);
    let cluster = "kubedojo-lab";
    let scaling = |tag_cluster: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions", "eks:DescribeNodegroup"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], "Resource": "*",
             "Condition": {"StringEquals": {format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{tag_cluster}"): "owned"}}}
        ]})
        .to_string()
    };
    let v = vars(&[("cluster", cluster)]);
    for (tag_cluster, status, part) in
        [(cluster, Pass, "may scale the node groups' ASGs"), ("other-lab", Fail, "autoscaling:SetDesiredCapacity → implicitDeny")]
    {
        let name = unique("sim-ca");
        let arn = iam_role(aws(&b), &name, TRUST).await;
        inline_policy(aws(&b), &name, "ca", &scaling(tag_cluster)).await;
        let ns = namespace(&c, "sim-ca").await;
        annotated_sa(&c, &ns, "cluster-autoscaler", Some(&arn)).await;
        let ca = json!({"metadata": {"name": "cluster-autoscaler"}, "spec": {"selector": {"matchLabels": {"app": "cluster-autoscaler"}}, "template": {
            "metadata": {"labels": {"app": "cluster-autoscaler"}},
            "spec": {"serviceAccountName": "cluster-autoscaler", "containers": [{"name": "cluster-autoscaler", "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0",
                "command": ["./cluster-autoscaler", "--cloud-provider=aws", format!("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}")]}]}}}});
        let _: Deployment = create(&c, &ns, ca).await;
        let r = run(&b, &spec("ca.iam", &[("namespace", &ns)]), &v).await;
        assert_status(&r, status, part);
        assert!(!r.message.contains(LOCAL_NOTE), "the simulator answered: {r:?}");
    }
}
