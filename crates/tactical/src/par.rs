//! The parallel steps of a scan: the only concurrency of the crate. They
//! run on rayon's pool, whose threads are started once and then reused by
//! every scan (a scan of 10,000 tracks takes a few milliseconds, and
//! starting a thread for each of its parallel steps cost about 40–60 µs
//! apiece on a 2-core VM).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs `f` on every element of `items`: the last on the calling thread,
/// the others as tasks of the pool, at once as far as it has threads free
/// (no item may wait for another item to start). False when one of them
/// panicked (the others still ran to the end).
pub(crate) fn on_each<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) -> bool {
    let Some((mine, others)) = items.split_last_mut() else {
        return true;
    };
    if others.is_empty() {
        f(mine);
        return true;
    }
    let f = &f;
    let failed = &AtomicBool::new(false);
    let run = move |item: &mut T| {
        if catch_unwind(AssertUnwindSafe(|| f(item))).is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    };
    rayon::in_place_scope(|scope| {
        for o in others.iter_mut() {
            scope.spawn(move |_| run(o));
        }
        run(mine);
    });
    !failed.load(Ordering::Relaxed)
}

/// Runs `f` on every element of `items` on `threads` threads, each taking
/// the next element not yet taken: with many elements of about equal work,
/// a thread woken late takes fewer (preparing 10,000 tracks in two fixed
/// halves took 315 µs, in 32 shared runs 230 µs: the pool's second thread
/// starts a scan's first step late). False when one of them panicked.
pub(crate) fn on_each_shared<T: Send>(items: &mut [T], threads: usize, f: impl Fn(&mut T) + Sync) -> bool {
    let items: Vec<Mutex<&mut T>> = items.iter_mut().map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    let mut workers = vec![(); threads.min(items.len()).max(1)];
    on_each(&mut workers, |_| {
        while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
            // Each element is taken once, so its lock is never waited for
            // (and never found poisoned).
            let Ok(mut item) = item.lock() else { break };
            f(&mut item);
        }
    })
}

/// `a()` and `b()` at once (rayon's `join`: the pool's threads run both
/// when called from outside it); `None` when either panicked.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> Option<(A, B)> {
    let (a, b) = rayon::join(|| catch_unwind(AssertUnwindSafe(a)), || catch_unwind(AssertUnwindSafe(b)));
    Some((a.ok()?, b.ok()?))
}

/// `f` of every element of `input`, in order (see [`map_indexed`]).
pub(crate) fn map<T: Sync, U: Send + Copy>(
    input: &[T],
    threads: usize,
    blank: U,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    map_indexed(input.len(), threads, blank, |k| f(&input[k]))
}

/// `f(k)` for every `k` in `0..len`, in order, computed in `threads` runs
/// at once (see [`fill_indexed`]) into a vector first filled with `blank`.
/// On one thread, collected without the blank fill.
pub(crate) fn map_indexed<U: Send + Copy>(
    len: usize,
    threads: usize,
    blank: U,
    f: impl Fn(usize) -> U + Sync,
) -> Vec<U> {
    if threads < 2 {
        // Collected in place: no blank fill first.
        return (0..len).map(f).collect();
    }
    let mut out = vec![blank; len];
    fill_indexed(&mut out, threads, f);
    out
}

/// Sets each `out[k]` to `f(k)`, in `threads` runs at once (see
/// [`on_each`]); on the calling thread alone if one panicked.
pub(crate) fn fill_indexed<U: Send>(out: &mut [U], threads: usize, f: impl Fn(usize) -> U + Sync) {
    let chunk = out.len().div_ceil(threads.max(1)).max(1);
    let mut runs: Vec<(usize, &mut [U])> =
        out.chunks_mut(chunk).enumerate().map(|(r, o)| (r * chunk, o)).collect();
    let ok = on_each(&mut runs, |(first, out)| {
        for (k, o) in out.iter_mut().enumerate() {
            *o = f(*first + k);
        }
    });
    if !ok {
        for (k, o) in out.iter_mut().enumerate() {
            *o = f(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_runs_once_and_panics_are_reported() {
        let mut v = vec![0u32; 5];
        assert!(on_each(&mut v, |x| *x += 1));
        assert_eq!(v, [1; 5]);
        assert!(on_each(&mut [] as &mut [u32], |_| {}));
        // A panic on a spawned thread and one on the calling thread.
        for bad in [0, 4] {
            let mut v: Vec<(usize, u32)> = (0..5).map(|k| (k, 0)).collect();
            let ok = on_each(&mut v, |(k, x)| {
                assert!(*k != bad, "item {k} fails");
                *x = 1;
            });
            assert!(!ok);
            assert_eq!(v.iter().filter(|p| p.1 == 1).count(), 4);
        }
    }

    #[test]
    fn shared_items_run_once_each_and_panics_are_reported() {
        for threads in [1, 2, 3] {
            let mut v = vec![0u32; 37];
            assert!(on_each_shared(&mut v, threads, |x| *x += 1));
            assert_eq!(v, [1; 37], "{threads}");
        }
        let mut v: Vec<(usize, u32)> = (0..37).map(|k| (k, 0)).collect();
        assert!(!on_each_shared(&mut v, 2, |(k, x)| {
            assert!(*k != 5, "item 5 fails");
            *x = 1;
        }));
        assert!(on_each_shared(&mut [] as &mut [u32], 2, |_| {}));
    }

    #[test]
    fn join_returns_both_or_none_when_one_panics() {
        assert_eq!(join(|| 1, || "b"), Some((1, "b")));
        assert_eq!(join(|| -> u8 { panic!("a fails") }, || 2), None);
        assert_eq!(join(|| 1, || -> u8 { panic!("b fails") }), None);
    }

    #[test]
    fn map_keeps_the_order_on_any_number_of_threads() {
        let input: Vec<u64> = (0..1001).collect();
        let want: Vec<u64> = input.iter().map(|x| x * x + 1).collect();
        for threads in [0, 1, 2, 3, 7, 2000] {
            assert_eq!(map(&input, threads, 0, |x| x * x + 1), want, "{threads}");
        }
        assert!(map(&[] as &[u64], 2, 0, |x| *x).is_empty());
    }
}
