//! The AWS SDK's configuration for the sandbox's own calls (its eksctl, the supervisor): the
//! sandbox's endpoint (the front, else the emulator), the test credentials the emulator
//! accepts, one TLS stack for everything (as the checks' clients, `checks::backend::Aws::load`),
//! and no retries (the endpoint is local: an error is an answer).

use aws_config::{BehaviorVersion, Region, SdkConfig};

pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "kubedojo-sandbox");
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}
