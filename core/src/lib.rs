//! Pieces that every fauxauth component shares, kept deliberately small.
//!
//! - [`Clock`]: the one source of time. Providers, resources, clients and the harness read time
//!   only through a `Clock`, so a scenario can move every component's notion of "now" at once.
//!
//! Invariant: nothing in fauxauth reads the wall clock except through [`Clock`].

mod clock;

pub use clock::Clock;
