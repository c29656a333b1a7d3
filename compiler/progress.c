/* progress.c - the progress line and the -v phase lines (progress.h).
 *
 * Counters are atomics that compile threads bump once per partition
 * step; only the ticker thread draws the line, and only while the
 * compile runs (between progress_compile_begin and _end), so that no
 * message printed before or after it (warnings, errors, a linker's
 * complaints, the program's own output) meets a half-drawn line.  Every
 * write of kiln's to stderr in that window (the line, -v's partition
 * lines) happens under one mutex, so a -v line first erases the progress
 * line and the next tick draws it again below.  The
 * line is erased by overwriting it with spaces, which every terminal
 * understands, and cut to the terminal's width so that a carriage
 * return always reaches its start. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

enum {
    PROGRESS_TICK_MS = 250,       /* redraw period */
    PROGRESS_QUIET_MS = 1000,     /* no line for commands shorter than this */
    PROGRESS_LINE_MAX = 160,
    PROGRESS_PHASE_DEPTH = 4,
};

typedef struct phase {
    const char *name;
    double start;
} phase;

struct kiln_progress {
    bool line, phases;
    double start; /* seconds, CLOCK_MONOTONIC */
    pthread_mutex_t lock; /* stderr writes, the phase stack, `drawn` */
    pthread_cond_t wake;
    bool stopping, finished;
    pthread_t ticker;
    bool ticker_running;
    size_t drawn; /* columns of the line now on screen, 0 if none */
    bool compiling; /* between progress_compile_begin and _end */
    phase phases_open[PROGRESS_PHASE_DEPTH];
    int depth;
    /* the compile, from emit.c's threads */
    atomic_uint partitions, functions, lowered, optimised, emitted;
    bool cache_on;      /* the compile looks partitions up in a cache */
    atomic_uint cached; /* partitions found there */
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
}

/* ---- the line ------------------------------------------------------------------ */

static size_t terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) return ws.ws_col;
    return 80;
}

/* Called with the lock held. */
static void line_erase(kiln_progress *p) {
    if (!p->drawn) return;
    fprintf(stderr, "\r%*s\r", (int)p->drawn, "");
    p->drawn = 0;
}

static void line_text(kiln_progress *p, char *out, size_t cap) {
    uint32_t parts = atomic_load(&p->partitions);
    snprintf(out, cap, "kiln: %.0f s, lowered %u/%u functions, optimised %u/%u, emitted %u/%u "
                       "partitions",
             now() - p->start, atomic_load(&p->lowered), atomic_load(&p->functions),
             atomic_load(&p->optimised), parts, atomic_load(&p->emitted), parts);
}

/* Called with the lock held.  The elapsed time comes first: a narrow
 * terminal cuts the end. */
static void line_draw(kiln_progress *p) {
    char text[PROGRESS_LINE_MAX];
    line_text(p, text, sizeof text);
    size_t width = terminal_width() - 1, n = strlen(text);
    if (n > width) text[n = width] = 0;
    fprintf(stderr, "\r%s%*s", text, p->drawn > n ? (int)(p->drawn - n) : 0, "");
    p->drawn = p->drawn > n ? p->drawn : n;
}

static void *ticker(void *arg) {
    kiln_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PROGRESS_TICK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        int rc = pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (!p->stopping && rc == ETIMEDOUT && p->compiling &&
            now() - p->start >= PROGRESS_QUIET_MS / 1000.0)
            line_draw(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- -v lines -------------------------------------------------------------------- */

/* `kiln: NAME  TIME s  peak RSS N MB`, indented by nesting depth. */
static void phase_print(kiln_progress *p, int depth, const char *name, double seconds) {
    pthread_mutex_lock(&p->lock);
    line_erase(p);
    fprintf(stderr, "kiln: %*s%-*s %8.3f s   peak RSS %.0f MB\n", 2 * depth, "", 28 - 2 * depth,
            name, seconds, peak_rss_mb());
    pthread_mutex_unlock(&p->lock);
}

/* ---- the interface ---------------------------------------------------------------- */

kiln_progress *progress_new(bool line, bool phases) {
    if (!line && !phases) return NULL;
    kiln_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->line = line;
    p->phases = phases;
    p->start = now();
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (line) p->ticker_running = pthread_create(&p->ticker, NULL, ticker, p) == 0;
    return p;
}

void progress_finish(kiln_progress *p) {
    if (!p || p->finished) return;
    p->finished = true;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->ticker_running) pthread_join(p->ticker, NULL);
    line_erase(p);
    if (p->phases) phase_print(p, 0, "total", now() - p->start);
}

void progress_free(kiln_progress *p) {
    if (!p) return;
    progress_finish(p);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void progress_phase_begin(kiln_progress *p, const char *name) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    if (p->depth < PROGRESS_PHASE_DEPTH) p->phases_open[p->depth] = (phase){name, now()};
    p->depth++;
    pthread_mutex_unlock(&p->lock);
}

void progress_phase_end(kiln_progress *p) {
    if (!p || p->depth == 0) return;
    pthread_mutex_lock(&p->lock);
    int depth = --p->depth;
    phase ended = depth < PROGRESS_PHASE_DEPTH ? p->phases_open[depth] : (phase){NULL, 0};
    pthread_mutex_unlock(&p->lock);
    if (p->phases && ended.name) phase_print(p, depth, ended.name, now() - ended.start);
}

void progress_compile_begin(kiln_progress *p, uint32_t partitions, uint32_t functions,
                            uint32_t threads, bool cache_on) {
    if (!p) return;
    p->cache_on = cache_on;
    atomic_store(&p->cached, 0);
    atomic_store(&p->lowered, 0);
    atomic_store(&p->optimised, 0);
    atomic_store(&p->emitted, 0);
    atomic_store(&p->functions, functions);
    atomic_store(&p->partitions, partitions);
    pthread_mutex_lock(&p->lock);
    p->compiling = true;
    if (p->phases)
        fprintf(stderr, "kiln: %*scompile: %u functions in %u partition%s on %u thread%s\n",
                2 * p->depth, "", functions, partitions, partitions == 1 ? "" : "s", threads,
                threads == 1 ? "" : "s");
    pthread_mutex_unlock(&p->lock);
}

void progress_compile_end(kiln_progress *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->compiling = false;
    line_erase(p);
    if (p->phases && p->cache_on)
        fprintf(stderr, "kiln: %*scompile: %u of %u partition%s from the cache\n", 2 * p->depth, "",
                atomic_load(&p->cached), atomic_load(&p->partitions),
                atomic_load(&p->partitions) == 1 ? "" : "s");
    pthread_mutex_unlock(&p->lock);
}

/* One partition at a time per thread, from start to emitted. */
static _Thread_local struct {
    uint32_t partition, functions, big_frames;
    double last, seconds[3];
} current;

void progress_partition_start(kiln_progress *p, uint32_t partition, uint32_t functions) {
    if (!p) return;
    current.partition = partition;
    current.functions = functions;
    current.big_frames = 0;
    current.last = now();
    memset(current.seconds, 0, sizeof current.seconds);
}

static void partition_print(kiln_progress *p) {
    char name[64];
    uint32_t parts = atomic_load(&p->partitions);
    snprintf(name, sizeof name, "partition %u/%u", current.partition + 1, parts);
    pthread_mutex_lock(&p->lock);
    line_erase(p);
    char again[64] = "";
    if (current.big_frames)
        snprintf(again, sizeof again, " (emit includes lowering again for %u big frame%s)",
                 current.big_frames, current.big_frames == 1 ? "" : "s");
    fprintf(stderr, "kiln: %*s%s: %u functions, lower %.3f s, optimise %.3f s, emit %.3f s%s   "
                    "peak RSS %.0f MB\n",
            2 * (p->depth + 1), "", name, current.functions,
            current.seconds[PROGRESS_LOWERED], current.seconds[PROGRESS_OPTIMISED],
            current.seconds[PROGRESS_EMITTED], again, peak_rss_mb());
    pthread_mutex_unlock(&p->lock);
}

/* Steps outside a compile that progress_compile_begin announced (the
 * IR of --emit-llvm) are not counted. */
void progress_partition_step(kiln_progress *p, progress_step step) {
    if (!p || !atomic_load(&p->partitions)) return;
    double t = now();
    current.seconds[step] = t - current.last;
    current.last = t;
    if (step == PROGRESS_LOWERED) atomic_fetch_add(&p->lowered, current.functions);
    else if (step == PROGRESS_OPTIMISED) atomic_fetch_add(&p->optimised, 1);
    else atomic_fetch_add(&p->emitted, 1);
    if (step == PROGRESS_EMITTED && p->phases) partition_print(p);
}

void progress_partition_again(kiln_progress *p, uint32_t bodies) {
    if (p) current.big_frames = bodies;
}

void progress_partition_cached(kiln_progress *p) {
    if (!p || !atomic_load(&p->partitions)) return;
    atomic_fetch_add(&p->cached, 1);
    atomic_fetch_add(&p->lowered, current.functions);
    atomic_fetch_add(&p->optimised, 1);
    atomic_fetch_add(&p->emitted, 1);
    if (!p->phases) return;
    pthread_mutex_lock(&p->lock);
    line_erase(p);
    fprintf(stderr, "kiln: %*spartition %u/%u: %u functions, from the cache\n", 2 * (p->depth + 1),
            "", current.partition + 1, atomic_load(&p->partitions), current.functions);
    pthread_mutex_unlock(&p->lock);
}
