/*
 * The C baseline of `veralloc bench`: replays an allocation trace in the shared format (shared/tools/gen_traces.py:
 * `a ID SIZE ALIGN`, `f ID`) with glibc's posix_memalign/free, under the same pass protocol as the managed replayer
 * (docs/design-notes/0060 and 0061):
 *
 *   1. the whole trace is parsed into an op array before anything is timed;
 *   2. one verified warm-up pass (every pointer checked for its alignment, every block freed by the end);
 *   3. further untimed passes until --warmup-min-ms and two passes are spent, then until two successive passes are
 *      within --steady-percent of each other, or --warmup-max-ms more is spent (the reason is printed);
 *   4. --passes timed passes; each times only the loop over the op array (the same scope as AllocationReplayer's
 *      Stopwatch) and is verified afterwards (no block live).
 *
 * Output, one fact per line, for `veralloc bench` to read:
 *   glibc-replay 1
 *   ops N
 *   warmup PASSES steady|cap LAST_DIFFERENCE_PERCENT
 *   pass I MILLISECONDS            (once per timed pass)
 *   verified yes
 * A failure prints `failed REASON` and exits 1 (3 for out of memory, a legal outcome); bad arguments or a bad trace
 * print `error: ...` on stderr and exit 2.
 *
 * Build: gcc -O2 -o replay replay.c
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_BLOCK_ID = (1 << 24) - 1, MAX_SIZE = 1 << 30, MAX_ALIGNMENT = 1 << 16 };

typedef struct {
    uint32_t id;     /* block id; the top bit marks a free */
    uint32_t size;   /* allocations only */
    uint32_t align;  /* allocations only, already raised to what posix_memalign accepts */
} op_t;

#define FREE_BIT 0x80000000u

static op_t *ops;
static size_t op_count;
static void **pointers;
static size_t id_capacity;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *message, const char *path, size_t line) {
    if (path != NULL) {
        fprintf(stderr, "error: %s:%zu: %s\n", path, line, message);
    } else {
        fprintf(stderr, "error: %s\n", message);
    }
    exit(2);
}

static int parse_number(char **cursor, long max, long *value) {
    char *end;
    while (**cursor == ' ' || **cursor == '\t') (*cursor)++;
    errno = 0;
    long parsed = strtol(*cursor, &end, 10);
    if (end == *cursor || errno != 0 || parsed < 0 || parsed > max) return 0;
    *cursor = end;
    *value = parsed;
    return 1;
}

static void parse_trace(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) die("cannot open the trace", path, 0);
    size_t capacity = 1 << 20;
    ops = malloc(capacity * sizeof(op_t));
    unsigned char *live = calloc((size_t)MAX_BLOCK_ID + 1, 1);
    if (ops == NULL || live == NULL) die("out of memory while parsing", NULL, 0);
    char line[256];
    size_t line_number = 0, live_count = 0;
    long max_id = -1;
    while (fgets(line, sizeof line, file) != NULL) {
        line_number++;
        char *cursor = line;
        while (*cursor == ' ' || *cursor == '\t') cursor++;
        if (*cursor == '\n' || *cursor == '\r' || *cursor == '\0' || *cursor == '#') continue;
        char kind = *cursor++;
        long id, size = 0, align = 0;
        if (kind == 's' || kind == 'r') die("a slot trace (s/r ops); glibc replays allocation traces only", path, line_number);
        if ((kind != 'a' && kind != 'f') || !parse_number(&cursor, MAX_BLOCK_ID, &id)) die("expected 'a ID SIZE ALIGN' or 'f ID'", path, line_number);
        if (kind == 'a') {
            if (!parse_number(&cursor, MAX_SIZE, &size) || size == 0) die("size must be 1..2^30", path, line_number);
            if (!parse_number(&cursor, MAX_ALIGNMENT, &align) || align == 0 || (align & (align - 1)) != 0) die("alignment must be a power of two up to 65536", path, line_number);
            if (live[id]) die("id allocated again while live", path, line_number);
            live[id] = 1;
            live_count++;
        } else {
            if (!live[id]) die("free of an id that is not live", path, line_number);
            live[id] = 0;
            live_count--;
        }
        while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n') cursor++;
        if (*cursor != '\0') die("unexpected text after the operation", path, line_number);
        if (op_count == capacity) {
            capacity *= 2;
            ops = realloc(ops, capacity * sizeof(op_t));
            if (ops == NULL) die("out of memory while parsing", NULL, 0);
        }
        /* posix_memalign wants a power of two that is a multiple of sizeof(void *); smaller alignments are met anyway. */
        if (align < (long)sizeof(void *)) align = (long)sizeof(void *);
        ops[op_count++] = (op_t){ (uint32_t)id | (kind == 'f' ? FREE_BIT : 0), (uint32_t)size, (uint32_t)align };
        if (id > max_id) max_id = id;
    }
    fclose(file);
    free(live);
    if (op_count == 0) die("the trace has no operations", path, line_number);
    if (live_count != 0) die("the trace leaves blocks live at its end; the harness needs one that frees everything", path, line_number);
    id_capacity = (size_t)max_id + 1;
    pointers = calloc(id_capacity, sizeof(void *));
    if (pointers == NULL) die("out of memory for the id table", NULL, 0);
}

/* The timed loop: the op array, the id table, posix_memalign and free, and a live count to verify the end state. */
static long replay(long *live, int check_alignment) {
    for (size_t i = 0; i < op_count; i++) {
        op_t op = ops[i];
        if (op.id & FREE_BIT) {
            free(pointers[op.id & ~FREE_BIT]);
            (*live)--;
        } else {
            if (posix_memalign(&pointers[op.id], op.align, op.size) != 0) return (long)i;
            if (check_alignment && ((uintptr_t)pointers[op.id] & (op.align - 1)) != 0) {
                printf("failed op #%zu: posix_memalign returned a pointer not aligned to %u\n", i, op.align);
                exit(1);
            }
            (*live)++;
        }
    }
    return -1;
}

static double timed_pass(const char *phase, int check_alignment) {
    long live = 0;
    double started = now_ms();
    long failed_at = replay(&live, check_alignment);
    double elapsed = now_ms() - started;
    if (failed_at >= 0) {
        printf("failed %s: out of memory at op #%ld\n", phase, failed_at);
        exit(3);
    }
    if (live != 0) {
        printf("failed %s: %ld blocks live after every block was freed\n", phase, live);
        exit(1);
    }
    return elapsed;
}

static long option(int argc, char **argv, const char *name, long fallback, long min) {
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], name) == 0) {
            char *end;
            long value = strtol(argv[i + 1], &end, 10);
            if (*end != '\0' || value < min) {
                fprintf(stderr, "error: %s must be an integer of at least %ld, not '%s'\n", name, min, argv[i + 1]);
                exit(2);
            }
            return value;
        }
    }
    return fallback;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc % 2 != 0) {
        fprintf(stderr, "usage: %s TRACE [--passes N] [--warmup-min-ms MS] [--warmup-max-ms MS] [--steady-percent P]\n", argv[0]);
        return 2;
    }
    for (int i = 2; i < argc; i += 2) {
        if (strcmp(argv[i], "--passes") != 0 && strcmp(argv[i], "--warmup-min-ms") != 0
            && strcmp(argv[i], "--warmup-max-ms") != 0 && strcmp(argv[i], "--steady-percent") != 0) {
            fprintf(stderr, "error: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    long passes = option(argc, argv, "--passes", 5, 1);
    long warmup_min_ms = option(argc, argv, "--warmup-min-ms", 500, 0);
    long warmup_max_ms = option(argc, argv, "--warmup-max-ms", 10000, 0);
    long steady_percent = option(argc, argv, "--steady-percent", 3, 0);

    parse_trace(argv[1]);
    printf("glibc-replay 1\nops %zu\n", op_count);

    double warmup_started = now_ms();
    double previous = timed_pass("warm-up", 1);
    long warmup_passes = 1;
    double difference = -1;
    const char *reason = "cap";
    double steady_started = -1; /* the cap counts from the end of the minimum budget, as in the managed SteadyWarmUp */
    if (warmup_min_ms == 0) {
        reason = "single";
    } else {
        for (;;) {
            double current = timed_pass("warm-up", 0);
            warmup_passes++;
            double smaller = current < previous ? current : previous;
            difference = smaller > 0 ? 100.0 * (current > previous ? current - previous : previous - current) / smaller : 0;
            previous = current;
            double now = now_ms();
            if (now - warmup_started < (double)warmup_min_ms) continue;
            if (steady_started < 0) steady_started = now;
            if (difference <= (double)steady_percent) { reason = "steady"; break; }
            if (now - steady_started >= (double)warmup_max_ms) break;
        }
    }
    printf("warmup %ld %s %.2f\n", warmup_passes, reason, difference);

    for (long pass = 1; pass <= passes; pass++) {
        char phase[32];
        snprintf(phase, sizeof phase, "pass %ld", pass);
        printf("pass %ld %.6f\n", pass, timed_pass(phase, 0));
    }
    printf("verified yes\n");
    free(pointers);
    free(ops);
    return 0;
}
