//! Giving memory back after a burst. glibc's allocator returns freed memory to the system only
//! from the top of each heap; what a burst of connections or large bodies freed below memory
//! still in use stays resident. Measured on the provider: 2,000 connections each holding half a
//! request took it from 8 to 43 MiB, and it stayed at 43 MiB after every one of them closed;
//! `malloc_trim(0)`, which hands back the free pages inside the heaps too, brought it to 10.5.
//!
//! So the servers note what they free in bulk (a closed connection, a large request body), and
//! once that adds up to [`THRESHOLD`], a thread of this module, started only then, trims: at most
//! once a second while a burst goes on, and once more when it has passed (a second with nothing
//! noted). A server that never sees a burst never starts the thread. Other allocators (musl's, macOS's) return memory themselves; there this
//! does nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Bytes noted as freed before a trim is due.
pub const THRESHOLD: usize = 4 * 1024 * 1024;

/// What one closed connection is counted as: hyper's read buffer grows to 16 KiB for a request
/// that arrives in pieces, and the task, stream and timers take a few KiB more.
pub const CONNECTION: usize = 16 * 1024;

static FREED: AtomicUsize = AtomicUsize::new(0);
static STARTED: AtomicBool = AtomicBool::new(false);

/// Notes that about `bytes` were freed in bulk; the trimming thread starts the first time the
/// notes reach [`THRESHOLD`].
pub fn freed(bytes: usize) {
    let total = FREED.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if total >= THRESHOLD && !STARTED.swap(true, Ordering::Relaxed) {
        let started = std::thread::Builder::new()
            .name("fauxauth-trim".into())
            .stack_size(64 * 1024)
            .spawn(trim_when_due);
        if started.is_err() {
            // No thread, no trimming: memory stays as glibc leaves it. Try again next time.
            STARTED.store(false, Ordering::Relaxed);
        }
    }
}

/// Once a second: trim when the notes reach the threshold (during a long burst), or when
/// something was noted and nothing more came for a second (the end of a burst).
fn trim_when_due() {
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let noted = FREED.load(Ordering::Relaxed);
        if noted >= THRESHOLD || (noted > 0 && noted == last) {
            FREED.fetch_sub(noted, Ordering::Relaxed);
            let released = trim();
            tracing::debug!(noted, released, "freed memory handed back to the system");
            last = 0;
        } else {
            last = noted;
        }
    }
}

/// Asks the allocator to return the free pages of every heap; whether it returned any.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and has no precondition; glibc locks each arena
    // while it walks it, so it is safe beside allocations on other threads.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Elsewhere the allocator returns memory by itself.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// The situation it exists for: buffers freed below memory still in use. glibc keeps
    /// their pages; a trim hands them back.
    #[test]
    fn pages_freed_below_live_memory_are_handed_back() {
        let mut kept = Vec::new();
        let mut freed = Vec::new();
        for i in 0..2_000u32 {
            freed.push(vec![1u8; 16 * 1024]);
            kept.push(Box::new(i));
        }
        // Touch every page, so that they are resident before they are freed.
        assert!(freed.iter().all(|b| b[4096] == 1));
        drop(freed);
        assert!(
            trim(),
            "32 MiB were freed under live allocations: some pages must come back"
        );
        assert_eq!(kept.iter().map(|k| **k).sum::<u32>(), 1_999 * 2_000 / 2);
    }
}
