"""Stops embedded PostgreSQL when the launcher dies without stopping it (SIGKILL, a crash).

pg_ctl starts the postmaster in a session of its own, detached from the launcher, so neither a
process group nor PR_SET_PDEATHSIG reaches it. The launcher starts this watcher with a pipe on
its standard input and writes `pg <pid>` whenever the postmaster (re)starts and `done` once it
stopped it itself. End of input without `done` means the launcher is gone: the watcher asks
the postmaster for a fast shutdown (SIGINT), then an immediate one (SIGQUIT), then kills it.
"""

from __future__ import annotations

import os
import signal
import sys
import time


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(pid: int) -> None:
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGQUIT, 2.0), (signal.SIGKILL, 1.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _running(pid):
                return
            time.sleep(0.05)


def main() -> int:
    # NOTE: the launcher's own signals (a terminal's Ctrl-C) must not end the watcher early.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    postmaster: int | None = None
    for line in sys.stdin:
        word, _, value = line.strip().partition(" ")
        if word == "pg" and value.isdigit():
            postmaster = int(value)
        elif word == "done":
            return 0
    if postmaster is not None and _running(postmaster):
        # NOTE: services get SIGTERM from PR_SET_PDEATHSIG at the same moment; give them a moment to close first.
        time.sleep(1.0)
        _stop(postmaster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
