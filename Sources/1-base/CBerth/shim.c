// CBerth: thin wrappers; see include/CBerth.h.
#define _GNU_SOURCE
#include "CBerth.h"

#include <sched.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

extern char **environ;

int berth_unshare(int flags) { return unshare(flags); }
int berth_setns(int fd, int nstype) { return setns(fd, nstype); }

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
int berth_ns_type(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
int berth_is_nsfs(int fd) {
    struct statfs sfs;
    if (fstatfs(fd, &sfs) != 0) return -1;
    return sfs.f_type == NSFS_MAGIC ? 1 : 0;
}

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define BERTH_OPEN_TREE_CLONE 1
#define BERTH_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define BERTH_MOUNT_ATTR_IDMAP 0x00100000
struct berth_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

int berth_open_tree_clone(const char *path) {
    return (int)syscall(SYS_open_tree, AT_FDCWD, path, BERTH_OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
}
int berth_mount_setattr_idmap(int tree_fd, int userns_fd) {
    struct berth_mount_attr attr = { BERTH_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)userns_fd };
    return (int)syscall(SYS_mount_setattr, tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
}
int berth_move_mount(int tree_fd, const char *target) {
    return (int)syscall(SYS_move_mount, tree_fd, "", AT_FDCWD, target, BERTH_MOVE_MOUNT_F_EMPTY_PATH);
}

pid_t berth_gettid(void) { return (pid_t)syscall(SYS_gettid); }
int berth_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int berth_rename_exchange(const char *from, const char *to) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 2 /* RENAME_EXCHANGE */);
}
int berth_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int berth_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int berth_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }
int berth_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int berth_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
int berth_set_keepcaps(int on) { return prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0); }
int berth_set_dumpable(int on) { return prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0); }
int berth_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
int berth_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int berth_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
int berth_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int berth_set_cloexec(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC); }

int berth_cloexec_from(int first) {
    if (berth_close_range((unsigned)first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0) return 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int fd = atoi(e->d_name);
        if (fd >= first && fd != self) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    return 0;
}

int berth_execvpe(const char *file, char *const argv[], char *const envp[]) { return execvpe(file, argv, envp); }
int berth_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int berth_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }
int berth_memfd_create(const char *name, unsigned int flags) { return (int)syscall(SYS_memfd_create, name, flags); }

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define BERTH_F_SEAL_EXEC 0x0020
/// Copy `src` (size bytes) into `fd`, make it 0555 and seal it; -1 with errno set.
static int fill_and_seal(int fd, int src, off_t size) {
    off_t offset = 0;
    while (offset < size) {
        ssize_t n = sendfile(fd, src, &offset, (size_t)(size - offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) { errno = EIO; return -1; }
    }
    if (fchmod(fd, 0555) < 0) return -1;
    int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    // F_SEAL_EXEC (Linux 6.3+) also freezes the mode bits; older kernels reject it.
    if (fcntl(fd, F_ADD_SEALS, seals | BERTH_F_SEAL_EXEC) == 0) return 0;
    return errno == EINVAL ? fcntl(fd, F_ADD_SEALS, seals) : -1;
}

int berth_sealed_copy(const char *path, const char *name) {
    int src;
    do { src = open(path, O_RDONLY | O_CLOEXEC); } while (src < 0 && errno == EINTR);
    if (src < 0) return -1;
    struct stat st;
    int fd = -1;
    if (fstat(src, &st) == 0) {
        // MFD_EXEC (Linux 6.3+) keeps exec allowed under vm.memfd_noexec; older kernels reject it.
        fd = berth_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL) fd = berth_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd >= 0 && fill_and_seal(fd, src, st.st_size) < 0) {
            int e = errno;
            close(fd);
            fd = -1;
            errno = e;
        }
    }
    int e = errno;
    close(src);
    errno = e;
    return fd;
}
int berth_get_seals(int fd) { return fcntl(fd, F_GET_SEALS); }

/// A detached, empty, read-only tmpfs: the second lower layer of berth_overlay_view.
static int empty_mount(void) {
    int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fsfd < 0) return -1;
    int mnt = -1;
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    int e = errno;
    close(fsfd);
    errno = e;
    return mnt;
}

/// The overlay of `dir` over `lower2` opened at `name` (see berth_overlay_view). With `keep`, the
/// overlay's mount descriptor is left open in *keep instead of closed here.
static int overlay_open(const char *dir, const char *name, const char *lower2, int *keep) {
    char lower[8200];
    int fsfd = -1, mnt = -1, fd = -1;
    // Without an upper directory overlayfs is read-only; it needs two lower layers, and the
    // second is empty. The overlay is attached to no mount namespace, so no one can remount it,
    // and it goes away with the last process or descriptor that uses it.
    if (snprintf(lower, sizeof lower, "%s:%s", dir, lower2) >= (int)sizeof lower) {
        errno = ENAMETOOLONG;
    } else if ((fsfd = fsopen("overlay", FSOPEN_CLOEXEC)) >= 0 &&
               fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) == 0 &&
               fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0) {
        mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
    }
    if (mnt >= 0) {
        do { fd = openat(mnt, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); } while (fd < 0 && errno == EINTR);
    }
    int e = errno;
    if (keep && fd >= 0) *keep = mnt;
    else if (mnt >= 0) close(mnt);
    if (fsfd >= 0) close(fsfd);
    errno = e;
    return fd;
}

int berth_overlay_view_keeping_mount(const char *dir, const char *name, const char *empty_dir, int *mount_fd) {
    *mount_fd = -1;
    if (strpbrk(dir, ":,\\") || strpbrk(empty_dir, ":,\\")) { errno = EINVAL; return -1; }
    return overlay_open(dir, name, empty_dir, mount_fd);
}

int berth_sealed_view(const char *path, const char *empty_dir, int *mount_fd) {
    *mount_fd = -1;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char dir[4096];
    size_t len = slash ? (size_t)(slash - path) : 1;
    if (len >= sizeof dir) { errno = ENAMETOOLONG; return -1; }
    if (slash) memcpy(dir, path, len); else dir[0] = '.';
    if (len == 0) dir[len++] = '/';
    dir[len] = 0;
    int fd = berth_overlay_view_keeping_mount(dir, name, empty_dir, mount_fd);
    if (fd >= 0) return fd;
    fd = berth_overlay_view(dir, name);
    return fd >= 0 ? fd : berth_sealed_copy(path, name);
}

int berth_overlay_view(const char *dir, const char *name) {
    return berth_overlay_view_over(dir, name, NULL);
}

int berth_overlay_view_over(const char *dir, const char *name, const char *empty_dir) {
    // ':' and ',' separate overlay options; such a directory is left to the sealed copy.
    if (strpbrk(dir, ":,\\")) { errno = EINVAL; return -1; }
    if (empty_dir && !strpbrk(empty_dir, ":,\\")) {
        int fd = overlay_open(dir, name, empty_dir, NULL);
        if (fd >= 0) return fd;
    }
    // A detached empty tmpfs as the second layer; closing it here waits for an RCU grace period.
    int empty = empty_mount();
    if (empty < 0) return -1;
    char lower2[32];
    snprintf(lower2, sizeof lower2, "/proc/self/fd/%d", empty);
    int fd = overlay_open(dir, name, lower2, NULL);
    int e = errno;
    close(empty);
    errno = e;
    return fd;
}
int berth_wifexited(int status) { return WIFEXITED(status); }
int berth_wexitstatus(int status) { return WEXITSTATUS(status); }
int berth_wifsignaled(int status) { return WIFSIGNALED(status); }
int berth_wtermsig(int status) { return WTERMSIG(status); }
int berth_wcoredump(int status) { return WCOREDUMP(status); }
int berth_exit_code(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

int berth_block_all_signals(sigset_t *old) {
    sigset_t all;
    sigfillset(&all);
    return pthread_sigmask(SIG_SETMASK, &all, old);
}
int berth_restore_signals(const sigset_t *old) { return pthread_sigmask(SIG_SETMASK, old, NULL); }
void berth_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
int berth_signalfd(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}
int berth_sigfillset(sigset_t *set) { return sigfillset(set); }

int berth_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data);
}
int berth_umount2(const char *target, int flags) { return umount2(target, flags); }
int berth_pivot_root(const char *new_root, const char *put_old) { return (int)syscall(SYS_pivot_root, new_root, put_old); }
int berth_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode, unsigned long long resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
int berth_openat(int dirfd, const char *path, int flags, mode_t mode) { return openat(dirfd, path, flags, mode); }
int berth_mkdirat(int dirfd, const char *path, mode_t mode) { return mkdirat(dirfd, path, mode); }
int berth_mknodat(int dirfd, const char *path, mode_t mode, unsigned int major, unsigned int minor) {
    return mknodat(dirfd, path, mode, makedev(major, minor));
}
int berth_symlinkat(const char *target, int dirfd, const char *path) { return symlinkat(target, dirfd, path); }
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) {
    return fsetxattr(fd, name, value, size, flags);
}
int berth_fstatat_mode(int dirfd, const char *path, int flags, mode_t *mode, dev_t *rdev) {
    struct stat st;
    int rc = fstatat(dirfd, path, &st, flags);
    if (rc == 0) {
        if (mode) *mode = st.st_mode;
        if (rdev) *rdev = st.st_rdev;
    }
    return rc;
}
unsigned int berth_major(dev_t dev) { return major(dev); }
unsigned int berth_minor(dev_t dev) { return minor(dev); }
int berth_statfs(const char *path, long *fs_type, long *fs_flags) {
    struct statfs st;
    int rc = statfs(path, &st);
    if (rc == 0) {
        if (fs_type) *fs_type = (long)st.f_type;
        if (fs_flags) *fs_flags = (long)st.f_flags;
    }
    return rc;
}
int berth_fstatfs(int fd, long *fs_type, long *fs_flags) {
    struct statfs st;
    int rc = fstatfs(fd, &st);
    if (rc == 0) {
        if (fs_type) *fs_type = (long)st.f_type;
        if (fs_flags) *fs_flags = (long)st.f_flags;
    }
    return rc;
}

int berth_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable) {
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    int rc = (int)syscall(SYS_capget, &hdr, data);
    if (rc == 0) {
        if (effective) *effective = ((uint64_t)data[1].effective << 32) | data[0].effective;
        if (permitted) *permitted = ((uint64_t)data[1].permitted << 32) | data[0].permitted;
        if (inheritable) *inheritable = ((uint64_t)data[1].inheritable << 32) | data[0].inheritable;
    }
    return rc;
}
int berth_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)effective;
    data[1].effective = (uint32_t)(effective >> 32);
    data[0].permitted = (uint32_t)permitted;
    data[1].permitted = (uint32_t)(permitted >> 32);
    data[0].inheritable = (uint32_t)inheritable;
    data[1].inheritable = (uint32_t)(inheritable >> 32);
    return (int)syscall(SYS_capset, &hdr, data);
}
int berth_capbset_drop(int cap) { return prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); }
int berth_capbset_read(int cap) { return prctl(PR_CAPBSET_READ, cap, 0, 0, 0); }
int berth_cap_ambient_raise(int cap) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0); }
int berth_cap_ambient_clear_all(void) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); }
int berth_cap_last_cap(void) {
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 40;
    char buf[16] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 40;
    return atoi(buf);
}

int berth_prlimit(pid_t pid, int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = { (rlim_t)soft, (rlim_t)hard };
    return prlimit(pid, (__rlimit_resource_t)resource, &rl, NULL);
}
int berth_setrlimit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = { (rlim_t)soft, (rlim_t)hard };
    return setrlimit((__rlimit_resource_t)resource, &rl);
}

int berth_if_up(const char *name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int berth_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int berth_epoll_ctl(int epfd, int op, int fd, unsigned int events) {
    struct epoll_event ev = { .events = events, .data = { .fd = fd } };
    return epoll_ctl(epfd, op, fd, &ev);
}
int berth_epoll_wait(int epfd, int *fds, unsigned int *events, int max, int timeout_ms) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) { fds[i] = evs[i].data.fd; events[i] = evs[i].events; }
    return n;
}
int berth_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
int berth_accept_nonblock(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int berth_sethostname(const char *name, size_t len) { return sethostname(name, len); }
int berth_setdomainname(const char *name, size_t len) { return setdomainname(name, len); }
int berth_errno(void) { return errno; }
void berth_set_errno(int value) { errno = value; }
char **berth_environ(void) { return environ; }
int64_t berth_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
int64_t berth_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}


// ---- monitor support -------------------------------------------------------------
static int saved_argc;
static char **saved_argv;
static void berth_save_args(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}
// glibc calls .init_array entries with (argc, argv, envp).
__attribute__((section(".init_array"), used)) static void (*berth_save_args_entry)(int, char **, char **) = berth_save_args;
char **berth_argv(int *argc) {
    if (argc) *argc = saved_argc;
    return saved_argv;
}
int berth_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
int berth_ignore_signal(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    return sigaction(sig, &sa, NULL);
}

// ---- spawn -----------------------------------------------------------------------
// Child side: only async-signal-safe calls until execve; failures go back as errno
// through a CLOEXEC pipe so the parent can tell "exec failed" from "ran and exited".
/// Join cgroups: "0" means the writer (in v1 `tasks`, its one thread; in `cgroup.procs`, the
/// process). Async-signal-safe.
static int join_cgroups(const berth_spawn_attr *a) {
    for (int i = 0; i < a->cgroup_join_count; i++) {
        int fd;
        do { fd = open(a->cgroup_join[i], O_WRONLY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
        if (fd < 0) return -1;
        ssize_t w;
        do { w = write(fd, "0", 1); } while (w < 0 && errno == EINTR);
        int e = errno;
        close(fd);
        if (w != 1) { errno = w < 0 ? e : EIO; return -1; }
    }
    return 0;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
/// struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), declared here for older headers.
struct berth_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
};

/// fork() whose child starts inside the cgroup v2 directory open at `cgroupfd`: the kernel
/// places it at creation, so no cgroup.procs write (and no wait on the global threadgroup lock)
/// is needed. The child returns 0 as from fork. -1 with errno set otherwise; ENOSYS, E2BIG or
/// EINVAL mean this kernel cannot (clone3 or CLONE_INTO_CGROUP missing, before Linux 5.7).
static pid_t fork_into_cgroup(int cgroupfd) {
    struct berth_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroupfd;
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/// `placed`: the child was created inside its cgroup and must not join it again.
static void spawn_child(const berth_spawn_attr *a, int errpipe, int placed) {
    if (!placed && a->cgroup_join_count > 0 && join_cgroups(a) < 0) goto fail;
    berth_reset_signals();
    if (a->setsid && setsid() < 0) goto fail;
    if (a->pdeathsig && prctl(PR_SET_PDEATHSIG, a->pdeathsig, 0, 0, 0) < 0) goto fail;
    // Move the error pipe out of the way of the descriptors we are about to place.
    int base = 3 + (a->keep_count > 0 ? a->keep_count : 0);
    if (errpipe < base) {
        int moved = fcntl(errpipe, F_DUPFD_CLOEXEC, base);
        if (moved < 0) goto fail;
        errpipe = moved;
    }
    // The executable's descriptor goes above the slots too (it stays close-on-exec).
    int exec_fd = -1;
    if (a->use_exec_fd) {
        exec_fd = fcntl(a->exec_fd, F_DUPFD_CLOEXEC, base + 1);
        if (exec_fd < 0) goto fail;
    }
    // Stage kept fds above everything first so dup2 ordering cannot clobber a source.
    int staged[64];
    int n = a->keep_count > 64 ? 64 : a->keep_count;
    for (int i = 0; i < n; i++) {
        staged[i] = fcntl(a->keep_fds[i], F_DUPFD_CLOEXEC, base + 1);
        if (staged[i] < 0) goto fail;
    }
    int stdio[3] = { a->stdin_fd, a->stdout_fd, a->stderr_fd };
    int stdstaged[3];
    for (int i = 0; i < 3; i++) {
        stdstaged[i] = stdio[i] >= 0 ? fcntl(stdio[i], F_DUPFD_CLOEXEC, base + 1) : -1;
        if (stdio[i] >= 0 && stdstaged[i] < 0) goto fail;
    }
    for (int i = 0; i < 3; i++)
        if (stdstaged[i] >= 0 && dup2(stdstaged[i], i) < 0) goto fail;
    for (int i = 0; i < n; i++)
        if (dup2(staged[i], 3 + i) < 0) goto fail;
    berth_cloexec_from(3 + n);
    if (a->cwd && chdir(a->cwd) < 0) goto fail;
    char *const *envp = a->envp ? a->envp : environ;
    if (exec_fd >= 0) syscall(SYS_execveat, exec_fd, "", a->argv, envp, AT_EMPTY_PATH);
    else if (a->search_path) execvpe(a->path, a->argv, envp);
    else execve(a->path, a->argv, envp);
fail:;
    int e = errno;
    ssize_t ignored = write(errpipe, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

pid_t berth_spawn(const berth_spawn_attr *a) {
    int cgroupfd = -1;
    if (a->cgroup_dir) {
        cgroupfd = open(a->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgroupfd < 0) return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        int saved = errno;
        if (cgroupfd >= 0) close(cgroupfd);
        errno = saved;
        return -1;
    }
    sigset_t old;
    berth_block_all_signals(&old);
    int placed = 0;
    pid_t pid;
    if (cgroupfd >= 0) {
        pid = fork_into_cgroup(cgroupfd);
        if (pid >= 0) placed = 1;
        else if (errno == ENOSYS || errno == E2BIG || errno == EINVAL) pid = fork();
    } else {
        pid = fork();
    }
    if (pid == 0) {
        close(p[0]);
        spawn_child(a, p[1], placed);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
    if (cgroupfd >= 0) close(cgroupfd);
    if (pid < 0) {
        close(p[0]);
        errno = saved;
        return -1;
    }
    int childErr = 0;
    ssize_t r;
    do { r = read(p[0], &childErr, sizeof childErr); } while (r < 0 && errno == EINTR);
    close(p[0]);
    if (r == sizeof childErr) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        errno = childErr;
        return -1;
    }
    return pid;
}

// Double fork: the grandchild runs the program and is re-parented to the nearest subreaper
// (or init), so a long-lived caller never has to reap it. Returns the grandchild's pid.
// Both levels are vfork()s, as posix_spawn does: no copy of the caller's page tables, and each
// child runs at once while its parent waits for it to exec or exit. The children only make
// async-signal-safe calls on their own stack frames and never return from this function.
pid_t berth_spawn_detached(const berth_spawn_attr *a) {
    if (a->cgroup_dir) {
        errno = EINVAL;
        return -1;
    }
    int errp[2], pidp[2];
    if (pipe2(errp, O_CLOEXEC) < 0) return -1;
    if (pipe2(pidp, O_CLOEXEC) < 0) {
        close(errp[0]);
        close(errp[1]);
        return -1;
    }
    sigset_t old;
    berth_block_all_signals(&old);
    pid_t mid = vfork();
    if (mid == 0) {
        close(errp[0]);
        close(pidp[0]);
        pid_t pid = vfork();
        if (pid == 0) {
            close(pidp[1]);
            spawn_child(a, errp[1], 0);
        }
        int msg[2] = { pid < 0 ? -1 : pid, pid < 0 ? errno : 0 };
        ssize_t ignored = write(pidp[1], msg, sizeof msg);
        (void)ignored;
        _exit(0);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(errp[1]);
    close(pidp[1]);
    if (mid < 0) {
        close(errp[0]);
        close(pidp[0]);
        errno = saved;
        return -1;
    }
    int msg[2] = { -1, EIO };
    ssize_t r;
    do { r = read(pidp[0], msg, sizeof msg); } while (r < 0 && errno == EINTR);
    close(pidp[0]);
    int st;
    while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
    if (r != sizeof msg || msg[0] < 0) {
        close(errp[0]);
        errno = r == sizeof msg ? msg[1] : EIO;
        return -1;
    }
    int childErr = 0;
    do { r = read(errp[0], &childErr, sizeof childErr); } while (r < 0 && errno == EINTR);
    close(errp[0]);
    if (r == sizeof childErr) {
        errno = childErr;
        return -1;
    }
    return msg[0];
}

// ---- cgroup v2 device filter ---------------------------------------------------------------
#include <linux/bpf.h>

int berth_bpf_attach_device_filter(int cgroup_fd, const uint64_t *insns, unsigned int count,
                                   char *log, unsigned int log_size, const char **stage) {
    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)insns;
    load.insn_cnt = count;
    // No helpers are called, so the license does not matter to the verifier; crun says "GPL".
    load.license = (uint64_t)(uintptr_t)"GPL";
    *stage = "bpf(BPF_PROG_LOAD)";
    int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    if (prog < 0 && log && log_size) {
        // Load again with a log, only to fetch the verifier's reason; keep the first errno.
        int saved = errno;
        log[0] = 0;
        load.log_buf = (uint64_t)(uintptr_t)log;
        load.log_size = log_size;
        load.log_level = 1;
        (void)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        errno = saved;
    }
    if (prog < 0) return -1;

    union bpf_attr attach;
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (uint32_t)cgroup_fd;
    attach.attach_bpf_fd = (uint32_t)prog;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    *stage = "bpf(BPF_PROG_ATTACH)";
    int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
    int saved = errno;
    close(prog);
    errno = saved;
    return rc < 0 ? -1 : 0;
}

int berth_seccomp_load(const void *filter, unsigned short len, unsigned int flags) {
    struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)filter };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

// MARK: terminals (exec -t)

#include <termios.h>
#include <signal.h>
#include <sys/socket.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define BERTH_DEVPTS_SUPER_MAGIC 0x1cd1

int berth_pty_open(const char *ptmx, int *peer, int *index) {
    int master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
    if (master < 0) return -1;
    struct statfs fs;
    int unlock = 0, n = -1;
    if (fstatfs(master, &fs) < 0) goto fail;
    if (fs.f_type != BERTH_DEVPTS_SUPER_MAGIC) { errno = ENOTTY; goto fail; }
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) goto fail;
    if (ioctl(master, TIOCGPTN, &n) < 0) goto fail;
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) goto fail;
    *peer = slave;
    *index = n;
    return master;
fail: {
        int e = errno;
        close(master);
        errno = e;
        return -1;
    }
}

int berth_set_controlling_tty(int fd) { return ioctl(fd, TIOCSCTTY, 0); }

int berth_socketpair_cloexec(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }

int berth_send_fd(int sock, int fd) {
    char byte = 'F';
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t r;
    do { r = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -1;
}

int berth_recv_fd(int sock) {
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t r;
    do { r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    if (r == 0) { errno = EPIPE; return -1; }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
            return fd;
        }
    }
    errno = EBADMSG;
    return -1;
}

int berth_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize w;
    if (ioctl(fd, TIOCGWINSZ, &w) < 0) return -1;
    *rows = w.ws_row;
    *cols = w.ws_col;
    return 0;
}

int berth_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize w = { .ws_row = rows, .ws_col = cols };
    return ioctl(fd, TIOCSWINSZ, &w);
}

unsigned long berth_termios_size(void) { return sizeof(struct termios); }

int berth_tty_raw(int fd, void *saved, unsigned long size) {
    if (size < sizeof(struct termios)) { errno = EINVAL; return -1; }
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -1;
    memcpy(saved, &t, sizeof t);
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

int berth_tty_restore(int fd, const void *saved) {
    struct termios t;
    memcpy(&t, saved, sizeof t);
    return tcsetattr(fd, TCSANOW, &t);
}

static int berth_signal_pipe_write = -1;

static void berth_signal_pipe_handler(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (berth_signal_pipe_write >= 0) { ssize_t r = write(berth_signal_pipe_write, &b, 1); (void)r; }
    errno = saved;
}

int berth_signal_pipe(const int *signals, int count) {
    int fds[2];
    if (berth_signal_pipe_write >= 0) { errno = EBUSY; return -1; }
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
    berth_signal_pipe_write = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = berth_signal_pipe_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int i = 0; i < count; i++) {
        sigaction(signals[i], &sa, NULL);
        sigaddset(&unblock, signals[i]);
    }
    // A mask inherited from the parent (exec keeps it) would keep the handler from running.
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    return fds[0];
}

void berth_signal_pipe_reset(const int *signals, int count) {
    for (int i = 0; i < count; i++) signal(signals[i], SIG_DFL);
}
