// Debian's libseccomp (libseccomp-dev, installed by Scripts/setup.sh), linked only by
// BerthRuntime, which compiles `linux.seccomp` to BPF; berth-init only loads the bytes.
#include <seccomp.h>
