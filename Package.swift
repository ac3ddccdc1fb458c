// swift-tools-version: 6.1
// Berth: a mini Fargate for one Linux machine. No package dependencies by design.
import PackageDescription

// Sources/ is grouped by layer, bottom up; a module imports only modules of its own or a lower
// layer, and its dependencies here are exactly the modules its sources import
// (Docs/architecture.md):
//
//   1-base     CBerth (C shim), BerthSys (syscalls, fds, sockets, time), BerthJSON
//   2-host     BerthCgroups, BerthHTTP (server, client, SigV4), BerthLB (load balancer data plane), BerthDNS (in-task resolver, relays), BerthInit (OCI spec, container init)
//   3-runtime  BerthRuntime (containers, monitor, netns), BerthImages (store, layers, archives)
//   4-ecs      BerthECS (model, validation; pure), BerthController (service decisions; pure),
//              BerthTasks (runs task definitions as containers)
//   5-agent    BerthAgent (ECS API; runs tasks only through its TaskEngine protocol)
//   6-cli      BerthOCI (the runc-compatible OCI command line; no Foundation), BerthCLI (commands
//              and wiring, including the real engine adapter)
//   7-bin      the executables berth, berth-oci, berth-init, berth-monitor, berth-reaper
func layer(_ layer: String, _ name: String) -> String { "Sources/\(layer)/\(name)" }

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-oci", targets: ["berth-oci"]),
        .executable(name: "berth-monitor", targets: ["berth-monitor"]),
        .executable(name: "berth-init", targets: ["berth-init"]),
        .executable(name: "berth-reaper", targets: ["berth-reaper"]),
        .executable(name: "berth-lb", targets: ["berth-lb"]),
    ],
    targets: [
        // 1-base
        // C shim for what Swift's Glibc module hides (prefix berth_).
        .target(name: "CBerth", path: layer("1-base", "CBerth")),
        // Thin syscall wrappers with typed errors and EINTR retry in one place; clocks, SHA-256.
        .target(name: "BerthSys", dependencies: ["CBerth"], path: layer("1-base", "BerthSys")),
        // JSON: one value type, parser (positions, paths, exact numbers) and writer; no Foundation.
        .target(name: "BerthJSON", path: layer("1-base", "BerthJSON")),
        // Debian's libzstd and zlib as system libraries (zstd layers, gzip when saving), xattr calls.
        .systemLibrary(name: "CCompress", path: layer("1-base", "CCompress")),
        // Debian's libcrypto as a system library: hardware SHA-256 for image blobs and layers
        // (BerthImages only; berth-init and berth-monitor stay free of it).
        .systemLibrary(name: "CCrypto", path: layer("1-base", "CCrypto")),

        // 2-host
        // cgroup v1 and v2 drivers behind one interface.
        .target(name: "BerthCgroups", dependencies: ["BerthSys", "CBerth"], path: layer("2-host", "BerthCgroups")),
        // TLS client connections over Debian's OpenSSL (libssl-dev); only BerthHTTP links it.
        .target(name: "CBerthTLS", path: layer("2-host", "CBerthTLS"),
                linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // HTTP/1.1 server and clients (streaming, TLS, keep-alive), SigV4 (knows nothing of ECS).
        .target(name: "BerthHTTP", dependencies: ["BerthSys", "CBerth", "CBerthTLS"], path: layer("2-host", "BerthHTTP")),
        // The load balancers' data plane: event-driven HTTP/1.1 and TCP proxy, health checks, draining.
        .target(name: "BerthLB", dependencies: ["BerthHTTP", "BerthSys", "CBerth"], path: layer("2-host", "BerthLB"),
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // In-task service discovery: DNS codec and zone (pure), the resolver at 127.0.0.11 and TCP relays on one epoll loop.
        .target(name: "BerthDNS", dependencies: ["BerthHTTP", "BerthSys", "CBerth"], path: layer("2-host", "BerthDNS")),
        // What runs inside `berth-init` (OCI spec, namespaces, rootfs, security), no Foundation.
        .target(name: "BerthInit", dependencies: ["BerthJSON", "BerthSys", "CBerth"], path: layer("2-host", "BerthInit")),

        // 3-runtime
        // The container runtime (bundles, exec, monitor client, state, network namespaces).
        // Debian's libseccomp as a system library: compiles linux.seccomp to BPF (BerthRuntime
        // only; berth-init loads the bytes and stays free of it).
        .systemLibrary(name: "CSeccomp", path: layer("3-runtime", "CSeccomp")),
        .target(name: "BerthRuntime", dependencies: ["BerthCgroups", "BerthInit", "BerthJSON", "BerthSys", "CBerth", "CSeccomp"],
                path: layer("3-runtime", "BerthRuntime")),
        // Images: content-addressed store, layers (tar, gzip, zstd), OCI layouts and archives, import limits, registry pulls.
        .target(name: "BerthImages", dependencies: ["BerthHTTP", "BerthJSON", "BerthSys", "CBerth", "CCompress", "CCrypto"], path: layer("3-runtime", "BerthImages")),

        // 4-ecs
        // ECS model and validation (pure), service controller (pure), task engine.
        .target(name: "BerthECS", dependencies: ["BerthJSON"], path: layer("4-ecs", "BerthECS")),
        .target(name: "BerthController", dependencies: ["BerthECS", "BerthJSON"], path: layer("4-ecs", "BerthController")),
        // Local Secrets Manager and SSM Parameter Store (owner-only files), and resolving task secrets.
        // Application Auto Scaling: metrics, alarms and scaling decisions as pure functions.
        .target(name: "BerthScaling", dependencies: [], path: layer("4-ecs", "BerthScaling")),
        .target(name: "BerthSecrets", dependencies: ["BerthJSON", "BerthSys"], path: layer("4-ecs", "BerthSecrets")),
        .target(name: "BerthTasks", dependencies: ["BerthCgroups", "BerthECS", "BerthImages", "BerthInit", "BerthJSON", "BerthRuntime", "BerthSecrets", "BerthSys", "CBerth"],
                path: layer("4-ecs", "BerthTasks")),

        // 5-agent
        // The agent: ECS API, persistence, service loop; runs tasks only through `TaskEngine`.
        .target(name: "BerthAgent", dependencies: ["BerthController", "BerthECS", "BerthHTTP", "BerthJSON", "BerthScaling", "BerthSecrets", "BerthSys", "CBerth"],
                path: layer("5-agent", "BerthAgent")),

        // 6-cli
        // The OCI runtime's command line (`berth oci`, `berth-oci`) and the argument parser; no
        // Foundation here or below, so `berth-oci` starts small.
        .target(name: "BerthOCI", dependencies: ["BerthCgroups", "BerthInit", "BerthJSON", "BerthRuntime", "BerthSys", "CBerth"],
                path: layer("6-cli", "BerthOCI")),
        // Command line and wiring (the real engine adapter).
        .target(name: "BerthCLI", dependencies: [
            "BerthAgent", "BerthCgroups", "BerthController", "BerthDNS", "BerthECS", "BerthHTTP", "BerthImages", "BerthInit", "BerthJSON", "BerthLB", "BerthOCI", "BerthRuntime", "BerthSecrets", "BerthSys", "BerthTasks", "CBerth",
        ], path: layer("6-cli", "BerthCLI")),

        // 7-bin
        .executableTarget(
            name: "berth",
            dependencies: ["BerthCLI", "BerthRuntime"],
            path: layer("7-bin", "berth"),
            // Release: a fully static, non-PIE executable (Swift runtime, Foundation and the libraries
            // the static Foundation needs, named here, plus glibc): no dynamic loader, no relocations.
            // `berth version` takes 1.2 ms instead of 2.2 ms (dynamic glibc/libstdc++), paid by the
            // CLI (container setup is the separate, smaller `berth-init`). Name-service lookups (getpwnam, getaddrinfo)
            // are not used by Berth; glibc would load its NSS modules at run time for them.
            linkerSettings: [.unsafeFlags(["-static-executable", "-lCoreFoundation", "-lFoundationInternationalization", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lstdc++", "-lm", "-Xlinker", "-no-pie"], .when(configuration: .release))]
        ),
        // `berth oci` alone, for container engines' `--runtime`: static and without Foundation like
        // berth-init (its start is most of a short container's CLI time; Docs/performance.md).
        .executableTarget(
            name: "berth-oci",
            dependencies: ["BerthOCI"],
            path: layer("7-bin", "berth-oci"),
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-no-pie", "-Xlinker", "--gc-sections"], .when(configuration: .release))]
        ),
        // Container setup process the monitor and `exec` start: small, static, no Foundation, so
        // its start (runtime init, page faults, conformance scans) costs little per container.
        .executableTarget(
            name: "berth-init",
            dependencies: ["BerthInit"],
            path: layer("7-bin", "berth-init"),
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-no-pie", "-Xlinker", "--gc-sections"], .when(configuration: .release))]
        ),
        // Per-container monitor: Embedded Swift, no Foundation, about 0.7 MB resident. Static and
        // non-PIE like berth-reaper: no dynamic loader on every container start.
        .executableTarget(
            name: "berth-monitor",
            dependencies: ["CBerth"],
            path: layer("7-bin", "berth-monitor"),
            swiftSettings: [
                .enableExperimentalFeature("Embedded"),
                .unsafeFlags(["-wmo", "-Osize"]),
            ],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-static", "-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"])]
        ),
        // Init for initProcessEnabled containers: reaps zombies, forwards signals. Embedded Swift,
        // glibc linked statically so it runs in any rootfs (about 0.8 MB).
        .executableTarget(
            name: "berth-reaper",
            dependencies: ["CBerth"],
            path: layer("7-bin", "berth-reaper"),
            swiftSettings: [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Osize"])],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-static", "-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"])]
        ),

        // The load balancer data plane alone, from flags: what Scripts/bench-lb.sh measures.
        .executableTarget(name: "berth-lb", dependencies: ["BerthLB"], path: layer("7-bin", "berth-lb")),

        // Tests, one target per module, plus helpers they share.
        .target(name: "BerthTestSupport", dependencies: ["BerthImages", "BerthSys"], path: "Tests/BerthTestSupport"),
        .testTarget(name: "BerthSysTests", dependencies: ["BerthSys"]),
        .testTarget(name: "BerthJSONTests", dependencies: ["BerthJSON"]),
        .testTarget(name: "BerthCgroupsTests", dependencies: ["BerthCgroups", "BerthSys"]),
        .testTarget(name: "BerthHTTPTests", dependencies: ["BerthHTTP", "BerthSys"]),
        .testTarget(name: "BerthDNSTests", dependencies: ["BerthDNS", "BerthSys"]),
        .testTarget(name: "BerthLBTests", dependencies: ["BerthHTTP", "BerthLB", "BerthSys"]),
        .testTarget(name: "BerthInitTests", dependencies: ["BerthInit", "BerthSys", "CBerth"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthCgroups", "BerthInit", "BerthRuntime", "BerthSys", "CBerth"]),
        .testTarget(name: "BerthImagesTests", dependencies: ["BerthHTTP", "BerthImages", "BerthJSON", "BerthSys", "BerthTestSupport", "CBerth"]),
        .testTarget(name: "BerthECSTests", dependencies: ["BerthECS", "BerthJSON"]),
        .testTarget(name: "BerthScalingTests", dependencies: ["BerthScaling"]),
        .testTarget(name: "BerthSecretsTests", dependencies: ["BerthJSON", "BerthSecrets", "BerthSys"]),
        .testTarget(name: "BerthControllerTests", dependencies: ["BerthController", "BerthECS", "BerthJSON"]),
        .testTarget(name: "BerthTasksTests", dependencies: ["BerthECS", "BerthImages", "BerthInit", "BerthJSON", "BerthRuntime", "BerthSecrets", "BerthSys", "BerthTasks", "BerthTestSupport"]),
        .testTarget(name: "BerthAgentTests", dependencies: ["BerthAgent", "BerthController", "BerthECS", "BerthHTTP", "BerthJSON", "BerthScaling", "BerthSecrets", "BerthSys"]),
        .testTarget(name: "BerthCLITests", dependencies: ["BerthAgent", "BerthCgroups", "BerthCLI", "BerthDNS", "BerthECS", "BerthImages", "BerthJSON", "BerthLB", "BerthOCI", "BerthRuntime", "BerthSys", "BerthTasks", "BerthTestSupport"]),
        // Root-only tests of real containers on the real kernel; they drive the built `berth` binary.
        .testTarget(name: "IntegrationTests", dependencies: ["BerthAgent", "BerthCgroups", "BerthCLI", "BerthDNS", "BerthECS", "BerthImages", "BerthInit", "BerthJSON", "BerthRuntime", "BerthSys", "BerthTasks", "BerthTestSupport", "CBerth"],
                    exclude: ["Registry/registry_helper.py", "ELB/load_client.py"]),
    ]
)
