//! Secrets: instructor and learner tokens, join codes. Random (getrandom, 256 bits for tokens,
//! 130 bits for join codes), shown once, stored only as SHA-256 hashes.

use sha2::{Digest, Sha256};

/// Prefixes tell the kind of a secret at a glance (and in secret scanners).
pub const INSTRUCTOR_PREFIX: &str = "kdi_";
pub const LEARNER_PREFIX: &str = "kdl_";

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // the OS random source failing is not something to go on without
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
    bytes
}

pub fn instructor_token() -> String {
    format!("{INSTRUCTOR_PREFIX}{}", data_encoding::BASE64URL_NOPAD.encode(&random::<32>()))
}

pub fn learner_token() -> String {
    format!("{LEARNER_PREFIX}{}", data_encoding::BASE64URL_NOPAD.encode(&random::<32>()))
}

/// A join code: 28 base32 letters and digits (136 bits) in four groups of seven, easy to read
/// out.
/// Case, spaces and dashes do not matter when it is typed back (`normalize_code`).
pub fn join_code() -> String {
    let raw = data_encoding::BASE32_NOPAD.encode(&random::<17>());
    raw.as_bytes().chunks(7).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Public ids (workshops, learners): not secrets, just unique.
pub fn public_id(len: usize) -> String {
    let raw = data_encoding::BASE32_NOPAD.encode(&random::<16>()).to_ascii_lowercase();
    raw[..len.min(raw.len())].to_string()
}

/// What the database stores for a secret.
pub fn hash(secret: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

pub fn hash_code(code: &str) -> String {
    hash(&normalize_code(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = learner_token();
        let b = learner_token();
        assert_ne!(a, b);
        assert!(a.starts_with(LEARNER_PREFIX) && a.len() == 4 + 43, "{a}");
        assert!(instructor_token().starts_with(INSTRUCTOR_PREFIX));
    }

    #[test]
    fn join_codes_survive_retyping() {
        let code = join_code();
        assert_eq!(code.len(), 28 + 3, "{code}");
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(hash_code(&typed), hash_code(&code));
        assert_ne!(hash_code(&join_code()), hash_code(&code));
    }
}
