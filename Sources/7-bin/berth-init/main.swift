// `berth-init <state-dir>`: the container setup process (see Docs/init.md). The monitor execs it
// for create, `berth exec` spawns it for exec; it is freshly exec'd and single-threaded.
import BerthInit
#if canImport(Glibc)
import Glibc
#endif

exit(InitMain.run(Array(CommandLine.arguments.dropFirst())))
