"""Shared fixtures: a small hand-made TrackML event; the command line run in-process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result


def run_cli(*args) -> Result:
    """``trackgnn ARGS...`` in this process (:class:`click.testing.CliRunner`): ``exit_code``,
    ``stdout``, ``stderr``; the error contract (``error: ...``, status 2) applies as on a terminal."""
    from trackgnn.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def make_event(n_particles: int = 5, hits_per_particle: int = 6, n_noise: int = 3, seed: int = 0):
    """A tiny but complete TrackML event (hits, cells, particles with particle_type, truth)."""
    rng = np.random.default_rng(seed)
    n_hits = n_particles * hits_per_particle + n_noise
    particle_ids = (np.arange(1, n_particles + 1, dtype=np.int64) << 36)
    hit_particle = np.r_[np.repeat(particle_ids, hits_per_particle), np.zeros(n_noise, dtype=np.int64)]
    hits = pd.DataFrame({
        "hit_id": np.arange(1, n_hits + 1, dtype=np.int32),
        "x": rng.normal(0, 300, n_hits).astype(np.float32),
        "y": rng.normal(0, 300, n_hits).astype(np.float32),
        "z": rng.normal(0, 800, n_hits).astype(np.float32),
        "volume_id": rng.choice([7, 8, 9], n_hits).astype(np.int32),
        "layer_id": (2 * rng.integers(1, 5, n_hits)).astype(np.int32),
        "module_id": rng.integers(1, 100, n_hits).astype(np.int32),
    })
    cells = pd.DataFrame({
        "hit_id": np.repeat(hits["hit_id"].to_numpy(), 2),
        "ch0": rng.integers(0, 1000, 2 * n_hits).astype(np.int32),
        "ch1": rng.integers(0, 1000, 2 * n_hits).astype(np.int32),
        "value": rng.uniform(0, 1, 2 * n_hits).astype(np.float32),
    })
    particles = pd.DataFrame({
        "particle_id": particle_ids,
        "particle_type": np.full(n_particles, 211, dtype=np.int32),
        "vx": np.zeros(n_particles, np.float32), "vy": np.zeros(n_particles, np.float32),
        "vz": rng.normal(0, 5, n_particles).astype(np.float32),
        "px": rng.uniform(0.2, 3, n_particles).astype(np.float32),
        "py": rng.uniform(0.2, 3, n_particles).astype(np.float32),
        "pz": rng.normal(0, 2, n_particles).astype(np.float32),
        "q": rng.choice([-1, 1], n_particles).astype(np.int32),
        "nhits": np.full(n_particles, hits_per_particle, dtype=np.int32),
    })
    truth = pd.DataFrame({
        "hit_id": hits["hit_id"].to_numpy(),
        "particle_id": hit_particle,
        "tx": hits["x"].to_numpy(), "ty": hits["y"].to_numpy(), "tz": hits["z"].to_numpy(),
        "tpx": rng.normal(0, 1, n_hits).astype(np.float32),
        "tpy": rng.normal(0, 1, n_hits).astype(np.float32),
        "tpz": rng.normal(0, 1, n_hits).astype(np.float32),
        "weight": np.zeros(n_hits, np.float32),
    })
    from trackgnn.evaluation import weight_hits

    truth = weight_hits(truth, particles)
    return {"hits": hits, "cells": cells, "particles": particles, "truth": truth}


@pytest.fixture
def small_event():
    return make_event()


@pytest.fixture(scope="session")
def raw_events(tmp_path_factory):
    """Five simulated events with pile-up 10 (about 1k hits above 1 GeV each)."""
    from trackgnn.simulation import SimulationConfig, simulate_dataset

    out = tmp_path_factory.mktemp("raw")
    simulate_dataset(out, 5, SimulationConfig(seed=11, pileup=10))
    return out


def _split_events(root, make) -> None:
    """``root/{train,val,test}`` with 3, 1 and 1 events ``make(event_id)``."""
    from trackgnn.processing import event_file, save_event_data

    for split, ids in (("train", [1000, 1001, 1002]), ("val", [1003]), ("test", [1004])):
        for event_id in ids:
            save_event_data(make(event_id), event_file(root / split, event_id))


@pytest.fixture(scope="session")
def filter_outputs(tmp_path_factory):
    """``train/`` (3 events), ``val/`` (1) and ``test/`` (1) of filter-like events (GNN inputs)."""
    from tests.gnn.conftest import filter_like_event

    root = tmp_path_factory.mktemp("filter_outputs")
    _split_events(root, lambda event_id: filter_like_event(event_id, seed=5))
    return root


@pytest.fixture(scope="session")
def embedding_outputs(tmp_path_factory):
    """``train/`` (3 events), ``val/`` (1) and ``test/`` (1) of embedding-like events (filter inputs)."""
    from tests.filter.conftest import embedding_like_event

    root = tmp_path_factory.mktemp("embedding_outputs")
    _split_events(root, lambda event_id: embedding_like_event(event_id, seed=5))
    return root
