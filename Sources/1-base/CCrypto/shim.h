// Debian's OpenSSL libcrypto (libssl-dev, installed by Scripts/setup.sh) for SHA-256 over large
// streams (image blobs and layers): its implementation uses the CPU's SHA extensions or AVX2.
// Only BerthImages links it here (CBerthTLS links it for TLS); berth-init and berth-monitor never do.
#include <openssl/evp.h>
