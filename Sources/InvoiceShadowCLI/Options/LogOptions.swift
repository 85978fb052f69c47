import ArgumentParser
import Logging
import ShadowLogging

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// `--log-level` and `--log-format`: how a long-running command logs, on standard error.
struct LogOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The least severe log lines written: trace, debug, info, notice, warning, error or critical.",
            valueName: "LEVEL"))
    var logLevel: Logger.Level = .info

    @Option(
        help: ArgumentHelp(
            "text (for a terminal) or json (one object per line: time, level, label, message, metadata).",
            valueName: "FORMAT"))
    var logFormat: LogFormat = .text

    /// These options as arguments, for a worker process.
    var arguments: [String] { ["--log-level", logLevel.rawValue, "--log-format", logFormat.rawValue] }

    /// The command's logger, made here once and handed down.
    func logger(label: String) -> Logger {
        Logger.shadow(label: label, format: logFormat, level: logLevel)
    }
}
