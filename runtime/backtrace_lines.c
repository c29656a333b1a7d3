/* backtrace_lines.c - the source file:line of a code address in the
 * program itself, from its native DWARF line table, for trap backtraces.
 *
 * `kiln build -g` (compiler/debug_info.c) gives the generated code the
 * wasm module's source lines as ordinary DWARF, so the executable's own
 * .debug_line maps a return address back to file.c:LINE.  It is read
 * with the same reader the compiler uses on the wasm (compiler/
 * dwarf_line.c), on the first trap that asks, once per process (a
 * program without a trap pays nothing), from /proc/self/exe; an
 * executable without DWARF, or with a table the reader refuses, just
 * has no lines.  Only the main program is looked at: code in a shared
 * library (a module compiled with -g and dlopen'ed by a host) gets no
 * lines, since a library can be unloaded and another loaded at its
 * address, while the program stays.  Compressed debug sections
 * (SHF_COMPRESSED) are not read. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dwarf_line.h"
#include "runtime.h"

enum { SEGMENTS_MAX = 16 };

static struct program_lines {
    uintptr_t bias; /* run-time address - link-time address */
    uintptr_t seg_lo[SEGMENTS_MAX], seg_hi[SEGMENTS_MAX];
    unsigned num_segs;
    dwarf_lines lines;
    char **paths; /* [lines.num_files] "dir/name", or the name alone */
    bool ok;
} program;

static pthread_once_t program_once = PTHREAD_ONCE_INIT;

/* The first object dl_iterate_phdr reports is the main program. */
static int main_program_visit(struct dl_phdr_info *info, size_t size, void *arg) {
    program.bias = info->dlpi_addr;
    for (unsigned i = 0; i < info->dlpi_phnum && program.num_segs < SEGMENTS_MAX; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        program.seg_lo[program.num_segs] = info->dlpi_addr + ph->p_vaddr;
        program.seg_hi[program.num_segs++] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    return 1;
}

typedef struct elf_view {
    const uint8_t *data;
    size_t size;
} elf_view;

/* The bytes of section `name`, bounds-checked; NULL if absent. */
static const uint8_t *section_find(const elf_view *e, const char *name, size_t *size) {
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)e->data;
    if (eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff > e->size ||
        (e->size - eh->e_shoff) / sizeof(ElfW(Shdr)) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum)
        return NULL;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(e->data + eh->e_shoff);
    const ElfW(Shdr) *names = &sh[eh->e_shstrndx];
    if (names->sh_offset > e->size || names->sh_size > e->size - names->sh_offset) return NULL;
    size_t want = strlen(name) + 1;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        const ElfW(Shdr) *s = &sh[i];
        if (s->sh_name >= names->sh_size || names->sh_size - s->sh_name < want) continue;
        if (memcmp(e->data + names->sh_offset + s->sh_name, name, want) != 0) continue;
        if (s->sh_type == SHT_NOBITS || (s->sh_flags & SHF_COMPRESSED) ||
            s->sh_offset > e->size || s->sh_size > e->size - s->sh_offset)
            return NULL;
        *size = s->sh_size;
        return e->data + s->sh_offset;
    }
    return NULL;
}

static bool lines_read(const elf_view *e) {
    static const uint8_t ident[] = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3};
    if (e->size < sizeof(ElfW(Ehdr)) || memcmp(e->data, ident, 4) != 0) return false;
    dwarf_sections s = {.max_addr = UINT64_MAX};
    s.line = section_find(e, ".debug_line", &s.line_size);
    if (!s.line) return false;
    s.line_str = section_find(e, ".debug_line_str", &s.line_str_size);
    s.str = section_find(e, ".debug_str", &s.str_size);
    kiln_error err;
    if (dwarf_lines_parse(&s, &program.lines, &err)) return true;
    dwarf_lines_free(&program.lines);
    return false;
}

static char *path_join(const dwarf_file *f) {
    size_t dn = strlen(f->dir), nn = strlen(f->name);
    char *p = malloc(dn + nn + 2);
    if (!p) return NULL;
    if (!dn || f->name[0] == '/') memcpy(p, f->name, nn + 1);
    else snprintf(p, dn + nn + 2, "%s/%s", f->dir, f->name);
    return p;
}

static bool paths_make(void) {
    program.paths = calloc(program.lines.num_files + 1, sizeof *program.paths);
    if (!program.paths) return false;
    for (uint32_t i = 0; i < program.lines.num_files; i++)
        if (!(program.paths[i] = path_join(&program.lines.files[i]))) return false;
    return true;
}

static void program_load(void) {
    dl_iterate_phdr(main_program_visit, NULL);
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            elf_view e = {map, (size_t)st.st_size};
            program.ok = lines_read(&e) && paths_make();
            munmap(map, (size_t)st.st_size);
        }
    }
    close(fd);
}

static bool backtrace_line(uintptr_t ip, const char **file, uint32_t *line) {
    pthread_once(&program_once, program_load);
    if (!program.ok) return false;
    bool inside = false;
    for (unsigned i = 0; i < program.num_segs; i++)
        inside |= ip >= program.seg_lo[i] && ip < program.seg_hi[i];
    const dwarf_row *r = inside ? dwarf_lines_find(&program.lines, ip - program.bias) : NULL;
    if (!r || r->line == 0) return false;
    *file = program.paths[r->file];
    *line = r->line;
    return true;
}

bool (*const kiln_rt_line_reader)(uintptr_t ip, const char **file, uint32_t *line) = backtrace_line;
