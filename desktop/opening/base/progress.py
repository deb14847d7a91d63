"""The two callback shapes long work takes, one definition each.

* :data:`StageFn` — ``(stage, fraction done)``: loading a model (``"loading"``), generating
  (``"generating"``), scoring (``"scoring"``), hashing a model file (``"hashing"``), converting
  (``"writing"``, ``"quantizing"``). Fractions rise from 0.0 to 1.0 within a stage.
* :data:`CancelFn` — polled by the work; ``True`` stops it (it raises :class:`~opening.base.errors.Cancelled`
  or returns a result marked cancelled, as each function says).

:func:`human_duration` words a time left or taken the same way in the terminal and the window.
"""

from __future__ import annotations

from collections.abc import Callable

StageFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]


def human_duration(seconds: float) -> str:
    """``3 h 10 min``, ``12 min``; anything under a minute (but not zero) is ``1 min``."""
    minutes = round(seconds / 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{max(1 if seconds > 0 else 0, minutes)} min"
