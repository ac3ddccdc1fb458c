import CBerth
func go() {
let pid = fork()
if pid == 0 { _exit(3) }
var st: Int32 = 0
waitpid(pid, &st, 0)
print("child exited \(berth_wexitstatus(st))")
}
go()
