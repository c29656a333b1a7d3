// e2e-dir
// Files in the preopened directory: create, write, append, seek, stat,
// rename, truncate and remove.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(void) {
    FILE *f = fopen("data.txt", "w");
    if (!f)
        return 10;
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %03d %s\n", i, i % 2 ? "odd" : "even");
    fclose(f);
    printf("size after write: %ld\n", size_of("data.txt"));

    f = fopen("data.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    printf("size after append: %ld\n", size_of("data.txt"));

    f = fopen("data.txt", "r");
    char line[64];
    fseek(f, 15 * 13, SEEK_SET);
    fgets(line, sizeof line, f);
    printf("line at offset %d: %s", 15 * 13, line);
    fseek(f, -9, SEEK_END);
    fgets(line, sizeof line, f);
    printf("last line: %s", line);
    printf("ftell: %ld\n", ftell(f));
    fclose(f);

    int fd = open("data.txt", O_RDWR);
    printf("pwrite: %zd\n", pwrite(fd, "LINE", 4, 0));
    char buf[16] = {0};
    printf("pread: %zd '%s'\n", pread(fd, buf, 8, 0), buf);
    printf("ftruncate: %d\n", ftruncate(fd, 26));
    close(fd);
    printf("size after truncate: %ld\n", size_of("data.txt"));

    printf("rename: %d\n", rename("data.txt", "moved.txt"));
    printf("old exists: %d, new exists: %d\n", access("data.txt", F_OK) == 0,
           access("moved.txt", F_OK) == 0);
    f = fopen("moved.txt", "r");
    while (fgets(line, sizeof line, f))
        printf("content: %s", line);
    fclose(f);
    printf("remove: %d\n", remove("moved.txt"));
    errno = 0;
    FILE *gone = fopen("moved.txt", "r");
    printf("reopen removed: %s, ENOENT: %d\n", gone ? "opened" : "failed", errno == ENOENT);
    return 0;
}
