//! The engine the TUI uses: it connects to the target on first use (or when warmed up after
//! the first frame) and shares that backend by every run. A backend that could not reach the
//! cluster, or could not tell what it is, is not kept: the next run tries again, so a cluster
//! started after kubedojo is picked up.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::Mutex;

use super::backend::{Backend, TargetOptions};
use super::engine::{CheckEngine, CheckRequest, run_checks};
use super::result::StepRun;

pub struct LazyEngine {
    options: TargetOptions,
    backend: Arc<Mutex<Option<Arc<Backend>>>>,
}

impl LazyEngine {
    pub fn new(options: TargetOptions) -> Self {
        Self { options, backend: Arc::new(Mutex::new(None)) }
    }
}

async fn backend(cell: &Mutex<Option<Arc<Backend>>>, options: &TargetOptions) -> Arc<Backend> {
    let mut slot = cell.lock().await;
    if let Some(b) = slot.as_ref() {
        return b.clone();
    }
    let b = Arc::new(Backend::connect(options).await);
    if b.kube.is_ok() && b.kind.is_some() {
        *slot = Some(b.clone());
    }
    b
}

impl CheckEngine for LazyEngine {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun> {
        let (options, cell) = (self.options.clone(), self.backend.clone());
        Box::pin(async move {
            let backend = backend(&cell, &options).await;
            run_checks(&backend, &request.checks, &request.vars).await
        })
    }

    fn watch(&self, request: &CheckRequest) -> futures::stream::BoxStream<'static, ()> {
        use futures::StreamExt;
        let (options, cell) = (self.options.clone(), self.backend.clone());
        let checks = request.checks.clone();
        futures::stream::once(async move { backend(&cell, &options).await }).flat_map(move |b| super::watch::changes(b, &checks)).boxed()
    }

    fn warm_up(&self) -> BoxFuture<'static, ()> {
        let (options, cell) = (self.options.clone(), self.backend.clone());
        Box::pin(async move {
            backend(&cell, &options).await;
        })
    }
}
