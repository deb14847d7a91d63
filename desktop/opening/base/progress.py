"""The two callback shapes long work takes, one definition each.

* :data:`StageFn` — ``(stage, fraction done)``: loading a model (``"loading"``), generating
  (``"generating"``), scoring (``"scoring"``), hashing a model file (``"hashing"``), converting
  (``"writing"``, ``"quantizing"``). Fractions rise from 0.0 to 1.0 within a stage.
* :data:`CancelFn` — polled by the work; ``True`` stops it (it raises :class:`~opening.base.errors.Cancelled`
  or returns a result marked cancelled, as each function says).
"""

from __future__ import annotations

from collections.abc import Callable

StageFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]
