# Sourced by the guests' stage 2 (guest-init.sh, bench-guest.sh) as PID 1 on a tmpfs root: the
# API filesystems and a pure cgroup v2 hierarchy with its controllers enabled at the root (we
# are the init system here).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+cpu +memory +pids +cpuset" > /sys/fs/cgroup/cgroup.subtree_control
