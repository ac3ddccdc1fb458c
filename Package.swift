// swift-tools-version: 6.1
// Berth: a mini Fargate for one Linux machine. No package dependencies by design.
import PackageDescription

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-monitor", targets: ["BerthMonitor"]),
        .executable(name: "berth-init", targets: ["BerthInitMain"]),
        .executable(name: "berth-reaper", targets: ["BerthTaskInit"]),
    ],
    targets: [
        // Layer 0: C shim for what Swift's Glibc module hides (prefix berth_).
        .target(name: "CBerth"),
        // Layer 1: thin syscall wrappers with typed errors and EINTR retry in one place.
        .target(name: "BerthSys", dependencies: ["CBerth"]),
        // JSON: one value type, parser (positions, paths, exact numbers) and writer; no Foundation.
        .target(name: "BerthJSON"),
        // Layer 2: cgroup v1 and v2 drivers behind one interface.
        .target(name: "BerthCgroups", dependencies: ["BerthSys"]),
        // Layer 3: what runs inside `berth-init` (OCI spec, namespaces, rootfs, security), no Foundation;
        // then the container runtime (bundles, exec, monitor client, state).
        .target(name: "BerthInit", dependencies: ["BerthSys", "BerthJSON", "CBerth"]),
        .target(name: "BerthRuntime", dependencies: ["BerthInit", "BerthCgroups", "BerthJSON", "BerthSys"]),
        // Layer 4: ECS model and validation (pure), task engine, service controller (pure), agent.
        .target(name: "BerthECS", dependencies: ["BerthJSON"]),
        .target(name: "BerthTasks", dependencies: ["BerthECS", "BerthInit", "BerthRuntime"]),
        .target(name: "BerthController", dependencies: ["BerthECS"]),
        .target(name: "BerthAgent", dependencies: ["BerthTasks", "BerthController", "BerthECS"]),
        // Layer 5: command line.
        .target(name: "BerthCLI", dependencies: ["BerthAgent", "BerthTasks", "BerthInit", "BerthRuntime", "BerthECS"]),
        .executableTarget(
            name: "berth",
            dependencies: ["BerthCLI", "BerthRuntime"],
            // Release: a fully static, non-PIE executable (Swift runtime, Foundation and the libraries
            // the static Foundation needs, named here, plus glibc): no dynamic loader, no relocations.
            // `berth version` takes 1.2 ms instead of 2.2 ms (dynamic glibc/libstdc++), paid by the
            // CLI (container setup is the separate, smaller `berth-init`). Name-service lookups (getpwnam, getaddrinfo)
            // are not used by Berth; glibc would load its NSS modules at run time for them.
            linkerSettings: [.unsafeFlags(["-static-executable", "-lCoreFoundation", "-lFoundationInternationalization", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lstdc++", "-lm", "-Xlinker", "-no-pie"], .when(configuration: .release))]
        ),
        // Container setup process the monitor and `exec` start: small, static, no Foundation, so
        // its start (runtime init, page faults, conformance scans) costs little per container.
        .executableTarget(
            name: "BerthInitMain",
            dependencies: ["BerthInit"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-no-pie", "-Xlinker", "--gc-sections"], .when(configuration: .release))]
        ),
        // Per-container monitor: Embedded Swift, no Foundation, about 0.7 MB resident. Static and
        // non-PIE like berth-reaper: no dynamic loader on every container start.
        .executableTarget(
            name: "BerthMonitor",
            dependencies: ["CBerth"],
            swiftSettings: [
                .enableExperimentalFeature("Embedded"),
                .unsafeFlags(["-wmo", "-Osize"]),
            ],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-static", "-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"])]
        ),

        // Init for initProcessEnabled containers: reaps zombies, forwards signals. Embedded Swift,
        // glibc linked statically so it runs in any rootfs (about 0.8 MB).
        .executableTarget(
            name: "BerthTaskInit",
            dependencies: ["CBerth"],
            swiftSettings: [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Osize"])],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-static", "-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"])]
        ),

        .testTarget(name: "BerthSysTests", dependencies: ["BerthSys"]),
        .testTarget(name: "BerthJSONTests", dependencies: ["BerthJSON"]),
        .testTarget(name: "BerthCgroupsTests", dependencies: ["BerthCgroups"]),
        .testTarget(name: "BerthInitTests", dependencies: ["BerthInit", "BerthSys", "CBerth"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthInit", "BerthJSON", "BerthRuntime"]),
        .testTarget(name: "BerthECSTests", dependencies: ["BerthECS", "BerthJSON"]),
        .testTarget(name: "BerthTasksTests", dependencies: ["BerthInit", "BerthTasks"]),
        .testTarget(name: "BerthControllerTests", dependencies: ["BerthController"]),
        .testTarget(name: "BerthAgentTests", dependencies: ["BerthAgent"]),
        // Root-only tests of real containers on the real kernel; they drive the built `berth` binary.
        .testTarget(name: "IntegrationTests", dependencies: ["BerthInit", "BerthRuntime", "BerthCgroups", "BerthSys"]),
    ]
)
