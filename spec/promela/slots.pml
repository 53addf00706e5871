/*
 * Pooling slot allocator with module affinity (SEED-SEMANTICS §3), exhaustively model-checked by spec/check.
 *
 * NPROC workers share one pool of CAP slots behind one mutex. Each worker forever picks an operation
 * (Alloc(key) with key in {none, 1..NKEYS}; AllocAffineAndClear(key) with key in 1..NKEYS; Free of a slot
 * it holds, with 0 or 1 resident bytes), enters the critical section, performs it, checks every invariant,
 * and leaves. All variables are bounded, so the reachable state space is finite and SPIN explores all of
 * it: every interleaving of any number of operations, not runs of a fixed length.
 *
 * Critical section: under the lock the operation is split, as in the code, into DECIDE (which slot, read
 * only) and ACT (unlink, account, hand out); both run while the lock is held. The critical section is one
 * atomic step: the lock already excludes every other writer, so finer interleaving inside it would add
 * states but no behaviour. Only the mutant lets other workers in between DECIDE and ACT. Safety runs use a
 * test-and-set lock (any waiting worker may win) and let a worker choose its operation once it holds the
 * lock: the choice is local, so this removes no behaviour, and it keeps "chose but not yet locked" states out
 * of the state space.
 *
 * Abstractions: resident bytes per slot are 0 or 1 (only their sum is observable, and SLOT-BYTES checks the
 * sum); keys are 1..NKEYS and 0 is "no affinity"; words that stop meaning anything (links of a slot that left
 * a list, bytes of a slot that is not warm) are reset to NIL/0 so they do not split states.
 *
 * Configuration (-D): CAP (3), NKEYS (2), NPROC (2), THRESH = maxUnusedWarm (1).
 *   LIVENESS        add the LTL claim `requestServed` (run pan with -a -f: weak fairness).
 *                   The request is then chosen before queueing on a FIFO ticket lock, so it is visible while
 *                   the worker waits.
 *   BARGING_LOCK    (with LIVENESS) keep the test-and-set lock of the safety runs (as System.Threading.Lock
 *                   may behave): `requestServed` then FAILS by starvation; the claim depends on lock fairness.
 *   MUTANT_SPLIT_CS the one-line mutant: DECIDE and ACT in two separate lock acquisitions (check-then-act);
 *                   SPIN must reject it (SLOT-EXCLUSIVE: two workers are handed the same slot).
 *   PROBE=n         reachability probe n (see reach(n) below): SPIN must find a path to that case.
 *   CONFORMANCE     a simulation prints, after every critical section, the cases it took (`case n`) and the
 *                   abstract pool state (`state ...`), which spec/conformance/export turns into sequences the
 *                   C# allocator must replay (docs/design-notes/0033).
 *   DRIVER          leaves the workers and init out, so that a generated driver can run the same steps
 *                   (initPool, decide, act) in the order the C# allocator executed them and assert that
 *                   the model agrees with what the C# allocator did (docs/design-notes/0033).
 */

#ifndef CAP
#define CAP 3
#endif
#ifndef NKEYS
#define NKEYS 2
#endif
#ifndef NPROC
#define NPROC 2
#endif
#ifndef THRESH
#define THRESH 1
#endif

#define NIL     255
#define NOKEY   0
#define COLD    0      /* UnusedCold: never used */
#define WARM    1      /* UnusedWarm: used before, remembers affinity and resident bytes */
#define USED    2

#define M_ALLOC  1
#define M_AFFINE 2
#define M_FREE   3

#define R_NONE   0     /* worker 0's outstanding Alloc has not completed */
#define R_GOT    1
#define R_FULL   2

#define EMPTY ((CAP - lastCold) + unusedWarm)    /* EmptySlotCount */

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

byte kind[CAP];                  /* COLD initially */
byte aff[CAP];                   /* affinity of a USED or WARM slot, NOKEY otherwise */
byte res[CAP];                   /* resident bytes of a WARM slot (0 or 1), 0 otherwise */
byte warmPrev[CAP], warmNext[CAP];
byte warmHead = NIL, warmTail = NIL;
byte affPrev[CAP], affNext[CAP]; /* a slot is on at most one affine list: that of its key */
byte affHead[NKEYS + 1], affTail[NKEYS + 1];
bool affPresent[NKEYS + 1];      /* the key has an entry in the affine-list map */
byte lastCold, unusedWarm, unusedBytes;
byte owner[CAP];                 /* 1 + index of the worker holding the slot, 0 if none (SLOT-EXCLUSIVE) */

/* The lock. Safety runs use a test-and-set mutex: any waiting worker may win, which allows every order of
   critical sections (as System.Threading.Lock does). Liveness runs use a FIFO ticket lock unless BARGING_LOCK. */
#if defined(LIVENESS) && !defined(BARGING_LOCK)
byte nextTicket, serving;        /* at most NPROC tickets are outstanding, so arithmetic mod NPROC suffices */
#define requestLock()  myTicket = nextTicket; nextTicket = (nextTicket + 1) % NPROC
#define lockGuard()    (serving == myTicket)
#define unlock()       serving = (serving + 1) % NPROC
#else
bit mutex;
#define requestLock()  skip
#define lockGuard()    (mutex == 0) -> mutex = 1
#define unlock()       mutex = 0
#endif

/* The one line the mutant changes. The correct code keeps the lock from DECIDE to ACT; the mutant ends the
   critical section after DECIDE and acquires the lock again for ACT (check-then-act). */
#ifdef MUTANT_SPLIT_CS
#define betweenDecideAndAct()  unlock() }; atomic { requestLock() }; atomic { lockGuard();
#else
#define betweenDecideAndAct()  skip;
#endif

/* Safety runs release the lock at the end of the atomic critical section; liveness runs release it in a step
   of its own, so that the lock is observably held and a barging lock can starve a waiting worker. */
#ifdef LIVENESS
#define unlockInCriticalSection() skip
#else
#define unlockInCriticalSection() unlock()
#endif

/* worker 0's outstanding Alloc, observed by the liveness claim */
bool pending0;
byte result0;

/* checker scratch, reset to 0 before every step ends */
byte cc, cp, cn, ci, used, warm, cold, bytesSum;
int  seen;

inline warmUnlink(s) {
  if :: warmPrev[s] != NIL && warmNext[s] != NIL -> reach(9) :: else -> skip fi   /* from the middle */
  if :: warmPrev[s] == NIL -> warmHead = warmNext[s] :: else -> warmNext[warmPrev[s]] = warmNext[s] fi;
  if :: warmNext[s] == NIL -> warmTail = warmPrev[s] :: else -> warmPrev[warmNext[s]] = warmPrev[s] fi;
  warmPrev[s] = NIL; warmNext[s] = NIL
}

inline warmAppend(s) {
  warmPrev[s] = warmTail; warmNext[s] = NIL;
  if :: warmTail == NIL -> warmHead = s :: else -> warmNext[warmTail] = s fi;
  warmTail = s
}

inline affUnlink(k, s) {
  if :: affPrev[s] == NIL -> affHead[k] = affNext[s] :: else -> affNext[affPrev[s]] = affNext[s] fi;
  if :: affNext[s] == NIL -> affTail[k] = affPrev[s] :: else -> affPrev[affNext[s]] = affPrev[s] fi;
  affPrev[s] = NIL; affNext[s] = NIL;
  if :: affHead[k] == NIL -> affPresent[k] = false; reach(7) :: else -> skip fi   /* an emptied list leaves the map */
}

inline affAppend(k, s) {
  affPrev[s] = affTail[k]; affNext[s] = NIL;
  if :: affTail[k] == NIL -> affHead[k] = s :: else -> affNext[affTail[k]] = s fi;
  affTail[k] = s; affPresent[k] = true;
  if :: affPrev[s] != NIL -> reach(8) :: else -> skip fi                       /* two slots share a key */
}

/* DECIDE (read only): which slot would Alloc / AllocAffineAndClear take? NIL = none. */
inline decide(mode, key, s) {
  s = NIL;
  if
  :: key != NOKEY && affPresent[key] -> s = affTail[key]            /* 1. most recently freed, same key */
  :: else ->
       if
       :: mode == M_AFFINE -> skip                                   /* affine-and-clear: step 1 only */
       :: mode == M_ALLOC && unusedWarm < THRESH ->                   /* 2. below threshold: cold first */
            if :: lastCold < CAP -> s = lastCold :: else -> s = warmHead fi
       :: mode == M_ALLOC && unusedWarm >= THRESH ->                  /*    at threshold: evict LRU warm */
            if :: warmHead != NIL -> s = warmHead
               :: else -> if :: lastCold < CAP -> s = lastCold :: else -> skip fi   /* only if THRESH == 0 */
            fi
       fi
  fi
}

/* ACT: hand slot s (or nothing) to worker `me`. */
inline take(me, mode, key, s) {
  if
  :: s == NIL -> skip
  :: else ->
       INV(SLOT-EXCLUSIVE, owner[s] == 0);
       INV(SLOT-EXCLUSIVE, kind[s] != USED);
       if
       :: kind[s] == COLD ->
            INV(SLOT-COLD, s == lastCold);
            lastCold++
       :: kind[s] == WARM ->
            warmUnlink(s);
            if :: aff[s] != NOKEY -> affUnlink(aff[s], s) :: else -> skip fi;
            unusedWarm--; unusedBytes = unusedBytes - res[s]; res[s] = 0
       :: else -> skip
       fi;
       kind[s] = USED;
       aff[s] = (mode == M_ALLOC -> key : NOKEY);
       owner[s] = me + 1
  fi
}

inline release(me, s, b) {
  INV(SLOT-EXCLUSIVE, owner[s] == me + 1 && kind[s] == USED);
  kind[s] = WARM; res[s] = b;
  warmAppend(s);
  if :: aff[s] != NOKEY -> affAppend(aff[s], s) :: else -> skip fi;
  unusedWarm++; unusedBytes = unusedBytes + b;
  owner[s] = 0
}

inline checkInvariants() {
  /* the warm list */
  INV(SLOT-LINKS, (warmHead == NIL) == (warmTail == NIL));
  seen = 0; cn = 0; cp = NIL; cc = warmHead;
  do
  :: cc != NIL && cn <= CAP ->                          /* bounded even on a corrupted list */
       INV(SLOT-LINKS, cn < CAP);                         /* reaches the tail within capacity steps */
       INV(SLOT-LINKS, warmPrev[cc] == cp);
       INV(SLOT-WARM, kind[cc] == WARM);
       INV(SLOT-WARM, (seen & (1 << cc)) == 0);           /* each warm slot once */
       seen = seen | (1 << cc); cn++; cp = cc; cc = warmNext[cc]
  :: else -> break
  od;
  INV(SLOT-LINKS, cp == warmTail);
  INV(SLOT-WARM, cn == unusedWarm);
  ci = 0;
  do
  :: ci < CAP -> INV(SLOT-WARM, (kind[ci] == WARM) == ((seen & (1 << ci)) != 0)); ci++
  :: else -> break
  od;
  /* the affine lists */
  seen = 0; ci = 1;
  do
  :: ci <= NKEYS ->
       INV(SLOT-AFFINE, affPresent[ci] == (affHead[ci] != NIL));   /* no empty list stays in the map */
       INV(SLOT-LINKS, (affHead[ci] == NIL) == (affTail[ci] == NIL));
       cn = 0; cp = NIL; cc = affHead[ci];
       do
       :: cc != NIL && cn <= CAP ->
            INV(SLOT-LINKS, cn < CAP);
            INV(SLOT-LINKS, affPrev[cc] == cp);
            INV(SLOT-AFFINE, kind[cc] == WARM && aff[cc] == ci);
            INV(SLOT-AFFINE, (seen & (1 << cc)) == 0);
            seen = seen | (1 << cc); cn++; cp = cc; cc = affNext[cc]
       :: else -> break
       od;
       INV(SLOT-LINKS, cp == affTail[ci]);
       ci++
  :: else -> break
  od;
  /* per slot: affine membership, bytes, cold boundary, ownership, conservation */
  ci = 0; used = 0; warm = 0; cold = 0; bytesSum = 0;
  do
  :: ci < CAP ->
       INV(SLOT-AFFINE, (kind[ci] == WARM && aff[ci] != NOKEY) == ((seen & (1 << ci)) != 0));
       INV(SLOT-COLD, (ci >= lastCold) == (kind[ci] == COLD));
       INV(SLOT-EXCLUSIVE, (kind[ci] == USED) == (owner[ci] != 0));
       if
       :: kind[ci] == USED -> used++
       :: kind[ci] == WARM -> warm++; bytesSum = bytesSum + res[ci]
       :: kind[ci] == COLD -> cold++
       fi;
       ci++
  :: else -> break
  od;
  INV(SLOT-BYTES, bytesSum == unusedBytes);
  INV(SLOT-CONSERVE, used + warm + cold == CAP && cold == CAP - lastCold && warm == unusedWarm);
  INV(SLOT-CONSERVE, EMPTY == CAP - used);
  cc = 0; cp = 0; cn = 0; ci = 0; used = 0; warm = 0; cold = 0; bytesSum = 0; seen = 0
}

#ifdef LIVENESS
#define observeRequest()  if :: me == 0 -> pending0 = true; result0 = R_NONE :: else -> skip fi
#define observeResult()   if :: me == 0 -> pending0 = false; result0 = (s != NIL -> R_GOT : R_FULL) :: else -> skip fi
#else
#define observeRequest()  skip
#define observeResult()   skip
#endif

/* Replay trace (printed by spin -t, silent during verification); slot 255 = none. */
#define traceDecision() \
  if \
  :: mode == M_ALLOC  -> printf("worker %d: Alloc(key %d) decides slot %d\n", me, key, s) \
  :: mode == M_AFFINE -> printf("worker %d: AllocAffineAndClear(key %d) decides slot %d\n", me, key, s) \
  :: mode == M_FREE   -> printf("worker %d: Free(slot %d, %d bytes)\n", me, s, b) \
  fi

/* All links start as none (the arrays start as 0, a valid slot id). */
inline initPool() {
  ci = 0;
  do
  :: ci < CAP -> warmPrev[ci] = NIL; warmNext[ci] = NIL; affPrev[ci] = NIL; affNext[ci] = NIL; ci++
  :: else -> break
  od;
  ci = 1;
  do
  :: ci <= NKEYS -> affHead[ci] = NIL; affTail[ci] = NIL; ci++
  :: else -> break
  od;
  ci = 0
}

#ifdef CONFORMANCE
/* The abstract pool state after a critical section, one line (parsed by spec/conformance/export): lastCold,
   the counters, kind/affinity/resident bytes of every slot, the warm list head to tail, and the affine list
   of every key in the map, head to tail. Reads only; bounded on a corrupted list; clears its scratch. */
inline traceState() {
  printf("state lastCold %d unusedWarm %d unusedBytes %d slots", lastCold, unusedWarm, unusedBytes);
  ci = 0;
  do
  :: ci < CAP -> printf(" %d/%d/%d", kind[ci], aff[ci], res[ci]); ci++
  :: else -> break
  od;
  printf(" warm");
  cn = 0; cc = warmHead;
  do
  :: cc != NIL && cn < CAP -> printf(" %d", cc); cn++; cc = warmNext[cc]
  :: else -> break
  od;
  ci = 1;
  do
  :: ci <= NKEYS ->
       if
       :: affPresent[ci] ->
            printf(" key %d", ci);
            cn = 0; cc = affHead[ci];
            do
            :: cc != NIL && cn < CAP -> printf(" %d", cc); cn++; cc = affNext[cc]
            :: else -> break
            od
       :: else -> skip
       fi;
       ci++
  :: else -> break
  od;
  printf("\n");
  cc = 0; cn = 0; ci = 0
}
#else
#define traceState() skip
#endif

/* Pick the next operation: Alloc(key), AllocAffineAndClear(key), or Free(the pick-th held slot, b bytes). */
inline chooseOperation() {
  if
  :: select(key : 0 .. NKEYS); mode = M_ALLOC; observeRequest()
  :: select(key : 1 .. NKEYS); mode = M_AFFINE
  :: held > 0 -> select(pick : 1 .. held); select(b : 0 .. 1); mode = M_FREE
  fi
}

/* ACT: worker `me` performs the decided operation on slot s (Free: with b resident bytes; `held` counts the
   slots the worker holds), then every invariant is checked. Shared by the workers and the conformance drivers. */
inline act(me, mode, key, s, b, held) {
  if
  :: mode == M_FREE -> release(me, s, b); held--
  :: mode == M_ALLOC ->
       POST(full-only-when-no-slot-free, s != NIL || EMPTY == 0);   /* "full" only when no slot is free */
       if
       :: s == NIL -> reach(1)                                       /* pool full */
       :: s != NIL && key != NOKEY && kind[s] == WARM && aff[s] == key -> reach(2)   /* affine hit */
       :: s != NIL && kind[s] == COLD && unusedWarm > 0 -> reach(3)  /* cold first, below threshold */
       :: s != NIL && kind[s] == WARM && aff[s] != key -> reach(4)   /* LRU warm slot evicted */
       :: else -> skip
       fi;
       take(me, mode, key, s);
       if :: s != NIL -> held++ :: else -> skip fi;
       observeResult()
  :: mode == M_AFFINE ->
       if
       :: s == NIL && EMPTY > 0 -> reach(5)                          /* no affine slot, others free */
       :: s != NIL -> reach(6)                                       /* affine hit, affinity cleared */
       :: else -> skip
       fi;
       take(me, mode, key, s);
       if :: s != NIL -> held++ :: else -> skip fi
  fi;
  printf("worker %d: acted\n", me);
  if :: unusedWarm == CAP -> reach(10) :: else -> skip fi           /* every slot warm */
  checkInvariants();
  traceState()
}

#ifndef DRIVER
proctype worker(byte me) {
  byte mode, key, s, b, pick, held, k, myTicket;
  do
  ::
#ifdef LIVENESS
     /* the request (and worker 0's pending0) is visible while the worker queues for the lock */
     atomic { chooseOperation(); requestLock() };
     atomic {
       lockGuard();
#else
     /* the choice is local to the worker, so making it under the lock removes no behaviour */
     atomic {
       lockGuard();
       chooseOperation();
#endif
       d_step {                                          /* DECIDE */
         if
         :: mode == M_FREE ->                            /* the pick-th slot this worker holds */
              k = 0;
              do
              :: owner[k] == me + 1 && pick == 1 -> break
              :: owner[k] == me + 1 && pick > 1 -> pick--; k++
              :: owner[k] != me + 1 -> k++
              od;
              s = k
         :: else -> decide(mode, key, s)
         fi;
         traceDecision()
       };
       betweenDecideAndAct()
       d_step {                                          /* ACT */
         act(me, mode, key, s, b, held);
         unlockInCriticalSection();
         mode = 0; key = 0; s = 0; b = 0; pick = 0; k = 0; myTicket = 0
       }
     }
#ifdef LIVENESS
     ; unlock()     /* hold the lock across one state: a waiting worker's acquire is then not always enabled */
#endif
  od
}

init {
  d_step { initPool() };
  atomic {
    ci = 0;
    do
    :: ci < NPROC -> run worker(ci); ci++
    :: else -> ci = 0; break
    od
  }
}
#endif

#ifdef LIVENESS
/* Whenever worker 0 waits for Alloc while a slot is free, it eventually gets a slot, or the pool is (at that
   moment) full. With the postcondition full-only-when-no-slot-free this says: a request made while a slot is
   free either gets one or finds, when served, that other workers have taken every free slot. Worker 0 stands
   for every worker: the workers are identical. */
ltl requestServed { [] ((pending0 && EMPTY > 0) -> <> (result0 == R_GOT || EMPTY == 0)) }
#endif
