import Foundation

/// Readings of this process's own resource use, for benchmarks.
package enum ResourceUsage {
    /// CLOCK_MONOTONIC in seconds: the clock `perf record -k CLOCK_MONOTONIC` stamps samples with.
    package static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Resident set size in bytes (`VmRSS` in /proc/self/status).
    package static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }

    /// CPU time (user + system) this process has used.
    package static func processCPUTime() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration {
            .seconds(time.tv_sec) + .microseconds(time.tv_usec)
        }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    /// CPU time (user + system) another process has used, from /proc/PID/stat (clock ticks).
    package static func cpuTime(process: Int32) -> Duration {
        stat(path: "/proc/\(process)/stat")?.time ?? .zero
    }

    /// A /proc `stat` file's task name and CPU time (user + system), or nil if it cannot be read.
    private static func stat(path: String) -> (name: String, time: Duration)? {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
            let open = stat.firstIndex(of: "("), let end = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": field 3 is the state; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        let ticks = max(Int(sysconf(Int32(_SC_CLK_TCK))), 1)
        return (String(stat[stat.index(after: open)..<end]), .milliseconds((user + system) * 1000 / ticks))
    }
}

extension ResourceUsage {
    /// CPU time (user + system) of this process's threads, summed by thread name (the kernel's
    /// `comm`: the cooperative pool's threads share one), from /proc/self/task. Threads that ended
    /// are not in it.
    package static func cpuTimeByThreadName() -> [String: Duration] {
        var totals: [String: Duration] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let thread = stat(path: "/proc/self/task/\(task)/stat") else { continue }
            totals[thread.name, default: .zero] += thread.time
        }
        return totals
    }
}
