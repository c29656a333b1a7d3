/* cache_key.c - the common start of compile-cache keys (cache_key.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, mkdtemp */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_key.h"
#include "pipeline.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

/* The file the compiler's code was loaded from: the kiln binary, or the
 * library (libkiln_wasm.so) it is linked into. */
static void compiler_identity(struct stat *self) {
    Dl_info info;
    if (dladdr((void *)module_compile_object, &info) && info.dli_fname &&
        strchr(info.dli_fname, '/') && stat(info.dli_fname, self) == 0)
        return;
    if (stat("/proc/self/exe", self) != 0) memset(self, 0, sizeof *self);
}

/* The CPU the code is compiled for, as LLVM will see it: for "native"
 * this machine's CPU name and feature string (emit.c asks LLVM the same
 * way), so a cache shared between machines (a home directory on NFS)
 * never hands one machine's code to another. */
static void cpu_key_add(sha256 *s, const kiln_compile_options *c) {
    if (!c->cpu || strcmp(c->cpu, "native") != 0) {
        const char *cpu = c->cpu ? c->cpu : "generic";
        sha_update(s, cpu, strlen(cpu) + 1);
        return;
    }
    char *name = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    sha_update(s, name, strlen(name) + 1);
    sha_update(s, features, strlen(features) + 1);
    LLVMDisposeMessage(name);
    LLVMDisposeMessage(features);
}

/* Every field has its own label.  Until 6 December the compiler's identity
 * and the `executable` option were both labelled "exe"; the change made
 * every cached object of earlier keys unreachable, once. */
void cache_key_options(sha256 *s, const kiln_compile_options *c, uint32_t features) {
    struct stat self;
    compiler_identity(&self);
    char flags[512];
    snprintf(flags, sizeof flags,
             "kiln %s compiler %lld.%09ld/%lld O%d features %u bounds %d prefix %s triple %s "
             "frame %u debug %d nans %d executable %d llvm %s",
             KILN_VERSION, (long long)self.st_mtim.tv_sec, self.st_mtim.tv_nsec,
             (long long)self.st_size, c->opt_level, features, c->explicit_bounds,
             c->prefix ? c->prefix : "", c->target_triple ? c->target_triple : "host",
             c->max_frame_size, c->debug_info, c->canonical_nans, c->executable,
             pipeline_llvm_options());
    sha_update(s, flags, strlen(flags) + 1);
    cpu_key_add(s, c);
}

bool cache_dir_make(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

bool cache_dir_path(char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/') n = snprintf(out, cap, "%s/kiln", xdg);
    else if (home && *home) n = snprintf(out, cap, "%s/.cache/kiln", home);
    else return false;
    return n > 0 && (size_t)n < cap;
}

bool cache_dir_default(char *out, size_t cap) {
    return cache_dir_path(out, cap) && cache_dir_make(out);
}

bool cache_scratch_make_plain(const char *parent, const char *name, char *out, size_t cap) {
    if (snprintf(out, cap, "%s/%sXXXXXX", parent, name) >= (int)cap) return errno = ENAMETOOLONG, false;
    return mkdtemp(out) != NULL;
}

void cache_scratch_remove_plain(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    char file[PATH_MAX];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(path);
}
