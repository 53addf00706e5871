#!/usr/bin/env bash
# Two commits side by side: each is checked out in its own worktree under $TMPDIR and built once; then, for ROUNDS
# rounds, each trace is replayed by glibc from C and by ALLOCATORS at both commits, alternating which commit goes
# first, and the per-round ratio after ÷ before is reported per allocator (median [range]). Thread CPU time, as in
# cpu-rounds.sh; run it on a quiet machine.
# usage: bench/cpu-time/ab-commits.sh BEFORE AFTER [ROUNDS] [TRACE_DIR]
#   ALLOCATORS (default segfit,segfit-cached) and TRACES (default lolfuzz and steady-10^2..10^5) override.
set -euo pipefail
before=$(git rev-parse --short "$1")
after=$(git rev-parse --short "$2")
rounds=${3:-5}
repo=$(cd "$(dirname "$0")/../.." && pwd)
traces=$(cd "${4:-$repo/traces}" && pwd)
allocators=${ALLOCATORS:-segfit,segfit-cached}
trace_names=${TRACES:-lolfuzz steady-100 steady-1000 steady-10000 steady-100000}
work=$(mktemp -d)
log="$work/runs.log"
cleanup() { git -C "$repo" worktree remove --force "$work/$before" 2>/dev/null || true; git -C "$repo" worktree remove --force "$work/$after" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
gcc -O2 -o "$work/replay-c" "$repo/bench/cpu-time/replay-cpu.c"
for commit in "$before" "$after"; do
  git -C "$repo" worktree add --detach -q "$work/$commit" "$commit"
  # Both sides replay with the newer harness, so only the allocators differ.
  cp "$repo/bench/cpu-time/replay-cpu.cs" "$work/$commit/bench/cpu-time/replay-cpu.cs"
  dotnet build "$work/$commit/bench/Veralloc.Bench" -c Release -v q -nologo > /dev/null
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); $before -> $after; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  order="$before $after"
  [ $((round % 2)) = 0 ] && order="$after $before"
  for n in $trace_names; do
    "$work/replay-c" "$traces/$n.trace" 5 | sed "s|^[^ ]*/||; s/^/round $round /" | tee -a "$log"
    for commit in $order; do
      (cd "$work/$commit" && dotnet run bench/cpu-time/replay-cpu.cs -c Release -- "$traces/$n.trace" "$allocators" 1 7) \
        | sed "s/ round 1 \([^:]*\):/ \1@$commit:/; s/^/round $round /" | tee -a "$log"
    done
  done
done
echo "finished $(date -u '+%H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$log" "$allocators" "$before" "$after" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r'round (\d+) (\S+)\.trace (\S+): cpu ns/op min ([\d.]+)', line)
    if m:
        runs.setdefault(m[2], {}).setdefault(m[3], {})[int(m[1])] = float(m[4])
before, after = sys.argv[3], sys.argv[4]
print(f'\nmin ns/op, median over rounds; ratio {after} / {before}, median of the per-round ratios [range]')
for trace, by in runs.items():
    cells = [f"glibc {statistics.median(by['glibc'].values()):.1f}"]
    for name in sys.argv[2].split(','):
        b, a = by[f'{name}@{before}'], by[f'{name}@{after}']
        rs = [a[r] / b[r] for r in a if r in b]
        cells.append(f'{name} {statistics.median(b.values()):.1f} -> {statistics.median(a.values()):.1f}: '
                     f'{statistics.median(rs):.2f} [{min(rs):.2f}-{max(rs):.2f}]')
    print(f'{trace:14}', '  '.join(cells))
PY
