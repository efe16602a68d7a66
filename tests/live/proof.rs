//! Content proof: an exercise's published solution, applied step by step, turns each step's
//! checks from not passing to passing. A solution that does not satisfy its own checks, or a
//! step whose checks pass before its solution is applied, fails the test.

use std::time::{Duration, Instant};

use kubedojo::checks::{CheckResult, CheckStatus};
use kubedojo::content::{Exercise, PackFiles};

use super::eks::SimEks;

/// The built-in course's exercise `id`.
pub fn exercise(id: &str) -> Exercise {
    let loaded = kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds());
    assert!(!loaded.has_errors(), "the built-in course has errors");
    loaded.pack.exercise(id).unwrap_or_else(|| panic!("no exercise {id}")).clone()
}

pub struct Proof {
    pub exercise: Exercise,
    /// Steps proven so far, in order.
    done: Vec<String>,
    /// Setting up (a scenario's working state): nothing is asserted before a step; after it,
    /// its checks are awaited.
    setup: bool,
}

fn show(results: &[CheckResult]) -> String {
    results.iter().map(|r| format!("  {:?} {}: {}", r.status, r.check, r.message)).collect::<Vec<_>>().join("\n")
}

impl Proof {
    pub fn new(exercise: Exercise) -> Self {
        Self { exercise, done: Vec::new(), setup: false }
    }

    /// Reach the lab's solved state without proving each step.
    pub fn setup(exercise: Exercise) -> Self {
        Self { exercise, done: Vec::new(), setup: true }
    }

    /// Setting up a scenario's working state: a lab's flow stops before its teardown.
    pub fn setting_up(&self) -> bool {
        self.setup
    }

    fn step(&self, id: &str) -> &kubedojo::content::Step {
        let next = self.exercise.steps.get(self.done.len()).unwrap_or_else(|| panic!("{}: no step after {:?}", self.exercise.id, self.done));
        assert_eq!(next.id, id, "{}: steps are proven in the published order", self.exercise.id);
        next
    }

    pub async fn run(&self, sim: &SimEks, id: &str) -> Vec<CheckResult> {
        let step = self.exercise.steps.iter().find(|s| s.id == id).expect("step");
        let checks: Vec<_> = step.checks.iter().map(|c| c.expand(&sim.vars)).collect();
        kubedojo::checks::engine::run_checks(&sim.backend, &checks, &sim.vars).await.results
    }

    /// Before the step's solution: its checks do not all pass, and none errors (an error would
    /// mean the checker could not look, not that the work is missing).
    pub async fn before(&self, sim: &SimEks, id: &str) {
        self.step(id);
        if self.setup {
            return;
        }
        let results = self.run(sim, id).await;
        let exercise = &self.exercise.id;
        println!("{exercise}/{id} before:\n{}", show(&results));
        assert!(results.iter().any(|r| r.status != CheckStatus::Pass), "{exercise}/{id} passes before its solution is applied:\n{}", show(&results));
        assert!(results.iter().all(|r| r.status != CheckStatus::Error), "{exercise}/{id} errors before its solution:\n{}", show(&results));
    }

    /// The step's checks once they all pass, giving controllers (kwok marking a new node
    /// Ready, a rollout) a minute to converge; else the last results.
    async fn converged(&self, sim: &SimEks, id: &str) -> Result<Vec<CheckResult>, Vec<CheckResult>> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let results = self.run(sim, id).await;
            if results.iter().all(|r| r.status == CheckStatus::Pass) {
                return Ok(results);
            }
            if Instant::now() >= deadline {
                return Err(results);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// After the step's solution: every check passes (controllers get a minute to converge).
    pub async fn after(&mut self, sim: &SimEks, id: &str) {
        self.step(id);
        match self.converged(sim, id).await {
            Ok(results) => println!("{}/{id} after:\n{}", self.exercise.id, show(&results)),
            Err(results) => panic!("{}/{id}: the published solution does not pass its checks:\n{}", self.exercise.id, show(&results)),
        }
        self.done.push(id.to_string());
    }

    /// A step an earlier step's solution already completed (e.g. `eksctl create cluster -f`
    /// creates every node group of the config): its checks must pass already; `why` says which
    /// published command did it.
    pub async fn already(&mut self, sim: &SimEks, id: &str, why: &str) {
        self.step(id);
        if self.setup {
            self.done.push(id.to_string());
            return;
        }
        // the earlier step's work is done; what it started (nodes joining) converges as after it
        if let Err(results) = self.converged(sim, id).await {
            panic!("{}/{id} should be done by {why}:\n{}", self.exercise.id, show(&results));
        }
        self.done.push(id.to_string());
    }

    /// Every step was proven.
    pub fn finish(self) {
        let all: Vec<String> = self.exercise.steps.iter().map(|s| s.id.clone()).collect();
        assert_eq!(self.done, all, "{}: not every step was proven", self.exercise.id);
    }
}
