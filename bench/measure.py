"""Run one measured command in a fresh process: its wall time, its own peak RSS, and the peak of the
summed RSS of its whole process tree (what a machine running `--workers N` must hold).

The process's own peak comes from `os.wait4`, which reports the rusage of exactly that child (and of
the children it waited for, as a maximum, not a sum) — unlike RUSAGE_CHILDREN, a maximum over every
child the benchmark ever ran. The tree's peak is sampled from /proc every 20 ms, so it can miss a
spike shorter than that; it is None where /proc is not there."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system, of the process and the children it waited for (workers)
    returncode: int
    peak_rss_mb: float  # the process itself (and the largest of its children), from wait4
    tree_rss_mb: float | None  # the largest sum over the process and its descendants, sampled
    stdout: str
    stderr: str


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree_rss_kib(root: int) -> int:
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending.extend(_children(pid))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.peak_kib = max(self.peak_kib, _tree_rss_kib(self.pid))


def run(command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `command` to its end; its output is captured in temporary files (pipes could fill)."""
    with open(os.devnull, "rb") as stdin, _Capture() as out, _Capture() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=stdin, stdout=out.handle, stderr=err.handle, env=env, cwd=cwd
        )
        sampler = _TreeSampler(process.pid) if Path("/proc/self/status").exists() else None
        if sampler is not None:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it; tell Popen
        if sampler is not None:
            sampler.stopped.set()
            sampler.join()
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            returncode=process.returncode,
            peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            tree_rss_mb=sampler.peak_kib / 1024 if sampler is not None and sampler.peak_kib else None,
            stdout=out.text(),
            stderr=err.text(),
        )


class _Capture:
    def __enter__(self) -> _Capture:
        import tempfile

        self.handle = tempfile.TemporaryFile()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def text(self) -> str:
        self.handle.seek(0)
        return self.handle.read().decode("utf-8", "replace")
