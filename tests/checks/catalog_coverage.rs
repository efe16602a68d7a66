//! Every check kind of the catalogue has an implementation: none answers "not implemented".

use crate::live;
use kubedojo::checks::backend::{Backend, TargetKind, TargetOptions};
use kubedojo::checks::catalog::KINDS;
use kubedojo::content::{CheckSpec, Loc};

#[tokio::test]
async fn every_catalogue_kind_is_implemented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = live::unreachable_kubeconfig(dir.path());
    let backend = Backend::connect(&TargetOptions { kind: Some(TargetKind::Kind), kubeconfig: Some(path), ..Default::default() }).await;
    let vars = Default::default();
    for kind in KINDS {
        let spec = CheckSpec { kind: kind.id.to_string(), params: Default::default(), loc: Loc::default() };
        let r = kubedojo::checks::engine::run_one(&backend, &spec, &vars).await;
        assert!(!r.message.contains("not implemented"), "{}: {}", kind.id, r.message);
        assert_eq!(r.check, kind.id);
    }
}
