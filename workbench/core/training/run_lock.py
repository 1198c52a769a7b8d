"""Which process trains a run: a lock file in the run folder that a reader can check (torch-free).

`history.json` says "running" from the start of a run to its end; a process killed with
SIGKILL (or a machine that lost power) never gets to change it. So the process that trains a
run writes `run.lock` with its pid and its start time, and removes it when the run ends in any
way it can see. A reader that finds "running" checks the lock: the process still there (same
pid, same start time, so a reused pid does not count) means running; otherwise the run was
interrupted. A lock from another machine cannot be checked and is trusted.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from typing import Any

from workbench.core.fileio import write_json_atomic

LOCK_NAME = "run.lock"


def process_start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces and ")"
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on this machine)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but another user's
        return True
    return True


def write_lock(run_dir: str | Path) -> None:
    """Mark `run_dir` as trained by this process. Failing to (a full disk) is left to the
    history's own write to report, naming its file; without a lock a "running" run reads as
    interrupted, which it soon is."""
    pid = os.getpid()
    lock = {"pid": pid, "started": process_start_time(pid), "host": socket.gethostname()}
    with contextlib.suppress(OSError):
        write_json_atomic(Path(run_dir) / LOCK_NAME, lock)


def remove_lock(run_dir: str | Path) -> None:
    """The run ended (removing a file works on a full disk too)."""
    with contextlib.suppress(OSError):
        (Path(run_dir) / LOCK_NAME).unlink()


def read_lock(run_dir: str | Path) -> dict[str, Any] | None:
    try:
        lock = json.loads((Path(run_dir) / LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return lock if isinstance(lock, dict) and isinstance(lock.get("pid"), int) else None


def trainer_alive(run_dir: str | Path) -> bool:
    """Whether the process named in the run's lock still trains it (False without a lock)."""
    lock = read_lock(run_dir)
    if lock is None:
        return False
    if lock.get("host") != socket.gethostname():
        return True  # another machine's process: cannot be checked here
    pid = int(lock["pid"])
    if not pid_alive(pid):
        return False
    started = lock.get("started")
    return started is None or process_start_time(pid) in (None, started)


def gone_reason(run_dir: str | Path) -> str:
    """Why a run that says "running" is not: for the runs table, the CLI and the report."""
    lock = read_lock(run_dir)
    if lock is None:
        return "the process that trained it ended without saying how (no lock left)"
    return f"the process that trained it (pid {lock['pid']}) is gone: killed or crashed"
