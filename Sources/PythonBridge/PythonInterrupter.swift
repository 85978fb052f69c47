import CPython
import Foundation
import Glibc

/// Breaks a call that ran past its deadline out of Python, from a thread other than Python's.
///
/// `@unchecked Sendable` because it holds a `PyObject*` (the `DeadlineExceeded` class) and the
/// Python thread's ids. It is safe: the object is immortal for the interpreter's life (the
/// bootstrap module holds it), it is only touched with the GIL held, and `interrupt` refuses to
/// run once `markFinalized` has been called. Both are serialized by `lock`.
final class PythonInterrupter: @unchecked Sendable {
    private let lock = NSLock()
    private var finalized = false
    private let threadIdent: UInt
    private let pthread: pthread_t
    private let signal: Int32
    private let exception: UnsafeMutablePointer<PyObject>

    init(threadIdent: UInt, pthread: pthread_t, signal: Int32, exception: UnsafeMutablePointer<PyObject>) {
        self.threadIdent = threadIdent
        self.pthread = pthread
        self.signal = signal
        self.exception = exception
    }

    /// Raises `DeadlineExceeded` into the Python thread if `stillRunning()` (checked with the GIL
    /// held, so the call cannot end in between) and sends the interrupt signal so a blocking
    /// system call returns. Blocks until the GIL is free: run it off the cooperative pool.
    func interrupt(if stillRunning: () -> Bool) {
        lock.withLock {
            guard !finalized else { return }
            let gil = PyGILState_Ensure()
            if stillRunning() {
                PyThreadState_SetAsyncExc(threadIdent, exception)
                pthread_kill(pthread, signal)
            }
            PyGILState_Release(gil)
        }
    }

    /// Runs `finalize` so that no interrupt is in flight during or after it.
    func finalize(_ finalize: () -> Void) {
        lock.withLock {
            finalized = true
            finalize()
        }
    }
}
