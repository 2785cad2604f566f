//! The sandbox's shared state: configuration, contacts, rate window, fault
//! generator and request statistics, each behind its own short-held lock.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::config::Config;
use crate::faults::FaultDice;
use crate::model::Model;
use crate::rate_limit::RateWindow;
use crate::stats::Stats;
use crate::store::Store;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct App {
    config: RwLock<Arc<Config>>,
    store: Mutex<Store>,
    model: Model,
    rate: Mutex<RateWindow>,
    faults: Mutex<FaultDice>,
    stats: Mutex<Stats>,
    /// Off loopback, the admin routes ask for the API credentials too.
    pub admin_needs_credentials: bool,
}

impl App {
    pub fn new(
        config: Config,
        model: Model,
        admin_needs_credentials: bool,
    ) -> Result<Self, String> {
        config.check(&model)?;
        Ok(Self {
            admin_needs_credentials,
            faults: Mutex::new(FaultDice::new(config.faults.seed)),
            config: RwLock::new(Arc::new(config)),
            store: Mutex::default(),
            model,
            rate: Mutex::default(),
            stats: Mutex::default(),
        })
    }

    /// A snapshot of the configuration; admin changes swap in a new one.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_config(&self, config: Config) {
        *lock(&self.faults) = FaultDice::new(config.faults.seed);
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
    }

    /// The spec, as parsed when the sandbox started.
    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub fn rate(&self) -> MutexGuard<'_, RateWindow> {
        lock(&self.rate)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultDice> {
        lock(&self.faults)
    }

    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }

    /// Forgets contacts, statistics and the rate window; restarts the fault
    /// sequence. The configuration stays.
    pub fn reset(&self) {
        self.store().clear();
        *self.stats() = Stats::default();
        *self.rate() = RateWindow::default();
        *self.faults() = FaultDice::new(self.config().faults.seed);
    }
}

/// Locks ignoring poisoning: writers change copies and swap them in, so a
/// panicking holder cannot leave half-written state behind.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
