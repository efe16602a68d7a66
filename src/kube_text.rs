//! Kubernetes API errors as a sentence a person reads. kube's own `Display` of an API error
//! carries a `Debug` rendering of the whole Status (`ApiError: ... (Status { status:
//! Some(Failure), code: 400, ... })`, kube-client 5.0.0 `src/error.rs`); this says the code, the
//! reason and the API server's message, and leaves other errors (connection, TLS, decoding) to
//! their own `Display`.

/// What went wrong, for a message: "the API server answered 400 BadRequest: <its message>".
pub fn error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.reason.is_empty() => format!("the API server answered {}: {}", s.code, s.message),
        kube::Error::Api(s) => format!("the API server answered {} {}: {}", s.code, s.reason, s.message),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_is_its_code_reason_and_message_without_a_debug_dump() {
        let status = kube::core::Status::failure("pod web-1 does not have a host assigned", "BadRequest").with_code(400);
        let e = kube::Error::Api(Box::new(status));
        assert!(e.to_string().contains("Status {"), "kube's own Display carries the Debug rendering: {e}");
        assert_eq!(error(&e), "the API server answered 400 BadRequest: pod web-1 does not have a host assigned");
        let bare = kube::Error::Api(Box::new(kube::core::Status::failure("gone", "").with_code(410)));
        assert_eq!(error(&bare), "the API server answered 410: gone");
    }
}
