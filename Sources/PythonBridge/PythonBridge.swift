import CPython

/// The version of the CPython library this build links, e.g. `3.11.2`.
public var linkedPythonVersion: String { String(cString: Py_GetVersion()).split(separator: " ").first.map(String.init) ?? "" }
