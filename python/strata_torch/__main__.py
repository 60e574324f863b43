"""strata's torch engine: the Python side of `strata train --engine torch`.

strata (Node) starts `python3 -m strata_torch` and stays the program the user
talks to. Commands arrive as JSON lines on stdin; events go back as JSON lines
on file descriptor 3 (stdout is left to whatever a library prints). Arrays
never travel as JSON: data, weights, batch orders and rates are raw
little-endian files in a work folder that Node made, read with numpy.

Commands: init, epoch, evaluate, save, quit (session.py says what each does).
An exception ends the process with an `error` event (its message, and the
traceback for --verbose); Node turns it into exit 1.
"""
import ctypes
import json
import os
import queue
import signal
import sys
import threading
import traceback


def keep_freed_memory():
    """Have glibc keep freed memory for the next allocation instead of giving it back to the system.
    By default every block over 128 KB is mapped afresh when allocated and unmapped when freed, so
    each training step pays page faults for its activations: the bench cnn ran 1.6x faster with this
    (measured at 2 threads). The threshold moves on its own after a large block is freed, which made
    the speed of a run depend on what the process had freed before. Where the C library is not glibc,
    nothing changes."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest
    mallopt(m_trim_threshold, 1 << 30)


def main():
    keep_freed_memory()
    # Ctrl-C reaches the whole process group: strata (Node) answers it by sending `stop`,
    # and this process finishes its batch and hands over its weights.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        events = os.fdopen(3, "w", buffering=1)
    except OSError:
        events = sys.stdout

    def emit(event):
        events.write(json.dumps(event) + "\n")
        events.flush()

    commands = queue.Queue()

    def read_commands():
        for line in sys.stdin:
            line = line.strip()
            if line:
                commands.put(json.loads(line))
        commands.put({"cmd": "quit"})

    threading.Thread(target=read_commands, daemon=True).start()

    try:
        # Imported here so that a missing torch is reported as an event too.
        from .session import Session

        session = Session(emit, commands)
        # For strata's developers: STRATA_TORCH_PROFILE=FILE writes a cProfile of the session.
        profile_to = os.environ.get("STRATA_TORCH_PROFILE")
        profiler = None
        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        while True:
            cmd = commands.get()
            if cmd["cmd"] == "quit":
                break
            if cmd["cmd"] == "stop":
                continue  # a stop that came after its epoch ended
            emit(session.handle(cmd))
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile_to)
    except ImportError as e:
        emit({"event": "error", "usage": "--engine torch", "message": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - every failure becomes one event
        if getattr(e, "plain", False):
            emit({"event": "error", "plain": True, "message": str(e), "traceback": traceback.format_exc()})
            sys.exit(1)
        if hasattr(e, "place"):
            emit({"event": "error", "usage": e.place, "message": str(e), "traceback": traceback.format_exc()})
            sys.exit(1)
        emit({"event": "error", "message": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
        sys.exit(1)


if __name__ == "__main__":
    main()
