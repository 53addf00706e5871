#!/usr/bin/env bash
# Issue 13's targets in one command: for ROUNDS rounds, each trace is replayed by glibc from C (replay-cpu.c) and
# then by each .NET allocator (replay-cpu.cs, one process per trace and round), and ratios are paired within a round.
# Prints every run, then per trace the median (and range) of each allocator's min ns/op and of its per-round ratios
# to glibc and to native, and each allocator's spread across N (largest ÷ smallest median over the steady traces).
# Thread CPU time, so time spent waiting for a core does not count; memory stalls caused by other jobs still do, so
# run it on a quiet machine and read the load averages it prints.
# usage: bench/cpu-time/cpu-rounds.sh [ROUNDS] [TRACE_DIR]   (traces: python3 shared/tools/gen_traces.py traces)
#   ALLOCATORS (default native,segfit,segfit-cached) and TRACES (default lolfuzz and steady-10^2..10^5) override.
#   Segregated fit (docs/design-notes/0052): bench/cpu-time/cpu-rounds.sh 9
#   Free list (docs/design-notes/0018):     ALLOCATORS=freelist TRACES="lolfuzz steady-100" bench/cpu-time/cpu-rounds.sh 7
#   LOL_ALLOC_SRC (a checkout's lol_alloc/src of https://github.com/Craig-Macomber/lol_alloc) adds the Rust anchor of
#   the free list, bench/anchors/lol-replay, to every round, and ratios to it (needs cargo; builds offline).
set -euo pipefail
rounds=${1:-5}
traces=${2:-traces}
allocators=${ALLOCATORS:-native,segfit,segfit-cached}
trace_names=${TRACES:-lolfuzz steady-100 steady-1000 steady-10000 steady-100000}
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
log=$(mktemp)
replay_c=$(mktemp)
anchor_target=$(mktemp -d)
trap 'rm -rf "$log" "$replay_c" "$anchor_target"' EXIT
gcc -O2 -o "$replay_c" bench/cpu-time/replay-cpu.c
if [ -n "${LOL_ALLOC_SRC:-}" ]; then
  (cd bench/anchors/lol-replay && LOL_ALLOC_SRC=$(cd "$LOL_ALLOC_SRC" && pwd) CARGO_TARGET_DIR="$anchor_target" cargo build --release --offline -q)
fi
dotnet build bench/Veralloc.Bench -c Release -v q -nologo > /dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo ' (modified)'); load $(cut -d' ' -f1-3 /proc/loadavg)"
# The C and Rust replays print the trace's path; the log keys a line by round and trace name.
native_line() { sed "s|^[^ ]*/||; s/^/round $round /"; }
for round in $(seq 1 "$rounds"); do
  for n in $trace_names; do
    "$replay_c" "$traces/$n.trace" 5 | native_line | tee -a "$log"
    if [ -n "${LOL_ALLOC_SRC:-}" ]; then
      "$anchor_target/release/lol-replay" "$traces/$n.trace" 5 | native_line | tee -a "$log"
    fi
    dotnet run bench/cpu-time/replay-cpu.cs -c Release -- "$traces/$n.trace" "$allocators" 1 7 \
      | sed "s/ round 1 / /; s/^/round $round /" | tee -a "$log"
  done
done
echo "finished $(date -u '+%H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$log" "$allocators" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r'round (\d+) (\S+)\.trace (\S+): cpu ns/op min ([\d.]+)', line)
    if m:
        runs.setdefault(m[2], {}).setdefault(m[3], {})[int(m[1])] = float(m[4])
def med(xs): return statistics.median(xs)
anchors = ['lol_alloc'] if any('lol_alloc' in by for by in runs.values()) else []
names = ['glibc'] + anchors + sys.argv[2].split(',')
print('\nmin ns/op, median over rounds [range]')
for trace, by in runs.items():
    print(f'{trace:14}', '  '.join(f'{n} {med(by[n].values()):.1f} [{min(by[n].values()):.1f}-{max(by[n].values()):.1f}]' for n in names if n in by))
print('\nratios, median of the per-round ratios [range]')
for trace, by in runs.items():
    cells = []
    for a in names[1:]:
        for b in ['native', 'glibc'] + anchors:
            if a != b and a in by and b in by:
                rs = [by[a][r] / by[b][r] for r in by[a] if r in by[b]]
                cells.append(f'{a} / {b} {med(rs):.2f} [{min(rs):.2f}-{max(rs):.2f}]')
    print(f'{trace:14}', '  '.join(cells))
steady = [t for t in runs if t.startswith('steady-')]
if len(steady) > 1:
    print('\nspread across N (largest / smallest median)')
    for n in names:
        meds = [med(runs[t][n].values()) for t in steady if n in runs[t]]
        if meds:
            print(f'{n:14} {max(meds) / min(meds):.1f}x ({min(meds):.1f} -> {max(meds):.1f})')
    # The spread of medians mixes rounds; pairing within a round divides out a round's machine state.
    print('\nspread relative to glibc, per round (allocator spread / glibc spread; <= 1 is no worse), median [range]')
    rounds = sorted(set.intersection(*(set(runs[t]['glibc']) for t in steady)))
    for n in names[1:]:
        if all(n in runs[t] for t in steady):
            rs = []
            for r in rounds:
                mine = [runs[t][n][r] for t in steady]
                glibc = [runs[t]['glibc'][r] for t in steady]
                rs.append((max(mine) / min(mine)) / (max(glibc) / min(glibc)))
            print(f'{n:14} {med(rs):.2f} [{min(rs):.2f}-{max(rs):.2f}]')
PY
