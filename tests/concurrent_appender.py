"""Helper for test_concurrency: worker W appends its pairs 0..N-1 to one dataset, exactly once each.

On (re)start it reads the file (under the dataset's lock, after any interrupted save is undone) and
appends only the pairs of its own that are not there yet, so a SIGKILLed worker restarted any number of
times still leaves each of its pairs in the file once.
"""

import sys
from pathlib import Path

from opening.data.dataset_file import DatasetFile
from opening.data.records import PairRecord

path, fmt, worker, total = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
dataset = DatasetFile.open(path, fmt)
have = {item["instruction"] for item in dataset.items()}
for i in range(total):
    name = f"worker {worker} pair {i}"
    if name not in have:
        dataset.append(PairRecord(instruction=name, output=f"text {i} \"quoted\"\n小马过河 " * 20))
