//! The engine the TUI uses: it connects to the target on first use (or when warmed up after
//! the first frame), once, and shares that backend by every run.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::OnceCell;

use super::backend::{Backend, TargetOptions};
use super::engine::{CheckEngine, CheckRequest, run_checks};
use super::result::StepRun;

pub struct LazyEngine {
    options: TargetOptions,
    backend: Arc<OnceCell<Arc<Backend>>>,
}

impl LazyEngine {
    pub fn new(options: TargetOptions) -> Self {
        Self { options, backend: Arc::new(OnceCell::new()) }
    }

}

impl CheckEngine for LazyEngine {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun> {
        let options = self.options.clone();
        let cell = self.backend.clone();
        Box::pin(async move {
            let backend = cell.get_or_init(|| async move { Arc::new(Backend::connect(&options).await) }).await;
            run_checks(backend, &request.checks, &request.vars).await
        })
    }

    fn watch(&self, request: &CheckRequest) -> futures::stream::BoxStream<'static, ()> {
        use futures::StreamExt;
        let options = self.options.clone();
        let cell = self.backend.clone();
        let checks = request.checks.clone();
        futures::stream::once(async move { cell.get_or_init(|| async move { Arc::new(Backend::connect(&options).await) }).await.clone() })
            .flat_map(move |backend| super::watch::changes(backend, &checks))
            .boxed()
    }

    fn warm_up(&self) -> BoxFuture<'static, ()> {
        let options = self.options.clone();
        let cell = self.backend.clone();
        Box::pin(async move {
            cell.get_or_init(|| async move { Arc::new(Backend::connect(&options).await) }).await;
        })
    }
}
