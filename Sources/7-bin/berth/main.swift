// The `berth` executable. Hidden entry points come first, before anything can start a thread:
// `berth netns-create` runs in a freshly exec'd, single-threaded process and creates a namespace.
// Container setup is the separate `berth-init` executable (Sources/7-bin/berth-init).
import BerthCLI
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

let argv = CommandLine.arguments
if argv.count > 1, let hidden = HiddenEntry(rawValue: argv[1]) {
    exit(hidden.run(Array(argv.dropFirst(2))))
}
exit(CLI.main(argv))
