/* sandbox.c - runs the adversarial modules of tests/sandbox/cases/ through
 * the embedding API and checks that nothing escapes the sandbox.
 *
 * Each case is a .wat file holding one or more modules.  A line
 * `;; === module NAME` starts a module (the first one may omit it; it is
 * then called "m0"); after instantiation every instance is registered
 * under its name, so later modules can import its exports (two modules
 * sharing a table or memory).  Directives are comment lines:
 *
 *   ;; host-memory: MIN MAX        define ("host" "memory") before this
 *                                  module instantiates (canaries go around
 *                                  it first, so segment writes are watched)
 *   ;; expect-instantiate: trap MSG
 *   ;; invoke: [@MOD] NAME ARG... => RESULT...   or  => trap MSG
 *
 * Values are written like `kiln run` prints them: i32:N, i64:N, f32:X,
 * f64:X, ref.null, ref.extern:N, ref.func (any non-null funcref).
 *
 * Canaries: after each instantiation (and before, for host memories) the
 * driver maps 64 KiB pages filled with a pattern directly below and above
 * every linear memory with MAP_FIXED_NOREPLACE.  No runtime hook is
 * needed: in explicit-bounds mode a memory is a mapping of exactly its
 * size.  After every call all canaries are compared with the pattern, and
 * new ones are placed when a memory.grow moved or resized a memory.  Each
 * case runs in a forked child, so a crash is a failure of that case and
 * not the end of the run.
 *
 * Host imports in module "host": trap () traps with KILN_TRAP_HOST;
 * reenter (i32)->i32 calls the caller's export "cb" with its argument and
 * passes a trap on; ext (i32)->externref and ext_id (externref)->i32
 * convert between numbers and externrefs.
 *
 *   kiln-sandbox [--guard] [--wat2wasm PATH] [--work DIR] DIR|FILE...
 *   kiln-sandbox --selftest-canary    (a stray write must be detected)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "module.h"

#define CANARY_BYTES (64u * 1024u)
#define CANARY_BYTE 0xA5
#define MAX_CANARIES 256
#define MAX_MODULES 8
#define MAX_LINES 512

typedef struct canary {
    uint8_t *addr;
} canary;

typedef struct tracked {
    kiln_memory *mem;
    uint8_t *base;
    uint64_t size;
} tracked;

typedef struct chunk {
    char name[64];
    char *text;         /* the module's own lines, NUL-terminated */
    char *lines[MAX_LINES]; /* its directive lines, in order */
    int num_lines;
} chunk;

typedef struct run_state {
    const char *wat2wasm;
    const char *work;
    const char *case_name;
    bool guard;
    kiln_linker *linker;
    kiln_instance *instances[MAX_MODULES];
    char names[MAX_MODULES][64];
    int num_instances;
    canary canaries[MAX_CANARIES];
    int num_canaries;
    int canaries_skipped;
    tracked mems[MAX_MODULES * 2];
    int num_mems;
    int checks;
    uint64_t memory_bytes; /* initial size of the module being built's own memory */
} run_state;

/* ---- canaries ------------------------------------------------------------ */

static void canary_place(run_state *s, uint8_t *at) {
    if (s->num_canaries == MAX_CANARIES || (uintptr_t)at < CANARY_BYTES) return;
    void *p = mmap(at, CANARY_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != at) {
        /* Something else lives there (a guard reservation, another
         * mapping): that neighbour is not ours to watch. */
        if (getenv("SB_DEBUG")) fprintf(stderr, "canary at %p not placed (%s)\n", (void *)at, p == MAP_FAILED ? strerror(errno) : "moved");
        if (p != MAP_FAILED) munmap(p, CANARY_BYTES);
        s->canaries_skipped++;
        return;
    }
    memset(p, CANARY_BYTE, CANARY_BYTES);
    s->canaries[s->num_canaries++].addr = p;
}

static void canaries_around(run_state *s, tracked *t) {
    t->base = kiln_memory_data(t->mem);
    t->size = kiln_memory_size(t->mem);
    if (!t->base || t->size == 0) return;
    canary_place(s, t->base - CANARY_BYTES);
    canary_place(s, t->base + t->size);
}

/* mmap allocates top-down, so a memory mapped next is placed in the
 * highest free gap that fits it, usually directly below some older mapping,
 * which would leave no room for the canary above it.  The spacer is a page
 * mapped first; probes of the memory's size then fill every higher gap
 * until one lands directly below the spacer.  That probe is unmapped, the
 * others stay until the memory exists, and unmapping the spacer afterwards
 * frees the slot above the memory for a canary. */
#define MAX_PROBES 32
typedef struct spacer {
    void *page;
    void *probes[MAX_PROBES];
    int num_probes;
    uint64_t probe_size;
} spacer;

static void *anon_map(uint64_t bytes) {
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void spacer_map(spacer *sp, uint64_t memory_bytes) {
    memset(sp, 0, sizeof *sp);
    sp->page = anon_map(CANARY_BYTES);
    sp->probe_size = memory_bytes;
    if (!sp->page || memory_bytes == 0) return;
    while (sp->num_probes < MAX_PROBES) {
        uint8_t *p = anon_map(memory_bytes);
        if (!p) return;
        if (p + memory_bytes == (uint8_t *)sp->page) {
            munmap(p, memory_bytes);
            return;
        }
        sp->probes[sp->num_probes++] = p;
    }
}

static void spacer_unmap(spacer *sp) {
    for (int i = 0; i < sp->num_probes; i++) munmap(sp->probes[i], sp->probe_size);
    if (sp->page) munmap(sp->page, CANARY_BYTES);
}

static void memory_track(run_state *s, kiln_memory *m) {
    if (!m || s->num_mems == MAX_MODULES * 2) return;
    for (int i = 0; i < s->num_mems; i++)
        if (s->mems[i].mem == m) return;
    tracked *t = &s->mems[s->num_mems++];
    t->mem = m;
    canaries_around(s, t);
}

/* Returns the address of the first changed canary byte, or NULL. */
static const uint8_t *canaries_check(run_state *s) {
    for (int i = 0; i < s->num_canaries; i++)
        for (uint32_t j = 0; j < CANARY_BYTES; j++)
            if (s->canaries[i].addr[j] != CANARY_BYTE) return s->canaries[i].addr + j;
    s->checks++;
    /* A grow that moved or resized a memory needs fresh neighbours. */
    for (int i = 0; i < s->num_mems; i++) {
        tracked *t = &s->mems[i];
        if (kiln_memory_data(t->mem) != t->base || kiln_memory_size(t->mem) != t->size)
            canaries_around(s, t);
    }
    return NULL;
}

/* ---- host imports ---------------------------------------------------------- */

static uint32_t host_trap(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *res) {
    kiln_host_trap_message("host callback trapped");
    return KILN_TRAP_HOST;
}

static uint32_t host_reenter(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *res) {
    kiln_extern cb;
    if (!kiln_instance_export(caller, "cb", &cb) || cb.kind != 0) {
        kiln_host_trap_message("reenter: caller has no export cb");
        return KILN_TRAP_HOST;
    }
    kiln_val slots[1] = {args[0]};
    uint32_t trap = kiln_call(caller, cb.of.func, slots);
    if (trap) return trap;
    res[0] = slots[0];
    return KILN_TRAP_NONE;
}

static uint32_t host_ext(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *res) {
    res[0].ref = (void *)(uintptr_t)(uint32_t)args[0].i32;
    return KILN_TRAP_NONE;
}

static uint32_t host_ext_id(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *res) {
    res[0].i32 = (int32_t)(uintptr_t)args[0].ref;
    return KILN_TRAP_NONE;
}

static void host_define(kiln_linker *l) {
    static const uint8_t I32[] = {KILN_I32}, EXT[] = {KILN_EXTERNREF};
    kiln_signature none = {0, 0, NULL, NULL}, i_i = {1, 1, I32, I32};
    kiln_signature i_e = {1, 1, I32, EXT}, e_i = {1, 1, EXT, I32};
    kiln_linker_define_func(l, "host", "trap", &none, host_trap, NULL);
    kiln_linker_define_func(l, "host", "reenter", &i_i, host_reenter, NULL);
    kiln_linker_define_func(l, "host", "ext", &i_e, host_ext, NULL);
    kiln_linker_define_func(l, "host", "ext_id", &e_i, host_ext_id, NULL);
}

/* ---- values ---------------------------------------------------------------- */

static bool value_parse(const char *tok, uint8_t type, kiln_val *v) {
    memset(v, 0, sizeof *v);
    if (strcmp(tok, "ref.null") == 0) return type == KILN_EXTERNREF || type == KILN_FUNCREF;
    if (strncmp(tok, "ref.extern:", 11) == 0 && type == KILN_EXTERNREF)
        return v->ref = (void *)(uintptr_t)strtoull(tok + 11, NULL, 0), true;
    const char *colon = strchr(tok, ':');
    if (!colon) return false;
    const char *n = colon + 1;
    if (strncmp(tok, "i32:", 4) == 0 && type == KILN_I32)
        return v->i32 = (int32_t)(uint32_t)strtoll(n, NULL, 0), true;
    if (strncmp(tok, "i64:", 4) == 0 && type == KILN_I64)
        return v->i64 = n[0] == '-' ? strtoll(n, NULL, 0) : (int64_t)strtoull(n, NULL, 0), true;
    if (strncmp(tok, "f32:", 4) == 0 && type == KILN_F32) return v->f32 = strtof(n, NULL), true;
    if (strncmp(tok, "f64:", 4) == 0 && type == KILN_F64) return v->f64 = strtod(n, NULL), true;
    return false;
}

static bool value_equal(const char *tok, uint8_t type, const kiln_val *got) {
    if (strcmp(tok, "ref.func") == 0) return type == KILN_FUNCREF && got->ref != NULL;
    kiln_val want;
    if (!value_parse(tok, type, &want)) return false;
    switch (type) {
    case KILN_I32: return want.i32 == got->i32;
    case KILN_I64: return want.i64 == got->i64;
    case KILN_F32: return isnan(want.f32) ? isnan(got->f32) : want.f32 == got->f32;
    case KILN_F64: return isnan(want.f64) ? isnan(got->f64) : want.f64 == got->f64;
    default: return want.ref == got->ref;
    }
}

static void value_print(char *buf, size_t n, uint8_t type, const kiln_val *v) {
    switch (type) {
    case KILN_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v->i32); break;
    case KILN_I64: snprintf(buf, n, "i64:%" PRId64, v->i64); break;
    case KILN_F32: snprintf(buf, n, "f32:%.9g", v->f32); break;
    case KILN_F64: snprintf(buf, n, "f64:%.17g", v->f64); break;
    default: snprintf(buf, n, "ref:%p", v->ref); break;
    }
}

/* ---- one invocation ---------------------------------------------------------- */

static int tokens_split(char *line, char **tok, int max) {
    int n = 0;
    for (char *t = strtok(line, " \t"); t && n < max; t = strtok(NULL, " \t")) tok[n++] = t;
    return n;
}

static kiln_instance *instance_named(run_state *s, const char *name) {
    for (int i = s->num_instances - 1; i >= 0; i--)
        if (!name || strcmp(s->names[i], name) == 0) return s->instances[i];
    return NULL;
}

static bool fail(run_state *s, const char *what, const char *detail) {
    printf("FAIL %s: %s%s%s\n", s->case_name, what, detail ? ": " : "", detail ? detail : "");
    return false;
}

static bool results_check(run_state *s, const kiln_signature *sig, const kiln_val *slots,
                          char **want, int num_want, const char *line) {
    if ((int)sig->num_results != num_want) return fail(s, "result count differs", line);
    for (int i = 0; i < num_want; i++) {
        if (value_equal(want[i], sig->results[i], &slots[i])) continue;
        char got[64], msg[512];
        value_print(got, sizeof got, sig->results[i], &slots[i]);
        snprintf(msg, sizeof msg, "%s (got %s)", line, got);
        return fail(s, "wrong result", msg);
    }
    return true;
}

static bool outcome_check(run_state *s, uint32_t trap, const kiln_signature *sig,
                          const kiln_val *slots, char **want, int num_want, const char *line) {
    bool want_trap = num_want > 0 && strcmp(want[0], "trap") == 0;
    if (!want_trap && trap) return fail(s, "unexpected trap", kiln_trap_message());
    if (want_trap && !trap) return fail(s, "expected a trap", line);
    if (!want_trap) return results_check(s, sig, slots, want, num_want, line);
    /* The expected message is the rest of the line after `trap`. */
    const char *msg = strstr(line, "=> trap");
    msg = msg ? msg + 7 : "";
    while (*msg == ' ') msg++;
    if (!strstr(kiln_trap_message(), msg)) return fail(s, "wrong trap", kiln_trap_message());
    return true;
}

static bool invoke_run(run_state *s, const char *directive) {
    char buf[1024], *tok[64];
    snprintf(buf, sizeof buf, "%s", directive);
    int n = tokens_split(buf, tok, 64), i = 0;
    const char *mod = NULL;
    if (i < n && tok[i][0] == '@') mod = tok[i++] + 1;
    kiln_instance *inst = instance_named(s, mod);
    if (i >= n || !inst) return fail(s, "invoke without a name or instance", directive);
    const char *name = tok[i++];
    int arrow = i;
    while (arrow < n && strcmp(tok[arrow], "=>") != 0) arrow++;
    kiln_extern f;
    kiln_signature sig;
    if (!kiln_instance_export(inst, name, &f) || f.kind != 0 || !kiln_func_signature(f.of.func, &sig))
        return fail(s, "no such function export", name);
    kiln_val slots[64];
    if ((uint32_t)(arrow - i) != sig.num_params) return fail(s, "argument count differs", directive);
    for (uint32_t a = 0; a < sig.num_params; a++)
        if (!value_parse(tok[i + a], sig.params[a], &slots[a])) return fail(s, "bad argument", tok[i + a]);
    uint32_t trap = kiln_call(inst, f.of.func, slots);
    int num_want = arrow < n ? n - arrow - 1 : 0;
    return outcome_check(s, trap, &sig, slots, tok + arrow + 1, num_want, directive);
}

/* ---- modules -------------------------------------------------------------------- */

static uint8_t *file_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0, *size = (size_t)n;
    return buf;
}

/* wat -> wasm -> object -> shared library; returns the dlopen'ed descriptor. */
static const kiln_module_desc *chunk_build(run_state *s, const chunk *c, int index) {
    char base[512], path[600], cmd[1800];
    snprintf(base, sizeof base, "%s/%s.%d%s", s->work, s->case_name, index, s->guard ? ".guard" : "");
    snprintf(path, sizeof path, "%s.wat", base);
    FILE *f = fopen(path, "w");
    if (!f) return fail(s, "cannot write", path), NULL;
    fputs(c->text, f);
    fclose(f);
 snprintf(cmd, sizeof cmd, "'%s' '%s.wat' -o '%s.wasm'", s->wat2wasm, base, base);
    if (system(cmd) != 0) return fail(s, "wat2wasm failed", path), NULL;
    snprintf(path, sizeof path, "%s.wasm", base);
    size_t size;
    uint8_t *bytes = file_read(path, &size);
    if (!bytes) return fail(s, "cannot read", path), NULL;
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = 0};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    char obj[600], lib[600], prefix[32];
    snprintf(obj, sizeof obj, "%s.o", base);
    snprintf(lib, sizeof lib, "%s.so", base);
    snprintf(prefix, sizeof prefix, "sb%d", index);
    kiln_compile_options opts = {.opt_level = 2, .prefix = prefix, .explicit_bounds = !s->guard};
    s->memory_bytes = m && m->num_memories > m->num_imported_memories
                          ? m->memories[m->num_imported_memories].limits.min * 65536
                          : 0;
    bool ok = m && module_validate(m, &err) && module_compile_object(m, bytes, size, &opts, obj, &err) &&
              link_shared_library(obj, lib, &err);
    if (m) module_free(m);
    free(bytes);
    if (!ok) return fail(s, "compile failed", err.message), NULL;
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) return fail(s, "dlopen", dlerror()), NULL;
    char sym[64];
    snprintf(sym, sizeof sym, "%s_module", prefix);
    return dlsym(h, sym);
}

static bool host_memory_define(run_state *s, const char *args) {
    unsigned long long min = 0, max = 0;
    if (sscanf(args, "%llu %llu", &min, &max) != 2) return fail(s, "bad host-memory", args);
    spacer sp;
    spacer_map(&sp, min * 65536);
    kiln_memory *m = kiln_memory_new(min, max, true);
    spacer_unmap(&sp);
    if (!m) return fail(s, "kiln_memory_new", args);
    memory_track(s, m);
    kiln_extern e = {.kind = 2, .of.memory = m};
    return kiln_linker_define(s->linker, "host", "memory", e);
}

static const char *directive_arg(const char *line, const char *key) {
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0) return NULL;
    line += n;
    while (*line == ' ') line++;
    return line;
}

static bool instantiate_check(run_state *s, const chunk *c, kiln_instance *inst,
                              const kiln_instantiate_error *err) {
    const char *want = NULL;
    for (int i = 0; i < c->num_lines && !want; i++)
        want = directive_arg(c->lines[i], "expect-instantiate:");
    bool want_trap = want && strncmp(want, "trap", 4) == 0;
    if (!inst && !want_trap) return fail(s, "instantiate failed", err->message);
    if (inst && want_trap) return fail(s, "instantiation should have trapped", want);
    if (!inst && !strstr(err->message, want + 4 + strspn(want + 4, " ")))
        return fail(s, "wrong instantiation error", err->message);
    return true;
}

static bool canaries_ok(run_state *s, const char *after) {
    const uint8_t *bad = canaries_check(s);
    if (!bad) return true;
    char msg[512];
    snprintf(msg, sizeof msg, "canary byte at %p changed after %s", (const void *)bad, after);
    return fail(s, "SANDBOX ESCAPE", msg);
}

static bool chunk_run(run_state *s, const chunk *c, int index) {
    for (int i = 0; i < c->num_lines; i++) {
        const char *a = directive_arg(c->lines[i], "host-memory:");
        if (a && !host_memory_define(s, a)) return false;
    }
    const kiln_module_desc *desc = chunk_build(s, c, index);
    if (!desc) return false;
    kiln_instantiate_error err;
    spacer sp;
    spacer_map(&sp, s->memory_bytes);
    kiln_instance *inst = kiln_instantiate(desc, s->linker, &err);
    spacer_unmap(&sp);
    if (!instantiate_check(s, c, inst, &err) || !canaries_ok(s, "instantiation")) return false;
    if (inst) {
        memory_track(s, kiln_instance_memory(inst, 0));
        memcpy(s->names[s->num_instances], c->name, sizeof c->name);
        s->instances[s->num_instances++] = inst;
        kiln_linker_define_instance(s->linker, c->name, inst);
    }
    for (int i = 0; i < c->num_lines; i++) {
        const char *a = directive_arg(c->lines[i], "invoke:");
        if (a && (!invoke_run(s, a) || !canaries_ok(s, a))) return false;
    }
    return true;
}

/* ---- case files ------------------------------------------------------------------- */

static int chunks_split(char *text, chunk *chunks) {
    int n = 0;
    chunk *c = NULL;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        const char *name = directive_arg(line, ";; === module");
        if (name && c && !strstr(c->text, "(module")) {
            /* Leading comments belong to the first named module. */
            snprintf(c->name, sizeof c->name, "%s", name);
        } else if ((name || !c) && n < MAX_MODULES) {
            c = &chunks[n];
            memset(c, 0, sizeof *c);
            snprintf(c->name, sizeof c->name, "%s", name && *name ? name : "m0");
            c->text = calloc(1, strlen(line) + (next ? strlen(next) : 0) + 2);
            n++;
        }
        strcat(c->text, line);
        strcat(c->text, "\n");
        if (strncmp(line, ";; ", 3) == 0 && c->num_lines < MAX_LINES) c->lines[c->num_lines++] = line + 3;
        line = next;
    }
    return n;
}

static bool case_run(run_state *s, const char *path) {
    size_t size;
    char *text = (char *)file_read(path, &size);
    if (!text) return fail(s, "cannot read", path);
    static chunk chunks[MAX_MODULES];
    int n = chunks_split(text, chunks);
    s->linker = kiln_linker_new();
    host_define(s->linker);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = chunk_run(s, &chunks[i], i);
    if (ok)
        printf("PASS %s%s (%d canary pages, %d checks, %d neighbours not ours)\n", s->case_name,
               s->guard ? " [guard]" : "", s->num_canaries, s->checks, s->canaries_skipped);
    return ok;
}

/* Runs one case in a child: a crash there is a failed case, not a dead run. */
static bool case_fork(run_state *s, const char *path) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return fail(s, "fork", strerror(errno));
    if (pid == 0) exit(case_run(s, path) ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        printf("FAIL %s: HOST PROCESS DIED (signal %d)\n", s->case_name, WTERMSIG(status));
        return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cases_collect(const char *arg, char **out, int max) {
    struct stat st;
    if (stat(arg, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return out[0] = strdup(arg), 1;
    DIR *d = opendir(arg);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".wat") != 0) continue;
        char *p = malloc(strlen(arg) + len + 2);
        sprintf(p, "%s/%s", arg, e->d_name);
        out[n++] = p;
    }
    if (d) closedir(d);
    qsort(out, (size_t)n, sizeof *out, name_cmp);
    return n;
}

static int mode_run(run_state *s, char **cases, int n) {
    int failed = 0;
    for (int i = 0; i < n; i++) {
        const char *slash = strrchr(cases[i], '/');
        char name[256];
        snprintf(name, sizeof name, "%s", slash ? slash + 1 : cases[i]);
        name[strcspn(name, ".")] = 0;
        s->case_name = name;
        if (!case_fork(s, cases[i])) failed++;
    }
    printf("sandbox%s: %d cases, %d passed, %d failed\n", s->guard ? " [guard]" : " [explicit]", n,
           n - failed, failed);
    return failed;
}

/* Proves the canaries can fail: a host write just past a memory's end
 * must be reported.  Exit 0 when it is. */
static int canary_selftest(void) {
    run_state s = {.case_name = "canary-selftest"};
    spacer sp;
    spacer_map(&sp, 65536);
    kiln_memory *m = kiln_memory_new(1, 1, true);
    spacer_unmap(&sp);
    memory_track(&s, m);
    if (s.num_canaries == 0) return printf("canary selftest: no canary could be placed\n"), 1;
    if (canaries_check(&s)) return printf("canary selftest: fresh canaries reported changed\n"), 1;
    s.canaries[0].addr[CANARY_BYTES / 2] ^= 1;
    bool caught = canaries_check(&s) != NULL;
    printf("canary selftest: a stray write %s\n", caught ? "was detected" : "WENT UNNOTICED");
    return caught ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--selftest-canary") == 0) return canary_selftest();
    run_state s = {.wat2wasm = "wat2wasm", .work = "sandbox-work"};
    static char *cases[1024];
    int n = 0;
    bool guard = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wat2wasm") == 0 && i + 1 < argc) s.wat2wasm = argv[++i];
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc) s.work = argv[++i];
        else if (strcmp(argv[i], "--guard") == 0) guard = true;
        else n += cases_collect(argv[i], cases + n, 1024 - n);
    }
    if (n == 0) return fprintf(stderr, "kiln-sandbox: no cases\n"), 2;
    mkdir(s.work, 0755);
    int failed = mode_run(&s, cases, n);
    if (!guard)
        printf("sandbox [guard]: SKIPPED (kiln compile has no --bounds-checks option yet; "
               "pass --guard once guard-page lowering exists)\n");
    else {
        s.guard = true;
        failed += mode_run(&s, cases, n);
    }
    return failed ? 1 : 0;
}
