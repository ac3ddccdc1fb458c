// Debian's libzstd and zlib (system libraries, installed by Scripts/setup.sh: libzstd-dev,
// zlib1g-dev), and the xattr calls Swift's Glibc module leaves out. The inline wrappers stand in
// for C macros Swift cannot call.
#include <zstd.h>
#include <zlib.h>
#include <sys/types.h>
#include <sys/xattr.h>

/// deflateInit2 for a gzip stream (window bits 15 + 16) at `level`.
static inline int berth_gzip_deflate_init(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline ssize_t berth_llistxattr(const char *path, char *list, size_t size) {
    return llistxattr(path, list, size);
}

static inline ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}

static inline int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}

/// inflateInit2 for a gzip stream only (window bits 15 + 16): zlib checks header, CRC-32 and length.
static inline int berth_gunzip_init(z_stream *s) {
    return inflateInit2(s, 15 + 16);
}
