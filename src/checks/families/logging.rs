//! Fluent Bit to CloudWatch Logs: the DaemonSet, its output configuration, its permissions,
//! and log events that actually arrived.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_error, fail, pass};
use crate::checks::simulate;

fn ns(ctx: &Ctx<'_>) -> String {
    ctx.text("namespace", "logsNamespace", "amazon-cloudwatch")
}

async fn daemonset(ctx: &Ctx<'_>) -> Step<DaemonSet> {
    let ns = ns(ctx);
    let name = ctx.text("name", "fluentBit", "fluent-bit");
    let api: Api<DaemonSet> = Api::namespaced(ctx.kube()?.clone(), &ns);
    kube_call(&format!("get daemonset {ns}/{name}"), api.get_opt(&name)).await?.ok_or_else(|| {
        fail(format!("DaemonSet {ns}/{name} missing")).found_expected("no DaemonSet", format!("{ns}/{name}")).next(format!(
            "kubectl apply -f fluent-bit-logs/fluent-bit-config.yaml -f fluent-bit-logs/daemonset.yaml && kubectl -n {ns} rollout status ds/{name}"
        ))
    })
}

pub async fn ds(ctx: &Ctx<'_>) -> Step<Outcome> {
    let d = daemonset(ctx).await?;
    super::k8s::daemonset_outcome(ctx.kube()?, &d).await
}

/// `[OUTPUT]` sections of Fluent Bit's classic config: key (lower-case) -> value.
fn outputs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            if let Some(section) = current.take() {
                out.push(section);
            }
            if line.eq_ignore_ascii_case("[OUTPUT]") {
                current = Some(BTreeMap::new());
            }
        } else if let Some(section) = current.as_mut()
            && let Some((k, v)) = line.split_once(char::is_whitespace)
            && !k.starts_with('#')
        {
            section.insert(k.to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out.extend(current);
    out
}

/// The cluster name and region Fluent Bit will use: the quickstart's ConfigMap, or the
/// DaemonSet's env (literal or from a ConfigMap key).
async fn resolved_names(ctx: &Ctx<'_>, d: &DaemonSet) -> Step<(Option<String>, Option<String>)> {
    let ns = ns(ctx);
    let maps: Api<ConfigMap> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let info = kube_call(&format!("get configmap {ns}/fluent-bit-cluster-info"), maps.get_opt("fluent-bit-cluster-info"))
        .await?
        .and_then(|m| m.data)
        .unwrap_or_default();
    let mut cluster = info.get("cluster.name").cloned();
    let mut region = info.get("logs.region").cloned();
    let env =
        d.spec.template.spec.as_ref().map(|s| s.containers.iter().flat_map(|c| c.env.clone().unwrap_or_default()).collect::<Vec<_>>()).unwrap_or_default();
    for e in env {
        let value = match (&e.value, e.value_from.as_ref().and_then(|v| v.config_map_key_ref.as_ref())) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(r)) => {
                let m = kube_call(&format!("get configmap {ns}/{}", r.name), maps.get_opt(&r.name)).await?;
                m.and_then(|m| m.data?.get(&r.key).cloned())
            }
            _ => None,
        };
        match e.name.as_str() {
            "CLUSTER_NAME" if value.is_some() => cluster = value,
            "AWS_REGION" if value.is_some() => region = value,
            _ => {}
        }
    }
    Ok((cluster, region))
}

pub async fn config(ctx: &Ctx<'_>) -> Step<Outcome> {
    let d = daemonset(ctx).await?;
    let ns = ns(ctx);
    let maps: Api<ConfigMap> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let name = ctx.text("configMap", "fluentBitConfig", "fluent-bit-config");
    let Some(map) = kube_call(&format!("get configmap {ns}/{name}"), maps.get_opt(&name)).await? else {
        return Ok(fail(format!("ConfigMap {ns}/{name} missing"))
            .found_expected("no ConfigMap", format!("{ns}/{name}"))
            .next("kubectl apply -f fluent-bit-logs/fluent-bit-config.yaml"));
    };
    let all: String = map.data.unwrap_or_default().values().cloned().collect::<Vec<_>>().join("\n");
    let app_output =
        outputs(&all).into_iter().find(|o| o.get("name").is_some_and(|n| n == "cloudwatch_logs") && o.get("match").is_some_and(|m| m.contains("application")));
    let Some(output) = app_output else {
        return Ok(fail(format!("no cloudwatch_logs OUTPUT for application.* in ConfigMap {ns}/{name}"))
            .found_expected("no such OUTPUT", "[OUTPUT] Name cloudwatch_logs, Match application.*")
            .next(format!("add that [OUTPUT] section to ConfigMap {ns}/{name} (as fluent-bit-logs/fluent-bit-config.yaml has it), apply it, then kubectl -n {ns} rollout restart ds/{}", d.metadata.name.as_deref().unwrap_or("fluent-bit"))));
    };
    let group = output.get("log_group_name").cloned().unwrap_or_default();
    let (found_cluster, found_region) = resolved_names(ctx, &d).await?;
    let cluster = ctx.cluster();
    let resolved_group = group.replace("${CLUSTER_NAME}", found_cluster.as_deref().unwrap_or("${CLUSTER_NAME}"));
    let expected_group = format!("/aws/containerinsights/{cluster}/application");
    if group.contains("${CLUSTER_NAME}") {
        match found_cluster.as_deref() {
            Some(c) if c == cluster => {}
            Some(c) => {
                return Ok(fail(format!("cluster.name={c}: logs land in /aws/containerinsights/{c}/application")).found_expected(c, &cluster).next(set_info(
                    &ns,
                    &d,
                    "cluster.name",
                    &cluster,
                )));
            }
            None => {
                return Ok(fail("CLUSTER_NAME is not set: fluent-bit-cluster-info has no cluster.name").found_expected("unset", &cluster).next(set_info(
                    &ns,
                    &d,
                    "cluster.name",
                    &cluster,
                )));
            }
        }
    }
    if resolved_group != expected_group {
        return Ok(fail(format!("log_group_name resolves to {resolved_group}"))
            .found_expected(resolved_group, expected_group)
            .next(format!(
                "set log_group_name to /aws/containerinsights/${{CLUSTER_NAME}}/application in ConfigMap {ns}/{name}, apply it, then kubectl -n {ns} rollout restart ds/{}",
                d.metadata.name.as_deref().unwrap_or("fluent-bit")
            )));
    }
    let region = ctx.var("region", "");
    if let Some(r) = found_region.as_deref().filter(|r| !region.is_empty() && *r != region) {
        return Ok(fail(format!("logs.region={r}: logs go to another region than the cluster's {region}")).found_expected(r, &region).next(set_info(
            &ns,
            &d,
            "logs.region",
            &region,
        )));
    }
    Ok(pass(format!("application logs go to {expected_group}{}", found_region.map(|r| format!(" in {r}")).unwrap_or_default())))
}

/// The AWS managed policy Fluent Bit's role needs to write to CloudWatch Logs.
const CLOUDWATCH_POLICY: &str = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";

pub async fn iam(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let d = daemonset(ctx).await?;
    let ns = ns(ctx);
    let pod = d.spec.template.spec.clone().unwrap_or_default();
    let sa_name = pod.service_account_name.unwrap_or_else(|| "default".into());
    let Some(identity) = super::identity::of_service_account(ctx, &ns, &sa_name).await? else {
        return Ok(super::identity::none(
            ctx,
            &ns,
            &sa_name,
            "Fluent Bit would fall back to the node role, which every pod on the node shares",
            CLOUDWATCH_POLICY,
        ));
    };
    let role = identity.role().to_string();
    let mut actions = vec!["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"];
    let maps: Api<ConfigMap> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let config_name = ctx.text("configMap", "fluentBitConfig", "fluent-bit-config");
    let config = kube_call(&format!("get configmap {ns}/{config_name}"), maps.get_opt(&config_name)).await?.and_then(|m| m.data).unwrap_or_default();
    if config.values().any(|v| outputs(v).iter().any(|o| o.get("auto_create_group").is_some_and(|a| a.eq_ignore_ascii_case("on") || a == "true"))) {
        actions.push("logs:CreateLogGroup");
    }
    let group_arn = format!("arn:aws:logs:{}:*:log-group:/aws/containerinsights/{}/application:*", ctx.var("region", "*"), ctx.cluster());
    let checks: Vec<(&str, &str)> = actions.iter().map(|a| (*a, group_arn.as_str())).collect();
    let answer = simulate::simulate(aws, &role, &checks, &BTreeMap::new()).await?;
    if let Some(d) = answer.denied().first() {
        let role_name = crate::iam::policy::role_name(&role).unwrap_or(&role);
        return Ok(fail(format!("{}: {} → {}{}", identity.describe(), d.action, d.decision, answer.note()))
            .found_expected(format!("{} {}", d.action, d.decision), "allowed")
            .next(format!("aws iam attach-role-policy --role-name {role_name} --policy-arn {CLOUDWATCH_POLICY}")));
    }
    Ok(pass(format!("{} may write to CloudWatch Logs ({}){}", identity.describe(), actions.join(", "), answer.note())))
}

pub async fn cw_ingest(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let group = format!("/aws/containerinsights/{}/application", ctx.cluster());
    let out = timed("logs:DescribeLogGroups", aws.logs.describe_log_groups().log_group_name_prefix(&group).send()).await?;
    let groups = out.map_err(|e| aws_error(&e, "logs:DescribeLogGroups"))?.log_groups.unwrap_or_default();
    if !groups.iter().any(|g| g.log_group_name.as_deref() == Some(group.as_str())) {
        return Ok(fail(format!("log group {group} absent: Fluent Bit has not written yet (or writes elsewhere)"))
            .found_expected("no log group", &group)
            .next(read_fluent_bit_logs(ctx)));
    }
    let since = (ctx.now.saturating_sub(15 * 60) * 1000) as i64;
    let out = timed("logs:FilterLogEvents", aws.logs.filter_log_events().log_group_name(&group).start_time(since).limit(1).send()).await?;
    let events = out.map_err(|e| aws_error(&e, "logs:FilterLogEvents"))?.events.unwrap_or_default();
    if events.is_empty() {
        return Ok(fail(format!("0 events in {group} in the last 15 min"))
            .found_expected("0 events", "1 or more events")
            .next(format!("{}; and that something logs: kubectl apply -f fluent-bit-logs/log-generator.yaml", read_fluent_bit_logs(ctx))));
    }
    Ok(pass(format!("log events reached {group} in the last 15 minutes")))
}

/// Set one key of the quickstart's `fluent-bit-cluster-info` ConfigMap and restart Fluent Bit.
fn set_info(ns: &str, d: &DaemonSet, key: &str, value: &str) -> String {
    let ds = d.metadata.name.as_deref().unwrap_or("fluent-bit");
    let patch = serde_json::json!({ "data": { key: value } });
    format!("kubectl -n {ns} patch configmap fluent-bit-cluster-info --type merge -p '{patch}' && kubectl -n {ns} rollout restart ds/{ds}")
}

/// Where Fluent Bit says why it did not write.
fn read_fluent_bit_logs(ctx: &Ctx<'_>) -> String {
    let ns = ns(ctx);
    let name = ctx.text("name", "fluentBit", "fluent-bit");
    format!("read why in Fluent Bit's own log: kubectl -n {ns} logs ds/{name} --tail=50 | grep -iE 'error|denied|cloudwatch'")
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_sections_are_read() {
        let conf = "[INPUT]\n    Name tail\n[OUTPUT]\n    Name                cloudwatch_logs\n    Match               application.*\n    region              ${AWS_REGION}\n    log_group_name      /aws/containerinsights/${CLUSTER_NAME}/application\n    auto_create_group   true\n";
        let outs = super::outputs(conf);
        assert_eq!(outs.len(), 1);
        assert_eq!(outs[0]["name"], "cloudwatch_logs");
        assert_eq!(outs[0]["log_group_name"], "/aws/containerinsights/${CLUSTER_NAME}/application");
    }
}
