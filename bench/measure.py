"""Wall time and peak memory: of a child process, and of a stretch of this process.

A child's peak memory comes from ``wait4`` in a small launcher process (``python -m bench.measure``)
that starts the command and waits for it. Waiting from here would not do: Linux counts in a child's
peak the memory of the process it was started from (until its exec), and this process may hold a
gigabyte by then. For this process, the kernel's high-water mark of resident memory is reset at the
start of the stretch and read at its end.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    seconds: float
    peak_rss_bytes: int | None
    stdout: str
    stderr: str


def launched(command: list[str], *, peak_path: Path) -> list[str]:
    """``command`` behind the launcher, which writes the command's peak resident memory (bytes) to ``peak_path``."""
    return [sys.executable, "-m", "bench.measure", str(peak_path), "--", *command]


def peak_read(peak_path: Path) -> int | None:
    try:
        return int(peak_path.read_text())
    except (OSError, ValueError):
        return None


def child_run(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> ChildRun:
    """Run ``command`` to its end, its output to ``log`` (and ``.err``); its wall time and peak memory."""
    err_path, peak_path = log.with_suffix(".err"), log.with_suffix(".peak")
    log.parent.mkdir(parents=True, exist_ok=True)
    peak_path.unlink(missing_ok=True)
    with log.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        returncode = subprocess.call(launched(command, peak_path=peak_path), cwd=cwd, env=env, stdout=out, stderr=err)
        seconds = time.perf_counter() - started
    return ChildRun(
        returncode=returncode,
        seconds=seconds,
        peak_rss_bytes=peak_read(peak_path),
        stdout=log.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def rss_bytes(field: str = "VmRSS") -> int | None:
    """This process's resident memory (``VmRSS``) or its high-water mark (``VmHWM``); None off Linux."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_rss_reset() -> bool:
    """Start a new high-water mark of this process's resident memory; False when the kernel does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _launch(peak_path: str, command: list[str]) -> int:
    # A SIGTERM sent to the process group is for the command (a worker's warm shutdown): wait for it.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    Path(peak_path).write_text(str(usage.ru_maxrss * 1024))  # kilobytes on Linux
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1], sys.argv[3:]))
