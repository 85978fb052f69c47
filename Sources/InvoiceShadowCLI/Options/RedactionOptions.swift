import ArgumentParser
import Logging
import Redaction
import ShadowLogging

/// `--redaction-key` and `--no-redaction`, for the commands that keep or show events: serve, replay
/// and record.
struct RedactionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The key of the redaction tokens (64 hex digits). Default: made once and kept beside the store (or the output), readable by its owner only. Instances that share evidence should share one key.",
            valueName: "FILE"))
    var redactionKey: String?

    @Flag(
        help: ArgumentHelp(
            "Keep and show events and invoices as they are, personal data included (logged as a warning). By default customer names, emails, tax ids, provider names and tax ids, trip addresses and refund reasons are replaced by keyed tokens of the same shape wherever the harness keeps or shows them."
        ))
    var noRedaction = false

    /// These options as arguments, for a worker process (the key resolved to the file the
    /// supervisor uses, so that every worker tokenizes alike).
    func arguments(besides path: String) -> [String] {
        noRedaction ? ["--no-redaction"] : ["--redaction-key", redactionKey ?? Self.defaultKeyPath(besides: path)]
    }

    /// The redactor to use, nil with --no-redaction (logged); the key is read from --redaction-key
    /// or from beside `path`, made there the first time (logged).
    func redactor(besides path: String, logger: Logger) throws -> Redactor? {
        if noRedaction {
            logger.warning(
                "redaction is off (--no-redaction): events and invoices are kept and shown with their personal data")
            return nil
        }
        if let redactionKey {
            return Redactor(key: try RedactionKey.load(path: redactionKey))
        }
        let keyPath = Self.defaultKeyPath(besides: path)
        let (key, created) = try RedactionKey.loadOrCreate(path: keyPath)
        if created {
            logger.notice(
                "made a redaction key at \(keyPath): personal data is replaced by tokens under it; keep it as private as the store, and give the same one to every instance that shares evidence"
            )
        }
        return Redactor(key: key)
    }

    /// `PATH.redaction-key`.
    static func defaultKeyPath(besides path: String) -> String { path + ".redaction-key" }
}
