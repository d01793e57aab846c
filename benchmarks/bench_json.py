"""run --json's writer: records per second, column-at-a-time encoding against json.dumps per record.

One run of ``sphere`` from many random starts (as ``run sphere --random-starts K --json``) is
written twice to a null sink, in one process (ratios matter on a shared machine):

1. each record built as a dict and written with ``json.dumps(record, indent=2)`` (what the
   writer did before: 1,000,000 records took 394 s);
2. the writer ``run --json`` uses (:func:`descentlab.cli._run_records`): the floats of a block of
   rows formatted together, the records joined from their fields. Same bytes (checked here).

Usage:
    python benchmarks/bench_json.py [K]     (default 50,000 records)
"""

from __future__ import annotations

import json
import sys
import time

import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab import cli
from descentlab.descent import minimize
from descentlab.multistart import random_starts
from descentlab.objective import Objective
from descentlab.optimizers import gd


def main() -> None:
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    objective = Objective.from_problem("sphere")
    X0 = random_starts([(-5, 5), (-5, 5)], k, seed=0)
    result = minimize(objective, X0, gd(lr=0.1), record=False)

    t0 = time.perf_counter()
    old = [
        json.dumps(cli._jsonable(cli._run_record(result, X0, i, trace=False)), indent=2).replace(
            "\n", "\n    "
        )
        for i in range(k)
    ]
    t1 = time.perf_counter()
    new = list(cli._run_records(result, X0, trace=False, level=2))
    t2 = time.perf_counter()
    assert old == new, "the two writers differ"
    size = sum(map(len, new)) / 1e6
    print(f"{k:,} records, {size:.1f} MB of JSON")
    print(f"  json.dumps per record: {t1 - t0:6.2f} s ({1e6 * (t1 - t0) / k:6.1f} us per record)")
    print(f"  column-at-a-time:      {t2 - t1:6.2f} s ({1e6 * (t2 - t1) / k:6.1f} us per record)")
    print(f"  {(t1 - t0) / (t2 - t1):.1f}x faster")


if __name__ == "__main__":
    main()
