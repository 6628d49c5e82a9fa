"""Pruned candidates with a frontier, for exact pruning of dispatch routes (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yingji.relief.travel.arcs import CandidateArcs, CutAreas, fallback_arcs
from yingji.relief.travel.geometry import BoolArray, FallbackSpeed, FloatArray, IntArray, Sites, great_circle_km

# --- pruned candidates with a frontier (for exact pruning) -----------------------------------------


def split_frontier(arcs: CandidateArcs, n_places: int, k: int) -> tuple[CandidateArcs, FloatArray]:
    """Keep the ``k`` fastest routes of each place (``arcs`` must hold at least the k + 1 fastest).

    Returns the kept routes and, per place, the *frontier*: the hours of the fastest route left out
    (inf when none is), a lower bound on the hours of every route not kept.
    """
    offsets = arcs.offsets(n_places)
    rank = np.arange(len(arcs)) - offsets[arcs.place]
    keep = rank < k
    frontier = np.full(n_places, np.inf)
    nxt = rank == k
    frontier[arcs.place[nxt]] = arcs.hours[nxt]
    kept = CandidateArcs(arcs.depot[keep], arcs.place[keep], arcs.hours[keep], arcs.by_air[keep])
    return kept, frontier


@dataclass(frozen=True)
class FallbackRoutes:
    """Fallback routes on demand, for pruned planning that proves its optimum (see
    :func:`yingji.relief.dispatch.plan_min_cost_flow_pruned`)."""

    depots: Sites
    places: Sites
    speed: FallbackSpeed = field(default_factory=FallbackSpeed)
    road_cut_off: BoolArray | None = None
    cut_areas: CutAreas | None = None

    def nearest(self, k: int) -> tuple[CandidateArcs, FloatArray]:
        """The k fastest routes per place and each place's frontier."""
        arcs = fallback_arcs(self.depots, self.places, speed=self.speed, k=k + 1,
                             road_cut_off=self.road_cut_off, cut_areas=self.cut_areas)  # fmt: skip
        return split_frontier(arcs, len(self.places), k)

    def within(self, place_idx: IntArray, max_hours: FloatArray) -> tuple[CandidateArcs, FloatArray]:
        """Every route to ``place_idx[j]`` of at most ``max_hours[j]``; frontier = ``max_hours`` where
        some route is slower, inf where none is."""
        areas = self.cut_areas or CutAreas()
        dep_label = areas.labels(self.depots.lon, self.depots.lat)
        parts: list[tuple[Any, Any, Any]] = []
        frontier = np.full(place_idx.size, np.inf)
        chunk = max(1, 2_000_000 // max(len(self.depots), 1))
        for s in range(0, place_idx.size, chunk):
            idx = place_idx[s : s + chunk]
            lim = max_hours[s : s + chunk]
            hours = self.speed.hours(great_circle_km(
                self.depots.lon[:, None], self.depots.lat[:, None], self.places.lon[idx], self.places.lat[idx]
            ))  # fmt: skip
            label = areas.labels(self.places.lon[idx], self.places.lat[idx])
            hours[dep_label[:, None] != label[None, :]] = np.inf
            if self.road_cut_off is not None:
                hours[:, self.road_cut_off[idx]] = np.inf
            inside = hours <= lim[None, :]
            beyond = np.isfinite(hours) & ~inside
            frontier[s : s + chunk] = np.where(beyond.any(axis=0), lim, np.inf)
            d, j = np.nonzero(inside)
            parts.append((d, idx[j], hours[d, j]))
        if not parts:
            return CandidateArcs.empty(), frontier
        arcs = CandidateArcs.build(*(np.concatenate([p[i] for p in parts]) for i in range(3)))
        return arcs, frontier
