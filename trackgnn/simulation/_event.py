"""One simulated TrackML event: particles, propagation, digitisation, noise, files' frames."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from trackgnn.simulation._config import SimulationConfig
from trackgnn.simulation._digitisation import deposited_energy, digitise, noise_hits
from trackgnn.simulation._geometry import Geometry, load_geometry
from trackgnn.simulation._particles import ParticleSet, make_primaries, make_secondaries
from trackgnn.simulation._propagation import Crossings, propagate

__all__ = ["EventFrames", "simulate_event", "event_rng"]

_SECONDARIES_PER_INTERACTION = 1.5  # mean number of secondaries of one interaction


class EventFrames(NamedTuple):
    """The four TrackML tables of one event (columns and dtypes of REFERENCE §1)."""

    hits: pd.DataFrame
    cells: pd.DataFrame
    particles: pd.DataFrame
    truth: pd.DataFrame


def event_rng(seed: int, event_id: int) -> np.random.Generator:
    """Random generator of one event, a function of ``(seed, event_id)`` only."""
    if event_id < 0:
        raise ValueError(f"event_id must be >= 0, got {event_id}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(event_id)]))


def _add_secondaries(
    rng: np.random.Generator, geo: Geometry, config: SimulationConfig, primaries: ParticleSet, crossings: Crossings
) -> tuple[ParticleSet, Crossings]:
    """Inelastic interactions of primaries in the modules they cross.

    Randomly chosen primaries interact at a random one of their module
    crossings: they are absorbed there (their later crossings are dropped) and
    give ``1 + Poisson(_SECONDARIES_PER_INTERACTION - 1)`` secondaries, until
    the secondaries make up ``config.secondary_fraction`` of all particles.
    """
    s = config.secondary_fraction
    n_target = int(round(s / (1.0 - s) * len(primaries)))
    counts = np.bincount(crossings.particle, minlength=len(primaries))
    candidates = np.flatnonzero(counts > 0)
    if n_target == 0 or len(candidates) == 0:
        return primaries, crossings
    multiplicity = 1 + rng.poisson(_SECONDARIES_PER_INTERACTION - 1.0, n_target)
    n_int = min(int(np.searchsorted(np.cumsum(multiplicity), n_target)) + 1, len(candidates))
    multiplicity = multiplicity[:n_int]
    parents = np.sort(rng.choice(candidates, n_int, replace=False))
    start = np.cumsum(counts) - counts
    local = np.floor(rng.random(n_int) * counts[parents]).astype(np.int64)
    chosen = start[parents] + local
    # the absorbed parents lose their crossings after the interaction
    last = np.full(len(primaries), np.iinfo(np.int64).max)
    last[parents] = local
    rank = np.arange(len(crossings.particle)) - start[crossings.particle]
    keep = rank <= last[crossings.particle]
    pick = np.repeat(chosen, multiplicity)
    n_sec = len(pick)
    parent = crossings.particle[pick]
    secondaries = make_secondaries(
        rng, n_sec, primaries.particle_id[parent], crossings.position[pick], crossings.direction[pick], config)
    sec_cross = propagate(geo, secondaries, config, rng, origin_module=crossings.module[pick])
    sec_cross.particle = sec_cross.particle + len(primaries)
    merged = Crossings(*(np.concatenate([getattr(crossings, f)[keep], getattr(sec_cross, f)])
                         for f in Crossings.__dataclass_fields__))
    return ParticleSet.concatenate([primaries, secondaries]), merged


def simulate_event(event_id: int, config: SimulationConfig, geometry: Geometry | None = None) -> EventFrames:
    """Simulate one event.

    Parameters
    ----------
    event_id : int
        Event number; with ``config.seed`` it fixes every random draw.
    config : SimulationConfig
    geometry : Geometry, optional
        The detector (the packaged TrackML geometry by default).

    Returns
    -------
    EventFrames
        hits (sorted by volume, layer, module; hit_id from 1), cells (one row
        per channel), particles (sorted by particle_id, including particles
        without hits), truth (true position and momentum at each hit, TrackML
        weights; noise hits have particle_id 0 and weight 0).
    """
    from trackgnn.evaluation import weight_hits

    geo = geometry if geometry is not None else load_geometry()
    rng = event_rng(config.seed, event_id)
    primaries = make_primaries(rng, config)
    crossings = propagate(geo, primaries, config, rng)
    particles, crossings = _add_secondaries(rng, geo, config, primaries, crossings)

    det = crossings.detected
    p_particle = crossings.particle[det]
    p_module = crossings.module[det]
    p_true = crossings.position[det]
    p_mom = crossings.direction[det] * crossings.momentum[det, None]
    p_local = geo.to_local(p_module, p_true)[:, :2]
    p_dir = np.einsum("nij,ni->nj", geo.rotation[p_module], crossings.direction[det])

    f = config.noise_fraction
    n_noise = int(round(f / (1.0 - f) * len(p_module)))
    if len(p_module) + n_noise == 0:
        n_noise = 1  # a TrackML event has at least one hit
    n_module, n_local, n_dir = noise_hits(rng, geo, n_noise)

    module = np.concatenate([p_module, n_module])
    local = np.concatenate([p_local, n_local])
    local_dir = np.concatenate([p_dir, n_dir])
    energy = deposited_energy(rng, geo, module, local_dir)
    clusters = digitise(geo, module, local, local_dir, energy)

    hit_pid = np.concatenate([particles.particle_id[p_particle], np.zeros(n_noise, np.int64)])
    true_pos = np.concatenate([p_true, clusters.measured[len(p_module):]])
    true_mom = np.concatenate([p_mom, np.zeros((n_noise, 3))])
    nhits = np.bincount(p_particle, minlength=len(particles))
    hits, cells, particle_frame, truth = _tables(
        rng, geo, module, clusters, hit_pid, true_pos, true_mom, particles, nhits)
    # weights from the float32 values written to the files, so they are reproduced on reading
    truth["weight"] = weight_hits(truth, particle_frame)["weight"].to_numpy(np.float32)
    return EventFrames(hits, cells, particle_frame, truth)


def _tables(rng, geo, module, clusters, hit_pid, true_pos, true_mom, particles, nhits) -> list[pd.DataFrame]:
    """The four TrackML tables (float32/int32 as in the files) of the digitised hits."""
    n_hits = len(module)
    # TrackML order: by volume, layer, module (module rows are in that order), shuffled within a module
    order = np.lexsort((rng.random(n_hits), module))
    hit_id = np.empty(n_hits, np.int64)
    hit_id[order] = np.arange(1, n_hits + 1)
    hits = pd.DataFrame({
        "hit_id": hit_id[order],
        "x": clusters.measured[order, 0], "y": clusters.measured[order, 1], "z": clusters.measured[order, 2],
        "volume_id": geo.volume_id[module[order]],
        "layer_id": geo.layer_id[module[order]],
        "module_id": geo.module_id[module[order]],
    })
    cell_hit_id = hit_id[clusters.cell_hit]
    cell_order = np.lexsort((clusters.cell_ch1, clusters.cell_ch0, cell_hit_id))
    cells = pd.DataFrame({
        "hit_id": cell_hit_id[cell_order],
        "ch0": clusters.cell_ch0[cell_order],
        "ch1": clusters.cell_ch1[cell_order],
        "value": clusters.cell_value[cell_order],
    })
    p_order = np.argsort(particles.particle_id, kind="stable")
    particle_frame = pd.DataFrame({
        "particle_id": particles.particle_id[p_order],
        "particle_type": particles.particle_type[p_order],
        "vx": particles.vertex[p_order, 0], "vy": particles.vertex[p_order, 1], "vz": particles.vertex[p_order, 2],
        "px": particles.momentum[p_order, 0], "py": particles.momentum[p_order, 1],
        "pz": particles.momentum[p_order, 2],
        "q": particles.charge[p_order],
        "nhits": nhits[p_order],
    })
    truth = pd.DataFrame({
        "hit_id": hit_id[order],
        "particle_id": hit_pid[order],
        "tx": true_pos[order, 0], "ty": true_pos[order, 1], "tz": true_pos[order, 2],
        "tpx": true_mom[order, 0], "tpy": true_mom[order, 1], "tpz": true_mom[order, 2],
        "weight": np.zeros(n_hits),
    })
    return _canonical(hits, cells, particle_frame, truth)


def _canonical(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """The frames with TrackML dtypes, so in-memory events equal events read back from files."""
    from trackgnn.data import COLUMNS

    out = []
    for part, frame in zip(("hits", "cells", "particles", "truth"), frames):
        out.append(pd.DataFrame({c: frame[c].to_numpy().astype(d) for c, d in COLUMNS[part].items()}))
    return out
