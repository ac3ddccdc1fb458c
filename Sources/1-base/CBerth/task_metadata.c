// The task metadata endpoint inside a task's network namespace (Docs/agent.md, "Task metadata").
//
// 169.254.170.2 is added to the namespace's loopback, a listening TCP socket is made inside the
// namespace (on a free port of 169.254.170.2, so it never takes a port a container may want), and
// a BPF_PROG_TYPE_SK_LOOKUP program attached to the namespace hands every TCP connection to
// 169.254.170.2:80 to that socket (the kernel's socket lookup, before the port's listeners are
// looked at), so a container that listens on 0.0.0.0:80 itself still works. The namespace is
// joined by a short-lived thread of its own (setns(CLONE_NEWNET) changes only the calling
// thread); the caller's threads never change namespace.
#define _GNU_SOURCE
#include "CBerth.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

struct md_job {
    const char *netns_path;
    uint32_t addr;      // network byte order
    uint16_t port;      // host byte order: the port connections are steered from
    int steer;          // 0: do not try sk_lookup (listen on addr:port itself)
    int add_address;    // 1: add addr/32 to lo first (169.254.170.2; all of 127/8 is already local)
    int udp;            // 1: a UDP socket bound to addr:port (no listen, no steering)
    int listen_fd, link_fd;
    int err;
    char stage[96];
    char log[512];
    char fallback[768];
};

static int md_fail(struct md_job *j, const char *stage) {
    j->err = errno ? errno : EIO;
    snprintf(j->stage, sizeof j->stage, "%s", stage);
    return -1;
}

/// RTM_NEWADDR addr/32 on interface `ifindex` (EEXIST is fine: adopted tasks already have it).
static int md_add_address(struct md_job *j, int ifindex) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return md_fail(j, "socket(NETLINK_ROUTE)");
    struct {
        struct nlmsghdr nh;
        struct ifaddrmsg ifa;
        char attrs[64];
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_type = RTM_NEWADDR;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    req.nh.nlmsg_seq = 1;
    req.ifa.ifa_family = AF_INET;
    req.ifa.ifa_prefixlen = 32;
    req.ifa.ifa_scope = RT_SCOPE_HOST;
    req.ifa.ifa_index = (unsigned)ifindex;
    size_t len = NLMSG_LENGTH(sizeof req.ifa);
    unsigned short types[2] = { IFA_LOCAL, IFA_ADDRESS };
    for (int i = 0; i < 2; i++) {
        struct rtattr *rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(len));
        rta->rta_type = types[i];
        rta->rta_len = RTA_LENGTH(4);
        memcpy(RTA_DATA(rta), &j->addr, 4);
        len = NLMSG_ALIGN(len) + RTA_ALIGN(rta->rta_len);
    }
    req.nh.nlmsg_len = (unsigned)len;
    struct sockaddr_nl to = { .nl_family = AF_NETLINK };
    if (sendto(fd, &req, len, 0, (struct sockaddr *)&to, sizeof to) < 0) { md_fail(j, "netlink RTM_NEWADDR"); close(fd); return -1; }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) { md_fail(j, "netlink RTM_NEWADDR (answer)"); close(fd); return -1; }
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        if (e->error != 0 && e->error != -EEXIST) { errno = -e->error; md_fail(j, "add 169.254.170.2/32 to lo"); close(fd); return -1; }
    }
    close(fd);
    return 0;
}

static long md_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

#define INSN(code, dst, src, off, imm) ((struct bpf_insn){ (code), (dst), (src), (off), (imm) })

/// Load the sk_lookup program steering TCP to addr:port into sockmap[0] and link it to the netns.
static int md_attach(struct md_job *j, int netns_fd) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_SOCKMAP;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = 1;
    int map = (int)md_bpf(BPF_MAP_CREATE, &a);
    if (map < 0) return md_fail(j, "bpf(BPF_MAP_CREATE sockmap)");

    uint32_t key = 0;
    uint64_t value = (uint64_t)j->listen_fd;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    a.flags = BPF_ANY;
    if (md_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) { md_fail(j, "bpf(BPF_MAP_UPDATE_ELEM listener)"); close(map); return -1; }

    const int pass = 16;  // index of the final `r0 = SK_PASS`
    struct bpf_insn prog[] = {
        /* 0 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
        /* 1 */ INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct bpf_sk_lookup, protocol), 0),
        /* 2 */ INSN(BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, pass - 3, IPPROTO_TCP),
        /* 3 */ INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct bpf_sk_lookup, local_ip4), 0),
        /* 4 */ INSN(BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, pass - 5, (int32_t)j->addr),
        /* 5 */ INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct bpf_sk_lookup, local_port), 0),
        /* 6 */ INSN(BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, pass - 7, j->port),
        /* 7 */ INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
        /* 8 */ INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map),
        /* 9 */ INSN(0, 0, 0, 0, 0),
        /* 10 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
        /* 11 */ INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
        /* 12 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        /* 13 */ INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, pass - 14, 0),
        /* 14 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0),
        /* 15 */ INSN(BPF_JMP | BPF_JA, 0, 0, 1, 0),  // to 17: assign
        /* 16 */ INSN(BPF_JMP | BPF_JA, 0, 0, 6, 0),  // pass: to 23
        /* 17 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0),
        /* 18 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0),
        /* 19 */ INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0),
        /* 20 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_assign),
        /* 21 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_7, 0, 0),
        /* 22 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_release),
        /* 23 */ INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS),
        /* 24 */ INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SK_LOOKUP;
    a.expected_attach_type = BPF_SK_LOOKUP;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = sizeof prog / sizeof prog[0];
    a.license = (uint64_t)(uintptr_t)"GPL";
    int p = (int)md_bpf(BPF_PROG_LOAD, &a);
    if (p < 0) {
        // Load again with a log, only to fetch the verifier's reason; keep the first errno.
        int saved = errno;
        a.log_buf = (uint64_t)(uintptr_t)j->log;
        a.log_size = sizeof j->log;
        a.log_level = 1;
        j->log[0] = 0;
        (void)md_bpf(BPF_PROG_LOAD, &a);
        errno = saved;
        md_fail(j, "bpf(BPF_PROG_LOAD sk_lookup)");
        close(map);
        return -1;
    }
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = (uint32_t)p;
    a.link_create.target_fd = (uint32_t)netns_fd;
    a.link_create.attach_type = BPF_SK_LOOKUP;
    int link = (int)md_bpf(BPF_LINK_CREATE, &a);
    int saved = errno;
    close(p);
    close(map);  // the program holds the map, the link holds the program
    errno = saved;
    if (link < 0) return md_fail(j, "bpf(BPF_LINK_CREATE sk_lookup)");
    j->link_fd = link;
    return 0;
}

static void *md_thread(void *arg) {
    struct md_job *j = arg;
    int ns = open(j->netns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) { md_fail(j, "open netns"); return NULL; }
    if (setns(ns, CLONE_NEWNET) != 0) { md_fail(j, "setns(CLONE_NEWNET)"); close(ns); return NULL; }
    char where[64];
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &j->addr, ip, sizeof ip);
    if (j->add_address) {
        int lo = (int)if_nametoindex("lo");
        if (lo == 0) { md_fail(j, "if_nametoindex(lo)"); close(ns); return NULL; }
        if (md_add_address(j, lo) != 0) { close(ns); return NULL; }
    }
    int one = 1;
    if (j->udp) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) { md_fail(j, "socket(SOCK_DGRAM)"); close(ns); return NULL; }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(j->port), .sin_addr = { j->addr } };
        snprintf(where, sizeof where, "bind udp %s:%u", ip, (unsigned)j->port);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { md_fail(j, where); close(fd); close(ns); return NULL; }
        j->listen_fd = fd;
        close(ns);
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) { md_fail(j, "socket"); close(ns); return NULL; }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0, .sin_addr = { j->addr } };
    snprintf(where, sizeof where, "bind %s", ip);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { md_fail(j, where); close(fd); close(ns); return NULL; }
    if (listen(fd, 128) != 0) { md_fail(j, "listen"); close(fd); close(ns); return NULL; }
    j->listen_fd = fd;
    if (!j->steer) {
        errno = EOPNOTSUPP;
        md_fail(j, "sk_lookup not wanted");
    }
    if (!j->steer || md_attach(j, ns) != 0) {
        // No sk_lookup here (kernel before 5.9, or no CAP_BPF): listen on addr:port itself,
        // which works unless a container of the task listens on that port of every address.
        close(fd);
        j->listen_fd = -1;
        snprintf(j->fallback, sizeof j->fallback, "%s: %s%s%s", j->stage, strerror(j->err), j->log[0] ? ": " : "", j->log);
        j->err = 0;
        j->log[0] = 0;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) { md_fail(j, "socket"); close(ns); return NULL; }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sa.sin_port = htons(j->port);
        snprintf(where, sizeof where, "bind %s:%u", ip, (unsigned)j->port);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { md_fail(j, where); close(fd); close(ns); return NULL; }
        if (listen(fd, 128) != 0) { md_fail(j, "listen"); close(fd); close(ns); return NULL; }
        j->listen_fd = fd;
    }
    close(ns);
    return NULL;
}

int berth_netns_socket(const char *netns_path, uint32_t addr_be, uint16_t port, int udp, int steer, int add_address,
                       int *sock_fd, int *link_fd, char *err, size_t err_len) {
    struct md_job j;
    memset(&j, 0, sizeof j);
    j.netns_path = netns_path;
    j.addr = addr_be;
    j.port = port;
    j.steer = steer;
    j.udp = udp;
    j.add_address = add_address;
    j.listen_fd = -1;
    j.link_fd = -1;
    pthread_t t;
    int rc = pthread_create(&t, NULL, md_thread, &j);
    if (rc != 0) { errno = rc; snprintf(err, err_len, "pthread_create"); return -1; }
    pthread_join(t, NULL);
    if (j.err != 0) {
        snprintf(err, err_len, "%s%s%s", j.stage, j.log[0] ? ": " : "", j.log);
        errno = j.err;
        return -1;
    }
    *sock_fd = j.listen_fd;
    *link_fd = j.link_fd;
    if (j.fallback[0]) {
        snprintf(err, err_len, "%s", j.fallback);
        return 1;
    }
    return 0;
}

int berth_task_metadata_listener(const char *netns_path, uint32_t addr_be, uint16_t port, int steer,
                                 int *listen_fd, int *link_fd, char *err, size_t err_len) {
    return berth_netns_socket(netns_path, addr_be, port, 0, steer, 1, listen_fd, link_fd, err, err_len);
}
