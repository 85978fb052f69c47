import CThreadTuning
import Foundation

/// Where the Python thread runs, and at what priority.
///
/// The GIL makes that one thread the legacy's whole capacity, so by default it gets a CPU of its
/// own and a higher priority than the harness's threads: sharing both CPUs with the harness, the
/// Python work runs much slower (preempted, and moved between CPUs with cold caches), and serve
/// falls well short of the legacy ceiling (README, "Where the Python thread runs").
public struct PythonThreadPlacement: Sendable, Equatable {
    /// Pin the Python thread to the last CPU the process may use (when it may use two or more).
    public var dedicatedCPU: Bool
    /// The nice value asked for the Python thread (Linux sets it per thread). Below 0 needs
    /// CAP_SYS_NICE (root has it); without, the thread keeps the process's value and
    /// ``PythonInterpreter/placement`` says so.
    public var nice: Int32?
    /// With ``dedicatedCPU``, which CPU counting back from the last one the process may use (0: the
    /// last), modulo their number: `serve --workers` gives each worker's Python thread its own.
    public var cpuFromLast: Int

    /// Creates a placement.
    public init(dedicatedCPU: Bool, nice: Int32?, cpuFromLast: Int = 0) {
        self.dedicatedCPU = dedicatedCPU
        self.nice = nice
        self.cpuFromLast = cpuFromLast
    }

    /// A CPU of its own, nice -10: the default.
    public static let dedicated = PythonThreadPlacement(dedicatedCPU: true, nice: -10)
    /// Wherever the scheduler puts it, at the process's priority.
    public static let shared = PythonThreadPlacement(dedicatedCPU: false, nice: nil)

    /// What applying a placement achieved, in words for a start-up line.
    public struct Applied: Sendable, Equatable, CustomStringConvertible {
        /// The CPU the thread is pinned to, if any.
        public var cpu: Int32?
        /// The nice value in force.
        public var nice: Int32
        /// Requests that were refused, with the reason.
        public var refused: [String]

        /// `python thread: CPU 1, nice -10`, and any refusals.
        public var description: String {
            var text = "python thread: " + (cpu.map { "CPU \($0)" } ?? "any CPU") + ", nice \(nice)"
            if !refused.isEmpty { text += " (" + refused.joined(separator: "; ") + ")" }
            return text
        }
    }

    /// Applies the placement to the calling thread.
    func applyToCurrentThread() -> Applied {
        var applied = Applied(cpu: nil, nice: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), refused: [])
        if dedicatedCPU {
            var cpus = [Int32](repeating: 0, count: 1024)
            let count = thread_tuning_allowed_cpus(&cpus, Int32(cpus.count))
            if count >= 2 {
                let last = cpus[Int(count) - 1 - max(0, cpuFromLast) % Int(count)]
                if thread_tuning_pin_to_cpu(last) == 0 {
                    applied.cpu = last
                } else {
                    applied.refused.append("pinning to CPU \(last): \(String(cString: strerror(errno)))")
                }
            } else if count == 1 {
                applied.refused.append("no CPU of its own: the process may use one CPU")
            }
        }
        if let nice, nice != applied.nice {
            // Linux applies PRIO_PROCESS with id 0 to the calling thread only.
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0 {
                applied.nice = nice
            } else {
                applied.refused.append("nice \(nice): \(String(cString: strerror(errno))) (needs CAP_SYS_NICE)")
            }
        }
        return applied
    }
}
