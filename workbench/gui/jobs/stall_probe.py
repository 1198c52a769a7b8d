"""Measure event-loop stalls: a precise timer ticking every few ms records the largest gap."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    """`start()`, do the work while the event loop runs, then read `worst_ms` and `stalls`.

    A tick that comes late means the event loop was busy (or starved) for that long: the window
    could not repaint or answer a click. `stalls` counts the gaps longer than `threshold_ms`.
    """

    def __init__(
        self, interval_ms: int = 5, threshold_ms: float = 50.0, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.threshold_ms = threshold_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.reset()

    def reset(self) -> None:
        self.worst_ms = 0.0
        self.stalls = 0
        self.ticks = 0
        self.samples: list[tuple[float, float]] = []  # (perf_counter of the tick, gap in ms)
        self._last: float | None = None

    def start(self) -> None:
        self.reset()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop ticking; returns the worst gap between two ticks in milliseconds."""
        self._timer.stop()
        self._last = None
        return self.worst_ms

    def is_running(self) -> bool:
        return self._timer.isActive()

    @property
    def gaps_ms(self) -> list[float]:
        return [gap for _, gap in self.samples]

    def worst_ms_away_from(self, moments: list[float], margin: float = 1.0) -> tuple[float, int]:
        """(worst gap, gaps over the threshold) of the ticks more than `margin` seconds from
        every moment in `moments` (perf_counter times, e.g. when each epoch ended)."""
        away = [gap for at, gap in self.samples if all(abs(at - m) > margin for m in moments)]
        return max(away, default=0.0), sum(gap > self.threshold_ms for gap in away)

    def percentile_ms(self, q: float) -> float:
        """The q-th percentile (0–100) of the gaps between ticks, in milliseconds."""
        ordered = sorted(self.gaps_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def report(self) -> str:
        return (
            f"worst event-loop stall {self.worst_ms:.0f} ms, {self.stalls} over "
            f"{self.threshold_ms:.0f} ms, p99 gap {self.percentile_ms(99):.1f} ms "
            f"({self.ticks} ticks of {self.interval_ms} ms)"
        )

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = (now - self._last) * 1000.0
            # Keep a bounded sample: a long benchmark ticks hundreds of thousands of times.
            if len(self.samples) < 500_000:
                self.samples.append((now, gap))
            self.worst_ms = max(self.worst_ms, gap)
            if gap > self.threshold_ms:
                self.stalls += 1
        self.ticks += 1
        self._last = now
