//! A map that holds at most so many entries, forgetting the oldest first: for what anyone may
//! make the provider remember (page logins, device codes, pushed requests, DPoP proofs), so that
//! a flood costs a bounded amount of memory instead of growing until the entries expire.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// At most `MAX` entries: past it, the oldest inserted are forgotten first.
///
/// Keys are also kept in the order they came. A key removed or swept meanwhile is skipped when
/// met, and [`Bounded::retain`] trims the order to what is held, so the order never holds more
/// than twice `MAX` keys either.
#[derive(Debug)]
pub struct Bounded<K, V, const MAX: usize> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V, const MAX: usize> Default for Bounded<K, V, MAX> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V, const MAX: usize> Bounded<K, V, MAX> {
    /// Holds `value` under `key`, then forgets the oldest entries past the bound, handing each
    /// to `forgotten`.
    pub fn insert(&mut self, key: K, value: V, mut forgotten: impl FnMut(V)) {
        self.map.insert(key.clone(), value);
        self.order.push_back(key);
        while self.map.len() > MAX || self.order.len() > 2 * MAX {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(value) = self.map.remove(&oldest) {
                forgotten(value);
            }
        }
    }

    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    pub fn get_mut<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key)
    }

    pub fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key)
    }

    pub fn contains_key<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values()
    }

    /// Keeps the entries `keep` says to, and trims the order to them.
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.map.retain(|_, value| keep(value));
        let map = &self.map;
        self.order.retain(|key| map.contains_key(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_bound_the_oldest_are_forgotten_first() {
        let mut bounded = Bounded::<u32, u32, 3>::default();
        let mut forgotten = Vec::new();
        for i in 0..5 {
            bounded.insert(i, i * 10, |v| forgotten.push(v));
        }
        assert_eq!(bounded.len(), 3);
        assert_eq!(forgotten, [0, 10]);
        assert!(bounded.get(&1).is_none());
        assert_eq!(bounded.get(&4), Some(&40));
    }

    #[test]
    fn removed_keys_are_skipped_and_the_order_stays_within_twice_the_bound() {
        let mut bounded = Bounded::<u32, u32, 3>::default();
        for i in 0..100 {
            bounded.insert(i, i, |_| {
                panic!("nothing is forgotten while entries are taken")
            });
            assert_eq!(bounded.remove(&i), Some(i));
            assert!(bounded.order.len() <= 6);
        }
        for i in 0..3 {
            bounded.insert(i, i, |_| panic!("room for three"));
        }
        bounded.retain(|v| *v != 1);
        assert_eq!(bounded.order, [0, 2]);
    }
}
