import CPython
import Glibc

/// Everything that touches `PyObject*`. Lives on the Python thread only: created there, used
/// there, finalized there. Nothing here is public, and no Python object leaves this type.
final class PythonRuntime {
    private typealias Object = UnsafeMutablePointer<PyObject>

    private var savedThreadState: UnsafeMutablePointer<PyThreadState>?
    private var callWrapper: Object?
    private var pingFunction: Object?
    private var deadlineExceeded: Object?
    private var noneObject: Object?
    private var absorbFunction: Object?
    private var functions: [PythonFunctionName: Object] = [:]
    private let sysPath: [String]

    /// `threading.get_ident()` of the Python thread, for `PyThreadState_SetAsyncExc`.
    private(set) var threadIdent: UInt = 0

    private init(sysPath: [String]) {
        self.sysPath = sysPath
    }

    /// Initializes CPython on the calling thread (which becomes Python's main thread), runs the
    /// bootstrap, and releases the GIL.
    static func start(_ configuration: PythonConfiguration) throws(PythonBridgeError) -> PythonRuntime {
        let runtime = PythonRuntime(sysPath: configuration.sysPath)
        var config = PyConfig()
        // Isolated: ignores PYTHONHOME, PYTHONPATH, the user site directory and the pyenv
        // interpreter on PATH; sys.path is exactly the configured list.
        PyConfig_InitIsolatedConfig(&config)
        defer { PyConfig_Clear(&config) }
        config.site_import = 0
        config.write_bytecode = 0
        config.install_signal_handlers = 0
        config.module_search_paths_set = 1

        var programName: UnsafeMutablePointer<wchar_t>? = nil  // a temporary: &config twice is an exclusivity error
        try check(PyConfig_SetBytesString(&config, &programName, configuration.programName))
        config.program_name = programName
        for path in configuration.sysPath {
            guard let wide = Py_DecodeLocale(path, nil) else {
                throw PythonBridgeError(code: .initializationFailed, message: "cannot decode path \(path)")
            }
            defer { PyMem_RawFree(wide) }
            try check(PyWideStringList_Append(&config.module_search_paths, wide))
        }
        try check(Py_InitializeFromConfig(&config))

        runtime.threadIdent = UInt(PyThread_get_thread_ident())
        do {
            try runtime.bootstrap(interruptSignal: configuration.interruptSignal)
        } catch {
            Py_FinalizeEx()
            throw error
        }
        runtime.savedThreadState = PyEval_SaveThread()
        return runtime
    }

    private static func check(_ status: PyStatus) throws(PythonBridgeError) {
        guard PyStatus_Exception(status) != 0 else { return }
        let message = status.err_msg.map { String(cString: $0) } ?? "unknown error"
        throw PythonBridgeError(code: .initializationFailed, message: "CPython did not initialize: \(message)")
    }

    private func bootstrap(interruptSignal: Int32) throws(PythonBridgeError) {
        guard let module = PyImport_AddModule(Bootstrap.moduleName), let globals = PyModule_GetDict(module) else {
            throw PythonBridgeError(code: .initializationFailed, message: "cannot create \(Bootstrap.moduleName)")
        }
        guard
            let result = PyRun_String(
                Bootstrap.source(interruptSignal: interruptSignal), Py_file_input, globals, globals)
        else {
            let exception = fetchException()
            throw PythonBridgeError(code: .initializationFailed, message: "bootstrap failed: \(exception)")
        }
        Py_DecRef(result)
        func attribute(_ name: String) -> Object? {
            let object = PyDict_GetItemString(globals, name)  // borrowed
            Py_IncRef(object)
            return object
        }
        callWrapper = attribute("call")
        pingFunction = attribute("ping")
        deadlineExceeded = attribute("DeadlineExceeded")
        noneObject = attribute("NONE")
        absorbFunction = attribute("absorb")
    }

    // MARK: - Jobs (each runs with the GIL held)

    /// Takes the GIL, runs `body`, clears any interrupt aimed at it that did not land, and releases the GIL.
    func withGIL<T>(_ body: () -> T) -> T {
        PyEval_RestoreThread(savedThreadState)
        let result = body()
        // A DeadlineExceeded requested after the call ended must not hit the next call.
        if savedThreadState?.pointee.async_exc != nil { discardPendingInterrupt() }
        savedThreadState = PyEval_SaveThread()
        return result
    }

    /// Lets a `DeadlineExceeded` that was aimed at a call but did not land in it land now, in a
    /// function that does nothing, and drops it.
    ///
    /// Not `PyThreadState_SetAsyncExc(id, NULL)`: in CPython 3.11 that clears the exception but
    /// leaves the interpreter's "asynchronous exception pending" bit set, so the eval loop then
    /// takes its slow path (signals, pending calls, GIL drop request) at every function entry and
    /// backward jump for the rest of the process's life, and every render after it is slower. An
    /// exception that lands clears that bit.
    private func discardPendingInterrupt() {
        if let absorbed = PyObject_CallNoArgs(absorbFunction) {
            // Did not land (cannot happen while the GIL is held throughout): clear it the costly way.
            Py_DecRef(absorbed)
            PyThreadState_SetAsyncExc(UInt(threadIdent), nil)
        }
        PyErr_Clear()
    }

    /// Imports `name` now, so that a missing legacy package is reported at start-up.
    func preload(_ name: PythonFunctionName) throws(PythonBridgeError) {
        _ = try resolve(name)
    }

    /// Imports `name` once and keeps it; the error names the module and `sys.path`.
    private func resolve(_ name: PythonFunctionName) throws(PythonBridgeError) -> Object {
        if let cached = functions[name] { return cached }
        guard
            let resolver = PyDict_GetItemString(PyModule_GetDict(PyImport_AddModule(Bootstrap.moduleName)), "resolve"),
            let arguments = PyTuple_New(2)
        else {
            throw PythonBridgeError(code: .importFailed, message: "the bridge bootstrap is missing")
        }
        defer { Py_DecRef(arguments) }
        PyTuple_SetItem(arguments, 0, PyUnicode_FromString(name.module))
        PyTuple_SetItem(arguments, 1, PyUnicode_FromString(name.name))
        guard let function = PyObject_CallObject(resolver, arguments) else {
            let exception = fetchException()
            throw PythonBridgeError(
                code: .importFailed,
                message: "cannot import \(name): \(exception) (sys.path searched: \(sysPath.joined(separator: ", ")))")
        }
        functions[name] = function
        return function
    }

    /// Calls `function(data)`; `invalidInput` names an exception class reported as `.invalidInput`.
    func call(
        _ function: PythonFunctionName, argument: borrowing [UInt8], invalidInput: PythonFunctionName?
    ) -> Result<[String: String], PythonCallFailure> {
        let target: Object
        var invalid: Object? = noneObject
        do {
            target = try resolve(function)
            if let invalidInput {
                invalid = try resolve(invalidInput)
            }
        } catch {
            return .failure(.bridge(error))
        }
        return invoke(target, argument: argument, invalid: invalid)
    }

    /// The trivial call used to measure the bridge itself: `ping(data)` returns `{"echo": data}`.
    func ping(argument: borrowing [UInt8]) -> Result<[String: String], PythonCallFailure> {
        invoke(pingFunction!, argument: argument, invalid: noneObject)
    }

    private func invoke(_ target: Object, argument: borrowing [UInt8], invalid: Object?)
        -> Result<[String: String], PythonCallFailure>
    {
        guard let arguments = PyTuple_New(3) else { return .failure(.exception(fetchException())) }
        defer { Py_DecRef(arguments) }
        let bytes = argument.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PyBytes_FromStringAndSize($0.baseAddress, buffer.count) }
        }
        guard let bytes else { return .failure(.exception(fetchException())) }
        Py_IncRef(target)
        Py_IncRef(invalid)
        PyTuple_SetItem(arguments, 0, target)  // steals
        PyTuple_SetItem(arguments, 1, bytes)
        PyTuple_SetItem(arguments, 2, invalid)

        guard let outcome = PyObject_CallObject(callWrapper, arguments) else {
            // Raised outside the wrapper's try (a DeadlineExceeded landing between statements).
            return .failure(.exception(fetchException()))
        }
        defer { Py_DecRef(outcome) }
        let tag = PyLong_AsLong(PyTuple_GetItem(outcome, 0))
        do {
            switch tag {
            case 0:
                return .success(try dictionary(PyTuple_GetItem(outcome, 1)))
            case 1:
                return .failure(
                    .invalidInput(
                        field: try string(PyTuple_GetItem(outcome, 1)), reason: try string(PyTuple_GetItem(outcome, 2)))
                )
            case 2:
                return .failure(
                    .exception(
                        PythonException(
                            type: try string(PyTuple_GetItem(outcome, 1)),
                            message: try string(PyTuple_GetItem(outcome, 2)),
                            traceback: try string(PyTuple_GetItem(outcome, 3)))))
            default:
                return .failure(
                    .bridge(PythonBridgeError(code: .badResult, message: try string(PyTuple_GetItem(outcome, 1)))))
            }
        } catch {
            return .failure(.bridge(error))
        }
    }

    /// What another thread needs to interrupt this one. Call on the Python thread.
    func makeInterrupter(signal: Int32) -> PythonInterrupter {
        // Threads inherit their creator's signal mask, and Dispatch's workers block nearly
        // everything: let the interrupt signal reach this thread.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, signal)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        return PythonInterrupter(
            threadIdent: threadIdent, pthread: pthread_self(), signal: signal, exception: deadlineExceeded!)
    }

    /// Finalizes CPython. The runtime is unusable afterwards.
    func finalize() {
        PyEval_RestoreThread(savedThreadState)
        for function in functions.values { Py_DecRef(function) }
        functions.removeAll()
        for object in [callWrapper, pingFunction, deadlineExceeded, noneObject, absorbFunction] { Py_DecRef(object) }
        Py_FinalizeEx()
        savedThreadState = nil
    }

    // MARK: - Conversions

    private func string(_ object: Object?) throws(PythonBridgeError) -> String {
        var size: Py_ssize_t = 0
        guard let object, let utf8 = PyUnicode_AsUTF8AndSize(object, &size) else {
            let exception = fetchException()
            throw PythonBridgeError(code: .badResult, message: "a returned string is not valid Unicode: \(exception)")
        }
        // Counted, not NUL-terminated: U+0000 inside a string survives.
        return String(decoding: UnsafeRawBufferPointer(start: utf8, count: size), as: UTF8.self)
    }

    private func dictionary(_ object: Object?) throws(PythonBridgeError) -> [String: String] {
        var result: [String: String] = [:]
        var position: Py_ssize_t = 0
        var key: Object?
        var value: Object?
        while PyDict_Next(object, &position, &key, &value) != 0 {
            result[try string(key)] = try string(value)
        }
        return result
    }

    /// The pending exception as Swift values, cleared from the interpreter.
    private func fetchException() -> PythonException {
        var type: Object?
        var value: Object?
        var traceback: Object?
        PyErr_Fetch(&type, &value, &traceback)
        PyErr_NormalizeException(&type, &value, &traceback)
        defer {
            Py_DecRef(type)
            Py_DecRef(value)
            Py_DecRef(traceback)
        }
        guard let value else { return PythonException(type: "unknown", message: "no exception set", traceback: "") }
        if let traceback { PyException_SetTraceback(value, traceback) }
        guard
            let describe = PyDict_GetItemString(PyModule_GetDict(PyImport_AddModule(Bootstrap.moduleName)), "describe"),
            let arguments = PyTuple_New(1)
        else {
            return PythonException(type: "unknown", message: "the bridge bootstrap is missing", traceback: "")
        }
        defer { Py_DecRef(arguments) }
        Py_IncRef(value)
        PyTuple_SetItem(arguments, 0, value)
        guard let described = PyObject_CallObject(describe, arguments) else {
            PyErr_Clear()
            return PythonException(type: "unknown", message: "the exception could not be described", traceback: "")
        }
        defer { Py_DecRef(described) }
        let parts = (0..<3).map { index -> String in
            (try? string(PyTuple_GetItem(described, index))) ?? "<not valid Unicode>"
        }
        PyErr_Clear()
        return PythonException(type: parts[0], message: parts[1], traceback: parts[2])
    }
}
