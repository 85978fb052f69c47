/// Python source run once at start-up into the private module `_invoice_shadow_bridge`.
///
/// It keeps the C side small: every call goes through `call`, which catches whatever the
/// function raises and returns plain tuples, so the Swift side only reads ints, strs and dicts.
enum Bootstrap {
    static let moduleName = "_invoice_shadow_bridge"

    static func source(interruptSignal: Int32) -> String {
        """
        import signal as _signal
        import sys as _sys
        import traceback as _traceback

        NONE = None

        class DeadlineExceeded(BaseException):
            \"\"\"Raised into a call that ran past its deadline; BaseException so `except Exception` cannot swallow it.\"\"\"

        def _on_interrupt(signum, frame):
            # The pending DeadlineExceeded is raised as this frame starts; the signal only breaks
            # blocking calls such as time.sleep out of their system call.
            pass

        class ProcessExitRefused(BaseException):
            \"\"\"Raised instead of ending the host process when embedded code calls os._exit or os.abort.\"\"\"

        def _refuse(name):
            def refused(*args, **kwargs):
                raise ProcessExitRefused(
                    f"os.{name}{args} was called inside the embedded legacy service; invoice-shadow refused to end "
                    "its process (the call is reported as a failure)")
            return refused

        # The legacy code runs inside the harness's process: os._exit and os.abort would take serve
        # down with every event in flight. Code that calls posix._exit or C's exit() directly still
        # can; README.md says what the operator then sees.
        import os as _os
        _os._exit = _refuse("_exit")
        _os.abort = _refuse("abort")

        # Importing `signal` installed Python's SIGINT handler: give Ctrl-C back to the host process.
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
        _signal.signal(\(interruptSignal), _on_interrupt)

        def resolve(module, name):
            import importlib
            return getattr(importlib.import_module(module), name)

        def describe(exc):
            kind = type(exc)
            name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            try:
                message = str(exc)
            except BaseException:
                message = "<str() of the exception failed>"
            return (name, message, "".join(_traceback.format_exception(exc)))

        def call(function, data, invalid):
            try:
                result = function(data)
            except BaseException as exc:
                if invalid is not None and isinstance(exc, invalid):
                    return (1, str(getattr(exc, "field", "")), str(getattr(exc, "reason", exc)))
                return (2,) + describe(exc)
            if type(result) is not dict:
                return (3, f"{function.__qualname__} returned {type(result).__name__}, not dict[str, str]")
            for key, value in result.items():
                if type(key) is not str or type(value) is not str:
                    return (3, f"{function.__qualname__} returned a dict holding {type(key).__name__}: {type(value).__name__}, not str: str")
            return (0, result)

        def absorb():
            \"\"\"Called with a DeadlineExceeded pending that missed its call: it is raised on entry, and dropped.\"\"\"

        def ping(data):
            return {"echo": data.decode("utf-8")}
        """
    }
}
