"""The ``descentlab`` program's BLAS threads, set before NumPy is imported.

NumPy's OpenBLAS starts a thread per core as it loads. The program's matrices are small (a
fit's data, Hessians of a few variables), and those threads cost 0.05-0.1 s of a one-second
``descentlab run`` on 2 cores (measured; the whole process, OPENBLAS_NUM_THREADS unset against
1). So the program asks for one, unless the user chose a number: :mod:`descentlab.cli` imports
this module before anything that imports NumPy. Importing the CLI sets the variable (for this
process and the ones it starts); NumPy reads it only as it loads, so a process that imported
NumPy before keeps its threads. The rest of the library never sets it.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
