//! A map that holds at most so many entries, forgetting the oldest first: for what anyone may
//! make a server remember (page logins, device codes, pushed requests, DPoP proofs), so that a
//! flood costs a bounded amount of memory instead of growing until the entries expire.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// At most `MAX` entries: past it, the oldest inserted are forgotten first.
///
/// Keys are also kept in the order they were inserted, each with its insertion's number, so that
/// an entry removed, or removed and inserted again, is not mistaken for a later one of its key.
/// Entries gone meanwhile are skipped when met, and [`Bounded::retain`] trims the order to what is
/// held, so the order never holds more than twice `MAX` keys either.
#[derive(Debug)]
pub struct Bounded<K, V, const MAX: usize> {
    map: HashMap<K, (u64, V)>,
    order: VecDeque<(u64, K)>,
    inserted: u64,
}

impl<K, V, const MAX: usize> Default for Bounded<K, V, MAX> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            inserted: 0,
        }
    }
}

impl<K: Eq + Hash + Clone, V, const MAX: usize> Bounded<K, V, MAX> {
    /// Holds `value` under `key` (as the newest entry, in place of any it had), then forgets the
    /// oldest entries past the bound, handing each to `forgotten`.
    pub fn insert(&mut self, key: K, value: V, mut forgotten: impl FnMut(V)) {
        self.inserted += 1;
        self.map.insert(key.clone(), (self.inserted, value));
        self.order.push_back((self.inserted, key));
        while self.map.len() > MAX || self.order.len() > 2 * MAX {
            let Some((number, oldest)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&oldest).is_some_and(|(n, _)| *n == number)
                && let Some((_, value)) = self.map.remove(&oldest)
            {
                forgotten(value);
            }
        }
    }

    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(_, v)| v)
    }

    pub fn get_mut<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key).map(|(_, v)| v)
    }

    pub fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key).map(|(_, v)| v)
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

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` says to, and trims the order to them.
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.map.retain(|_, (_, value)| keep(value));
        let map = &self.map;
        self.order
            .retain(|(number, key)| map.get(key).is_some_and(|(n, _)| n == number));
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
        assert_eq!(bounded.order, [(101, 0), (103, 2)]);
    }

    #[test]
    fn an_entry_inserted_again_is_the_newest() {
        let mut bounded = Bounded::<&str, u32, 2>::default();
        bounded.insert("a", 1, drop);
        bounded.insert("b", 2, drop);
        bounded.insert("a", 3, drop);
        let mut forgotten = Vec::new();
        bounded.insert("c", 4, |v| forgotten.push(v));
        assert_eq!(forgotten, [2], "b is the oldest: a was inserted after it");
        assert_eq!(bounded.get("a"), Some(&3));
        bounded.remove("a");
        bounded.insert("a", 5, drop);
        bounded.insert("d", 6, |v| forgotten.push(v));
        assert_eq!(forgotten, [2, 4], "c, and not the a inserted after it");
        assert_eq!(bounded.get("a"), Some(&5));
    }
}
