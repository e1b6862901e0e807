"""Times BlueSky's compiled all-pairs conflict detector on a traffic CSV.

The yardstick of the README's scan figures. Needs the `bluesky-simulator`
package (1.1.1 was measured) and numpy; it loads only the compiled
`cstatebased` module, not the simulator:

    python3 -m venv /tmp/bs && /tmp/bs/bin/pip install bluesky-simulator==1.1.1
    cargo run --release -p tactical --example scan -- 10000 600 csv > /tmp/enroute.csv
    /tmp/bs/bin/python crates/tactical/benches/bluesky_detect.py /tmp/enroute.csv 3

Input: the CSV of `deconflict tactical gen` (id,lat,lon,alt_ft,gs_kt,
trk_deg,vs_fpm). Minima: 5 NM, 1,000 ft, 300 s look-ahead, as
`DetectionConfig::en_route`. Prints the unordered pairs in conflict and
the best of RUNS calls.
"""

import csv
import glob
import importlib.util
import os
import sys
import time

import numpy as np

KT_TO_MPS = 1852.0 / 3600.0
FT_TO_M = 0.3048


def detector():
    import bluesky  # only to find the installed package

    asas = os.path.join(os.path.dirname(bluesky.__file__), "traffic", "asas")
    (path,) = glob.glob(os.path.join(asas, "cstatebased*.so"))
    spec = importlib.util.spec_from_file_location("cstatebased", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.detect


class Traffic:
    """The attributes the detector reads, in SI units."""

    def __init__(self, rows):
        col = lambda name, scale=1.0: np.array([float(r[name]) * scale for r in rows])
        self.id = [r["id"] for r in rows]
        self.lat, self.lon, self.trk = col("lat"), col("lon"), col("trk_deg")
        self.gs = col("gs_kt", KT_TO_MPS)
        self.alt = col("alt_ft", FT_TO_M)
        self.vs = col("vs_fpm", FT_TO_M / 60.0)


def main():
    path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with open(path, newline="") as f:
        traffic = Traffic(list(csv.DictReader(f)))
    n = len(traffic.id)
    rpz = np.full(n, 5 * 1852.0)
    hpz = np.full(n, 1000 * FT_TO_M)
    lookahead = np.full(n, 300.0)
    detect = detector()
    best, pairs = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        found = detect(traffic, traffic, rpz, hpz, lookahead)
        best = min(best, time.perf_counter() - start)
        pairs = len(found[0]) // 2  # each pair is listed from both sides
    print(f"{path}: {n} aircraft, {pairs} pairs in conflict, best of {runs}: {best:.3f} s")


if __name__ == "__main__":
    main()
