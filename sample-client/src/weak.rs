//! What the client remembers only to be weak on purpose: a counter for guessable states, the
//! token exchanges of codes it has seen (to answer a repeated callback from memory), and accounts
//! kept by email. With no weakness switched on, nothing is ever put here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::session::{Login, Person};

#[derive(Debug, Default)]
pub struct Remembered {
    states: AtomicU64,
    exchanges: Mutex<HashMap<String, Arc<Login>>>,
    accounts: Mutex<HashMap<String, Person>>,
}

impl Remembered {
    /// `state-1`, `state-2`, ...: a state anyone can predict (`predictable-state`).
    pub fn next_state(&self) -> String {
        format!("state-{}", self.states.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The login a code was exchanged for before (`cache-code-exchange`).
    pub fn exchange(&self, code: &str) -> Option<Arc<Login>> {
        lock(&self.exchanges).get(code).cloned()
    }

    pub fn remember_exchange(&self, code: &str, login: Arc<Login>) {
        lock(&self.exchanges).insert(code.to_owned(), login);
    }

    /// The account of `person`'s email, made from them on first sight (`accounts-by-email`):
    /// a later login with the same address, verified or not, gets the first one's account.
    pub fn account(&self, person: Person) -> Person {
        let Some(email) = person.email.clone() else {
            return person;
        };
        lock(&self.accounts).entry(email).or_insert(person).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
