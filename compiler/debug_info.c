/* debug_info.c - `kiln compile -g`: the module's DWARF line table as LLVM
 * debug info on the generated code.
 *
 * The wasm's .debug_line (dwarf_line.c) maps Code-section offsets to
 * file:line:column; every wasm instruction knows its offset, so each one
 * is lowered under the DILocation of the row that covers it, and LLVM
 * carries the locations through optimisation into the object's own
 * DWARF, where gdb, perf and the trap backtrace find them.
 *
 * One DICompileUnit per LLVM module (the whole module, or one partition
 * of a parallel compile: each has its own context and DIBuilder), one
 * DISubprogram per function body, named after the name section.  A row
 * from another file than its function's (code inlined by the producer
 * from a header) gets a DILexicalBlockFile of the subprogram, so its
 * file is right.  Instructions without a row get line 0, LLVM's "no
 * source line": a body with a subprogram must give every call a
 * location, or the verifier refuses inlinable calls without one.
 * Entry stubs, trampolines and thunks get no subprogram at all, and the
 * builder's location is cleared after each body so they never inherit
 * one.  Nothing here runs without -g: lm->dbg stays NULL and each hook in
 * lower.c is one test of it. */
#include <llvm-c/DebugInfo.h>
#include <stdio.h>
#include <string.h>

#include "dwarf_line.h"
#include "lower_internal.h"

/* DWARF 4, not LLVM's default 5: through the C API a DWARF 5 unit
 * always gets a .debug_names index (DICompileUnit's nameTableKind is not
 * exposed), and gdb 13 refuses the several indexes that the relocatable
 * link of a partitioned compile concatenates, and warns about
 * .debug_aranges next to it; DWARF 4 reads cleanly either way. */
enum { SCOPE_CACHE = 16, DWARF_VERSION = 4 };

typedef struct debug_info {
    LLVMDIBuilderRef di;
    dwarf_lines lines;
    LLVMMetadataRef cu, subroutine_type;
    LLVMMetadataRef *files; /* [lines.num_files], DIFile, made on first use */
    /* the body being lowered */
    LLVMMetadataRef sp;
    uint32_t sp_file; /* UINT32_MAX: no file known */
    uint32_t cached_file[SCOPE_CACHE];
    LLVMMetadataRef cached_scope[SCOPE_CACHE];
    unsigned num_cached;
    const dwarf_row *last_row; /* of the location the builder has */
    bool has_loc;
} debug_info;

static LLVMMetadataRef file_md(debug_info *d, uint32_t i) {
    if (d->files[i]) return d->files[i];
    const dwarf_file *f = &d->lines.files[i];
    return d->files[i] = LLVMDIBuilderCreateFile(d->di, f->name, strlen(f->name), f->dir,
                                                 strlen(f->dir));
}

/* The file of the module's first row in [first, end) of the function
 * index space, for the compile unit's name. */
static uint32_t unit_file(const lower_module *lm, const debug_info *d, uint32_t first,
                          uint32_t end) {
    const kiln_module *m = lm->m;
    for (uint32_t i = first; i < end; i++) {
        if (!m->funcs[i].num_insns) continue;
        const dwarf_row *r = dwarf_lines_find(&d->lines, m->funcs[i].insns[0].offset - m->code_offset);
        if (r) return r->file;
    }
    return UINT32_MAX;
}

/* (Called before lowering has made lm->t.) */
static void module_flags_add(lower_module *lm) {
    static const char dv[] = "Dwarf Version", div[] = "Debug Info Version";
    LLVMTypeRef i32 = LLVMInt32TypeInContext(lm->ctx);
    LLVMAddModuleFlag(lm->mod, LLVMModuleFlagBehaviorWarning, dv, sizeof dv - 1,
                      LLVMValueAsMetadata(LLVMConstInt(i32, DWARF_VERSION, 0)));
    LLVMAddModuleFlag(lm->mod, LLVMModuleFlagBehaviorWarning, div, sizeof div - 1,
                      LLVMValueAsMetadata(LLVMConstInt(i32, LLVMDebugMetadataVersion(), 0)));
}

static void unit_create(lower_module *lm, debug_info *d) {
    uint32_t first = lm->part ? lm->part->first : lm->m->num_imported_funcs;
    uint32_t end = lm->part ? lm->part->end : lm->m->num_funcs;
    uint32_t f = unit_file(lm, d, first, end);
    /* The unit's directory is where DWARF resolves the relative paths of
     * files without one (DWARF 4's directory 0, the producer's compile
     * directory, which only its .debug_info knows): keep it "" so that
     * they stay relative to where the debugger runs, not to another
     * file's directory. */
    const char *name = f != UINT32_MAX ? d->lines.files[f].name : lm->opts->prefix;
    LLVMMetadataRef file = LLVMDIBuilderCreateFile(d->di, name, strlen(name), "", 0);
    static const char producer[] = "kiln";
    d->cu = LLVMDIBuilderCreateCompileUnit(d->di, LLVMDWARFSourceLanguageC11, file, producer,
                                           sizeof producer - 1, lm->opts->opt_level > 0, "", 0, 0,
                                           "", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
    d->subroutine_type = LLVMDIBuilderCreateSubroutineType(d->di, file, NULL, 0, LLVMDIFlagZero);
}

void debug_info_begin(lower_module *lm) {
    if (!lm->opts->debug_info) return;
    debug_info *d = arena_zalloc(lm->arena, sizeof *d);
    if (!d) return;
    kiln_error err;
    /* A module without DWARF, or with a malformed line table, compiles as
     * without -g; the CLI has already said why (module_debug_lines_check). */
    if (!dwarf_lines_from_module(lm->m, &d->lines, &err)) return;
    d->files = arena_zalloc(lm->arena, (d->lines.num_files + 1) * sizeof *d->files);
    if (!d->files) {
        dwarf_lines_free(&d->lines);
        return;
    }
    d->di = LLVMCreateDIBuilder(lm->mod);
    unit_create(lm, d);
    module_flags_add(lm);
    lm->dbg = d;
}

void debug_info_end(lower_module *lm) {
    debug_info *d = lm->dbg;
    if (!d) return;
    LLVMDIBuilderFinalize(d->di);
    LLVMDisposeDIBuilder(d->di);
    dwarf_lines_free(&d->lines);
    lm->dbg = NULL;
}

/* The body's subprogram: its name-section name (the symbol otherwise),
 * at the line of the row that covers its first instruction. */
void debug_info_func_begin(lower_module *lm, uint32_t index, LLVMValueRef fn) {
    debug_info *d = lm->dbg;
    const kiln_func *f = &lm->m->funcs[index];
    const dwarf_row *r = f->num_insns ? dwarf_lines_find(&d->lines, f->insns[0].offset - lm->m->code_offset) : NULL;
    size_t sym_len;
    const char *sym = LLVMGetValueName2(fn, &sym_len);
    const char *name = module_func_name(lm->m, index);
    if (!name) name = sym;
    LLVMMetadataRef file = r ? file_md(d, r->file) : LLVMDIScopeGetFile(d->cu);
    unsigned line = r ? r->line : 0;
    d->sp = LLVMDIBuilderCreateFunction(d->di, file, name, strlen(name), "", 0, file, line,
                                        d->subroutine_type, true, true, line, LLVMDIFlagZero,
                                        lm->opts->opt_level > 0);
    LLVMSetSubprogram(fn, d->sp);
    d->sp_file = r ? r->file : UINT32_MAX;
    d->num_cached = 0;
    d->last_row = NULL;
    d->has_loc = false;
}

/* The subprogram itself for rows of its own file, else a lexical block
 * file inside it (cached per body: a function has few files). */
static LLVMMetadataRef row_scope(debug_info *d, uint32_t file) {
    if (file == d->sp_file) return d->sp;
    for (unsigned i = 0; i < d->num_cached; i++)
        if (d->cached_file[i] == file) return d->cached_scope[i];
    LLVMMetadataRef s = LLVMDIBuilderCreateLexicalBlockFile(d->di, d->sp, file_md(d, file), 0);
    if (d->num_cached < SCOPE_CACHE) {
        d->cached_file[d->num_cached] = file;
        d->cached_scope[d->num_cached++] = s;
    }
    return s;
}

void debug_info_insn(lower_module *lm, const kiln_insn *insn) {
    debug_info *d = lm->dbg;
    const dwarf_row *r = dwarf_lines_find(&d->lines, insn->offset - lm->m->code_offset);
    if (d->has_loc && r == d->last_row) return;
    LLVMMetadataRef scope = r ? row_scope(d, r->file) : d->sp;
    LLVMMetadataRef loc = LLVMDIBuilderCreateDebugLocation(lm->ctx, r ? r->line : 0,
                                                           r ? r->column : 0, scope, NULL);
    LLVMSetCurrentDebugLocation2(lm->b, loc);
    d->last_row = r;
    d->has_loc = true;
}

void debug_info_func_end(lower_module *lm) {
    LLVMSetCurrentDebugLocation2(lm->b, NULL);
    lm->dbg->sp = NULL;
}

bool module_debug_lines_check(const kiln_module *m, kiln_error *err) {
    dwarf_lines lines;
    bool ok = dwarf_lines_from_module(m, &lines, err);
    dwarf_lines_free(&lines);
    return ok;
}
