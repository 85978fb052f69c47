/// How the embedded interpreter is set up. Parsed once at the edge (CLI options), then fixed.
public struct PythonConfiguration: Sendable {
    /// Directories put first on `sys.path`, in order: the project's `legacy/` and, in tests,
    /// fixture directories. Absolute paths. No default: the caller says where the legacy lives.
    public var searchPaths: [String]

    /// Debian's standard library and dist-packages, after ``searchPaths``. Nothing else reaches
    /// `sys.path`: no user site-packages, no `PYTHONPATH`, no pyenv installation on `PATH`.
    /// Default: `/usr/lib/python311.zip`, `/usr/lib/python3.11`, `/usr/lib/python3.11/lib-dynload`,
    /// `/usr/lib/python3/dist-packages`.
    public var systemPaths: [String] = [
        "/usr/lib/python311.zip", "/usr/lib/python3.11", "/usr/lib/python3.11/lib-dynload",
        "/usr/lib/python3/dist-packages",
    ]

    /// The interpreter's `sys.executable`, used by Python to compute `sys.prefix`.
    /// Default: Debian's `/usr/bin/python3`.
    public var programName: String = "/usr/bin/python3"

    /// The signal sent to the Python thread to break a blocking call (such as `time.sleep`) once
    /// its deadline has passed. Default: `SIGUSR2`. The process must not use it for anything else.
    public var interruptSignal: Int32 = 12

    /// Where the Python thread runs. Default: ``PythonThreadPlacement/dedicated``.
    public var threadPlacement = PythonThreadPlacement.dedicated

    /// Creates a configuration.
    /// - Parameter searchPaths: Directories put first on `sys.path`, such as the project's `legacy/`.
    public init(searchPaths: [String]) {
        self.searchPaths = searchPaths
    }

    /// Every `sys.path` entry, in order.
    public var sysPath: [String] { searchPaths + systemPaths }
}

/// A Python function named by module and attribute, such as `invoicing.render_event`.
public struct PythonFunctionName: Hashable, Sendable, CustomStringConvertible {
    /// The module to import, such as `invoicing`.
    public var module: String
    /// The function's attribute name in that module, such as `render_event`.
    public var name: String

    /// Creates a function name.
    /// - Parameters:
    ///   - module: The module to import.
    ///   - name: The attribute of the module.
    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    /// `module.name`.
    public var description: String { "\(module).\(name)" }
}
