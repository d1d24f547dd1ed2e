use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A virtual clock, cheap to clone; clones share one notion of "now".
///
/// Two modes:
/// - [`Clock::system`] follows the wall clock plus an offset that [`Clock::advance`] and
///   [`Clock::set`] move. This is what a long-running `fauxauth provider` uses.
/// - [`Clock::frozen`] stands still at a given instant and moves only when told to. Scenarios use it
///   so that every timestamp in a transcript is reproducible.
///
/// Time is kept in whole milliseconds since the Unix epoch: finer than any protocol needs
/// (JWT times are whole seconds) and small enough for one atomic. It stays within [`RANGE`]:
/// from the epoch to the last second RFC 3339 can write, so every instant it shows can be
/// formatted and put in a JWT. [`Clock::try_advance`] and [`Clock::try_set`] refuse to leave the
/// range; [`Clock::advance`] and [`Clock::set`] stop at its ends.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

/// The instants a clock can show, in seconds since the Unix epoch: 1970-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
pub const RANGE: std::ops::RangeInclusive<u64> = 0..=253_402_300_799;

const MAX_MILLIS: i64 = 253_402_300_799_999;

/// A move that would take the clock out of [`RANGE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} is outside the clock's range, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z \
     (0 to 253402300799 seconds since the epoch)"
)]
pub struct OutOfRange(pub String);

#[derive(Debug)]
struct Inner {
    frozen: bool,
    /// Frozen: the current instant. System: the offset added to the wall clock.
    millis: AtomicI64,
    /// What `millis` was made with (or last `set_start` to), for `reset`.
    start: AtomicI64,
    /// The logical clock: a count of events, shared by every component on this clock, so their
    /// journals interleave in one order.
    events: AtomicU64,
}

/// A time in whole seconds since the Unix epoch, as JWT claims (`iat`, `exp`) write it; 0 for
/// a time before it.
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Clock {
    /// A clock that follows the wall clock until it is moved.
    pub fn system() -> Self {
        Self::with(false, 0)
    }

    /// A clock that stands still at `at` until it is moved.
    pub fn frozen(at: SystemTime) -> Self {
        Self::with(true, to_millis(at))
    }

    fn with(frozen: bool, millis: i64) -> Self {
        Self {
            inner: Arc::new(Inner {
                frozen,
                millis: AtomicI64::new(millis),
                start: AtomicI64::new(millis),
                events: AtomicU64::new(0),
            }),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> SystemTime {
        from_millis(self.now_millis())
    }

    fn now_millis(&self) -> i64 {
        let millis = self.inner.millis.load(Ordering::Acquire);
        let now = if self.inner.frozen {
            millis
        } else {
            to_millis(SystemTime::now()).saturating_add(millis)
        };
        now.clamp(0, MAX_MILLIS)
    }

    /// The current virtual time in whole seconds since the Unix epoch, as JWT claims want it.
    pub fn unix_seconds(&self) -> u64 {
        unix(self.now())
    }

    /// The real time, for journals that record both. Not for protocol decisions.
    pub fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Moves the clock forward by `by` (every clone sees it at once), stopping at the end of
    /// [`RANGE`].
    pub fn advance(&self, by: Duration) {
        let target = i64::try_from(by.as_millis())
            .unwrap_or(i64::MAX)
            .saturating_add(self.now_millis());
        self.set_millis(target.min(MAX_MILLIS));
    }

    /// Moves the clock forward by `by`, or says why it cannot: the result would be after
    /// 9999-12-31T23:59:59Z.
    pub fn try_advance(&self, by: Duration) -> Result<(), OutOfRange> {
        let target = i64::try_from(by.as_millis())
            .ok()
            .and_then(|by| by.checked_add(self.now_millis()))
            .filter(|t| *t <= MAX_MILLIS)
            .ok_or_else(|| {
                OutOfRange(format!(
                    "advancing by {}",
                    humantime::format_duration(Duration::from_secs(by.as_secs()))
                ))
            })?;
        self.set_millis(target);
        Ok(())
    }

    /// Moves the clock to `at`, forward or back, within [`RANGE`].
    pub fn set(&self, at: SystemTime) {
        self.set_millis(to_millis(at).clamp(0, MAX_MILLIS));
    }

    /// Moves the clock to `seconds` since the epoch, or says why it cannot.
    pub fn try_set_seconds(&self, seconds: u64) -> Result<(), OutOfRange> {
        if !RANGE.contains(&seconds) {
            return Err(OutOfRange(format!("{seconds} seconds since the epoch")));
        }
        self.set(UNIX_EPOCH + Duration::from_secs(seconds));
        Ok(())
    }

    /// Moves the clock to `at`, or says why it cannot.
    pub fn try_set(&self, at: SystemTime) -> Result<(), OutOfRange> {
        let millis = to_millis(at);
        if !(0..=MAX_MILLIS).contains(&millis) {
            return Err(OutOfRange(format!("{at:?}")));
        }
        self.set_millis(millis);
        Ok(())
    }

    fn set_millis(&self, target: i64) {
        let value = if self.inner.frozen {
            target
        } else {
            target.saturating_sub(to_millis(SystemTime::now()))
        };
        self.inner.millis.store(value, Ordering::Release);
    }

    /// The next event number (from 1): every component sharing this clock draws from one
    /// sequence, so what they record can be put in the order it happened.
    pub fn tick(&self) -> u64 {
        self.inner.events.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The last event number given out (0 before any).
    pub fn last_tick(&self) -> u64 {
        self.inner.events.load(Ordering::Acquire)
    }

    /// Back to where the clock started: its first instant when frozen, the wall clock (or the
    /// start it was set to before any move) otherwise.
    pub fn reset(&self) {
        let start = self.inner.start.load(Ordering::Acquire);
        self.inner.millis.store(start, Ordering::Release);
    }

    /// Makes the current time the one [`Clock::reset`] returns to.
    pub fn mark_start(&self) {
        let now = self.inner.millis.load(Ordering::Acquire);
        self.inner.start.store(now, Ordering::Release);
    }

    /// Whether the clock stands still between moves.
    pub fn is_frozen(&self) -> bool {
        self.inner.frozen
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn from_millis(millis: i64) -> SystemTime {
    if millis >= 0 {
        UNIX_EPOCH + Duration::from_millis(millis.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Duration = Duration::from_secs(1_700_000_000);

    #[test]
    fn frozen_clock_stands_still_until_advanced() {
        let clock = Clock::frozen(UNIX_EPOCH + START);
        assert_eq!(clock.now(), UNIX_EPOCH + START);
        clock.advance(Duration::from_secs(600));
        assert_eq!(clock.unix_seconds(), START.as_secs() + 600);
    }

    #[test]
    fn clones_share_one_time() {
        let clock = Clock::frozen(UNIX_EPOCH + START);
        let other = clock.clone();
        other.advance(Duration::from_secs(5));
        assert_eq!(clock.unix_seconds(), START.as_secs() + 5);
    }

    #[test]
    fn clones_draw_event_numbers_from_one_sequence() {
        let clock = Clock::system();
        let other = clock.clone();
        assert_eq!((clock.tick(), other.tick(), clock.tick()), (1, 2, 3));
        assert_eq!(other.last_tick(), 3);
    }

    #[test]
    fn reset_returns_to_the_start() {
        let clock = Clock::frozen(UNIX_EPOCH + START);
        clock.advance(Duration::from_secs(600));
        clock.reset();
        assert_eq!(clock.unix_seconds(), START.as_secs());
        clock.advance(Duration::from_secs(5));
        clock.mark_start();
        clock.advance(Duration::from_secs(5));
        clock.reset();
        assert_eq!(clock.unix_seconds(), START.as_secs() + 5);
    }

    #[test]
    fn the_clock_never_leaves_its_range() {
        for clock in [Clock::frozen(UNIX_EPOCH + START), Clock::system()] {
            assert!(clock.try_set_seconds(253_402_300_800).is_err());
            assert!(clock.try_set_seconds(u64::MAX).is_err());
            assert!(
                clock
                    .try_advance(Duration::from_secs(1_000_000 * 365 * 86400))
                    .is_err()
            );
            assert!(clock.try_advance(Duration::MAX).is_err());
            let before = clock.unix_seconds();
            assert!(before.abs_diff(START.as_secs()) < 10 || !clock.is_frozen());
            clock.advance(Duration::MAX);
            assert_eq!(clock.unix_seconds(), *RANGE.end(), "stops at the end");
            clock.set(UNIX_EPOCH - Duration::from_secs(10));
            assert_eq!(clock.unix_seconds(), 0, "and at the start");
            clock.try_set_seconds(*RANGE.end()).unwrap();
            assert_eq!(clock.unix_seconds(), *RANGE.end());
            assert!(clock.try_advance(Duration::from_secs(1)).is_err());
        }
    }

    #[test]
    fn system_clock_can_be_moved_forward_and_back() {
        let clock = Clock::system();
        clock.advance(Duration::from_secs(3600));
        let ahead = clock.now().duration_since(SystemTime::now()).unwrap();
        assert!(ahead > Duration::from_secs(3590), "ahead by {ahead:?}");
        clock.set(UNIX_EPOCH + START);
        let drift = clock.unix_seconds().abs_diff(START.as_secs());
        assert!(drift <= 1, "set() landed {drift}s away");
    }
}
