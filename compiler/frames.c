/* frames.c - the frame size of every compiled body, measured while LLVM
 * emits the object and written into the object's frame-size table.
 *
 * lower.c checks the stack before each body's frame is allocated, against
 * a table entry per body (lower_frames_symbol) that it cannot know while
 * lowering: frame sizes exist only after register allocation.  LLVM
 * reports them through its "warn-stack-size" diagnostic, which fires in
 * prologue/epilogue insertion for every function whose frame exceeds the
 * attribute's value; with the value 0 that is every function with a frame.
 * The sizes are collected per LLVM context (one per partition), checked
 * against KILN_FRAME_MAX and KILN_UNCHECKED_FRAME_MAX, and written into
 * the table in the emitted object, located through its symbol.  A body
 * LLVM cloned (function specialisation keeps the original name as a
 * prefix) counts towards the original's entry.  Above -O0 most bodies
 * are checked without their entry, as small frames (lower_frame_small):
 * frames_small_over finds any that is not. */
#include <llvm-c/Object.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"

static const char diag_head[] = "stack frame size (";
static const char diag_function[] = " in function '";

/* "stack frame size (N) exceeds limit (0) in function 'NAME'" */
static bool diag_parse(const char *text, uint64_t *size, const char **name, size_t *name_len) {
    const char *p = strstr(text, diag_head);
    if (!p) return false;
    char *end;
    *size = strtoull(p + sizeof diag_head - 1, &end, 10);
    if (end == p + sizeof diag_head - 1 || *end != ')') return false;
    const char *f = strstr(end, diag_function);
    if (!f) return false;
    *name = f + sizeof diag_function - 1;
    const char *close = strrchr(*name, '\'');
    if (!close || close < *name) return false;
    *name_len = (size_t)(close - *name);
    return true;
}

/* What a stub's frame may take: a stub that calls its body stays below
 * the body's frame, and its check allows for lower_stub_frame_bound; a
 * small leaf's stub makes no check (lower.c) and may hold the body
 * inlined, so it is bounded as leaf bodies are. */
static uint64_t stub_frame_max(const kiln_module *m, uint32_t index) {
    return lower_small_leaf(m, index) ? KILN_LEAF_FRAME_MAX
                                      : lower_stub_frame_bound(module_func_type(m, index));
}

static void stub_frame_record(frame_sizes *fs, uint64_t size, uint32_t index) {
    if (size > stub_frame_max(fs->m, index) && !fs->stub_over)
        fs->stub_over = true, fs->stub_over_index = index, fs->stub_over_size = size;
}

static void frame_record(frame_sizes *fs, uint64_t size, const char *name, size_t len) {
    uint32_t index;
    int kind = lower_function_kind(fs->prefix, name, len, &index);
    bool ours = kind != LOWER_FN_OTHER && index >= fs->first && index - fs->first < fs->count;
    if (ours && kind == LOWER_FN_STUB) stub_frame_record(fs, size, index); /* and unchecked */
    if (ours && kind == LOWER_FN_BODY) {
        uint64_t *slot = &fs->body[index - fs->first];
        if (size > *slot) *slot = size;
        if (size > fs->body_max) fs->body_max = size, fs->body_max_index = index;
        return;
    }
    if (size > fs->other_max) {
        fs->other_max = size;
        snprintf(fs->other_name, sizeof fs->other_name, "%.*s", (int)(len < 100 ? len : 100), name);
    }
}

static void frame_diagnostic(LLVMDiagnosticInfoRef info, void *arg) {
    frame_sizes *fs = arg;
    char *text = LLVMGetDiagInfoDescription(info);
    uint64_t size;
    const char *name;
    size_t len;
    if (text && diag_parse(text, &size, &name, &len)) frame_record(fs, size, name, len);
    else if (LLVMGetDiagInfoSeverity(info) == LLVMDSError) fs->llvm_error = true;
    LLVMDisposeMessage(text);
}

bool frames_measure_begin(frame_sizes *fs, LLVMContextRef ctx, LLVMModuleRef mod,
                          const kiln_module *m, const kiln_compile_options *opts,
                          const lower_partition *part, const uint8_t *frames_big) {
    memset(fs, 0, sizeof *fs);
    fs->prefix = opts->prefix;
    fs->opts = opts;
    fs->big = frames_big;
    fs->m = m;
    fs->max_frame = opts->max_frame_size && opts->max_frame_size < KILN_FRAME_MAX
                        ? opts->max_frame_size
                        : KILN_FRAME_MAX;
    fs->first = part ? part->first : m->num_imported_funcs;
    fs->count = (part ? part->end : m->num_funcs) - fs->first;
    lower_frames_symbol(opts, part, fs->symbol, sizeof fs->symbol);
    fs->body = calloc(fs->count + 1, sizeof *fs->body);
    if (!fs->body) return false;
    LLVMAttributeRef warn = LLVMCreateStringAttribute(ctx, "warn-stack-size", 15, "0", 1);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        if (!LLVMIsDeclaration(fn)) LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, warn);
    LLVMContextSetDiagnosticHandler(ctx, frame_diagnostic, fs);
    return true;
}

void frames_measure_end(frame_sizes *fs) {
    free(fs->body);
    fs->body = NULL;
}

/* A small leaf is never checked (lower.c); any other body lowered as a
 * small-frame one must have a frame, with the slack, within
 * KILN_SMALL_FRAME_MAX, or the checks of its callers and its stub would
 * let it reach below the limit. */
uint32_t frames_small_over(const frame_sizes *fs, uint8_t *big) {
    uint32_t over = 0;
    for (uint32_t i = 0; i < fs->count; i++) {
        uint32_t index = fs->first + i;
        if (fs->body[i] + KILN_FRAME_SLACK > KILN_SMALL_FRAME_MAX &&
            lower_frame_small(fs->opts, fs->big, fs->first, index) &&
            !lower_small_leaf(fs->m, index))
            big[i] = 1, over++;
    }
    return over;
}

/* The table's bytes inside the object, or NULL. */
static uint8_t *table_locate(uint8_t *object, size_t size, const frame_sizes *fs) {
    LLVMMemoryBufferRef view = LLVMCreateMemoryBufferWithMemoryRange((const char *)object, size,
                                                                     "object", 0);
    char *msg = NULL;
    LLVMBinaryRef bin = LLVMCreateBinary(view, NULL, &msg);
    LLVMDisposeMessage(msg);
    uint8_t *found = NULL;
    if (bin) {
        LLVMSymbolIteratorRef sym = LLVMObjectFileCopySymbolIterator(bin);
        LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
        for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, sym); LLVMMoveToNextSymbol(sym)) {
            if (strcmp(LLVMGetSymbolName(sym), fs->symbol) != 0) continue;
            LLVMMoveToContainingSection(sec, sym);
            if (LLVMObjectFileIsSectionIteratorAtEnd(bin, sec)) break;
            const uint8_t *contents = (const uint8_t *)LLVMGetSectionContents(sec);
            uint64_t at = LLVMGetSymbolAddress(sym), n = (uint64_t)fs->count * 4;
            if (contents >= object && contents < object + size && at <= LLVMGetSectionSize(sec) &&
                n <= LLVMGetSectionSize(sec) - at && (size_t)(contents - object) + at + n <= size)
                found = object + (contents - object) + at;
            break;
        }
        LLVMDisposeSectionIterator(sec);
        LLVMDisposeSymbolIterator(sym);
        LLVMDisposeBinary(bin);
    }
    LLVMDisposeMemoryBuffer(view);
    return found;
}

static void u32_le_store(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static bool frames_check(const frame_sizes *fs, const kiln_module *m, kiln_error *err) {
    if (fs->llvm_error) return error_set(err, KILN_ERR_LOWER, 0, "LLVM reported an error during code generation");
    if (fs->body_max > fs->max_frame) {
        const char *name = module_func_name(m, fs->body_max_index);
        return error_set(err, KILN_ERR_LIMIT, 0,
                         "implementation limit: function %u%s%s%s needs a native stack frame of "
                         "%llu bytes; kiln's maximum is %llu bytes (fewer live values or locals, "
                         "or a higher -O level, make it smaller)",
                         fs->body_max_index, name ? " (" : "", name ? name : "", name ? ")" : "",
                         (unsigned long long)fs->body_max, (unsigned long long)fs->max_frame);
    }
    for (uint32_t i = 0; i < fs->count; i++)
        if (fs->body[i] > KILN_LEAF_FRAME_MAX && lower_small_leaf(m, fs->first + i))
            return error_set(err, KILN_ERR_LOWER, 0,
                             "internal error: leaf function %u needs a native stack frame of %llu "
                             "bytes, more than the %u its callers assume",
                             fs->first + i, (unsigned long long)fs->body[i], KILN_LEAF_FRAME_MAX);
    if (fs->stub_over)
        return error_set(err, KILN_ERR_LOWER, 0,
                         "internal error: the entry stub of function %u needs a native stack "
                         "frame of %llu bytes, more than the %u its stack check allows for",
                         fs->stub_over_index, (unsigned long long)fs->stub_over_size,
                         (unsigned)stub_frame_max(m, fs->stub_over_index));
    if (fs->other_max > KILN_UNCHECKED_FRAME_MAX)
        return error_set(err, KILN_ERR_LIMIT, 0,
                         "implementation limit: generated function %s needs a native stack frame "
                         "of %llu bytes; kiln's maximum for it is %u bytes",
                         fs->other_name, (unsigned long long)fs->other_max, KILN_UNCHECKED_FRAME_MAX);
    return true;
}

bool frames_measure_finish(frame_sizes *fs, const kiln_module *m, LLVMMemoryBufferRef *object,
                           kiln_error *err) {
    if (!frames_check(fs, m, err)) return false;
    size_t size = LLVMGetBufferSize(*object);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    memcpy(copy, LLVMGetBufferStart(*object), size);
    /* lower.c keeps the table (llvm.compiler.used) whenever there are
     * bodies, even when no stub or check reads it. */
    uint8_t *table = fs->count ? table_locate(copy, size, fs) : NULL;
    if (!table) {
        free(copy);
        return fs->count ? error_set(err, KILN_ERR_LOWER, 0, "the object has no frame-size table %s",
                                     fs->symbol)
                         : true;
    }
    for (uint32_t i = 0; i < fs->count; i++)
        u32_le_store(table + 4 * (size_t)i, (uint32_t)(fs->body[i] + KILN_FRAME_SLACK));
    LLVMMemoryBufferRef patched =
        LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)copy, size, "object");
    free(copy);
    if (!patched) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    LLVMDisposeMemoryBuffer(*object);
    *object = patched;
    return true;
}
