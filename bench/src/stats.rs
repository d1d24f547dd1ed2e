//! Percentiles by nearest rank, without interpolation.

use std::time::Duration;

/// The `p`-th percentile (0 < p ≤ 100) of `samples` by the nearest-rank method: the smallest
/// sample with at least p % of the samples at or below it. `None` for no samples.
/// Sorts `samples` in place.
pub fn percentile(samples: &mut [Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    samples.sort_unstable();
    let n = samples.len();
    // Nearest rank: ceil(p/100 × n), 1-based. Computed on integers where p is whole, so that
    // floating point never moves a rank (e.g. 99 % of 100 samples is rank 99, not 100).
    let rank = if p.fract() == 0.0 {
        (p as usize * n).div_ceil(100)
    } else {
        (p / 100.0 * n as f64).ceil() as usize
    };
    Some(samples[rank.clamp(1, n) - 1])
}

/// Milliseconds as a float, for reports.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_list(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentile_of_nothing_is_none() {
        assert_eq!(percentile(&mut [], 50.0), None);
        assert_eq!(percentile(&mut ms_list(&[1]), 0.0), None);
        assert_eq!(percentile(&mut ms_list(&[1]), 100.1), None);
    }

    #[test]
    fn percentile_uses_the_nearest_rank() {
        let mut samples: Vec<Duration> = ms_list(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(
            percentile(&mut samples, 50.0),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            percentile(&mut samples, 99.0),
            Some(Duration::from_millis(99))
        );
        assert_eq!(
            percentile(&mut samples, 100.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            percentile(&mut samples, 1.0),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            percentile(&mut samples, 99.5),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn percentile_of_few_samples_is_one_of_them() {
        let mut samples = ms_list(&[30, 10, 20]);
        assert_eq!(
            percentile(&mut samples, 50.0),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            percentile(&mut samples, 99.0),
            Some(Duration::from_millis(30))
        );
        assert_eq!(
            percentile(&mut samples, 34.0),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            percentile(&mut samples, 33.0),
            Some(Duration::from_millis(10))
        );
        let mut one = ms_list(&[7]);
        assert_eq!(percentile(&mut one, 99.0), Some(Duration::from_millis(7)));
    }

    #[test]
    fn median_of_an_even_count_is_the_lower_middle() {
        assert_eq!(
            percentile(&mut ms_list(&[4, 1, 3, 2]), 50.0),
            Some(Duration::from_millis(2))
        );
        assert_eq!(
            percentile(&mut ms_list(&[5, 1, 3]), 50.0),
            Some(Duration::from_millis(3))
        );
    }
}
