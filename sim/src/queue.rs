//! The event agenda's priority queue: a hashed timing wheel over a sorted run.
//!
//! Keys are `(time << 64) | sequence`, so ties in time pop in insertion order. Time is cut into
//! buckets of 2^10 s (about 17 minutes). Events in the bucket being worked on sit in a run sorted
//! once when the bucket becomes current (`head`), so a pop is free; events in the next 4,096
//! buckets (about 48 days) sit unsorted in a ring of buckets; later events wait in a 4-ary
//! overflow heap. A push is O(1) for most events, and a pop touches only the current bucket,
//! which makes the agenda several times cheaper than one binary heap holding every pending event.
//! Pops come out in exactly the same order as from a single heap on the same keys (a test checks
//! this against `BinaryHeap`).

const BUCKET_BITS: u32 = 10;
const RING: u64 = 4096;

/// 4-ary min-heap of `(key, value)` pairs.
#[derive(Clone, Debug)]
pub struct QuadHeap<T> {
    items: Vec<(u128, T)>,
}

impl<T> Default for QuadHeap<T> {
    fn default() -> Self {
        QuadHeap { items: Vec::new() }
    }
}

impl<T: Copy> QuadHeap<T> {
    /// Insert `value` with `key`.
    #[inline]
    pub fn push(&mut self, key: u128, value: T) {
        let mut i = self.items.len();
        self.items.push((key, value));
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.items[parent].0 <= key {
                break;
            }
            self.items[i] = self.items[parent];
            i = parent;
        }
        self.items[i] = (key, value);
    }

    /// The smallest key, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<u128> {
        self.items.first().map(|(k, _)| *k)
    }

    /// The item with the smallest key, if any.
    #[inline]
    pub fn peek(&self) -> Option<(u128, T)> {
        self.items.first().copied()
    }

    /// Remove and return the item with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u128, T)> {
        let last = self.items.pop()?;
        if self.items.is_empty() {
            return Some(last);
        }
        let top = self.items[0];
        let n = self.items.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let end = (first + 4).min(n);
            let mut best = first;
            let mut best_key = self.items[first].0;
            for c in first + 1..end {
                let k = self.items[c].0;
                if k < best_key {
                    best = c;
                    best_key = k;
                }
            }
            if last.0 <= best_key {
                break;
            }
            self.items[i] = self.items[best];
            i = best;
        }
        self.items[i] = last;
        Some(top)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// One pending event with its key, on 32 bytes aligned to 32 where the value takes 16 (a
/// [`crate::engine::SimEvent`]): a bucket's items then never straddle two cache lines, so a push
/// into a bucket not in the cache and the sort of a bucket touch one line per item.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Item<T> {
    key: u128,
    value: T,
}

/// The events of the bucket being worked on, sorted by descending key: the next event is the
/// last one, so a pop costs nothing. A bucket's events are sorted once, when it becomes current;
/// events scheduled into the current bucket later (mostly due soon: short contracts, retries,
/// retirements at the current time) are inserted near the end.
#[derive(Clone, Debug)]
struct SortedRun<T> {
    items: Vec<Item<T>>,
}

impl<T> Default for SortedRun<T> {
    fn default() -> Self {
        SortedRun { items: Vec::new() }
    }
}

impl<T: Copy> SortedRun<T> {
    #[inline]
    fn insert(&mut self, key: u128, value: T) {
        // Keys are unique. An event scheduled into the current bucket is mostly due soon, so its
        // place is near the end: walk back from there, shifting the few smaller keys up by one.
        let items = &mut self.items;
        items.push(Item { key, value });
        let mut i = items.len() - 1;
        while i > 0 && items[i - 1].key < key {
            items[i] = items[i - 1];
            i -= 1;
        }
        items[i] = Item { key, value };
    }

    #[inline]
    fn peek(&self) -> Option<(u128, T)> {
        self.items.last().map(|i| (i.key, i.value))
    }

    #[inline]
    fn pop(&mut self) -> Option<(u128, T)> {
        self.items.pop().map(|i| (i.key, i.value))
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Make `bucket` (unsorted, this run being empty) the run; returns this run's empty
    /// allocation for reuse.
    fn replace_with(&mut self, bucket: Vec<Item<T>>) -> Vec<Item<T>> {
        debug_assert!(self.items.is_empty());
        let old = std::mem::replace(&mut self.items, bucket);
        self.items
            .sort_unstable_by_key(|item| std::cmp::Reverse(item.key));
        old
    }
}

/// The agenda's queue: see the module documentation.
#[derive(Clone, Debug)]
pub struct EventQueue<T> {
    /// Bucket index (time >> BUCKET_BITS) whose events are in `head`.
    current: u64,
    head: SortedRun<T>,
    ring: Vec<Vec<Item<T>>>,
    /// One bit per ring slot: set when the slot holds events.
    occupied: Vec<u64>,
    overflow: QuadHeap<T>,
    /// Empty allocations for ring slots: a slot holds one only while it has events, so memory
    /// follows the number of pending events, not the number of slots times the largest bucket.
    spare: Vec<Vec<Item<T>>>,
    len: usize,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            current: 0,
            head: SortedRun::default(),
            ring: (0..RING).map(|_| Vec::new()).collect(),
            occupied: vec![0; (RING / 64) as usize],
            overflow: QuadHeap::default(),
            spare: Vec::new(),
            len: 0,
        }
    }
}

#[inline]
fn bucket_of(key: u128) -> u64 {
    ((key >> 64) as u64) >> BUCKET_BITS
}

impl<T: Copy> EventQueue<T> {
    /// Insert `value` with `key`.
    ///
    /// A key below the current bucket joins the current run, ahead of everything else there: the
    /// current bucket may lie ahead of the caller's time when the caller keeps an earlier event
    /// outside the queue (the agenda's pending arrival), and every key in the ring and the
    /// overflow heap is larger still.
    #[inline]
    pub fn push(&mut self, key: u128, value: T) {
        let b = bucket_of(key);
        if b <= self.current {
            self.head.insert(key, value);
        } else if b < self.current + RING {
            let slot = (b % RING) as usize;
            let bucket = &mut self.ring[slot];
            if bucket.capacity() == 0
                && let Some(spare) = self.spare.pop()
            {
                *bucket = spare;
            }
            bucket.push(Item { key, value });
            self.occupied[slot / 64] |= 1 << (slot % 64);
        } else {
            self.overflow.push(key, value);
        }
        self.len += 1;
    }

    /// The next occupied ring bucket after `current`, if any.
    fn next_ring_bucket(&self) -> Option<u64> {
        let start = (self.current + 1) % RING;
        let words = self.occupied.len();
        let (w0, b0) = ((start / 64) as usize, start % 64);
        // First word, from bit b0 on.
        let first = self.occupied[w0] & (!0u64 << b0);
        let found = if first != 0 {
            Some(w0 * 64 + first.trailing_zeros() as usize)
        } else {
            (1..=words).find_map(|i| {
                let w = (w0 + i) % words;
                let bits = if w == w0 {
                    self.occupied[w] & !(!0u64 << b0)
                } else {
                    self.occupied[w]
                };
                (bits != 0).then(|| w * 64 + bits.trailing_zeros() as usize)
            })
        }?;
        let slot = found as u64;
        // Distance forward from `current` to the slot, 1..RING.
        let dist = (slot + RING - self.current % RING) % RING;
        Some(self.current + if dist == 0 { RING } else { dist })
    }

    /// Move to the next non-empty bucket when the head is empty.
    fn refill(&mut self) {
        self.refill_upto(u64::MAX);
    }

    /// Move to the next non-empty bucket when the head is empty, if that bucket is not after
    /// `last_bucket`.
    #[inline(always)]
    fn refill_upto(&mut self, last_bucket: u64) {
        // Mostly the current bucket still holds events.
        if self.head.is_empty() && self.len > 0 {
            self.next_bucket_upto(last_bucket);
        }
    }

    /// Move to the next non-empty bucket (the head being empty and the queue not), if that
    /// bucket is not after `last_bucket`.
    fn next_bucket_upto(&mut self, last_bucket: u64) {
        let ring_next = self.next_ring_bucket();
        let overflow_next = self.overflow.peek_key().map(bucket_of);
        let next = match (ring_next, overflow_next) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => unreachable!("len > 0 but no events"),
        };
        if next > last_bucket {
            return;
        }
        self.current = next;
        if ring_next == Some(next) {
            let slot = (next % RING) as usize;
            self.occupied[slot / 64] &= !(1 << (slot % 64));
            let bucket = std::mem::take(&mut self.ring[slot]);
            let empty = self.head.replace_with(bucket);
            if empty.capacity() > 0 {
                self.spare.push(empty);
            }
        }
        while self
            .overflow
            .peek_key()
            .is_some_and(|k| bucket_of(k) == next)
        {
            let (k, v) = self.overflow.pop().expect("peeked");
            self.head.insert(k, v);
        }
    }

    /// The smallest key, if any.
    #[cfg(test)]
    fn peek_key(&mut self) -> Option<u128> {
        self.refill();
        self.head.peek().map(|(k, _)| k)
    }

    /// The item with the smallest key, if any.
    #[inline]
    pub fn peek(&mut self) -> Option<(u128, T)> {
        self.refill();
        self.head.peek()
    }

    /// The item with the smallest key, if its key is below `bound`. Unlike [`EventQueue::peek`],
    /// this does not move the current bucket past `bound`'s, so that keys from `bound` on still
    /// go to their own buckets when pushed.
    #[inline]
    pub fn peek_below(&mut self, bound: u128) -> Option<(u128, T)> {
        self.refill_upto(bucket_of(bound));
        self.head.peek().filter(|(k, _)| *k < bound)
    }

    /// Remove the item with the smallest key, which [`EventQueue::peek`] or
    /// [`EventQueue::peek_below`] has just returned.
    #[inline]
    pub fn pop_peeked(&mut self) {
        debug_assert!(!self.head.is_empty());
        self.head.pop();
        self.len -= 1;
    }

    /// Remove and return the item with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u128, T)> {
        self.refill();
        let item = self.head.pop()?;
        self.len -= 1;
        Some(item)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn check(seed: u64, max_delay: u64, steps: u32) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut queue = EventQueue::default();
        let mut reference = BinaryHeap::new();
        let mut now: u64 = 0;
        let mut seq = 0u128;
        for step in 0..steps {
            if rng.next_u32() % 3 != 0 || reference.is_empty() {
                // Mostly short delays, some zero (same time), some very long (overflow).
                let delay = match rng.next_u32() % 10 {
                    0 => 0,
                    1 => rng.next_u64() % (max_delay * 1000 + 1),
                    _ => rng.next_u64() % (max_delay + 1),
                };
                seq += 1;
                let key = (((now + delay) as u128) << 64) | seq;
                queue.push(key, step);
                reference.push(Reverse((key, step)));
            } else {
                let Reverse((k, v)) = reference.pop().expect("non-empty");
                assert_eq!(queue.peek_key(), Some(k));
                assert_eq!(queue.pop(), Some((k, v)));
                now = (k >> 64) as u64;
            }
            assert_eq!(queue.len(), reference.len());
        }
        while let Some(Reverse((k, v))) = reference.pop() {
            assert_eq!(queue.pop(), Some((k, v)));
        }
        assert!(queue.is_empty());
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn pops_in_the_same_order_as_a_binary_heap() {
        check(1, 100_000, 300_000);
        check(2, 500, 100_000);
        check(3, 50_000_000, 100_000);
    }

    #[test]
    fn quad_heap_orders_keys() {
        let mut h = QuadHeap::default();
        for (i, k) in [5u128, 1, 9, 3, 3, 7, 0].into_iter().enumerate() {
            h.push(k, i);
        }
        let keys: Vec<u128> = std::iter::from_fn(|| h.pop().map(|(k, _)| k)).collect();
        assert_eq!(keys, [0, 1, 3, 3, 5, 7, 9]);
    }
}
