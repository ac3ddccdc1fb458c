import BerthJSON
import Testing
@testable import BerthImages

@Suite struct OCIContentTests {
    static let index = #"""
    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":10,"platform":{"architecture":"arm","os":"linux","variant":"v7"}},
      {"mediaType":"application/vnd.example.unknown","digest":"sha256:bb","platform":{"architecture":"amd64","os":"linux"}},
      {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:cc","platform":{"architecture":"arm64","os":"linux"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dd","platform":{"architecture":"amd64","os":"linux","os.features":["x"]}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:ee","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}
    ]}
    """#

    @Test func indexSelectsThePlatformIgnoringUnknownMediaTypes() throws {
        let index = try ImageIndex.read(json: Array(Self.index.utf8))
        #expect(index.select(Platform(os: "linux", architecture: "amd64"))?.digest == "sha256:dd")
        #expect(index.select(try Platform(parsing: "linux/arm64/v8"))?.digest == "sha256:cc", "arm64 without a variant is v8")
        #expect(index.select(try Platform(parsing: "linux/arm/v7"))?.digest == "sha256:aa")
        #expect(index.select(try Platform(parsing: "linux/arm/v6")) == nil)
        #expect(index.select(try Platform(parsing: "windows/amd64")) == nil)
        #expect(index.manifests[3].platform?.osFeatures == ["x"])
        #expect(try ImageIndex.read(json: index.jsonValue.serializedBytes()) == index)
        #expect(throws: ImageError.self) { try Platform(parsing: "linux") }
        #expect(Platform.host.os == "linux" && Platform.host.matches(Platform.host))
    }

    @Test func manifestAndMediaTypes() throws {
        let text = #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:c","size":5},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:l","size":7,"urls":["https://x"]}]}"#
        let m = try ImageManifest.read(json: Array(text.utf8))
        #expect(m.config.size == 5 && m.layers.map(\.digest) == ["sha256:l"] && m.layers[0].urls == ["https://x"])
        #expect(MediaType.isManifest(m.mediaType) && !MediaType.isIndex(m.mediaType))
        #expect(try ImageManifest.read(json: m.jsonValue.serializedBytes()) == m)
        #expect(MediaType.layerCompression(MediaType.ociLayer) == MediaType.Compression.none)
        #expect(MediaType.layerCompression(MediaType.dockerLayerGzip) == .gzip)
        #expect(MediaType.layerCompression(MediaType.ociLayerZstd) == .zstd)
        #expect(MediaType.layerCompression("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") == .gzip)
        #expect(MediaType.layerCompression(MediaType.ociConfig) == nil)
        #expect(throws: JSONShapeError.self) { try ImageManifest.read(json: Array(#"{"layers":[]}"#.utf8)) }
        #expect(Digest.sha256Hex("sha256:" + String(repeating: "a", count: 64)) != nil)
        #expect(Digest.sha256Hex("sha256:" + String(repeating: "A", count: 64)) == nil)
    }
}
