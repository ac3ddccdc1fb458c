// swift-tools-version: 6.1
// Berth: a mini Fargate for one Linux machine. No package dependencies by design.
import PackageDescription

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-monitor", targets: ["berth-monitor"]),
        .executable(name: "berth-init", targets: ["berth-init"]),
        .executable(name: "berth-reaper", targets: ["berth-reaper"]),
    ],
    // Layers, bottom up; a module imports only modules below it, and its dependencies here are
    // exactly the modules its sources import (Docs/architecture.md):
    //
    //   executables    berth, berth-init, berth-monitor, berth-reaper
    //   CLI            BerthCLI (commands and wiring, including the real engine adapter)
    //   agent          BerthAgent (ECS API, runs tasks only through its TaskEngine protocol)
    //   tasks          BerthTasks
    //   runtime        BerthRuntime
    //   init, cgroups  BerthInit, BerthCgroups        HTTP  BerthHTTP
    //   syscalls, JSON BerthSys, BerthJSON (imports nothing)
    //   C shim         CBerth
    //   pure models    BerthECS (imports only BerthJSON), BerthController (imports nothing)
    targets: [
        // C shim for what Swift's Glibc module hides (prefix berth_).
        .target(name: "CBerth"),
        // Thin syscall wrappers with typed errors and EINTR retry in one place; clocks, SHA-256.
        .target(name: "BerthSys", dependencies: ["CBerth"]),
        // JSON: one value type, parser (positions, paths, exact numbers) and writer; no Foundation.
        .target(name: "BerthJSON"),
        // cgroup v1 and v2 drivers behind one interface.
        .target(name: "BerthCgroups", dependencies: ["BerthSys", "CBerth"]),
        // HTTP/1.1 server and client, SigV4 (knows nothing of ECS).
        .target(name: "BerthHTTP", dependencies: ["BerthSys", "CBerth"]),
        // What runs inside `berth-init` (OCI spec, namespaces, rootfs, security), no Foundation;
        // then the container runtime (bundles, exec, monitor client, state).
        .target(name: "BerthInit", dependencies: ["BerthJSON", "BerthSys", "CBerth"]),
        .target(name: "BerthRuntime", dependencies: ["BerthCgroups", "BerthInit", "BerthJSON", "BerthSys", "CBerth"]),
        // Images: content-addressed store, layers (tar, gzip), OCI layouts, import limits.
        .target(name: "BerthImages", dependencies: ["BerthSys", "CBerth"]),
        // ECS model and validation (pure), service controller (pure), task engine.
        .target(name: "BerthECS", dependencies: ["BerthJSON"]),
        .target(name: "BerthController"),
        .target(name: "BerthTasks", dependencies: ["BerthCgroups", "BerthECS", "BerthImages", "BerthInit", "BerthRuntime", "BerthSys", "CBerth"]),
        // The agent: ECS API, persistence, service loop; runs tasks only through `TaskEngine`.
        .target(name: "BerthAgent", dependencies: ["BerthController", "BerthECS", "BerthHTTP", "BerthJSON", "BerthSys", "CBerth"]),
        // Command line and wiring (the real engine adapter).
        .target(name: "BerthCLI", dependencies: [
            "BerthAgent", "BerthCgroups", "BerthController", "BerthECS", "BerthHTTP", "BerthImages", "BerthInit", "BerthJSON", "BerthRuntime", "BerthSys", "BerthTasks", "CBerth",
        ]),
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
            name: "berth-init",
            dependencies: ["BerthInit"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-no-pie", "-Xlinker", "--gc-sections"], .when(configuration: .release))]
        ),
        // Per-container monitor: Embedded Swift, no Foundation, about 0.7 MB resident. Static and
        // non-PIE like berth-reaper: no dynamic loader on every container start.
        .executableTarget(
            name: "berth-monitor",
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
            name: "berth-reaper",
            dependencies: ["CBerth"],
            swiftSettings: [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Osize"])],
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-static", "-Xclang-linker", "-no-pie", "-Xlinker", "--gc-sections"])]
        ),

        .testTarget(name: "BerthSysTests", dependencies: ["BerthSys"]),
        .testTarget(name: "BerthJSONTests", dependencies: ["BerthJSON"]),
        .testTarget(name: "BerthCgroupsTests", dependencies: ["BerthCgroups", "BerthSys"]),
        .testTarget(name: "BerthInitTests", dependencies: ["BerthInit", "BerthSys", "CBerth"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthCgroups", "BerthInit", "BerthRuntime", "BerthSys", "CBerth"]),
        .testTarget(name: "BerthECSTests", dependencies: ["BerthECS", "BerthJSON"]),
        // Helpers shared by test targets (scratch directories, shell).
        .target(name: "BerthTestSupport", dependencies: ["BerthSys"], path: "Tests/BerthTestSupport"),
        .testTarget(name: "BerthImagesTests", dependencies: ["BerthImages", "BerthSys", "BerthTestSupport"]),
        .testTarget(name: "BerthTasksTests", dependencies: ["BerthECS", "BerthImages", "BerthInit", "BerthRuntime", "BerthSys", "BerthTasks", "BerthTestSupport"]),
        .testTarget(name: "BerthControllerTests", dependencies: ["BerthController"]),
        .testTarget(name: "BerthHTTPTests", dependencies: ["BerthHTTP", "BerthSys"]),
        .testTarget(name: "BerthAgentTests", dependencies: ["BerthAgent", "BerthController", "BerthHTTP", "BerthJSON", "BerthSys"]),
        // Root-only tests of real containers on the real kernel; they drive the built `berth` binary.
        .testTarget(name: "IntegrationTests", dependencies: ["BerthCgroups", "BerthImages", "BerthInit", "BerthRuntime", "BerthSys", "CBerth"]),
    ]
)
