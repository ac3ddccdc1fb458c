// swift-tools-version: 6.1
// Berth: a mini Fargate for one Linux machine. No package dependencies by design.
import PackageDescription

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-monitor", targets: ["BerthMonitor"]),
    ],
    targets: [
        // Layer 0: C shim for what Swift's Glibc module hides (prefix berth_).
        .target(name: "CBerth"),
        // Layer 1: thin syscall wrappers with typed errors and EINTR retry.
        .target(name: "BerthSys", dependencies: ["CBerth"]),
        // Per-container monitor: Embedded Swift, no Foundation, about 1 MB resident.
        .executableTarget(
            name: "BerthMonitor",
            dependencies: ["CBerth"],
            swiftSettings: [
                .enableExperimentalFeature("Embedded"),
                .unsafeFlags(["-wmo", "-Osize"]),
            ],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--gc-sections"])]
        ),
        .executableTarget(
            name: "berth",
            dependencies: ["BerthSys"],
            // Static stdlib and Foundation in release: about 4 ms from execve to main instead of 11.
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]
        ),
    ]
)
