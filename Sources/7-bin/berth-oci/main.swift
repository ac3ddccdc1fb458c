// `berth-oci`: the OCI runtime command line (runc's form: create, start, state, kill, delete,
// run, list, exec, seccomp-default) without the rest of `berth`, for container engines'
// `--runtime` and anyone who starts containers one by one. Free of Foundation and static like
// `berth-init`, so it starts in a fraction of `berth`'s time; `berth oci` runs the same code.
// berth-monitor and berth-init must be installed beside it.
import BerthOCI
#if canImport(Glibc)
import Glibc
#endif

exit(OCI.main(CommandLine.arguments, program: "berth-oci"))
