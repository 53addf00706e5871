//! The Rust anchor of issue 13's free-list target: replays a shared trace (shared/tools/gen_traces.py) with
//! lol_alloc's `FreeListAllocator`, the algorithm SEED §1 describes, and reports thread CPU time per op exactly as
//! bench/cpu-time/replay-cpu.c does for glibc (three untimed passes, then PASSES timed ones; min and median).
//!
//! lol_alloc is a wasm32 crate: its allocator grows linear memory with `memory.grow`. Here its memory is a slab
//! reserved up front, grown page by page through the crate's own `MemoryGrower` seam, so the allocator's code runs
//! unchanged on the host. Its source is not part of this repository: the build reads `free_list_allocator.rs`
//! from a checkout of https://github.com/Craig-Macomber/lol_alloc named by `LOL_ALLOC_SRC` (its `lol_alloc/src`).
//!
//! usage: LOL_ALLOC_SRC=/path/lol_alloc/lol_alloc/src cargo build --release --offline
//!        target/release/lol-replay TRACE [PASSES]

use std::alloc::{alloc_zeroed, GlobalAlloc, Layout};
use std::cell::Cell;
use std::io::{BufRead, BufReader};

/// The crate-private items `free_list_allocator.rs` imports from its parent module, with the meaning the crate
/// gives them: a count of 64 KiB pages, the page size, and the count that reports a failed grow.
#[derive(PartialEq, Eq)]
struct PageCount(usize);

impl PageCount {
    fn size_in_bytes(self) -> usize {
        self.0 * PAGE_SIZE
    }
}

const PAGE_SIZE: usize = 65536;
const ERROR_PAGE_COUNT: PageCount = PageCount(usize::MAX);

trait MemoryGrower {
    fn memory_grow(&self, delta: PageCount) -> PageCount;
}

/// Named by the crate's imports; only its wasm32 build gives it a `MemoryGrower` implementation.
#[allow(dead_code)]
struct DefaultGrower;

#[allow(dead_code, clippy::all)]
mod free_list_allocator {
    include!(concat!(env!("LOL_ALLOC_SRC"), "/free_list_allocator.rs"));

    /// The crate builds its allocator only on wasm32 (`FreeListAllocator::new`); this is the same empty list with
    /// another grower.
    pub(crate) fn with_grower<T>(grower: T) -> FreeListAllocator<T> {
        FreeListAllocator { free_list: UnsafeCell::new(EMPTY_FREE_LIST), grower }
    }
}

/// Linear memory: a page-aligned slab, handed out page by page as `memory.grow` would. A page count is an address
/// divided by the page size, as on wasm32 where memory starts at address 0.
struct Slab {
    base: usize,
    pages: usize,
    used: Cell<usize>,
}

impl Slab {
    fn new(pages: usize) -> Slab {
        let layout = Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE).expect("slab layout");
        // Zeroed pages come from the kernel on first touch, so an unused reservation costs nothing.
        let base = unsafe { alloc_zeroed(layout) } as usize;
        assert!(base != 0, "cannot reserve the slab");
        Slab { base, pages, used: Cell::new(0) }
    }
}

impl MemoryGrower for Slab {
    fn memory_grow(&self, delta: PageCount) -> PageCount {
        let used = self.used.get();
        if used + delta.0 > self.pages {
            return ERROR_PAGE_COUNT;
        }
        self.used.set(used + delta.0);
        PageCount(self.base / PAGE_SIZE + used)
    }
}

#[repr(C)]
struct Timespec {
    seconds: i64,
    nanoseconds: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
}

fn thread_cpu_ns() -> f64 {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut time = Timespec { seconds: 0, nanoseconds: 0 };
    assert_eq!(unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) }, 0, "clock_gettime failed");
    time.seconds as f64 * 1e9 + time.nanoseconds as f64
}

#[derive(Clone, Copy)]
struct Op {
    allocate: bool,
    id: usize,
    layout: Layout,
}

fn parse(path: &str) -> Vec<Op> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut layouts: Vec<Option<Layout>> = Vec::new();
    let mut ops = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.expect("read the trace");
        let mut words = line.split_ascii_whitespace();
        let kind = words.next();
        if kind != Some("a") && kind != Some("f") {
            continue;
        }
        let id: usize = words.next().and_then(|w| w.parse().ok()).expect("an id");
        if id >= layouts.len() {
            layouts.resize(id + 1, None);
        }
        if kind == Some("a") {
            let size: usize = words.next().and_then(|w| w.parse().ok()).expect("a size");
            let align: usize = words.next().and_then(|w| w.parse().ok()).expect("an alignment");
            let layout = Layout::from_size_align(size, align).expect("a valid layout");
            layouts[id] = Some(layout);
            ops.push(Op { allocate: true, id, layout });
        } else {
            let layout = layouts[id].expect("a free of an allocated id");
            ops.push(Op { allocate: false, id, layout });
        }
    }
    ops
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: {} TRACE [PASSES]", args[0]);
        std::process::exit(2);
    }
    let passes: usize = args.get(2).map_or(5, |p| p.parse().expect("PASSES is a number"));
    assert!((1..=64).contains(&passes), "PASSES must be 1..64");
    let ops = parse(&args[1]);
    let ids = ops.iter().map(|op| op.id + 1).max().unwrap_or(0);
    let mut blocks: Vec<*mut u8> = vec![std::ptr::null_mut(); ids];
    // 4 GiB of address space: far above any trace's peak; only touched pages are backed.
    let allocator = free_list_allocator::with_grower(Slab::new(65536));
    let mut times = Vec::with_capacity(passes);
    for pass in -3..passes as i64 {
        let started = thread_cpu_ns();
        for (index, op) in ops.iter().enumerate() {
            unsafe {
                if op.allocate {
                    let block = allocator.alloc(op.layout);
                    if block.is_null() {
                        eprintln!("out of memory at op {index}");
                        std::process::exit(1);
                    }
                    *blocks.get_unchecked_mut(op.id) = block;
                } else {
                    allocator.dealloc(*blocks.get_unchecked(op.id), op.layout);
                }
            }
        }
        if pass >= 0 {
            times.push((thread_cpu_ns() - started) / ops.len() as f64);
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("{} lol_alloc: cpu ns/op min {:.1} median {:.1}", args[1], times[0], times[passes / 2]);
}
