//! Every check kind of the catalogue has an implementation: none answers "not implemented".

use kubedojo::checks::backend::{Backend, TargetKind, TargetOptions};
use kubedojo::checks::catalog::KINDS;
use kubedojo::content::{CheckSpec, Loc};

#[tokio::test]
async fn every_catalogue_kind_is_implemented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts:\n- name: gone\n  context: {cluster: gone, user: u}\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: x}\n").expect("write");
    let backend = Backend::connect(&TargetOptions { kind: Some(TargetKind::Kind), kubeconfig: Some(path), ..Default::default() }).await;
    let vars = Default::default();
    for kind in KINDS {
        let spec = CheckSpec { kind: kind.id.to_string(), params: Default::default(), loc: Loc::default() };
        let r = kubedojo::checks::engine::run_one(&backend, &spec, &vars).await;
        assert!(!r.message.contains("not implemented"), "{}: {}", kind.id, r.message);
        assert_eq!(r.check, kind.id);
    }
}
