import Foundation
import Logging
import PythonBridge
import ShadowServe

/// Watches the legacy's Python thread (serve looks each second, through a PeriodicService). A
/// call running past its deadline has been interrupted; one still running after that is stuck in C code that no interrupt reaches (a
/// deadlock in an extension, a blocking call that ignores signals): the `python` health check
/// fails at once, and after `stuckExit` the process exits with ``exitStatus`` so that a supervisor
/// restarts it. Nothing is lost: the events not yet committed are redelivered.
struct PythonWatch: Sendable {
    /// The exit status of a process whose Python thread is stuck (EX_TEMPFAIL: try again).
    static let exitStatus: Int32 = 75

    let interpreter: PythonInterpreter
    let health: ServeHealth
    let stuckExit: Duration
    let logger: Logger

    /// One look at the Python thread (serve runs it every second).
    func check() {
        // An interrupted call returns within milliseconds; one still running a second later is stuck.
        guard let overdue = interpreter.statistics.runningOverdue, overdue > .seconds(1) else {
            health.pass(.python)
            return
        }
        let seconds = Int(overdue.components.seconds)
        health.fail(.python, "a legacy call is stuck: \(seconds) s past its deadline and its interrupt")
        if overdue >= stuckExit {
            logger.critical(
                """
                the Python thread has been stuck for \(seconds) s past a call's deadline; exiting with status \
                \(Self.exitStatus) so that a supervisor restarts serve (uncommitted events are redelivered)
                """)
            exit(Self.exitStatus)
        }
    }
}
