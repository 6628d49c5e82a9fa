"""Bench: a random draw (双随机) over 50,000 enterprises and 5,000 inspectors with recusal ties.

Goal (issue #16): the draw takes ≤ 2 s in process; ``verify`` re-runs it and gives the same result.
Prints the times and the ratio of the draw's time to the goal (below 1 meets it).

    .venv/bin/python bench/enforcement_draw.py [--count 5000]
"""

from __future__ import annotations

import argparse
import random
import time

from yingji.enforcement import draw

GOAL_S = 2.0


def _inputs(n_enterprises: int, n_inspectors: int) -> tuple[str, str]:
    rng = random.Random(16)  # synthetic lists, fixed
    enterprises = "id,name\n" + "".join(f"E{k:06d},企业{k}\n" for k in range(n_enterprises))
    rows = []
    for k in range(n_inspectors):
        ties = rng.sample(range(n_enterprises), rng.randrange(0, 6))  # a few recusal ties each
        rows.append(f"I{k:05d},{';'.join(f'E{t:06d}' for t in ties)}\n")
    return enterprises, "id,ties\n" + "".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--inspectors", type=int, default=5_000)
    parser.add_argument("--count", type=int, default=5_000, help="enterprises drawn (default 5,000)")
    args = parser.parse_args()
    e_csv, i_csv = _inputs(args.enterprises, args.inspectors)
    started = time.perf_counter()
    inputs = draw.read_inputs(e_csv, i_csv)
    result = draw.draw(inputs, count=args.count, seed="bench-seed")
    stored = result.as_json()
    took = time.perf_counter() - started
    started = time.perf_counter()
    again = draw.verify(stored, draw.read_inputs(e_csv, i_csv))
    verify_s = time.perf_counter() - started
    same = again.as_json() == stored
    ties = sum(len(t) for t in inputs.ties.values())
    print(f"enterprises {args.enterprises}  inspectors {args.inspectors}  recusal ties {ties}  drawn {args.count}")
    print(f"draw (parse + draw + digest) {took:.3f} s   goal {GOAL_S:.1f} s   ratio {took / GOAL_S:.3f}")
    print(f"verify {verify_s:.3f} s   same result: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
