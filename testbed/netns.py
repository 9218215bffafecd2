"""Subprocess and polling helpers shared by the testbed and the tests.

Contracts:
  run()       runs argv (inside netns `ns` if given) with a hard timeout and
              captured output; raises CmdError on a non-zero exit when check=True
              and subprocess.TimeoutExpired on timeout. Never uses a shell.
  wait_until() polls cond() with short sleeps until it returns a truthy value
              (returned) or the deadline passes (raises TimeoutError naming `what`).
              Exceptions from cond() propagate at once, except those listed in
              `ignore`, which count as "not yet".
"""
import os
import signal
import subprocess
import time

DEFAULT_TIMEOUT = 20.0


class CmdError(RuntimeError):
    """A command exited non-zero; carries the CompletedProcess as .proc."""

    def __init__(self, proc):
        self.proc = proc
        out = _text(proc.stdout)[-2000:]
        err = _text(proc.stderr)[-2000:]
        super().__init__(f"command failed (rc={proc.returncode}): {' '.join(map(str, proc.args))}\n"
                         f"--- stdout ---\n{out}\n--- stderr ---\n{err}")


def _text(data):
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def ns_argv(ns, argv):
    """argv prefixed to run inside network namespace `ns` (None: root netns)."""
    argv = [str(a) for a in argv]
    return ["ip", "netns", "exec", ns] + argv if ns else argv


def run(argv, ns=None, timeout=DEFAULT_TIMEOUT, check=True, input=None, text=True, env=None):
    """Run argv (in netns `ns`), return CompletedProcess with stdout/stderr captured."""
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    proc = subprocess.run(ns_argv(ns, argv), input=input, capture_output=True, text=text,
                          timeout=timeout, env=full_env, stdin=None if input is not None else subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise CmdError(proc)
    return proc


def wait_until(cond, timeout, what, interval=0.02, ignore=()):
    """Poll cond() until truthy; return its value or raise TimeoutError(what)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = cond()
            if value:
                return value
        except ignore as exc:  # keep polling; report the last error on timeout
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def pid_alive(pid):
    """True if a process with this pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def pid_cmdline(pid):
    """The process's argv as a list of strings ([] if it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _reap(pid):
    """Reap pid if it is our child (no-op otherwise)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def terminate(pid, marker, timeout=10.0, kill_after=True):
    """Stop process `pid` with SIGTERM, then SIGKILL after `timeout` s (if kill_after).

    Only acts if `marker` occurs in the process's command line, so a recorded
    pid that was reused by an unrelated process is never signalled.
    Returns True if the process is gone afterwards, False if it still runs.
    """
    if not pid_alive(pid):
        _reap(pid)
        return True
    if marker not in " ".join(pid_cmdline(pid)):
        return True  # not ours (pid reused): leave it alone
    os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout):
        return True
    if not kill_after:
        return False
    os.kill(pid, signal.SIGKILL)
    return _wait_gone(pid, 5.0)


def _wait_gone(pid, timeout):
    try:
        wait_until(lambda: (_reap(pid), not pid_alive(pid))[1], timeout, f"pid {pid} to exit")
        return True
    except TimeoutError:
        return False
