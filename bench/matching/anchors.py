"""The reference solvers the engine is measured against, on the SAME candidate graph and weights.

- OR-Tools min-cost flow (`SimpleMinCostFlow`): source -> mentee (1) -> mentor (edge) -> sink
  (capacity), plus mentee -> sink (unpaired, cost 0); costs are minus our integer weights, so its
  optimum equals ours exactly when both are right.
- scipy's sparse assignment (`min_weight_full_bipartite_matching`, LAPJVsp) on the
  capacity-expanded graph (a mentor with c free places is c slots), in two orientations: mentees
  as rows, each with a private "unpaired" column (the textbook formulation), and slots as rows,
  each with a private "empty" column (the same optimum; 2-10x faster in LAPJVsp). Independent of
  the engine's min-cost flow, so its objective is the check that ours is the optimum.
- The PyPI `matching` library's hospitals/residents solver (`matching.games.HospitalResident`,
  resident-optimal) on the same preference lists as our stable method. Its top-level package name
  is the service's (`matching`), so it cannot be imported here: it runs in a child process with the
  library's directory first on `sys.path` (`MATCHING_LIBRARY_PATH`, e.g. a `pip install --target`
  directory). Without it, that anchor is reported as skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.domain.assignment import Edges


def or_tools(edges: Edges, mentees: int, capacity: np.ndarray) -> tuple[float, int]:
    """(seconds, optimum in hundredths of a point)."""
    start = time.perf_counter()
    flow = min_cost_flow.SimpleMinCostFlow()
    mentors = capacity.size
    source, sink = mentees + mentors, mentees + mentors + 1
    tails = np.concatenate([np.full(mentees, source), edges.mentee, mentees + np.arange(mentors), np.arange(mentees)])
    heads = np.concatenate([np.arange(mentees), mentees + edges.mentor, np.full(mentors, sink), np.full(mentees, sink)])
    caps = np.concatenate([np.ones(mentees), np.ones(edges.mentee.size), capacity, np.ones(mentees)]).astype(np.int64)
    costs = np.concatenate([np.zeros(mentees), -edges.weight, np.zeros(mentors), np.zeros(mentees)]).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    flow.set_node_supply(source, mentees)
    flow.set_node_supply(sink, -mentees)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow: status {status}")
    return time.perf_counter() - start, -flow.optimal_cost()


def scipy_expanded(edges: Edges, mentees: int, capacity: np.ndarray) -> tuple[float, int]:
    """(seconds, optimum): LAPJVsp with mentees as rows on mentor slots plus one unpaired column each."""
    start = time.perf_counter()
    slots = np.asarray(capacity, dtype=np.int64)
    slot_start = np.concatenate(([0], np.cumsum(slots)))
    copies = slots[edges.mentor]
    edge_of_copy = np.repeat(np.arange(edges.mentee.size), copies)
    copy_no = np.arange(edge_of_copy.size) - np.repeat(np.cumsum(copies) - copies, copies)
    n_slots = int(slot_start[-1])
    top = int(edges.weight.max()) + 1
    rows = np.concatenate((edges.mentee[edge_of_copy], np.arange(mentees)))
    cols = np.concatenate((slot_start[edges.mentor[edge_of_copy]] + copy_no, n_slots + np.arange(mentees)))
    cost = np.concatenate(((top - edges.weight[edge_of_copy]).astype(np.float64), np.full(mentees, float(top))))
    matrix = csr_matrix((cost, (rows, cols)), shape=(mentees, n_slots + mentees))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    total = round(float(top * mentees - matrix[row_ind, col_ind].sum()))
    return time.perf_counter() - start, total


def scipy_slots(edges: Edges, mentees: int, capacity: np.ndarray) -> tuple[float, int]:
    """(seconds, optimum): LAPJVsp with mentor slots as rows, each filled by a mentee or its own empty column."""
    start = time.perf_counter()
    slots = np.minimum(np.asarray(capacity, dtype=np.int64), np.bincount(edges.mentor, minlength=capacity.size))
    slot_start = np.concatenate(([0], np.cumsum(slots)))
    copies = slots[edges.mentor]
    edge_of_copy = np.repeat(np.arange(edges.mentee.size), copies)
    copy_no = np.arange(edge_of_copy.size) - np.repeat(np.cumsum(copies) - copies, copies)
    n_slots = int(slot_start[-1])
    top = int(edges.weight.max()) + 1
    rows = np.concatenate((slot_start[edges.mentor[edge_of_copy]] + copy_no, np.arange(n_slots)))
    cols = np.concatenate((edges.mentee[edge_of_copy], mentees + np.arange(n_slots)))
    cost = np.concatenate(((top - edges.weight[edge_of_copy]).astype(np.float64), np.full(n_slots, float(top))))
    matrix = csr_matrix((cost, (rows, cols)), shape=(n_slots, mentees + n_slots))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    total = round(float(top * n_slots - matrix[row_ind, col_ind].sum()))
    return time.perf_counter() - start, total


_HR_RUNNER = r"""
import json, sys, threading, time
sys.path.insert(0, sys.argv[1])
from matching.games import HospitalResident
with open(sys.argv[2]) as f:
    data = json.load(f)
residents = {str(i): [str(j) for j in prefs] for i, prefs in enumerate(data["residents"]) if prefs}
hospitals = {str(j): [str(i) for i in prefs] for j, prefs in enumerate(data["hospitals"]) if prefs and data["capacity"][j] > 0}
capacity = {str(j): c for j, c in enumerate(data["capacity"]) if str(j) in hospitals}
residents = {r: [h for h in prefs if h in hospitals] for r, prefs in residents.items()}
residents = {r: prefs for r, prefs in residents.items() if prefs}
out = {}
def run():
    start = time.perf_counter()
    game = HospitalResident.create_from_dictionaries(residents, hospitals, capacity)
    out["build_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    solution = game.solve(optimal="resident")
    out["solve_seconds"] = time.perf_counter() - start
    out["pairs"] = sorted([int(r.name), int(h.name)] for h, rs in solution.items() for r in rs)
# Its solver recurses once per proposal: room for that.
sys.setrecursionlimit(10_000_000)
threading.stack_size(1 << 30)
worker = threading.Thread(target=run)
worker.start()
worker.join()
print(json.dumps(out))
"""


def library_path() -> str | None:
    path = os.environ.get("MATCHING_LIBRARY_PATH")
    if path and (Path(path) / "matching" / "games").is_dir():
        return path
    return None


def hospital_residents(
    resident_prefs: list[list[int]], hospital_prefs: list[list[int]], capacity: list[int], timeout: float
) -> dict[str, object] | str:
    """Run the `matching` library's resident-optimal solver in a child process: its figures and pairs
    [(mentee, mentor)], or why it did not run."""
    path = library_path()
    if path is None:
        return "skipped: set MATCHING_LIBRARY_PATH to a directory holding the PyPI 'matching' library (pip install --target DIR matching==1.4.3)"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"residents": resident_prefs, "hospitals": hospital_prefs, "capacity": capacity}, f)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _HR_RUNNER, path, f.name],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        return f"did not finish within {timeout:.0f} s"
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        return "failed: " + done.stderr.strip().splitlines()[-1]
    return json.loads(done.stdout)
