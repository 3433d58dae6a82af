"""The bare side of bench/models: the same model files loaded with ``mlflow.pyfunc.load_model`` in
a plain Python process, called in-process with one row. Reads ``N`` lines on stdin and answers each
with the N call times (ms) as a JSON list, so the bench can alternate sides."""

import json
import sys
import time

import mlflow.pyfunc
import pandas as pd

model = mlflow.pyfunc.load_model(sys.argv[1])
row = json.loads(sys.argv[2])
print("ready", flush=True)
for line in sys.stdin:
    count = int(line)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        # What an application embedding the model does: one row as a DataFrame, then predict.
        model.predict(pd.DataFrame([row], dtype="float64"))
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps(times), flush=True)
