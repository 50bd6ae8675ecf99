#!/usr/bin/env python3
"""Write the synthetic example demand data under scenarios/data/ (no real customer data):

* request-trace.csv: one line per request of 2026 (submit_time ISO 8601 UTC, gpus,
  duration_hours), a Poisson process of 6 requests a day on 2026-01-01 growing by 40 % a year,
  sizes 8 / 16 / 64 GPUs with chances 0.80 / 0.15 / 0.05, lognormal durations with a median of
  12 hours and a 90th percentile of 72 hours. `dcplan calibrate` should recover these.
* demand-history.csv: the GPU-hours (gpus x duration) of the trace's requests by submit month.

Fixed seed, so the files are reproducible: python3 scripts/synthetic-demand.py
"""

import datetime
import math
import os
import random

SEED = 2026
PER_DAY = 6.0
GROWTH = 0.40
MEDIAN_H, P90_H = 12.0, 72.0
Z90 = 1.2815515655446004
SIZES = [(8, 0.80), (16, 0.15), (64, 0.05)]

rng = random.Random(SEED)
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
end_days = 365.0
b = math.log(1.0 + GROWTH) / 365.0
top = PER_DAY * math.exp(b * end_days)
mu, sigma = math.log(MEDIAN_H), math.log(P90_H / MEDIAN_H) / Z90

rows, months = [], {}
t = 0.0
while True:
    t += rng.expovariate(top)
    if t >= end_days:
        break
    if rng.random() * top > PER_DAY * math.exp(b * t):
        continue
    u, gpus = rng.random(), SIZES[-1][0]
    for size, p in SIZES:
        if u < p:
            gpus = size
            break
        u -= p
    hours = math.exp(rng.gauss(mu, sigma))
    when = start + datetime.timedelta(seconds=round(t * 86400))
    rows.append(f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')},{gpus},{hours:.3f}")
    key = when.strftime("%Y-%m")
    months[key] = months.get(key, 0.0) + gpus * float(f"{hours:.3f}")

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "data")
with open(os.path.join(root, "request-trace.csv"), "w") as f:
    f.write("# Synthetic request trace written by scripts/synthetic-demand.py (not real data).\n")
    f.write("submit_time,gpus,duration_hours\n")
    f.write("\n".join(rows) + "\n")
with open(os.path.join(root, "demand-history.csv"), "w") as f:
    f.write("# Synthetic: GPU-hours of scenarios/data/request-trace.csv by submit month\n")
    f.write("# (scripts/synthetic-demand.py; not real data).\n")
    f.write("month,gpu_hours\n")
    for key in sorted(months):
        f.write(f"{key},{months[key]:.1f}\n")
