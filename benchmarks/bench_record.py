"""What ``minimize``'s default recording (``record="auto"``) costs on many starts.

Rosenbrock from the catalogue, 20,000 starts x 1,000 Adam iterations (the library's default
call, ``minimize(obj, X0, adam(), max_iter=1000)``), each run in a fresh process after the
compiled engine is loaded (so fresh memory is paid for as a user pays for it): wall time, CPU
time and peak resident memory, with ``record="auto"`` and ``record=False``, alternated.

``--before REV`` also runs the code of git revision ``REV`` (``git archive`` into a temporary
folder; its compiled engine is built there once, before timing) in the same rounds, and checks
that both keep the same trajectory (a digest of its bytes).

Usage:
    python benchmarks/bench_record.py [--before REV] [--rounds R]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import steady  # noqa: F401 - compiles in this process first (see steady.py)

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import hashlib, resource, sys, time
import numpy as np
from descentlab import Objective, adam, minimize
obj = Objective.from_problem("rosenbrock")
X0 = np.random.default_rng(0).uniform(-2, 2, (20_000, 2))
minimize(obj, X0[:300], adam(), max_iter=2, record=False)  # load the compiled engine
record = {"auto": "auto", "off": False}[sys.argv[1]]
t, c = time.perf_counter(), time.process_time()
r = minimize(obj, X0, adam(), max_iter=1000, record=record)
wall, cpu = time.perf_counter() - t, time.process_time() - c
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
traj = r.trajectory
digest = "-" if traj is None else hashlib.md5(
    np.ascontiguousarray(traj.xs).tobytes() + traj.fs.tobytes() + traj.its.tobytes()
).hexdigest()[:12]
print(wall, cpu, rss, digest)
"""


def _tree(rev: str) -> Path:
    """``src/`` of git revision ``rev``, extracted into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="bench_record_"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    tar = folder / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(folder, filter="data")
    return folder / "src"


def _run(src: Path, mode: str) -> tuple[float, float, float, str]:
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules as a user has them
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), out[3]


def main() -> None:
    trees = {"now": ROOT / "src"}
    if "--before" in sys.argv:
        rev = sys.argv[sys.argv.index("--before") + 1]
        trees[rev] = _tree(rev)
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    for src in trees.values():  # compile (or load) each tree's engine before timing
        _run(src, "off")
    runs: dict[tuple[str, str], list[tuple[float, float, float, str]]] = {}
    start = time.perf_counter()
    for _ in range(rounds):
        for name, src in trees.items():
            for mode in ("auto", "off"):
                runs.setdefault((name, mode), []).append(_run(src, mode))
    took = time.perf_counter() - start
    print(f"20,000 starts x 1,000 Adam iterations, {rounds} rounds in {took:.0f} s (load average "
          f"{os.getloadavg()[0]:.1f}); min / median")  # fmt: skip
    for (name, mode), rows in runs.items():
        wall, cpu, rss = ([row[j] for row in rows] for j in range(3))
        digests = sorted({row[3] for row in rows})
        print(
            f"  {name:>10} record={mode:<4}  wall {min(wall):.3f} / {statistics.median(wall):.3f} s"
            f"  cpu {min(cpu):.3f} / {statistics.median(cpu):.3f} s  peak RSS {max(rss):.0f} MB"
            f"  trajectory {', '.join(digests)}"
        )
    if len(trees) == 2:
        now, before = (runs[(name, "auto")] for name in trees)
        same = {r[3] for r in now} == {r[3] for r in before}
        ratio = statistics.median(r[0] for r in before) / statistics.median(r[0] for r in now)
        print(f"  record='auto': before / now (median wall) {ratio:.2f}x; same trajectory: {same}")


if __name__ == "__main__":
    main()
