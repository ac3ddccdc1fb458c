// berth-monitor <state-dir>: the per-container parent. Embedded Swift, no Foundation, no threads.
// It runs `berth-init`, relays its `pid`/`ready`/`error` lines to the runtime, reaps the container,
// copies its output to rotating log files and records the exit in exit.json. See Monitor.swift.
import CBerth

exit(Monitor.main())
