import BerthJSON
import BerthSys
import BerthTestSupport
import Testing
@testable import BerthImages

/// A store written by the Codable version of the image store (index.json and a config blob as
/// `berth image import` wrote them) reads the same after the move to BerthJSON.
@Suite struct StoreCompatibilityTests {
    static let index = #"""
{
  "images" : [
    {
      "created" : "2026-12-02T18:27:46Z",
      "id" : "sha256:198db89a68422ad94de11219ed770cc02a1f859924dfcec6c2ef2d03db257956",
      "layers" : [
        "sha256:3d5b09cb91cd7c87b70f4f90feeda540c5c57785000f751831f03cec35ec8927"
      ],
      "name" : "ghcr.io\/org\/app",
      "size" : 3,
      "tag" : "v1"
    },
    {
      "created" : "2026-12-02T18:27:46Z",
      "id" : "sha256:9e07c8c817524327f277bbf2568c950835ad3451cd81f48deb240710edf5b5a5",
      "layers" : [
        "sha256:3d5b09cb91cd7c87b70f4f90feeda540c5c57785000f751831f03cec35ec8927"
      ],
      "name" : "demo",
      "size" : 3,
      "tag" : "2"
    }
  ],
  "schemaVersion" : 1
}
"""#
    static let configID = "sha256:198db89a68422ad94de11219ed770cc02a1f859924dfcec6c2ef2d03db257956"
    static let config = #"{"architecture":"amd64","config":{"Cmd":["\/bin\/x","a\/b"],"Env":["PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin","A=1"],"WorkingDir":"\/bin"},"created":"2026-12-02T18:27:46Z","os":"linux","rootfs":{"diff_ids":["sha256:3d5b09cb91cd7c87b70f4f90feeda540c5c57785000f751831f03cec35ec8927"],"type":"layers"}}"#

    @Test func readsAStoreWrittenByTheCodableVersion() throws {
        let s = Scratch()
        s.write("store/index.json", Self.index)
        s.write("store/blobs/sha256/" + Self.configID.dropFirst(7), Self.config)
        s.write("store/layers/3d5b09cb91cd7c87b70f4f90feeda540c5c57785000f751831f03cec35ec8927/bin/x", "hi\n")
        let store = ImageStore(root: s.path + "/store")
        let images = try store.list()
        #expect(images.map(\.name) == ["demo", "ghcr.io/org/app"])
        let (record, config) = try store.resolve("ghcr.io/org/app:v1")
        #expect(record.id == Self.configID && record.size == 3 && record.created == "2026-12-02T18:27:46Z")
        #expect(record.layers == ["sha256:3d5b09cb91cd7c87b70f4f90feeda540c5c57785000f751831f03cec35ec8927"])
        #expect(config.config.Cmd == ["/bin/x", "a/b"] && config.config.WorkingDir == "/bin")
        #expect(config.config.Env == [ImageConfig.defaultPath, "A=1"])
        #expect(config.rootfs.diff_ids == record.layers && config.os == "linux")
        // What is written now reads back the same, with the same keys.
        let index = try store.readIndex()
        try store.writeIndex(index)
        #expect(try store.readIndex().images == index.images)
        let keys = try JSONValue.parse(bytes: Files.readBytes(store.indexPath))["images"]?.arrayValue?.first?.objectValue?.keys
        #expect(keys?.sorted() == ["created", "id", "layers", "name", "size", "tag"])
        try store.remove("demo:2")
        #expect(try store.list().map(\.tag) == ["v1"])
    }
}
