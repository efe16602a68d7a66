//! The sandbox's certificate authority: made by `sandbox up`, it signs a leaf certificate for
//! each host the downloads proxy answers, and the sandbox's shell trusts it (with the system's
//! roots, so every other HTTPS site keeps working) through `SSL_CERT_FILE` and `CURL_CA_BUNDLE`.
//! Its key stays in the sandbox's state folder (mode 0600) and goes with `sandbox down`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// The CA's name; its certificate and the leaves it signs are rebuilt from it and the key.
const NAME: &str = "kubedojo sandbox downloads CA";

/// Where a system keeps its roots as one PEM file: the list Go reads on Linux
/// (`crypto/x509/root_linux.go`, `certFiles`), in its order.
const SYSTEM_ROOTS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

pub fn cert_file(folder: &Path) -> PathBuf {
    folder.join("ca.crt")
}

fn key_file(folder: &Path) -> PathBuf {
    folder.join("ca.key")
}

/// The file the shell's tools trust: the sandbox's CA, then the system's roots.
pub fn bundle_file(folder: &Path) -> PathBuf {
    folder.join("ca-bundle.crt")
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| format!("the sandbox CA: {e}"))?;
    params.distinguished_name.push(DnType::CommonName, NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(params)
}

/// Make the CA in `folder` (a new key each `up`) and the bundle the shell trusts.
pub fn create(folder: &Path) -> Result<(), String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let key = KeyPair::generate().map_err(|e| format!("cannot make the sandbox CA's key: {e}"))?;
    let cert = ca_params()?.self_signed(&key).map_err(|e| format!("cannot make the sandbox CA: {e}"))?;
    crate::sandbox::webhook::write_private(&key_file(folder), &key.serialize_pem())?;
    std::fs::write(cert_file(folder), cert.pem()).map_err(|e| format!("{}: {e}", cert_file(folder).display()))?;
    let mut bundle = cert.pem();
    match SYSTEM_ROOTS.iter().find_map(|p| std::fs::read_to_string(p).ok()) {
        Some(roots) => {
            bundle.push('\n');
            bundle.push_str(&roots);
        }
        None => tracing::warn!("no system CA bundle found ({}): only the sandbox's downloads verify", SYSTEM_ROOTS.join(", ")),
    }
    std::fs::write(bundle_file(folder), bundle).map_err(|e| format!("{}: {e}", bundle_file(folder).display()))
}

/// The CA, loaded by the proxy: it signs leaf certificates on demand.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    pub fn load(folder: &Path) -> Result<Authority, String> {
        let pem = std::fs::read_to_string(key_file(folder))
            .map_err(|e| format!("the sandbox CA's key {}: {e} (`kubedojo sandbox down`, then `up`, makes a new one)", key_file(folder).display()))?;
        let key = KeyPair::from_pem(&pem).map_err(|e| format!("the sandbox CA's key {}: {e}", key_file(folder).display()))?;
        Ok(Authority { issuer: Issuer::new(ca_params()?, key) })
    }

    /// A certificate for `host` signed by the CA, with its key, as rustls serves it.
    pub fn leaf(&self, host: &str) -> Result<Arc<rustls::sign::CertifiedKey>, String> {
        let mut params = CertificateParams::new(vec![host.to_string()]).map_err(|e| format!("a certificate for {host}: {e}"))?;
        params.distinguished_name.push(DnType::CommonName, host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(|e| format!("a key for {host}: {e}"))?;
        let cert = params.signed_by(&key, &self.issuer).map_err(|e| format!("a certificate for {host}: {e}"))?;
        let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| format!("a key for {host}: {e}"))?;
        let signer = rustls::crypto::ring::sign::any_supported_type(&der).map_err(|e| format!("a key for {host}: {e}"))?;
        Ok(Arc::new(rustls::sign::CertifiedKey::new(vec![cert.der().clone()], signer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier as _;
    use rustls::pki_types::pem::PemObject as _;

    #[test]
    fn the_bundle_starts_with_the_sandbox_ca_and_leaves_are_signed_by_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        create(dir.path()).expect("create");
        let ca = std::fs::read_to_string(cert_file(dir.path())).expect("ca");
        let bundle = std::fs::read_to_string(bundle_file(dir.path())).expect("bundle");
        assert!(bundle.starts_with(&ca) && bundle.len() > ca.len(), "the CA, then the system's roots");
        let authority = Authority::load(dir.path()).expect("load");
        // rustls itself verifies the leaf against the CA
        let mut roots = rustls::RootCertStore::empty();
        let ca_der = rustls::pki_types::CertificateDer::from_pem_slice(ca.as_bytes()).expect("pem");
        roots.add(ca_der).expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build().expect("verifier");
        let leaf = authority.leaf("raw.githubusercontent.com").expect("leaf");
        let name = rustls::pki_types::ServerName::try_from("raw.githubusercontent.com").expect("name");
        verifier.verify_server_cert(&leaf.cert[0], &[], &name, &[], rustls::pki_types::UnixTime::now()).expect("the leaf verifies against the CA");
        let other = rustls::pki_types::ServerName::try_from("example.com").expect("name");
        assert!(verifier.verify_server_cert(&leaf.cert[0], &[], &other, &[], rustls::pki_types::UnixTime::now()).is_err());
    }
}
