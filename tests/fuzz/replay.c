/* replay.c - a standalone main() for the libFuzzer targets.
 *
 * Where clang's libFuzzer runtime is missing, the fuzz targets are linked
 * with this file instead (CMake option KILN_FUZZ_REPLAY, chosen by
 * tests/fuzz/batch.py): every file named on the command line, or found in
 * a directory named there, goes once through LLVMFuzzerTestOneInput.  No
 * mutation, but the seed corpus still runs under ASan and UBSan, so the
 * CI batch degrades to a replay instead of disappearing.  Arguments that
 * start with '-' are libFuzzer flags and are ignored.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; false if it cannot be read. */
static bool input_replay(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0, n;
    do {
        if (size == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) break;
            buf = grown;
        }
        n = fread(buf + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    bool ok = !ferror(f) && buf;
    fclose(f);
    if (ok) LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return ok;
}

/* Runs every regular file of a directory; returns how many, -1 on error. */
static long dir_replay(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    long count = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (!input_replay(path)) count = -1;
        if (count < 0) break;
        count++;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv) {
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (argv[i][0] == '-') continue;
        long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? dir_replay(argv[i])
                                                                 : (input_replay(argv[i]) ? 1 : -1);
        if (n < 0) return fprintf(stderr, "replay: cannot read %s\n", argv[i]), 1;
        total += n;
    }
    /* Same wording as libFuzzer's -print_final_stats, which batch.py reads. */
    printf("stat::number_of_executed_units: %ld\n", total);
    return 0;
}
