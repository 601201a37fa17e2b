//! Maps whose keys clients choose (addresses, names, senders) must not grow without end:
//! the memories in front of DNS, SPF and the greylist store all insert through here.

use std::collections::HashMap;
use std::hash::Hash;

/// Inserts `k` → `v`, keeping `map` at most `max` entries: when it is full and `k` is new,
/// entries `fresh` rejects go first, and if that is not enough, everything goes (a memory
/// refills from its source; an attacker's names must not evict by choice).
pub fn insert<K: Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    k: K,
    v: V,
    max: usize,
    mut fresh: impl FnMut(&V) -> bool,
) {
    if map.len() >= max && !map.contains_key(&k) {
        map.retain(|_, v| fresh(v));
        if map.len() >= max {
            map.clear();
        }
    }
    map.insert(k, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_map_drops_stale_then_everything() {
        let mut m: HashMap<u32, u32> = HashMap::new();
        for k in 0..4 {
            insert(&mut m, k, k, 4, |_| true);
        }
        assert_eq!(m.len(), 4);
        // An existing key is replaced without a sweep.
        insert(&mut m, 3, 30, 4, |_| false);
        assert_eq!((m.len(), m[&3]), (4, 30));
        // A new key: the stale half (odd values) goes.
        insert(&mut m, 9, 9, 4, |v| v % 2 == 0);
        let mut keys: Vec<_> = m.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, vec![0, 2, 3, 9]);
        // All fresh and full: cleared, then the new entry.
        insert(&mut m, 10, 10, 4, |_| true);
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), vec![10]);
    }
}
