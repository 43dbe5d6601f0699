"""Metaflow twin of bench/flows/artifact.ipynb: a `rows` x 4 DataFrame of random doubles written by
one step and read by the next. BENCH_T0/BENCH_T1 bracket the hand-over, as in the notebook."""
import time

import numpy as np
import pandas as pd
from metaflow import FlowSpec, Parameter, step


class BenchArtifactFlow(FlowSpec):
    rows = Parameter("rows", default=10_000_000, type=int)

    @step
    def start(self):
        rng = np.random.default_rng()
        self.table = pd.DataFrame({name: rng.random(self.rows) for name in "abcd"})
        print(f"BENCH_T0 {time.time() * 1000:.0f}")
        self.next(self.read)

    @step
    def read(self):
        table = self.table
        print(f"BENCH_T1 {time.time() * 1000:.0f} rows={len(table)}")
        self.rows_read = len(table)
        self.next(self.end)

    @step
    def end(self):
        print(f"read {self.rows_read} rows")


if __name__ == "__main__":
    BenchArtifactFlow()
