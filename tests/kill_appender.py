"""Helper for test_kill_safety: append pairs i..total-1 to a dataset, logging each append that returned."""

import os
import sys
from pathlib import Path

from opening.data.dataset_file import DatasetFile
from opening.data.records import PairRecord

path, fmt, progress, total = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
dataset = DatasetFile.open(path, fmt)
with progress.open("a", encoding="utf-8") as log:
    for i in range(dataset.count(), total):
        dataset.append(PairRecord(instruction=f"instruction {i}", output=f"output {i} \"quoted\"\n" + "小马过河" * 1000))
        log.write(f"{i}\n")
        log.flush()
        os.fsync(log.fileno())
