/* What one step of a linked-list walk costs when the list holds native pointers and when it holds offsets from a base
 * (the §1 free list's layout): a 64-node ring, one node per cache line in shuffled order (so it stays in L1), chased
 * 200 million times each way; thread CPU time per step, three repetitions (docs/design-notes/0018).
 * usage: gcc -O2 -o /tmp/chase bench/cpu-time/chase.c && /tmp/chase */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_ns(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

int main(void) {
  enum { Nodes = 64, Line = 64, Steps = 200000000 };
  char *base = aligned_alloc(4096, Nodes * Line);
  if (!base) { perror("aligned_alloc"); return 1; }
  int order[Nodes];
  for (int i = 0; i < Nodes; i++) order[i] = i;
  srand(1);
  for (int i = Nodes - 1; i > 0; i--) { int j = rand() % (i + 1), t = order[i]; order[i] = order[j]; order[j] = t; }
  /* Each node holds the next node's address in its first word and the next node's offset (of that word) in its second. */
  for (int i = 0; i < Nodes; i++) {
    char *node = base + order[i] * Line, *next = base + order[(i + 1) % Nodes] * Line;
    ((void **)node)[0] = next;
    ((int64_t *)node)[1] = (next - base) + 8;
  }
  for (int repetition = 0; repetition < 3; repetition++) {
    double started = cpu_ns();
    void *pointer = base + order[0] * Line;
    for (long step = 0; step < Steps; step++) pointer = *(void *volatile *)pointer;
    double between = cpu_ns();
    int64_t offset = order[0] * Line + 8;
    for (long step = 0; step < Steps; step++) offset = *(volatile int64_t *)(base + offset);
    double ended = cpu_ns();
    printf("pointer chase: %.3f ns/step   offset chase: %.3f ns/step   (ends %p, %lld)\n",
           (between - started) / Steps, (ended - between) / Steps, pointer, (long long)offset);
  }
  free(base);
  return 0;
}
