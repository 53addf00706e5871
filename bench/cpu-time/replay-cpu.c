/* The C side of replay-cpu.cs: replays a shared trace with posix_memalign/free and reports thread CPU time per op
 * (min and median of the timed passes, after three untimed ones).
 * usage: gcc -O2 -o /tmp/replay-cpu bench/cpu-time/replay-cpu.c && /tmp/replay-cpu TRACE [PASSES] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { char kind; int id; long size, align; } op_t;

static double cpu_ns(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

static int by_value(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s TRACE [PASSES]\n", argv[0]); return 2; }
  FILE *f = fopen(argv[1], "r");
  if (!f) { perror(argv[1]); return 2; }
  int passes = argc > 2 ? atoi(argv[2]) : 5;
  if (passes < 1 || passes > 64) { fprintf(stderr, "PASSES must be 1..64\n"); return 2; }
  size_t cap = 1 << 20, n = 0; op_t *ops = malloc(cap * sizeof(op_t));
  long *sizes = calloc(1 << 24, sizeof(long)), *aligns = calloc(1 << 24, sizeof(long));
  char line[256]; int max_id = 0;
  while (fgets(line, sizeof line, f)) {
    op_t o = { line[0], 0, 0, 0 };
    if (o.kind == 'a') { if (sscanf(line + 2, "%d %ld %ld", &o.id, &o.size, &o.align) != 3) return 2; }
    else if (o.kind == 'f') { if (sscanf(line + 2, "%d", &o.id) != 1) return 2; }
    else continue;
    if (o.id < 0 || o.id >= (1 << 24)) { fprintf(stderr, "id %d out of range\n", o.id); return 2; }
    if (o.kind == 'a') { sizes[o.id] = o.size; aligns[o.id] = o.align; } else { o.size = sizes[o.id]; o.align = aligns[o.id]; }
    if (o.id > max_id) max_id = o.id;
    if (n == cap) { cap *= 2; ops = realloc(ops, cap * sizeof(op_t)); }
    ops[n++] = o;
  }
  void **blocks = calloc((size_t)max_id + 1, sizeof(void *));
  double times[64];
  for (int pass = -3; pass < passes; pass++) {
    double started = cpu_ns();
    for (size_t i = 0; i < n; i++) {
      op_t o = ops[i];
      if (o.kind == 'a') {
        size_t align = o.align < (long)sizeof(void *) ? sizeof(void *) : (size_t)o.align;
        if (posix_memalign(&blocks[o.id], align, (size_t)o.size) != 0) { fprintf(stderr, "out of memory at op %zu\n", i); return 1; }
      } else {
        free(blocks[o.id]);
      }
    }
    if (pass >= 0) times[pass] = (cpu_ns() - started) / (double)n;
  }
  qsort(times, (size_t)passes, sizeof(double), by_value);
  printf("%s glibc: cpu ns/op min %.1f median %.1f\n", argv[1], times[0], times[passes / 2]);
  return 0;
}
