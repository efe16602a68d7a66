//! What Karpenter reads from EC2 and SSM that the emulator (moto 5.2.5) does not give, answered
//! by the front:
//!
//! - **The EKS optimized AMIs' public parameters.** Karpenter resolves an EC2NodeClass alias
//!   (`al2023@latest`, `al2023@vYYYYMMDD`) with ssm:GetParameter on
//!   `/aws/service/eks/optimized-ami/K8S/amazon-linux-2023/ARCH/VARIANT/NAME/image_id`, where
//!   NAME is `recommended` or `amazon-eks-node-al2023-ARCH-VARIANT-K8S-vDATE`
//!   (aws/karpenter-provider-aws@v1.14.4 pkg/providers/amifamily/al2023.go `resolvePath`), and
//!   the labs' own commands read the `recommended` one. moto has none of them, and refuses a
//!   PutParameter under `/aws/`. The front answers the `standard` variant of both architectures
//!   with an AMI it makes in the emulator (a copy of one of moto's Amazon images, named as EKS
//!   names its AL2023 node AMIs), one per Kubernetes version and architecture; every other
//!   parameter goes on to the emulator (the nvidia and neuron variants: ParameterNotFound, which
//!   Karpenter skips).
//! - **Security groups of an instance launched from a launch template.** moto's CreateFleet
//!   starts instances in the VPC's default security group, whatever the template's network
//!   interface names, and Karpenter then finds every node drifted (`SecurityGroupDrift`). After
//!   a CreateFleet, the front gives each instance its template's groups
//!   (ec2:ModifyInstanceAttribute), as EC2 launches it.
//!
//! How it differs: the AMI is a placeholder (nothing boots); its version is the sandbox's
//! [`AMI_VERSION`], not a real release.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Call, Shared};

/// The release the sandbox's EKS AMIs are named as.
pub const AMI_VERSION: &str = "v20261120";

#[derive(Default)]
pub struct Ec2 {
    /// (Kubernetes version, architecture) -> the AMI the front made for it
    amis: Mutex<BTreeMap<(String, String), String>>,
}

/// An AL2023 standard AMI parameter: (Kubernetes version, architecture).
pub fn eks_ami_parameter(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("/aws/service/eks/optimized-ami/")?;
    let mut p = rest.split('/');
    let (k8s, family, arch, variant, leaf, last) = (p.next()?, p.next()?, p.next()?, p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || family != "amazon-linux-2023" || variant != "standard" || last != "image_id" || !matches!(arch, "x86_64" | "arm64") {
        return None;
    }
    let pinned = format!("amazon-eks-node-al2023-{arch}-standard-{k8s}-{AMI_VERSION}");
    (leaf == "recommended" || leaf == pinned).then(|| (k8s.to_string(), arch.to_string()))
}

/// The name EKS gives that AMI.
pub fn ami_name(k8s: &str, arch: &str) -> String {
    format!("amazon-eks-node-al2023-{arch}-standard-{k8s}-{AMI_VERSION}")
}

impl Ec2 {
    pub(super) async fn handle(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        match call.scope.service.as_str() {
            "ssm" => self.parameter(front, call).await,
            "ec2" if form_value(call.body, "Action").as_deref() == Some("CreateFleet") => Some(create_fleet(front, call).await),
            _ => None,
        }
    }

    async fn parameter(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        let target = call.headers.get("x-amz-target")?.to_str().ok()?;
        if target != "AmazonSSM.GetParameter" {
            return None;
        }
        let body: serde_json::Value = serde_json::from_slice(call.body).ok()?;
        let name = body["Name"].as_str()?;
        let (k8s, arch) = eks_ami_parameter(name)?;
        let image = match self.ami(front, call, &k8s, &arch).await {
            Ok(i) => i,
            Err(e) => return Some(super::eks::api_error(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", &e, None).into_response()),
        };
        let answer = json!({"Parameter": {
            "Name": name, "Type": "String", "Value": image, "Version": 1, "DataType": "aws:ec2:image",
            "ARN": format!("arn:aws:ssm:{}::parameter{name}", call.scope.region),
        }});
        Some(([(header::CONTENT_TYPE, "application/x-amz-json-1.1")], answer.to_string()).into_response())
    }

    /// The AMI for (Kubernetes version, architecture), made in the emulator the first time.
    async fn ami(&self, front: &Shared, call: &Call<'_>, k8s: &str, arch: &str) -> Result<String, String> {
        let key = (k8s.to_string(), arch.to_string());
        if let Some(id) = self.amis.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(id);
        }
        let ec2 = super::cluster::rescoped(call.headers, "ec2").ok_or("the request carries no SigV4 Authorization header")?;
        let name = ami_name(k8s, arch);
        let found = query(front, &ec2, &format!("Action=DescribeImages&Version=2016-11-15&Owner.1=self&Filter.1.Name=name&Filter.1.Value.1={name}")).await?;
        let id = match first(&found, "imageId") {
            Some(id) => id,
            None => {
                let sources = query(
                    front,
                    &ec2,
                    &format!("Action=DescribeImages&Version=2016-11-15&Owner.1=amazon&Filter.1.Name=architecture&Filter.1.Value.1={arch}&Filter.2.Name=name&Filter.2.Value.1=amzn2-ami-*"),
                )
                .await?;
                let source = first(&sources, "imageId").ok_or_else(|| format!("the emulator has no Amazon {arch} image to copy for {name}"))?;
                let copied = query(
                    front,
                    &ec2,
                    &format!(
                        "Action=CopyImage&Version=2016-11-15&SourceImageId={source}&SourceRegion={}&Name={name}&Description=EKS-optimized+Kubernetes+node+based+on+Amazon+Linux+2023+(sandbox+placeholder)",
                        call.scope.region
                    ),
                )
                .await?;
                first(&copied, "imageId").ok_or_else(|| format!("CopyImage for {name} returned no image id"))?
            }
        };
        if let Ok(mut m) = self.amis.lock() {
            m.insert(key, id.clone());
        }
        Ok(id)
    }
}

/// The request goes on; then each instance it started gets its launch template's security groups.
async fn create_fleet(front: &Shared, call: &Call<'_>) -> Response {
    let r = match super::send(front, call.method, path_and_query(call).as_str(), call.headers, axum::body::Bytes::copy_from_slice(call.body)).await {
        Ok(r) => r,
        Err(e) => return super::unreachable_emulator(&front.emulator, &e).into_response(),
    };
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    if status.is_success() {
        for (template, instances) in launched(&text) {
            if let Err(e) = give_template_groups(front, call, &template, &instances).await {
                tracing::warn!(error = %e, "CreateFleet: the instances keep the emulator's security groups");
            }
        }
    }
    let mut out = Response::builder().status(status.as_u16());
    for (k, v) in &headers {
        if k != header::TRANSFER_ENCODING && k != header::CONNECTION && k != header::CONTENT_LENGTH {
            out = out.header(k, v);
        }
    }
    out.body(axum::body::Body::from(text)).unwrap_or_else(|_| axum::http::StatusCode::BAD_GATEWAY.into_response())
}

fn path_and_query(call: &Call<'_>) -> String {
    match call.query {
        Some(q) => format!("{}?{q}", call.path),
        None => call.path.to_string(),
    }
}

/// Each launch template of a CreateFleet response (its id, else its name, as `Id:`/`Name:`) and
/// the instances started from it.
pub fn launched(xml: &str) -> Vec<(String, Vec<String>)> {
    let Ok(doc) = roxmltree::Document::parse(xml) else { return Vec::new() };
    let mut out = Vec::new();
    for ids in doc.descendants().filter(|n| n.has_tag_name("instanceIds")) {
        let Some(item) = ids.parent() else { continue };
        let instances: Vec<String> = ids.children().filter(|n| n.is_element()).filter_map(|n| n.text()).map(str::to_string).collect();
        let spec = item.descendants().find(|n| n.has_tag_name("launchTemplateSpecification"));
        let text = |tag: &str| spec.and_then(|s| s.children().find(|n| n.has_tag_name(tag))).and_then(|n| n.text()).map(str::to_string);
        let template = text("launchTemplateId").map(|i| format!("Id:{i}")).or_else(|| text("launchTemplateName").map(|n| format!("Name:{n}")));
        if let (Some(t), false) = (template, instances.is_empty()) {
            out.push((t, instances));
        }
    }
    out
}

async fn give_template_groups(front: &Shared, call: &Call<'_>, template: &str, instances: &[String]) -> Result<(), String> {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let which = match template.split_once(':') {
        Some(("Id", id)) => format!("LaunchTemplateId={}", enc(id)),
        Some((_, name)) => format!("LaunchTemplateName={}", enc(name)),
        None => return Ok(()),
    };
    let data =
        query(front, call.headers, &format!("Action=DescribeLaunchTemplateVersions&Version=2016-11-15&{which}&LaunchTemplateVersion.1=%24Latest")).await?;
    let groups = template_groups(&data);
    if groups.is_empty() {
        return Ok(());
    }
    for instance in instances {
        let ids: String = groups.iter().enumerate().map(|(i, g)| format!("&GroupId.{}={}", i + 1, enc(g))).collect();
        query(front, call.headers, &format!("Action=ModifyInstanceAttribute&Version=2016-11-15&InstanceId={}{ids}", enc(instance))).await?;
    }
    Ok(())
}

/// The security groups a launch template version names: its first network interface's, else
/// its `securityGroupIdSet`.
pub fn template_groups(xml: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(xml) else { return Vec::new() };
    let Some(data) = doc.descendants().find(|n| n.has_tag_name("launchTemplateData")) else { return Vec::new() };
    let texts = |set: roxmltree::Node| {
        set.descendants().filter(|n| n.is_element() && n.children().count() == 1).filter_map(|n| n.text()).map(str::to_string).collect::<Vec<_>>()
    };
    let nic = data.children().find(|n| n.has_tag_name("networkInterfaceSet")).and_then(|s| s.children().find(|n| n.has_tag_name("item")));
    if let Some(set) = nic.and_then(|nic| nic.children().find(|n| n.has_tag_name("groupSet"))) {
        return texts(set).into_iter().filter(|g| g.starts_with("sg-")).collect();
    }
    data.children().find(|n| n.has_tag_name("securityGroupIdSet")).map(texts).unwrap_or_default().into_iter().filter(|g| g.starts_with("sg-")).collect()
}

/// A query-protocol request to the emulator with the caller's credentials; its XML answer.
async fn query(front: &Shared, headers: &HeaderMap, body: &str) -> Result<String, String> {
    let r = super::send(front, &Method::POST, "/", headers, axum::body::Bytes::from(body.to_string()))
        .await
        .map_err(|e| format!("the sandbox's AWS emulator at {} does not answer: {e}", front.emulator))?;
    let ok = r.status().is_success();
    let text = r.text().await.unwrap_or_default();
    if ok { Ok(text) } else { Err(format!("the emulator refused {}: {}", body.split('&').next().unwrap_or(body), text.trim())) }
}

fn first(xml: &str, tag: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.descendants().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).map(str::to_string)
}

/// A field of a form-encoded (query protocol) body.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    form_urlencoded_pairs(body).find(|(k, _)| k == key).map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let pair = String::from_utf8_lossy(pair).replace('+', " ");
        let (k, v) = pair.split_once('=')?;
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        Some((decode(k), decode(v)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_al2023_standard_parameters_are_answered() {
        let p = |s: &str| eks_ami_parameter(s);
        assert_eq!(p("/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/image_id"), Some(("1.36".into(), "x86_64".into())));
        assert_eq!(
            p(&format!(
                "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.36-{AMI_VERSION}/image_id"
            )),
            Some(("1.36".into(), "arm64".into()))
        );
        // another release, another variant, another family: the emulator's ParameterNotFound
        assert_eq!(
            p("/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.36-v20200101/image_id"),
            None
        );
        assert_eq!(p("/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/nvidia/recommended/image_id"), None);
        assert_eq!(p("/aws/service/eks/optimized-ami/1.36/amazon-linux-2/recommended/image_id"), None);
        assert_eq!(p("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"), None);
    }

    #[test]
    fn a_fleets_instances_are_read_with_their_template() {
        let xml = r#"<CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><fleetId>fleet-1</fleetId><fleetInstanceSet><item>
            <launchTemplateAndOverrides><launchTemplateSpecification><launchTemplateId>lt-1</launchTemplateId><version>1</version></launchTemplateSpecification>
            <overrides><instanceType>m7i.xlarge</instanceType></overrides></launchTemplateAndOverrides>
            <instanceIds><item>i-1</item><item>i-2</item></instanceIds></item></fleetInstanceSet></CreateFleetResponse>"#;
        assert_eq!(launched(xml), [("Id:lt-1".to_string(), vec!["i-1".to_string(), "i-2".to_string()])]);
        let lt = r#"<DescribeLaunchTemplateVersionsResponse><launchTemplateVersionSet><item><launchTemplateData>
            <networkInterfaceSet><item><deviceIndex>0</deviceIndex><groupSet><item>sg-a</item><item>sg-b</item></groupSet></item></networkInterfaceSet>
            </launchTemplateData></item></launchTemplateVersionSet></DescribeLaunchTemplateVersionsResponse>"#;
        assert_eq!(template_groups(lt), ["sg-a", "sg-b"]);
        let plain = r#"<r><launchTemplateData><securityGroupIdSet><item>sg-c</item></securityGroupIdSet></launchTemplateData></r>"#;
        assert_eq!(template_groups(plain), ["sg-c"]);
    }

    #[test]
    fn the_scope_names_the_other_service() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKID/20261208/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=x".parse().unwrap(),
        );
        let out = super::super::cluster::rescoped(&h, "ec2").expect("rescoped");
        assert_eq!(out[header::AUTHORIZATION], "AWS4-HMAC-SHA256 Credential=AKID/20261208/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=x");
    }
}
