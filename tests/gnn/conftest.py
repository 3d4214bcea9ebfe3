"""GNN-stage inputs made directly from simulated events (no upstream training) and a tiny GNN config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml


def filter_like_event(event_id: int, seed: int, n_fakes_per_hit: float = 2.0):
    """A low-pile-up simulated event as the filter would hand it over.

    Hits of particles above 1 GeV (noise removed); edges: every truth edge plus
    ``n_fakes_per_hit`` random edges per hit towards a hit at larger radius within 0.3 rad
    in phi; ``edge_dist`` and ``edge_score`` made up from the truth (true edges score high).
    """
    import torch

    from trackgnn.graph import edge_labels
    from trackgnn.processing import HardCuts, apply_hard_cuts, process_event
    from trackgnn.simulation import SimulationConfig, simulate_event

    frames = simulate_event(event_id, SimulationConfig(seed=seed, pileup=5))
    data = process_event(event_id, frames.hits, frames.cells, frames.particles, frames.truth)
    data = apply_hard_cuts(data, HardCuts(pt_min=1.0, remove_noise=True))
    rng = np.random.default_rng(event_id)
    n = data.num_nodes
    r, phi = data.r.numpy(), data.phi.numpy()
    src = rng.integers(0, n, int(n_fakes_per_hit * n))
    dst = rng.integers(0, n, src.size)
    near = (np.abs(np.angle(np.exp(1j * (phi[dst] - phi[src])))) < 0.3) & (r[dst] > r[src])
    fakes = np.stack([src[near], dst[near]])
    truth = data.track_edges.numpy()
    edges = np.unique(np.concatenate([truth, fakes], axis=1), axis=1)
    data.edge_index = torch.from_numpy(edges)
    data.y = edge_labels(data.edge_index, data.particle_id)
    data.edge_dist = torch.from_numpy(rng.uniform(0, 0.1, edges.shape[1]).astype(np.float32))
    data.edge_score = torch.where(data.y, 0.7, 0.4) + torch.from_numpy(rng.normal(0, 0.1, edges.shape[1])).float()
    return data


def gnn_config(directory: Path, input_dir: Path, **overrides) -> Path:
    """A tiny GNN config in ``directory`` reading ``input_dir``."""
    data = {
        "stage": "gnn",
        "input_dir": str(input_dir),
        "stage_dir": str(directory / "gnn"),
        "data_split": [3, 1, 1],
        "hard_cuts": {"pt_min": 1.0, "remove_noise": True},
        "node_features": ["r", "cos_phi", "sin_phi", "z", "eta"],
        "node_scales": [1000.0, 1.0, 1.0, 1000.0, 4.0],
        "model": {"hidden_channels": 16, "num_iterations": 2},
        "triplets": {"hidden_channels": 16, "num_layers": 2},
        "training": {"max_epochs": 12, "lr": 0.01},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = directory / "gnn.yaml"
    path.write_text(yaml.safe_dump(data))
    return path
