/// A Python exception, turned into plain Swift values on the Python thread.
public struct PythonException: Error, Equatable, Sendable, CustomStringConvertible {
    /// The exception's qualified type name, such as `ZeroDivisionError` or `invoicing.errors.InvalidEvent`.
    public var type: String
    /// `str()` of the exception.
    public var message: String
    /// The full traceback text, as `traceback.format_exception` prints it.
    public var traceback: String

    /// Creates an exception value.
    /// - Parameters:
    ///   - type: The qualified type name.
    ///   - message: `str()` of the exception.
    ///   - traceback: The formatted traceback.
    public init(type: String, message: String, traceback: String) {
        self.type = type
        self.message = message
        self.traceback = traceback
    }

    /// `type: message`.
    public var description: String { "\(type): \(message)" }
}

/// An error of the bridge itself, as opposed to one raised by Python code.
public struct PythonBridgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let description: String

        /// CPython refused to initialize.
        public static let initializationFailed = Code(description: "initialization_failed")
        /// A process holds one interpreter for its lifetime; a second was asked for.
        public static let alreadyInitialized = Code(description: "already_initialized")
        /// The legacy module or function could not be imported.
        public static let importFailed = Code(description: "import_failed")
        /// The interpreter was shut down before or while the call was queued.
        public static let shutDown = Code(description: "shut_down")
        /// A function returned something other than `dict[str, str]`, or strings that are not valid Unicode.
        public static let badResult = Code(description: "bad_result")
    }

    /// The error's code.
    public var code: Code
    /// What happened, for people: names the module, path or value involved.
    public var message: String

    /// Creates a bridge error.
    /// - Parameters:
    ///   - code: The error's code.
    ///   - message: What happened.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// How one call through the bridge failed.
public enum PythonCallFailure: Error, Equatable, Sendable {
    /// The function raised the configured "invalid input" exception type (for the legacy service,
    /// `invoicing.InvalidEvent`); its `field` and `reason` attributes.
    case invalidInput(field: String, reason: String)
    /// The function raised any other exception, `SystemExit` and `KeyboardInterrupt` included.
    case exception(PythonException)
    /// The call did not finish before its deadline. See ``PythonInterpreter`` for what happens to
    /// the still-running call.
    case timeout(Duration)
    /// The bridge could not run or read the call.
    case bridge(PythonBridgeError)
}
