"""Resident memory of this process, sampled while work runs in other threads."""

from __future__ import annotations

import resource
import sys
import threading
from pathlib import Path
from types import TracebackType

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def current_kib() -> int | None:
    """VmRSS now; None off Linux."""
    return _status_kib("VmRSS")


def reset_peak() -> bool:
    """Reset the kernel's high-water mark (VmHWM) so that it covers only what follows."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def kernel_peak_kib() -> int | None:
    peak = _status_kib("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes there, KiB here


class PeakSampler:
    """Polls VmRSS in a background thread; combined with VmHWM when that can be reset.

    Polling alone can miss a short peak, VmHWM alone cannot be scoped to one batch
    everywhere, so the larger of the two is the peak.
    """

    def __init__(self, interval_seconds: float = 0.001) -> None:
        self.interval = interval_seconds
        self.sampled_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="rss-sampler", daemon=True)
        self._hwm_scoped = False

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.sampled_kib = max(self.sampled_kib, current_kib() or 0)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._hwm_scoped = reset_peak()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_kib(self) -> int:
        hwm = kernel_peak_kib() if self._hwm_scoped else None
        return max(self.sampled_kib, hwm or 0)
