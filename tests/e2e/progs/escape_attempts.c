// e2e-dir
// e2e-expect: escape_attempts.expected
// A sandboxed program tries to leave its preopened directory in every way
// it can; each attempt must fail with the WASI capability error while
// ordinary work inside still succeeds.  (Natively these would succeed, so
// the output is compared with a file instead.)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err_name(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: return "other";
    }
}

static void try_open(const char *what, const char *path) {
    errno = 0;
    int fd = open(path, O_RDONLY);
    printf("%-28s %s\n", what, fd >= 0 ? "opened" : err_name(errno));
    if (fd >= 0)
        close(fd);
}

int main(void) {
    FILE *f = fopen("inside.txt", "w");
    fputs("inside\n", f);
    fclose(f);
    mkdir("sub", 0755);
    try_open("inside file", "inside.txt");
    try_open("inside via sub/..", "sub/../inside.txt");
    try_open("parent", "..");
    try_open("parent file", "../etc/passwd");
    try_open("deep parent", "sub/../../../../etc/passwd");
    try_open("absolute", "/etc/passwd");
    errno = 0;
    printf("%-28s %s\n", "symlink to /etc (creation)",
           symlink("/etc", "etc-link") == 0 ? "created" : err_name(errno));
    try_open("through /etc symlink", "etc-link/passwd");
    errno = 0;
    printf("%-28s %s\n", "symlink to .. (creation)",
           symlink("..", "up") == 0 ? "created" : err_name(errno));
    try_open("through .. symlink", "up/etc/passwd");
    symlink("sub", "to-sub");
    try_open("symlink then ..", "to-sub/../../etc/passwd");
    try_open("symlink inside", "to-sub/../inside.txt");
    errno = 0;
    printf("%-28s %s\n", "mkdir outside",
           mkdir("../kiln-escape-dir", 0755) == 0 ? "created" : err_name(errno));
    errno = 0;
    printf("%-28s %s\n", "opendir parent", opendir("..") ? "opened" : err_name(errno));
    errno = 0;
    printf("%-28s %s\n", "rename outward",
           rename("inside.txt", "../stolen.txt") == 0 ? "renamed" : err_name(errno));
    printf("%-28s %s\n", "inside file still there",
           access("inside.txt", F_OK) == 0 ? "yes" : "no");
    return 0;
}
