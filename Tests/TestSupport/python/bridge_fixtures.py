"""Python functions the bridge tests call: echoes, faults, and slow calls."""

import os
import sys
import time


def echo(data):
    text = data.decode("utf-8")
    return {"text": text, "length": str(len(text))}


def fail(data):
    return _deep_helper(data)


def _deep_helper(data):
    raise ValueError(f"cannot handle {len(data)} bytes")


def sleep(data):
    time.sleep(float(data))
    return {"slept": data.decode()}


def spin(data):
    deadline = time.monotonic() + float(data)
    while time.monotonic() < deadline:
        pass
    return {"spun": data.decode()}


def swallow(data):
    try:
        time.sleep(float(data))
    except Exception:  # a careless legacy handler: DeadlineExceeded must still get through
        return {"swallowed": "yes"}
    return {"swallowed": "no"}


def returns_list(data):
    return [1, 2]


def returns_surrogate(data):
    return {"bad": "\ud800"}


def exits(data):
    sys.exit(3)


def environment(data):
    import jinja2

    return {"prefix": sys.prefix, "path": "\n".join(sys.path), "jinja2": jinja2.__file__, "version": sys.version}


def faulty_render(data):
    """The legacy render_event, with faults injected by the customer's name: RAISE, HANG, EXIT, OS_EXIT, ABORT."""
    import json
    import os
    import sys
    import time
    import invoicing

    try:
        name = json.loads(data).get("customer", {}).get("name")
    except Exception:
        name = None
    if name == "RAISE":
        raise ValueError("injected fault for " + name)
    if name == "HANG":
        time.sleep(60)
    if name == "EXIT":
        sys.exit(3)
    if name == "OS_EXIT":
        os._exit(4)
    if name == "ABORT":
        os.abort()
    return invoicing.render_event(data)


def thread_placement(data):
    """The CPUs and nice value of the thread running this call, as the kernel reports them."""
    return {
        "cpus": ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0))),
        "nice": str(os.getpriority(os.PRIO_PROCESS, 0)),
    }
