//! Per-thread memory of results that depend on a string alone (what an action
//! pattern expands to, what an `Action` entry names): the same few dozen
//! strings come back in file after file. Each memory is bounded, so that
//! memory stays flat whatever the input holds.

use std::cell::RefCell;
use std::thread::LocalKey;

use rustc_hash::FxHashMap;

/// Entries a memory holds before it starts over.
const CAPACITY: usize = 4096;

/// One memory; declare it with `thread_local!`.
pub(crate) type Memo<V> = RefCell<FxHashMap<String, V>>;

/// The value remembered for `key`, else `compute`'s, which is then remembered.
pub(crate) fn remembered<V: Clone>(
    memo: &'static LocalKey<Memo<V>>,
    key: &str,
    compute: impl FnOnce() -> V,
) -> V {
    if let Some(value) = memo.with(|m| m.borrow().get(key).cloned()) {
        return value;
    }
    // Computed outside the borrow: `compute` may consult other memories.
    let value = compute();
    memo.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CAPACITY {
            m.clear();
        }
        m.insert(key.to_string(), value.clone());
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SQUARES: Memo<usize> = RefCell::new(FxHashMap::default());
    }

    #[test]
    fn computes_once_and_stays_bounded() {
        let mut calls = 0;
        assert_eq!(
            remembered(&SQUARES, "3", || {
                calls += 1;
                9
            }),
            9
        );
        assert_eq!(
            remembered(&SQUARES, "3", || {
                calls += 1;
                0
            }),
            9
        );
        assert_eq!(calls, 1);
        for i in 0..2 * CAPACITY {
            remembered(&SQUARES, &i.to_string(), || i * i);
        }
        assert!(SQUARES.with(|m| m.borrow().len()) <= CAPACITY);
    }
}
