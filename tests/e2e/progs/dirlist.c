// e2e-dir
// Directories: mkdir, readdir (sorted), nested paths, rmdir of a non-empty
// and an empty directory.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s failed\n", path);
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("%s: %d entries\n", path, n);
    for (int i = 0; i < n; i++) {
        char full[512];
        struct stat st;
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        stat(full, &st);
        printf("  %-12s %s %ld\n", names[i], S_ISDIR(st.st_mode) ? "dir " : "file",
               S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
        free(names[i]);
    }
}

int main(void) {
    printf("mkdir: %d\n", mkdir("tree", 0755));
    printf("mkdir again, EEXIST: %d\n", mkdir("tree", 0755) == -1 && errno == EEXIST);
    mkdir("tree/sub", 0755);
    for (int i = 0; i < 30; i++) {
        char name[64];
        snprintf(name, sizeof name, "tree/file%02d.txt", (i * 7) % 30);
        FILE *f = fopen(name, "w");
        for (int k = 0; k < i; k++)
            fputc('x', f);
        fclose(f);
    }
    FILE *f = fopen("tree/sub/inner", "w");
    fputs("inner\n", f);
    fclose(f);
    list("tree");
    list("tree/sub");
    errno = 0;
    printf("rmdir non-empty fails with ENOTEMPTY: %d\n",
           rmdir("tree/sub") == -1 && errno == ENOTEMPTY);
    unlink("tree/sub/inner");
    printf("rmdir empty: %d\n", rmdir("tree/sub"));
    list("tree");
    return 0;
}
