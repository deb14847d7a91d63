"""Helper for test_kill_safety: review a JSONL dataset forever (accept, reject, long edits that move the
rest of the file, undo), logging each change that returned."""

import os
import sys
from pathlib import Path

from opening.data.review_file import ReviewFile

path, progress = Path(sys.argv[1]), Path(sys.argv[2])
review = ReviewFile(path)
n = len(review)
with progress.open("a", encoding="utf-8") as log:
    for step in range(1_000_000):
        line = step % n
        kind = step % 4
        if kind == 0:
            review.set_status(line, "accepted")
        elif kind == 1:
            review.set_status(line, "rejected_by_user")
        elif kind == 2:
            review.edit(line, f"An instruction long enough to move the rest of the file, step {step}. " * (1 + step % 3))
        else:
            review.undo()
        log.write(f"{step}\n")
        log.flush()
        os.fsync(log.fileno())
