"""Run one measured command in a fresh process: its wall time, its own peak RSS, and the peak of the
summed RSS of its whole process tree (what a machine running `--workers N` must hold).

The peak RSS of a process is its `VmHWM` in /proc, read every 20 ms for the process and each of its
descendants; the largest is reported. Not `ru_maxrss`: Linux carries the resident size of the
memory a process had before `exec` into it, so a child of this benchmark reported at least the
benchmark's own size (which grows as it keeps findings to compare: 220-300 MB by the end of a
1 GiB run, whatever the engine used). `ru_maxrss` from `os.wait4` is the fallback where /proc is
not there. The tree's summed peak is sampled too, so it can miss a spike shorter than 20 ms."""

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
    peak_rss_mb: float  # the largest of the process and its descendants (VmHWM; wait4 without /proc)
    tree_rss_mb: float | None  # the largest sum over the process and its descendants, sampled
    stdout: str
    stderr: str


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB; zeros once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0  # the largest sum of RSS over the tree
        self.hwm_kib = 0  # the largest VmHWM of one process of the tree
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        total, pending = 0, [self.pid]
        while pending:
            pid = pending.pop()
            rss, hwm = _memory_kib(pid)
            total += rss
            self.hwm_kib = max(self.hwm_kib, hwm)
            pending.extend(_children(pid))
        self.peak_kib = max(self.peak_kib, total)


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
            peak_rss_mb=(sampler.hwm_kib if sampler is not None and sampler.hwm_kib else usage.ru_maxrss)
            / 1024,
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
