/* progress.h - what a long compile is doing, for the person waiting.
 *
 * The CLI makes one reporter per command (progress_new) and hands it to
 * the back end in kiln_compile_options.progress; emit.c reports the steps
 * of each partition from whichever compile thread does them.  Two
 * outputs, either or both, on stderr:
 *   - a progress line (stderr is a terminal, not -q): while a compile
 *     runs, once the command has run for a second, a ticker thread
 *     redraws it in place four times a second (functions lowered,
 *     partitions optimised and emitted out of the total, the elapsed
 *     time); erased when the compile ends;
 *   - with -v, a line per phase (decode, validate, ..., every
 *     partition's lower, optimise and emit, the links) with its time and
 *     the peak resident memory so far (getrusage ru_maxrss).
 * Every function takes NULL and then does nothing: a compile nobody
 * watches pays a branch per partition step. */
#ifndef KILN_PROGRESS_H
#define KILN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kiln_progress kiln_progress;

/* NULL when asked for neither output (or out of memory). */
kiln_progress *progress_new(bool line, bool phases);
/* Stops the ticker, erases the line and (-v) prints the total time;
 * once (`kiln run` finishes before the program writes anything). */
void progress_finish(kiln_progress *p);
/* progress_finish if not done yet, and frees. */
void progress_free(kiln_progress *p);

/* A phase of the command, run by one thread; phases may nest (a compile
 * inside `kiln run`'s load).  begin names what the line shows; end
 * prints the -v line with the time since begin. */
void progress_phase_begin(kiln_progress *p, const char *name);
void progress_phase_end(kiln_progress *p);

/* emit.c: the shape of a compile, then the steps of each partition
 * (partition_start, then lowered, optimised and emitted, all on the
 * thread that compiles it), then the end of the compile (the line goes). */
void progress_compile_begin(kiln_progress *p, uint32_t partitions, uint32_t functions,
                            uint32_t threads, bool cache_on);
void progress_compile_end(kiln_progress *p);
typedef enum progress_step { PROGRESS_LOWERED, PROGRESS_OPTIMISED, PROGRESS_EMITTED } progress_step;
void progress_partition_start(kiln_progress *p, uint32_t partition, uint32_t functions);
void progress_partition_step(kiln_progress *p, progress_step step);
/* The partition is lowered again: `bodies` of its bodies have frames too
 * big to be checked as small ones (emit.c); -v's line says so. */
void progress_partition_again(kiln_progress *p, uint32_t bodies);
/* Instead of the three steps: the partition's object came from the
 * partition cache (part_cache.h); -v says how many did, at the end. */
void progress_partition_cached(kiln_progress *p);

#endif
