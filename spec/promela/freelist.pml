/*
 * Address-ordered free-list allocator (SEED-SEMANTICS §1), exhaustively model-checked by spec/check.
 *
 * Scale: one array cell is one machine WORD. NODE = 2 words (next, size), PAGE = 8 words (4 NODEs),
 * the grower's slab holds MAXPAGES pages. The free list is threaded through the heap exactly as in the
 * code: a node at word offset o keeps its `next` in mem[o] and its size (in words) in mem[o+1]; the list
 * ends with NIL. The model therefore exercises the same pointer surgery as the code (link before / after,
 * unlink, three-way merge) rather than an idealised sequence.
 *
 * The client is one process that forever either allocates (any request size 1..MAXREQ words, any
 * alignment 1, 2, 4, 8 words) or frees any live block. A live block is remembered by its rounded size
 * (freeing recomputes roundUp(max(size, NODE), NODE), which is idempotent, so this loses nothing and keeps
 * request sizes that round alike from splitting one heap shape into several states). Because every
 * variable is bounded, the reachable state space is finite and SPIN explores all of it: every
 * heap configuration reachable by ANY sequence of operations within the slab, not sequences of a
 * fixed length. Invariants are asserted after every operation; a failing assertion first prints its id.
 *
 * Abstractions: addresses are offsets from the heap base 0; words hold small integers (byte);
 * words that stop being list nodes are scrubbed to 0 (in the real heap they become client data, which
 * the allocator never reads) so that dead bytes do not multiply the state space.
 *
 * Mutants (each is the single #define line under MUTANT_*; spec/check compiles them with -D and expects
 * SPIN to REJECT them with a counterexample):
 *   MUTANT_NO_LOWER_MERGE      free never merges with the neighbour below      -> FL-NONADJ
 *   MUTANT_REMAINDER_AFTER     the carved tail is linked AFTER its block       -> FL-SORTED
 * Reachability probes: -DPROBE=n turns reach(n) into a failing assertion (see below).
 *
 * Model <-> code conformance (docs/design-notes/0033): -DCONFORMANCE makes a simulation print, after every
 * operation, the case it took (`case n`, the probe numbers) and the abstract state (`state ...`), which
 * spec/conformance/export turns into sequences the C# allocator must replay. -DDRIVER leaves the client
 * out, so that a generated driver can run the same operations (allocate, freeLive) in the order the C#
 * allocator executed them and assert that the model agrees with what the C# allocator did.
 */

#ifndef MAXPAGES
#define MAXPAGES 3
#endif
#if MAXPAGES > 4
#error "the checker's coverage bitmask is one 32-bit int: at most 4 pages (32 words)"
#endif
#define NODE      2
#define PAGE      8
#define HEAPMAX   (MAXPAGES * PAGE)
/* 10 words = PAGE + NODE: need = 5 NODEs > PAGE, so multi-page growth is reachable. A literal, not the sum:
   SPIN's random simulation picks uniformly from a select range only when its bounds are constants (with an
   expression it walks a loop, so large requests almost never come up in spec/conformance/export's runs). */
#define MAXREQ    10
#if MAXREQ != PAGE + NODE
#error "MAXREQ must be PAGE + NODE"
#endif
#define NIL       255
#define MAXNODES  (HEAPMAX / NODE)

/* Does the node `below` (highest node under the freed range) end exactly where the range starts? */
#ifdef MUTANT_NO_LOWER_MERGE
#define mergesBelow(below) false
#else
#define mergesBelow(below) ((below) != NIL && (below) + mem[(below) + 1] == freeAt)
#endif
/* Link the carved-off tail (the higher address) into the list: before its block, as the contract says. */
#ifdef MUTANT_REMAINDER_AFTER
#define linkRemainder() mem[tail] = mem[cur]; mem[cur] = tail
#else
#define linkRemainder() mem[tail] = cur; linkAfter(prev, tail); prev = tail
#endif

/* Reachability probes (vacuity checks): compiled with -DPROBE=n, reach(n) becomes a failing assertion, so
   SPIN must find a path to that case; without PROBE they are `skip`. spec/check runs every probe. With
   CONFORMANCE a simulation prints them, so an exported sequence says which cases it covers. */
#ifdef PROBE
#define reach(n) if :: PROBE == n -> printf("PROBE %d reached\n", n); assert(false) :: else -> skip fi
#elif defined(CONFORMANCE)
#define reach(n) printf("case %d\n", n)
#else
#define reach(n) skip
#endif

/* Print the invariant id, then assert: a counterexample replay (spin -t) names the broken invariant. */
#define INV(id, cond) if :: !(cond) -> printf("INVARIANT VIOLATED: "); printf(#id); printf("\n") :: else -> skip fi; assert(cond)
/* The same for a postcondition of one operation (a model-only property: lower-case name, not an invariant id). */
#define POST(name, cond) if :: !(cond) -> printf("POSTCONDITION VIOLATED: "); printf(#name); printf("\n") :: else -> skip fi; assert(cond)

#define roundUp(x, a)   ((((x) + (a) - 1) / (a)) * (a))
#define roundDown(x, a) (((x) / (a)) * (a))
#define max2(a, b)      (((a) > (b)) -> (a) : (b))

byte mem[HEAPMAX];     /* the heap: mem[o] = next, mem[o+1] = size, for every free node o */
byte head = NIL;       /* highest free node */
byte pages = 0;        /* heap size is pages * PAGE words; grows only through grow() */
byte live[HEAPMAX];    /* live[o] = rounded size (words) of the live block starting at o, 0 if none */
byte liveCount = 0;

/* Scratch for the operations and the checker; every one is reset to 0 before the step ends, so it never
   distinguishes states. */
byte cur, prev, prevPrev, blockEnd, pos, tail, need, alignEff, freeAt, freeEnd, walked, grown;
int  coverMask, sumWords;
bool found;

/* Link `node` so that it follows `after` (NIL = becomes the head). */
inline linkAfter(after, node) {
  if
  :: after == NIL -> head = node
  :: else -> mem[after] = node
  fi
}

/* Free [freeAt, freeEnd): merge with the node above (starts at freeEnd) and/or below (ends at freeAt). */
inline freeRange() {
  prevPrev = NIL; prev = NIL; cur = head;
  do
  :: cur != NIL && cur > freeAt -> prevPrev = prev; prev = cur; cur = mem[cur]
  :: else -> break
  od;
  /* prev: lowest node above the range (or NIL); cur: highest node below it (or NIL) */
  if
  :: prev != NIL && prev == freeEnd && mergesBelow(cur) ->
       /* three-way merge: below absorbs the range and the node above, which leaves the list */
       reach(1);
       mem[cur + 1] = mem[cur + 1] + (freeEnd - freeAt) + mem[prev + 1];
       linkAfter(prevPrev, cur);
       mem[prev] = 0; mem[prev + 1] = 0
  :: prev != NIL && prev == freeEnd && !mergesBelow(cur) ->
       /* merge with the node above: the merged node starts at freeAt and replaces it */
       reach(2);
       mem[freeAt] = mem[prev]; mem[freeAt + 1] = (freeEnd - freeAt) + mem[prev + 1];
       linkAfter(prevPrev, freeAt);
       mem[prev] = 0; mem[prev + 1] = 0
  :: !(prev != NIL && prev == freeEnd) && mergesBelow(cur) ->
       reach(3);
       mem[cur + 1] = mem[cur + 1] + (freeEnd - freeAt)
  :: else ->
       reach(4);
       mem[freeAt] = cur; mem[freeAt + 1] = freeEnd - freeAt;
       linkAfter(prev, freeAt)
  fi
}

/* First fit from the head, carving from the top of the block. Sets found/pos. */
inline tryCarve() {
  found = false; prev = NIL; cur = head;
  do
  :: cur == NIL -> break
  :: cur != NIL ->
       blockEnd = cur + mem[cur + 1];
       if
       :: need >= blockEnd -> prev = cur; cur = mem[cur]            /* guard against underflow */
       :: else ->
            pos = roundDown(blockEnd - need, alignEff);
            if
            :: pos < cur -> reach(11); prev = cur; cur = mem[cur]     /* fits by size, not by alignment */
            :: else -> found = true; break
            fi
       fi
  od;
  if
  :: found ->
       tail = NIL;
       if
       :: pos + need < blockEnd ->
            tail = pos + need;
            mem[tail + 1] = blockEnd - tail;
            linkRemainder();
            if :: pos == cur -> reach(7) :: else -> reach(5) fi
       :: else -> skip
       fi;
       if
       :: pos == cur ->
            /* the block leaves the list: its predecessor (the tail if one was linked before it) skips it */
            linkAfter(prev, mem[cur]);
            mem[cur] = 0; mem[cur + 1] = 0;
            if :: tail == NIL -> reach(6) :: else -> skip fi
       :: else -> mem[cur + 1] = pos - cur
       fi
  :: else -> skip
  fi
}

/* Allocate `req` words aligned to `align` words. Sets found/pos. */
inline allocate(req, align) {
  need = roundUp(max2(req, NODE), NODE);
  alignEff = max2(align, NODE);
  tryCarve();
  if
  :: !found ->
       grown = roundUp(need, PAGE) / PAGE;
       if
       :: pages + grown <= MAXPAGES ->          /* the grower succeeds: free the new pages, retry once */
            if :: grown > 1 -> reach(8) :: else -> skip fi;
            if :: head != NIL && head + mem[head + 1] == pages * PAGE -> reach(12) :: else -> skip fi;
            freeAt = pages * PAGE; pages = pages + grown; freeEnd = pages * PAGE;
            freeRange();
            tryCarve();
            /* retrying on the grown heap fails only through the `need >= end` underflow guard, i.e. when
               the whole heap is one free block starting at offset 0 of exactly `need` words */
            POST(grow-retry, found || (head == 0 && mem[1] == need && need == pages * PAGE));
            if :: !found -> reach(10) :: else -> skip fi
       :: else -> reach(9)                      /* the grower fails: nothing changes */
       fi
  :: else -> skip
  fi;
  if
  :: found ->
       POST(return-aligned, pos % alignEff == 0 && pos % align == 0 && pos + need <= pages * PAGE);
       live[pos] = need; liveCount++
  :: else -> skip
  fi
}

inline checkInvariants() {
  /* first a bounded walk, as the code does before trusting the links: the list ends within MAXNODES nodes */
  walked = 0; cur = head;
  do
  :: cur != NIL && walked <= MAXNODES -> walked++; cur = mem[cur]
  :: else -> break
  od;
  INV(FL-ACYCLIC, cur == NIL);
  /* every walk stays bounded even on a corrupted list, so a counterexample replay terminates */
  coverMask = 0; sumWords = 0; walked = 0; prev = NIL; cur = head;
  do
  :: cur == NIL || walked > MAXNODES -> break
  :: else ->
       walked++;
       INV(FL-ALIGNED, cur % NODE == 0 && mem[cur + 1] % NODE == 0);
       INV(FL-MINSIZE, mem[cur + 1] >= NODE);
       INV(FL-BOUNDS, cur < pages * PAGE && cur + mem[cur + 1] <= pages * PAGE);
       if
       :: prev != NIL ->
            INV(FL-SORTED, prev > cur);
            INV(FL-NONADJ, prev > cur + mem[cur + 1])
       :: else -> skip
       fi;
       /* free words, each counted once */
       pos = cur;
       do
       :: pos < cur + mem[cur + 1] ->
            INV(FL-CONSERVE, (coverMask & (1 << pos)) == 0);
            coverMask = coverMask | (1 << pos); pos++
       :: else -> break
       od;
       sumWords = sumWords + mem[cur + 1];
       prev = cur; cur = mem[cur]
  od;
  /* live words, disjoint from free words and from each other */
  freeAt = 0;
  do
  :: freeAt < HEAPMAX ->
       if
       :: live[freeAt] != 0 ->
            pos = freeAt;
            do
            :: pos < freeAt + live[freeAt] ->
                 INV(FL-CONSERVE, pos < pages * PAGE && (coverMask & (1 << pos)) == 0);
                 coverMask = coverMask | (1 << pos); pos++
            :: else -> break
            od;
            sumWords = sumWords + live[freeAt]
       :: else -> skip
       fi;
       freeAt++
  :: else -> break
  od;
  INV(FL-CONSERVE, sumWords == pages * PAGE);
  /* after every allocation is freed, the list is one block covering the whole heap */
  INV(FL-CONSERVE, liveCount != 0 || pages == 0 || (head == 0 && mem[0] == NIL && mem[1] == pages * PAGE))
}

/* Free the live block at offset k (the caller checked live[k] != 0). */
inline freeLive(k) {
  freeAt = k; freeEnd = k + live[k];
  live[k] = 0; liveCount--;
  freeRange()
}

#ifdef CONFORMANCE
/* The abstract state after an operation, one line (parsed by spec/conformance/export): the page count, the
   free list in list order as node/size, the live blocks in address order as offset/size. Reads only; uses
   scratch that resetScratch clears. */
inline traceState() {
  printf("state pages %d free", pages);
  walked = 0; cur = head;
  do
  :: cur != NIL && walked <= MAXNODES -> printf(" %d/%d", cur, mem[cur + 1]); walked++; cur = mem[cur]
  :: else -> break
  od;
  printf(" live");
  pos = 0;
  do
  :: pos < HEAPMAX -> if :: live[pos] != 0 -> printf(" %d/%d", pos, live[pos]) :: else -> skip fi; pos++
  :: else -> break
  od;
  printf("\n")
}
#else
#define traceState() skip
#endif

inline resetScratch() {
  cur = 0; prev = 0; prevPrev = 0; blockEnd = 0; pos = 0; tail = 0; need = 0; alignEff = 0;
  freeAt = 0; freeEnd = 0; walked = 0; grown = 0; coverMask = 0; sumWords = 0; found = false
}

#ifndef DRIVER
/* One operation per atomic step: the nondeterministic choices, then the deterministic operation and the
   full invariant check in one d_step. Only the states between operations are stored. The printed lines
   (`alloc(...) -> ...`, `free(...)`) are also the operation records spec/conformance/export reads. */
active proctype client() {
  byte req, align, pick, k;
  do
  :: atomic {
       select(req : 1 .. MAXREQ);
       if :: align = 1 :: align = 2 :: align = 4 :: align = 8 fi;
       d_step {
         allocate(req, align);
         if
         :: found -> printf("alloc(size %d, align %d) -> offset %d\n", req, align, pos)
         :: else -> printf("alloc(size %d, align %d) -> no memory\n", req, align)
         fi;
         checkInvariants(); traceState(); resetScratch(); req = 0; align = 0
       }
     }
  :: liveCount > 0 ->
     atomic {
       select(pick : 1 .. liveCount);              /* free the pick-th live block in address order */
       d_step {
         k = 0;
         do
         :: live[k] != 0 && pick == 1 -> break
         :: live[k] != 0 && pick > 1 -> pick--; k++
         :: live[k] == 0 -> k++
         od;
         printf("free(offset %d, size %d)\n", k, live[k]);
         freeLive(k); checkInvariants(); traceState(); resetScratch(); pick = 0; k = 0
       }
     }
  od
}
#endif
