"""Vertices and particle kinematics reproducing a real TrackML event (REFERENCE §3).

pT and |eta| are drawn through empirical inverse CDFs whose knots are the
quantiles measured on ``event000001000``.  Secondaries only take soft pT (the
real secondaries almost never exceed 1 GeV); primaries take the complementary
distribution so that the mixture of both reproduces the measured pT
distribution exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackgnn.simulation._config import SimulationConfig

__all__ = [
    "ParticleSet",
    "make_primaries",
    "make_secondaries",
    "encode_particle_id",
    "decode_particle_id",
    "sample_pt",
    "PT_QUANTILES",
    "ABS_ETA_QUANTILES",
]

# (pT [GeV], cumulative fraction): REFERENCE §3 quantiles, 0.5 and 1 GeV fractions
PT_QUANTILES = np.array([
    [0.050, 0.000], [0.145, 0.100], [0.217, 0.250], [0.360, 0.500], [0.500, 0.660],
    [0.630, 0.750], [1.000, 0.887], [1.080, 0.900], [2.970, 0.990],
])
# power-law tail above the 99 % quantile: F = 1 - 0.01 (pT / 2.97)^-3
_PT_TAIL_INDEX = 3.0
_PT_MAX = 200.0
# (|eta|, cumulative fraction): REFERENCE §3 quantiles, flat-ish up to 4
ABS_ETA_QUANTILES = np.array([[0.0, 0.0], [0.60, 0.25], [1.46, 0.50], [2.63, 0.75], [3.43, 0.90], [4.0, 1.0]])
# secondaries are drawn below this pT [GeV]
_SECONDARY_PT_MAX = 1.0

# (PDG id, charge, probability) of primaries and of secondaries
_PRIMARY_SPECIES = np.array([
    [211, 1, 0.420], [-211, -1, 0.355], [321, 1, 0.060], [-321, -1, 0.050],
    [2212, 1, 0.060], [-2212, -1, 0.025], [-11, 1, 0.010], [11, -1, 0.010],
    [-13, 1, 0.005], [13, -1, 0.005],
])
_SECONDARY_SPECIES = np.array([
    [11, -1, 0.30], [-11, 1, 0.20], [211, 1, 0.20], [-211, -1, 0.20], [2212, 1, 0.10],
])
_MASS = {11: 0.000511, 13: 0.10566, 211: 0.13957, 321: 0.49368, 2212: 0.93827}

# secondary process codes stored in the low bits of particle_id
PROCESS_MATERIAL = 1


@dataclass
class ParticleSet:
    """Particles at their production point (arrays of length n, units mm and GeV)."""

    particle_id: np.ndarray  # int64
    particle_type: np.ndarray  # int32 PDG id
    vertex: np.ndarray  # (n, 3) float64
    momentum: np.ndarray  # (n, 3) float64
    charge: np.ndarray  # int32
    mass: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.particle_id)

    @staticmethod
    def concatenate(parts: list["ParticleSet"]) -> "ParticleSet":
        return ParticleSet(*(np.concatenate([getattr(p, f) for p in parts]) for f in ParticleSet.__dataclass_fields__))


def encode_particle_id(vertex_id, primary_id, generation, secondary_id, process) -> np.ndarray:
    """TrackML particle_id from its bit fields (REFERENCE §1).

    vertex_id occupies bits 52-63, primary_id 36-51, generation 24-35,
    secondary_id 12-23 and process 0-11.
    """
    fields = [np.asarray(a, np.int64) for a in (vertex_id, primary_id, generation, secondary_id, process)]
    limits = (4096, 65536, 4096, 4096, 4096)
    names = ("vertex_id", "primary_id", "generation", "secondary_id", "process")
    for value, limit, name in zip(fields, limits, names):
        if value.size and (value.min() < 0 or value.max() >= limit):
            raise ValueError(f"particle_id field {name} out of range [0, {limit}): {value.min()}..{value.max()}")
    vertex_id, primary_id, generation, secondary_id, process = fields
    return (vertex_id << 52) | (primary_id << 36) | (generation << 24) | (secondary_id << 12) | process


def decode_particle_id(particle_id) -> dict[str, np.ndarray]:
    """The bit fields of TrackML particle ids (inverse of :func:`encode_particle_id`)."""
    pid = np.asarray(particle_id, np.int64)
    return {
        "vertex_id": (pid >> 52) & 0xFFF,
        "primary_id": (pid >> 36) & 0xFFFF,
        "generation": (pid >> 24) & 0xFFF,
        "secondary_id": (pid >> 12) & 0xFFF,
        "process": pid & 0xFFF,
    }


def _pt_from_cdf(u: np.ndarray) -> np.ndarray:
    """Inverse of the measured pT CDF (log-linear between the knots, power-law tail)."""
    knots_f, knots_pt = PT_QUANTILES[:, 1], np.log(PT_QUANTILES[:, 0])
    pt = np.exp(np.interp(u, knots_f, knots_pt))
    f_last, pt_last = PT_QUANTILES[-1, 1], PT_QUANTILES[-1, 0]
    tail = u > f_last
    pt[tail] = pt_last * ((1.0 - u[tail]) / (1.0 - f_last)) ** (-1.0 / _PT_TAIL_INDEX)
    return np.minimum(pt, _PT_MAX)


def _pt_cdf(pt: float) -> float:
    return float(np.interp(np.log(pt), np.log(PT_QUANTILES[:, 0]), PT_QUANTILES[:, 1]))


def sample_pt(rng: np.random.Generator, n: int, secondary_fraction: float, secondary: bool) -> np.ndarray:
    """Transverse momenta [GeV] of primaries or secondaries.

    Secondaries follow the measured CDF F truncated at 1 GeV; primaries follow
    ``(F - s G) / (1 - s)`` (G = the secondaries' CDF, s = their fraction), so
    the whole event follows F.
    """
    u = rng.random(n)
    f_cut = _pt_cdf(_SECONDARY_PT_MAX)
    if secondary:
        return _pt_from_cdf(u * f_cut)
    s = secondary_fraction
    scale = (1.0 - s / f_cut) / (1.0 - s)  # primaries' CDF = scale * F below the cut
    below = u < scale * f_cut
    return _pt_from_cdf(np.where(below, u / scale, s + (1.0 - s) * u))


def _sample_abs_eta(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.interp(rng.random(n), ABS_ETA_QUANTILES[:, 1], ABS_ETA_QUANTILES[:, 0])


def _sample_species(rng: np.random.Generator, table: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    prob = table[:, 2] / table[:, 2].sum()
    pick = np.searchsorted(np.cumsum(prob), rng.random(n), side="right")
    pick = np.minimum(pick, len(table) - 1)
    pdg = table[pick, 0].astype(np.int32)
    charge = table[pick, 1].astype(np.int32)
    mass = np.array([_MASS[abs(int(p))] for p in table[:, 0]])[pick]
    return pdg, charge, mass


def _momentum(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=1)


def make_primaries(rng: np.random.Generator, config: SimulationConfig) -> ParticleSet:
    """Pile-up vertices and their primary charged particles.

    The number of vertices is Poisson(``pileup``); each vertex gets a
    negative-binomial number of particles.  A fraction ``decay_fraction`` of
    the primaries come from a neutral parent that flew an exponential distance
    along the daughter's direction before decaying.
    """
    n_vertices = max(int(rng.poisson(config.pileup)), 1)
    k = config.multiplicity_shape
    mean = config.particles_per_vertex
    counts = rng.negative_binomial(k, k / (k + mean), size=n_vertices) if mean > 0 else np.zeros(n_vertices, int)
    counts = np.minimum(counts, 65535)
    positions = np.stack([
        rng.normal(0.0, config.vertex_sigma_xy, n_vertices),
        rng.normal(0.0, config.vertex_sigma_xy, n_vertices),
        rng.normal(0.0, config.vertex_sigma_z, n_vertices),
    ], axis=1)
    n = int(counts.sum())
    vertex_index = np.repeat(np.arange(n_vertices), counts)
    primary_id = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    pt = sample_pt(rng, n, config.secondary_fraction, secondary=False)
    eta = _sample_abs_eta(rng, n) * rng.choice(np.array([-1.0, 1.0]), n)
    phi = rng.uniform(-np.pi, np.pi, n)
    pdg, charge, mass = _sample_species(rng, _PRIMARY_SPECIES, n)
    momentum = _momentum(pt, eta, phi)
    vertex = positions[vertex_index].copy()
    decayed = rng.random(n) < config.decay_fraction
    flight = rng.exponential(config.decay_length, n) if config.decay_length > 0 else np.zeros(n)
    direction = momentum / np.linalg.norm(momentum, axis=1, keepdims=True)
    # a neutral parent flies straight, along the daughter's direction within the decay opening
    vertex[decayed] += (flight[:, None] * direction)[decayed]
    pid = encode_particle_id(vertex_index + 1, primary_id, 0, 0, 0)
    return ParticleSet(pid, pdg, vertex, momentum, charge, mass)


def make_secondaries(
    rng: np.random.Generator,
    n: int,
    parent_id: np.ndarray,
    position: np.ndarray,
    parent_direction: np.ndarray,
    config: SimulationConfig,
) -> ParticleSet:
    """Secondaries made where primaries crossed material.

    Parameters
    ----------
    n : int
        Number of secondaries.
    parent_id : (n,) int64
        particle_id of each secondary's parent (a primary).
    position : (n, 3)
        Production points [mm] (crossings of the parent with a module).
    parent_direction : (n, 3)
        Unit direction of the parent there.
    """
    pt = sample_pt(rng, n, config.secondary_fraction, secondary=True)
    # direction: the parent's, opened by a soft angle
    opening = np.abs(rng.normal(0.0, 0.35, n))
    azimuth = rng.uniform(-np.pi, np.pi, n)
    d = parent_direction / np.linalg.norm(parent_direction, axis=1, keepdims=True)
    helper = np.where(np.abs(d[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e1 = np.cross(d, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(d, e1)
    new_dir = (np.cos(opening)[:, None] * d
               + np.sin(opening)[:, None] * (np.cos(azimuth)[:, None] * e1 + np.sin(azimuth)[:, None] * e2))
    sin_theta = np.maximum(np.hypot(new_dir[:, 0], new_dir[:, 1]), 1e-3)
    momentum = new_dir * (pt / sin_theta)[:, None]
    pdg, charge, mass = _sample_species(rng, _SECONDARY_SPECIES, n)
    fields = decode_particle_id(parent_id)
    # number the secondaries of each parent 1, 2, ... in order
    order = np.argsort(parent_id, kind="stable")
    sorted_parent = parent_id[order]
    first = np.r_[True, sorted_parent[1:] != sorted_parent[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    secondary_id = np.empty(n, np.int64)
    secondary_id[order] = np.arange(n) - start + 1
    secondary_id = np.minimum(secondary_id, 4095)
    pid = encode_particle_id(fields["vertex_id"], fields["primary_id"], 1, secondary_id, PROCESS_MATERIAL)
    return ParticleSet(pid, pdg, position.astype(np.float64), momentum, charge, mass)
