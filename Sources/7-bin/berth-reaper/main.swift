// berth-reaper [--] PROGRAM [ARGS...]: the init process of containers with
// `linuxParameters.initProcessEnabled` (Docker's --init). Runs PROGRAM as its child, forwards
// every catchable signal to it, reaps every zombie re-parented to it, and exits with the child's
// status (128+signal if the child was killed). Embedded Swift linked statically against glibc,
// so it runs in any rootfs (bind-mounted read-only by the task engine at /dev/.berth-reaper).
import CBerth

func fail(_ text: StaticString, _ code: Int32) -> Never {
    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
    _exit(code)
}

func reaperMain() -> Never {
    var argc: Int32 = 0
    guard let argv = berth_argv(&argc), argc >= 2 else { fail("usage: berth-reaper [--] PROGRAM [ARGS...]\n", 2) }
    var first = 1
    if let a = argv[1], a[0] == 45, a[1] == 45, a[2] == 0 { first = 2 }  // "--"
    guard first < Int(argc), let program = argv[first] else { fail("berth-reaper: missing PROGRAM\n", 2) }

    var old = sigset_t()
    _ = berth_block_all_signals(&old)
    let child = fork()
    if child < 0 { fail("berth-reaper: fork failed\n", 1) }
    if child == 0 {
        _ = berth_restore_signals(&old)
        _ = berth_execvpe(program, argv + first, berth_environ())
        let e = berth_errno()
        _ = write(2, "berth-reaper: cannot execute the container command\n", 51)
        _exit(e == ENOENT ? 127 : 126)
    }

    var all = sigset_t()
    _ = berth_sigfillset(&all)
    var childStatus: Int32 = -1
    while true {
        var info = siginfo_t()
        let sig = sigwaitinfo(&all, &info)
        if sig < 0 { continue }
        if sig == SIGCHLD {
            while true {
                var status: Int32 = 0
                let pid = waitpid(-1, &status, WNOHANG)
                if pid <= 0 { break }
                if pid == child { childStatus = status }
            }
            if childStatus >= 0 { _exit(berth_exit_code(childStatus)) }
        } else {
            _ = kill(child, sig)
        }
    }
}

reaperMain()
