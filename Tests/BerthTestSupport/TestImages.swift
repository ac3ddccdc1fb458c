/// Image archives made by skopeo from an OCI layout built by umoci (no network), in the current
/// directory: image `t` (busybox and /one, then a layer that deletes /one and adds /two; CMD
/// `cat /two`, Env APP=1) and `t2` (t's layers and one more adding /three), saved as
/// single.tar (docker-archive demo:v1 and demo:also), second.tar (docker-archive other:v2),
/// oci.tar (oci-archive, ref name v9) and named.tar (oci-archive, ref name docker.io/library/app:v3).
public enum TestImages {
    public static let archives = #"""
        set -e
        umoci init --layout lay >/dev/null
        umoci new --image lay:t
        umoci unpack --image lay:t b >/dev/null
        mkdir -p b/rootfs/bin && cp /bin/busybox b/rootfs/bin/ && echo one > b/rootfs/one
        umoci repack --image lay:t b && rm -rf b
        umoci config --image lay:t --config.cmd /bin/busybox --config.cmd cat --config.cmd /two --config.env APP=1
        umoci unpack --image lay:t b >/dev/null && rm b/rootfs/one && echo two > b/rootfs/two
        umoci repack --image lay:t b && rm -rf b
        umoci unpack --image lay:t b >/dev/null && echo three > b/rootfs/three
        umoci repack --image lay:t2 b && rm -rf b
        q() { skopeo copy -q "$@" >/dev/null; }
        q --additional-tag demo:also oci:lay:t docker-archive:single.tar:demo:v1
        q oci:lay:t2 docker-archive:second.tar:other:v2
        q oci:lay:t oci-archive:oci.tar:v9
        q oci:lay:t oci-archive:named.tar:docker.io/library/app:v3
        """#
}
