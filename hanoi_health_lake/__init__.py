"""Hanoi health lake."""

import os

# One worker thread each for Polars' pool and delta-rs's Tokio runtime, unless the environment
# says otherwise. They are read once, when those libraries start their pools, so here, before
# any of our modules imports them. Our work comes in many small pieces (an arrival batch runs a
# few hundred Polars operations and a dozen Delta commits on small frames), and on the two cores
# we run on, idle pool threads spinning for the next piece cost more CPU than the parallelism
# saves: arrival batches took 10 % less CPU with both at one (15.3 against 17.0 CPU-s for the
# same 17 batches, 780,000 fewer involuntary context switches), either alone gave nothing, and
# a whole-day ingest took the same CPU and wall time (its parse runs in worker processes).
# BENCHMARKS.md, "Real time".
for _name in ("POLARS_MAX_THREADS", "TOKIO_WORKER_THREADS"):
    os.environ.setdefault(_name, "1")
