"""Imported by every benchmark that times the engine in its own process, before it runs.

A first call whose machine code the numba cache lacks goes on as Python while a second process
compiles it (``descentlab.engine.jit.meanwhile``): its first repeats would time the Python twins
and the background compile would share the cores with the rest. A benchmark of the engine's
speed compiles first, in its own process: no second process (``DESCENTLAB_COMPILE_ASIDE=0``,
unless set). What a first run costs is ``bench_compile.py``'s subject (fresh processes).
"""

import os

os.environ.setdefault("DESCENTLAB_COMPILE_ASIDE", "0")
