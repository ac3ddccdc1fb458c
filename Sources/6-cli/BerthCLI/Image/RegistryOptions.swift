import BerthImages
import BerthOCI

/// Options shared by `berth image pull`, `login` and `logout`: where the store, the hosts
/// configuration, the credential file and the per-registry CA certificates are.
enum RegistryOptions {
    static let names: Set<String> = ["--images", "--registries", "--auth-file", "--certs-dir"]

    static let usage = """
          --images DIR         image store (default \(ImageStore.defaultRoot))
          --registries FILE    mirrors and insecure registries (default \(RegistryHosts.defaultPath))
          --auth-file FILE     Berth's credential file (default \(CredentialStore.defaultPath))
          --certs-dir DIR      extra CA certificates, DIR/HOST[:PORT]/*.crt (default \(RegistryPuller.defaultCertsDirectory))
        """

    static func store(_ a: Arguments) -> ImageStore { ImageStore(root: a.value("--images") ?? ImageStore.defaultRoot) }
    static func credentials(_ a: Arguments) -> CredentialStore { CredentialStore(path: a.value("--auth-file") ?? CredentialStore.defaultPath) }

    static func puller(_ a: Arguments) throws -> RegistryPuller {
        try RegistryPuller.standard(store: store(a), registriesFile: a.value("--registries") ?? RegistryHosts.defaultPath,
                                    authFile: a.value("--auth-file") ?? CredentialStore.defaultPath,
                                    certsDirectory: a.value("--certs-dir") ?? RegistryPuller.defaultCertsDirectory)
    }
}
