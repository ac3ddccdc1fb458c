// CBerth: the calls and constants Swift's Glibc module hides from Swift.
// Every function is a thin wrapper: it returns what the kernel returned
// (-1 with errno set on failure) and never allocates.
// Prefix convention: berth_ for functions, berth_ / BERTH_ for types and constants.
#ifndef CBERTH_H
#define CBERTH_H

// No _GNU_SOURCE here: this header is imported next to SwiftGlibc and must see the same
// definitions. GNU-only calls live in shim.c. The libc headers below also serve the
// Embedded Swift monitor, which has no Glibc module of its own.
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <poll.h>
#include <dirent.h>
#include <grp.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <netinet/in.h>

// ---- namespaces -----------------------------------------------------------
static const int BERTH_CLONE_NEWNS = 0x00020000;
static const int BERTH_CLONE_NEWCGROUP = 0x02000000;
static const int BERTH_CLONE_NEWUTS = 0x04000000;
static const int BERTH_CLONE_NEWIPC = 0x08000000;
static const int BERTH_CLONE_NEWUSER = 0x10000000;
static const int BERTH_CLONE_NEWPID = 0x20000000;
static const int BERTH_CLONE_NEWNET = 0x40000000;
static const int BERTH_CLONE_NEWTIME = 0x00000080;

int berth_unshare(int flags);
int berth_setns(int fd, int nstype);
/// ioctl(NS_GET_NSTYPE): the CLONE_NEW* type of an nsfs file; -1/errno (ENOTTY: not nsfs).
int berth_ns_type(int fd);
/// True (1) if `fd` is on nsfs (fstatfs f_type NSFS_MAGIC), 0 if not, -1/errno.
int berth_is_nsfs(int fd);
/// open_tree(path, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE): a detached copy of the
/// mount tree at `path`.
int berth_open_tree_clone(const char *path);
/// mount_setattr(fd, "", AT_EMPTY_PATH|AT_RECURSIVE, {MOUNT_ATTR_IDMAP, userns_fd}).
int berth_mount_setattr_idmap(int tree_fd, int userns_fd);
/// move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH): attach a detached tree.
int berth_move_mount(int tree_fd, const char *target);

// ---- process --------------------------------------------------------------
pid_t berth_gettid(void);
int berth_pidfd_open(pid_t pid, unsigned int flags);
/// renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE): swap two existing names atomically.
int berth_rename_exchange(const char *from, const char *to);
int berth_pidfd_send_signal(int pidfd, int sig);
int berth_set_child_subreaper(void);
int berth_set_pdeathsig(int sig);
int berth_set_no_new_privs(void);
int berth_get_no_new_privs(void);
/// seccomp(SECCOMP_SET_MODE_FILTER, flags, {len, filter}): `filter` is `len` struct sock_filter
/// (8 bytes each) as seccomp_export_bpf writes them. -1/errno on failure.
int berth_seccomp_load(const void *filter, unsigned short len, unsigned int flags);
int berth_set_keepcaps(int on);
int berth_set_dumpable(int on);
int berth_set_name(const char *name);
int berth_setresuid(uid_t r, uid_t e, uid_t s);
int berth_setresgid(gid_t r, gid_t e, gid_t s);
int berth_close_range(unsigned int first, unsigned int last, unsigned int flags);
/// Mark every descriptor >= first close-on-exec (close_range with CLOEXEC, or a /proc/self/fd walk).
int berth_cloexec_from(int first);
/// Mark one descriptor close-on-exec (fcntl is variadic, so Swift cannot call it).
int berth_set_cloexec(int fd);
int berth_execvpe(const char *file, char *const argv[], char *const envp[]);
int berth_pipe2(int fds[2], int flags);
int berth_dup3(int oldfd, int newfd, int flags);
int berth_memfd_create(const char *name, unsigned int flags);
/// A sealed, executable in-memory copy of the file at `path` (CVE-2019-5736): memfd `name`
/// (close-on-exec, MFD_EXEC where the kernel knows it), the file's bytes, mode 0555, then
/// F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE (and F_SEAL_EXEC where known), so neither this process nor anything that
/// reaches it through /proc can change it. Returns the descriptor, or -1 with errno set.
int berth_sealed_copy(const char *path, const char *name);
/// `dir/name` opened (close-on-exec) through a private read-only overlay of `dir` that is never
/// attached to any mount namespace (runc's zero-copy alternative to the sealed copy, Linux 5.2+,
/// root): an executable run from it cannot be written through /proc/<pid>/exe. -1 with errno
/// set where the kernel or the caller's privileges do not allow it.
int berth_overlay_view(const char *dir, const char *name);
/// berth_overlay_view with the existing empty directory `empty_dir` as the overlay's second lower
/// layer instead of a detached empty tmpfs: closing a detached mount costs an RCU grace period
/// (namespace_unlock), several ms on a loaded host, paid by every `berth oci create`/`run`.
/// NULL, or a directory the overlay refuses, falls back to the tmpfs.
int berth_overlay_view_over(const char *dir, const char *name, const char *empty_dir);
/// berth_overlay_view_over(dir, name, empty_dir) without the fallback, leaving the overlay's mount
/// descriptor open (close-on-exec) in *mount_fd: closing it detaches the overlay from its private
/// namespace, which waits for an RCU grace period, so the caller closes it when that is off its
/// critical path (berth-monitor: once init reported ready). The opened file keeps the overlay alive.
int berth_overlay_view_keeping_mount(const char *dir, const char *name, const char *empty_dir, int *mount_fd);
/// The executable at `path` to run in a container (berth-monitor's init): its overlay view over
/// `empty_dir` with the mount descriptor left in *mount_fd (-1 if none), else the view over a
/// detached tmpfs, else a sealed memfd copy. -1 with errno set if none can be made.
int berth_sealed_view(const char *path, const char *empty_dir, int *mount_fd);
/// The seals on a memfd (F_GET_SEALS), or -1 with errno set.
int berth_get_seals(int fd);
/// Wait status helpers (the W* macros are not importable).
int berth_wifexited(int status);
int berth_wexitstatus(int status);
int berth_wifsignaled(int status);
int berth_wtermsig(int status);
int berth_wcoredump(int status);
/// A wait status as a shell reports it: the exit status, or 128 + the signal that killed it
/// (the one place of that rule; BerthSys's `ExitStatus` and the Embedded executables use it).
int berth_exit_code(int status);

// ---- signals --------------------------------------------------------------
/// Block all signals in the calling thread; the old mask is stored in *old.
int berth_block_all_signals(sigset_t *old);
int berth_restore_signals(const sigset_t *old);
/// Reset every signal disposition to SIG_DFL and unblock all signals (for a child before execve).
void berth_reset_signals(void);
/// A signalfd receiving the given signals (which are blocked in the calling thread). -1 on error.
int berth_signalfd(const int *signals, int count);
int berth_sigfillset(sigset_t *set);

// ---- mounts and files -----------------------------------------------------
static const unsigned long BERTH_MS_RDONLY = 1;
static const unsigned long BERTH_MS_NOSUID = 2;
static const unsigned long BERTH_MS_NODEV = 4;
static const unsigned long BERTH_MS_NOEXEC = 8;
static const unsigned long BERTH_MS_SYNCHRONOUS = 16;
static const unsigned long BERTH_MS_REMOUNT = 32;
static const unsigned long BERTH_MS_MANDLOCK = 64;
static const unsigned long BERTH_MS_DIRSYNC = 128;
static const unsigned long BERTH_MS_NOSYMFOLLOW = 256;
static const unsigned long BERTH_MS_NOATIME = 1024;
static const unsigned long BERTH_MS_NODIRATIME = 2048;
static const unsigned long BERTH_MS_BIND = 4096;
static const unsigned long BERTH_MS_MOVE = 8192;
static const unsigned long BERTH_MS_REC = 16384;
static const unsigned long BERTH_MS_SILENT = 32768;
static const unsigned long BERTH_MS_UNBINDABLE = (1 << 17);
static const unsigned long BERTH_MS_PRIVATE = (1 << 18);
static const unsigned long BERTH_MS_SLAVE = (1 << 19);
static const unsigned long BERTH_MS_SHARED = (1 << 20);
static const unsigned long BERTH_MS_RELATIME = (1 << 21);
static const unsigned long BERTH_MS_STRICTATIME = (1 << 24);
static const int BERTH_MNT_DETACH = 2;
static const int BERTH_O_PATH = 010000000;
static const int BERTH_AT_EMPTY_PATH = 0x1000;
static const int BERTH_AT_SYMLINK_NOFOLLOW = 0x100;
static const int BERTH_AT_REMOVEDIR = 0x200;

static const unsigned long long BERTH_RESOLVE_NO_XDEV = 0x01;
static const unsigned long long BERTH_RESOLVE_NO_MAGICLINKS = 0x02;
static const unsigned long long BERTH_RESOLVE_NO_SYMLINKS = 0x04;
static const unsigned long long BERTH_RESOLVE_BENEATH = 0x08;
static const unsigned long long BERTH_RESOLVE_IN_ROOT = 0x10;

int berth_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int berth_umount2(const char *target, int flags);
int berth_pivot_root(const char *new_root, const char *put_old);
/// openat2(2); returns -1/ENOSYS on kernels without it.
int berth_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode, unsigned long long resolve);
int berth_openat(int dirfd, const char *path, int flags, mode_t mode);
int berth_mkdirat(int dirfd, const char *path, mode_t mode);
int berth_mknodat(int dirfd, const char *path, mode_t mode, unsigned int major, unsigned int minor);
int berth_symlinkat(const char *target, int dirfd, const char *path);
int berth_fstatat_mode(int dirfd, const char *path, int flags, mode_t *mode, dev_t *rdev);
/// fsetxattr(2) (sys/xattr.h is not in Swift's Glibc module).
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
unsigned int berth_major(dev_t dev);
unsigned int berth_minor(dev_t dev);
/// f_type and f_flags of statfs(2).
int berth_statfs(const char *path, long *fs_type, long *fs_flags);
int berth_fstatfs(int fd, long *fs_type, long *fs_flags);
static const long BERTH_CGROUP2_SUPER_MAGIC = 0x63677270;
static const long BERTH_CGROUP_SUPER_MAGIC = 0x27e0eb;
static const long BERTH_TMPFS_MAGIC = 0x01021994;
static const long BERTH_ST_RDONLY = 1;
static const long BERTH_ST_NOSUID = 2;
static const long BERTH_ST_NODEV = 4;
static const long BERTH_ST_NOEXEC = 8;

// ---- capabilities -----------------------------------------------------------
static const int BERTH_CAP_LAST_CAP_MAX = 63;
/// Read the capability sets of the calling thread as 64-bit masks.
int berth_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);
int berth_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int berth_capbset_drop(int cap);
int berth_capbset_read(int cap);
int berth_cap_ambient_raise(int cap);
int berth_cap_ambient_clear_all(void);
/// The highest capability number the kernel knows (from /proc/sys/kernel/cap_last_cap).
int berth_cap_last_cap(void);

// ---- rlimits ----------------------------------------------------------------
int berth_prlimit(pid_t pid, int resource, uint64_t soft, uint64_t hard);
int berth_setrlimit(int resource, uint64_t soft, uint64_t hard);
static const uint64_t BERTH_RLIM_INFINITY = ~0ULL;

// ---- networking (loopback up in a new netns) ----------------------------------
/// Bring an interface up (SIOCSIFFLAGS |= IFF_UP|IFF_RUNNING).
int berth_if_up(const char *name);

// ---- event loop (the agent's HTTP server; Glibc does not export epoll) ----------
static const unsigned int BERTH_EPOLLIN = 0x001;
static const unsigned int BERTH_EPOLLOUT = 0x004;
static const unsigned int BERTH_EPOLLERR = 0x008;
static const unsigned int BERTH_EPOLLHUP = 0x010;
/// epoll_create1(EPOLL_CLOEXEC).
int berth_epoll_create(void);
/// epoll_ctl ADD (op 1), DEL (2) or MOD (3) of `fd` for `events`; the event's data is `fd`.
int berth_epoll_ctl(int epfd, int op, int fd, unsigned int events);
/// epoll_wait for at most `max` (<= 64) events, returned as parallel arrays of fds and events.
int berth_epoll_wait(int epfd, int *fds, unsigned int *events, int max, int timeout_ms);
/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int berth_eventfd(void);
/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC): no window where another thread's exec inherits it.
int berth_accept_nonblock(int fd);

// ---- cgroup v2 device filter (Sources/2-host/BerthCgroups/DeviceFilter.swift builds the program) ----
/// bpf(BPF_PROG_LOAD) a BPF_PROG_TYPE_CGROUP_DEVICE program of `count` instructions (each a
/// packed struct bpf_insn), then bpf(BPF_PROG_ATTACH) it to the cgroup directory `cgroup_fd`
/// as BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI; the program fd is closed (the attachment keeps
/// the program while the cgroup exists). Returns 0, or -1 with errno set and *stage naming the
/// call that failed ("bpf(BPF_PROG_LOAD)" or "bpf(BPF_PROG_ATTACH)"); the verifier's message, if
/// any, is in `log` (NUL-terminated).
int berth_bpf_attach_device_filter(int cgroup_fd, const uint64_t *insns, unsigned int count,
                                   char *log, unsigned int log_size, const char **stage);

// ---- misc -----------------------------------------------------------------------
int berth_sethostname(const char *name, size_t len);
int berth_setdomainname(const char *name, size_t len);
/// errno of the calling thread (Swift can read errno, but this keeps the monitor portable).
int berth_errno(void);
void berth_set_errno(int value);
char **berth_environ(void);
/// The clock_gettime(CLOCK_REALTIME) value as nanoseconds since the epoch.
int64_t berth_realtime_ns(void);
int64_t berth_monotonic_ns(void);


// ---- monitor support (Embedded Swift has no CommandLine and cannot call variadic open) ----
/// argc/argv of the process, captured by an .init_array constructor.
char **berth_argv(int *argc);
/// open(2) with an explicit mode (the libc prototype is variadic).
int berth_open(const char *path, int flags, mode_t mode);
/// Set the disposition of `sig` to SIG_IGN.
int berth_ignore_signal(int sig);
/// SIGCHLD's number and friends, as plain ints for the monitor.
static const int BERTH_SIGCHLD = SIGCHLD;

// ---- an async-signal-safe spawn for multi-threaded callers ---------------------
/// What the child does between fork and execve, all in C.
typedef struct berth_spawn_attr {
    const char *path;          // executable (absolute, or searched in PATH if search_path)
    char *const *argv;
    char *const *envp;         // NULL: inherit environ
    const char *cwd;           // NULL: inherit
    int stdin_fd, stdout_fd, stderr_fd; // -1: inherit; otherwise dup2'd onto 0/1/2
    const int *keep_fds;       // extra fds kept open, dup2'd to 3, 4, ... in order
    int keep_count;
    int setsid;                // 1: new session (detached from the caller's terminal)
    int search_path;
    int pdeathsig;             // 0: none
    // Appended for cgroups (keep new fields at the end). The child runs in its cgroups before
    // execve: created inside cgroup_dir (cgroup v2: clone3 with CLONE_INTO_CGROUP, no migration)
    // or, without cgroup_dir or on a kernel that cannot (before 5.7), it writes "0" (itself) to
    // each cgroup_join file (v1 `tasks`, v2 `cgroup.procs`) first thing after the fork.
    const char *const *cgroup_join;
    int cgroup_join_count;
    const char *cgroup_dir;    // NULL: none. berth_spawn only (berth_spawn_detached: EINVAL)
    // 1: execute the file open at exec_fd (execveat AT_EMPTY_PATH, e.g. a berth_sealed_copy)
    // instead of `path`, which then only names it in errors.
    int use_exec_fd;
    int exec_fd;

} berth_spawn_attr;
/// fork (or clone3 into cgroup_dir) + execve with only async-signal-safe calls in the child (open/write/close for cgroup_join). Returns the child's pid,
/// or -1 with errno set (including the child's execve errno, reported through a CLOEXEC pipe).
pid_t berth_spawn(const berth_spawn_attr *attr);
/// Like berth_spawn, but through an intermediate process that exits at once: the program is
/// re-parented to the nearest subreaper (or init) and the caller never reaps it.
pid_t berth_spawn_detached(const berth_spawn_attr *attr);

/// The task metadata endpoint in a network namespace (task_metadata.c): adds `addr_be`/32 to the
/// namespace's lo, makes a listening TCP socket there (non-blocking, close-on-exec, on a free port
/// of that address) and links an sk_lookup program to the namespace that hands every TCP
/// connection to addr:`port` to it. All of it on a short-lived thread that joins the namespace;
/// the calling thread is untouched. The link (`*link_fd`) lives as long as its descriptor.
/// -1/errno on failure with the failed step (and the verifier's log) in `err`. Where sk_lookup
/// cannot be used, the socket listens on addr:`port` itself, `*link_fd` is -1, `err` says why,
/// and the result is 1; `steer` 0 goes that way at once.
int berth_task_metadata_listener(const char *netns_path, uint32_t addr_be, uint16_t port, int steer,
                                 int *listen_fd, int *link_fd, char *err, size_t err_len);
/// The same for any socket in a task's namespace (service discovery, Docs/tasks.md "Service
/// discovery inside tasks"): `udp` 1 gives a UDP socket bound to addr:`port` (no steering);
/// `udp` 0 a TCP listener as above; `add_address` 0 leaves lo's addresses alone (127/8 is local).
int berth_netns_socket(const char *netns_path, uint32_t addr_be, uint16_t port, int udp, int steer, int add_address,
                       int *sock_fd, int *link_fd, char *err, size_t err_len);

// MARK: terminals (exec -t) -- appended; see Docs/init.md "Exec mode"

/// Open the pty multiplexer at `ptmx` (O_RDWR|O_NOCTTY|O_CLOEXEC|O_NOFOLLOW), check with fstatfs
/// that it is on a devpts, unlock it and open its peer with TIOCGPTPEER (no path lookup, so a
/// container cannot redirect it). Returns the master; *peer = the slave (O_CLOEXEC), *index = N
/// of /dev/pts/N. -1 with errno (ENOTTY: not a devpts).
int berth_pty_open(const char *ptmx, int *peer, int *index);
/// ioctl(fd, TIOCSCTTY, 0): make fd the calling session leader's controlling terminal.
int berth_set_controlling_tty(int fd);
/// socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC).
int berth_socketpair_cloexec(int fds[2]);
/// Send one descriptor with SCM_RIGHTS (one data byte).
int berth_send_fd(int sock, int fd);
/// Receive one descriptor sent by berth_send_fd (MSG_CMSG_CLOEXEC); -1 with errno, EPIPE at EOF.
int berth_recv_fd(int sock);
int berth_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
int berth_set_winsize(int fd, unsigned short rows, unsigned short cols);
/// Save fd's termios into `saved` (at least berth_termios_size() bytes) and switch it to raw mode.
int berth_tty_raw(int fd, void *saved, unsigned long size);
int berth_tty_restore(int fd, const void *saved);
unsigned long berth_termios_size(void);
/// A self-pipe for signals: installs a handler (SA_RESTART) for each signal that writes the signal
/// number as one byte, unblocks them in the calling thread; returns the read end
/// (O_NONBLOCK|O_CLOEXEC). One pipe per process.
int berth_signal_pipe(const int *signals, int count);
/// Back to SIG_DFL for these signals.
void berth_signal_pipe_reset(const int *signals, int count);

#endif
