"""Units of the simulator: configuration, particle ids, kinematic samplers, helix propagation."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.config import from_dict
from trackgnn.errors import ConfigError
from trackgnn.simulation import SimulationConfig, decode_particle_id, encode_particle_id, load_geometry
from trackgnn.simulation._particles import PT_QUANTILES, ParticleSet, sample_pt
from trackgnn.simulation._propagation import propagate


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("efficiency", 1.5, "SimulationConfig.efficiency must be in [0.0, 1.0], got 1.5"),
        ("pileup", -1.0, "SimulationConfig.pileup must be in [0.0, 1000.0], got -1.0"),
        ("seed", -3, "SimulationConfig.seed must be an integer >= 0, got -3"),
        ("noise_fraction", 0.95, "SimulationConfig.noise_fraction must be in [0.0, 0.9], got 0.95"),
    ],
)
def test_config_range_checks(field, value, message):
    with pytest.raises(ValueError) as info:
        SimulationConfig(**{field: value})
    assert str(info.value) == message


def test_config_from_yaml_mapping_names_bad_key_and_value():
    assert from_dict(SimulationConfig, {"pileup": 50, "support_x0": [0.0, 0.0, 0.0]}).support_x0 == (0.0, 0.0, 0.0)
    with pytest.raises(ConfigError, match="unknown key 'pile_up'"):
        from_dict(SimulationConfig, {"pile_up": 50}, "sim.yaml")
    with pytest.raises(ConfigError, match="sim.yaml: SimulationConfig.efficiency must be in"):
        from_dict(SimulationConfig, {"efficiency": 2.0}, "sim.yaml")


def test_particle_id_bit_fields_round_trip():
    rng = np.random.default_rng(0)
    fields = {
        "vertex_id": rng.integers(0, 2048, 100), "primary_id": rng.integers(0, 65536, 100),
        "generation": rng.integers(0, 4096, 100), "secondary_id": rng.integers(0, 4096, 100),
        "process": rng.integers(0, 4096, 100),
    }
    pid = encode_particle_id(**fields)
    decoded = decode_particle_id(pid)
    for name, values in fields.items():
        np.testing.assert_array_equal(decoded[name], values)
    assert encode_particle_id(1, 2, 0, 0, 0) == (1 << 52) + (2 << 36)
    with pytest.raises(ValueError, match="primary_id out of range"):
        encode_particle_id(1, 70000, 0, 0, 0)


def test_pt_mixture_reproduces_measured_quantiles():
    rng = np.random.default_rng(1)
    fraction = 0.23
    n = 400_000
    n_sec = int(fraction * n)
    pt = np.r_[sample_pt(rng, n - n_sec, fraction, secondary=False), sample_pt(rng, n_sec, fraction, secondary=True)]
    for value, cdf in PT_QUANTILES[1:]:
        assert abs((pt <= value).mean() - cdf) < 0.005, (value, cdf)
    secondaries = sample_pt(rng, 10_000, fraction, secondary=True)
    assert secondaries.max() <= 1.0 + 1e-9


def _single_particles(pt, eta, phi, charge):
    n = len(pt)
    mom = np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=1)
    return ParticleSet(
        particle_id=encode_particle_id(1, np.arange(1, n + 1), 0, 0, 0),
        particle_type=np.full(n, 211, np.int32),
        vertex=np.zeros((n, 3)),
        momentum=mom,
        charge=np.asarray(charge, np.int32),
        mass=np.full(n, 0.13957),
    )


def test_first_crossing_lies_on_the_analytic_helix():
    """A particle from the origin meets radius r at azimuth phi0 - q asin(r / 2R), z = r-path * cot(theta)."""
    geo = load_geometry()
    config = SimulationConfig(efficiency=1.0)
    pt = np.array([0.5, 1.0, 2.0, 0.8])
    eta = np.array([0.1, -0.4, 0.7, 0.0])
    phi = np.array([0.3, -2.0, 2.9, 1.0])
    charge = np.array([1, -1, 1, -1])
    crossings = propagate(geo, _single_particles(pt, eta, phi, charge), config, np.random.default_rng(0))
    radius_mm = pt / (0.3 * 2.0) * 1000.0
    for i in range(len(pt)):
        first = crossings.position[crossings.particle == i][0]
        r = np.hypot(first[0], first[1])
        half_turn = np.arcsin(r / (2.0 * radius_mm[i]))
        expected_phi = phi[i] - charge[i] * half_turn
        assert abs(np.angle(np.exp(1j * (np.arctan2(first[1], first[0]) - expected_phi)))) < 1e-9
        assert abs(first[2] - 2.0 * half_turn * radius_mm[i] * np.sinh(eta[i])) < 1e-6
        assert abs(r - 32.0) < 1.0  # the innermost pixel layer
        # the direction at the hit is the helix tangent
        tangent_phi = phi[i] - charge[i] * 2.0 * half_turn
        d = crossings.direction[crossings.particle == i][0]
        assert abs(np.angle(np.exp(1j * (np.arctan2(d[1], d[0]) - tangent_phi)))) < 1e-9


def test_stiff_central_track_crosses_every_barrel_layer():
    geo = load_geometry()
    config = SimulationConfig(efficiency=1.0)
    rng = np.random.default_rng(3)
    n = 200
    particles = _single_particles(np.full(n, 20.0), rng.uniform(-0.5, 0.5, n), rng.uniform(-np.pi, np.pi, n),
                                  rng.choice([-1, 1], n))
    crossings = propagate(geo, particles, config, rng)
    layer = geo.layer_index[crossings.module]
    barrel_layers = np.flatnonzero(geo.layer_barrel)
    per_layer = np.zeros((n, geo.n_layers), int)
    np.add.at(per_layer, (crossings.particle, layer), 1)
    assert np.isin(layer, barrel_layers).all()
    # the barrel is hermetic; overlaps in phi give two hits, at corners (phi and z overlaps) four
    barrel_counts = per_layer[:, barrel_layers]
    assert (barrel_counts >= 1).mean() > 0.97
    assert 0.05 < (barrel_counts == 2).mean() < 0.5
    assert barrel_counts.max() <= 4 and (barrel_counts > 2).mean() < 0.03
    # hits come in increasing radius along each particle
    r = np.hypot(crossings.position[:, 0], crossings.position[:, 1])
    same = crossings.particle[1:] == crossings.particle[:-1]
    assert (np.diff(r)[same] > -5.0).all()


def test_soft_particle_loops_and_stops_at_max_turning():
    geo = load_geometry()
    particles = _single_particles(np.array([0.12]), np.array([0.05]), np.array([0.0]), np.array([1]))
    for max_turning, reach_back in ((np.pi, False), (2.0 * np.pi, True)):
        config = SimulationConfig(efficiency=1.0, max_turning=max_turning, support_x0=(0.0, 0.0, 0.0))
        crossings = propagate(geo, particles, config, np.random.default_rng(0))
        r = np.hypot(crossings.position[:, 0], crossings.position[:, 1])
        # R = 200 mm: the helix reaches r = 400 mm at most, then comes back to the beam line
        assert r.max() < 402.0
        assert (np.diff(r) < -5.0).any() == reach_back


def test_module_lookup_finds_every_module_a_brute_force_search_finds():
    """The (phi, z/r) bins lose no module crossing compared with trying every module of the layer."""
    import dataclasses

    from trackgnn.simulation._propagation import _module_crossings

    geo = load_geometry()
    rng = np.random.default_rng(11)
    n = 3000
    layer = rng.integers(0, geo.n_layers, n)
    barrel = geo.layer_barrel[layer]
    phi_pos = rng.uniform(-np.pi, np.pi, n)
    s = rng.uniform(geo.layer_low[layer], geo.layer_high[layer])
    r = np.where(barrel, geo.layer_position[layer], s)
    z = np.where(barrel, s, geo.layer_position[layer])
    pos = np.stack([r * np.cos(phi_pos), r * np.sin(phi_pos), z], axis=1)
    # outgoing directions, from grazing to normal incidence
    phi = phi_pos + rng.uniform(-1.2, 1.2, n)
    lam = np.where(barrel, rng.uniform(-3, 3, n), np.sign(z) * rng.uniform(0.3, 30, n))
    radius = rng.uniform(100.0, 20000.0, n)
    h = rng.choice([-1.0, 1.0], n)

    members = [np.flatnonzero(geo.layer_index == lay) for lay in range(geo.n_layers)]
    table = np.full((geo.n_layers, max(len(m) for m in members)), -1, np.int32)
    for lay, m in enumerate(members):
        table[lay, : len(m)] = m
    everything = dataclasses.replace(
        geo, bin_phi=np.ones(geo.n_layers, np.int32), bin_s=np.ones(geo.n_layers, np.int32),
        bin_s_low=np.full(geo.n_layers, -1e9), bin_s_width=np.full(geo.n_layers, 1e10),
        bin_offset=np.arange(geo.n_layers), bin_table=table)

    fast = _module_crossings(geo, layer, pos, phi, lam, radius, h)
    brute = _module_crossings(everything, layer, pos, phi, lam, radius, h)
    found = set(zip(fast[0].tolist(), fast[1].tolist()))
    assert found == set(zip(brute[0].tolist(), brute[1].tolist()))
    assert len(found) > 0.8 * n  # most points lie on a module (gaps are small)


def test_ionisation_loss_slows_soft_protons_down_to_a_stop():
    geo = load_geometry()
    config = SimulationConfig(efficiency=1.0)
    n = 50
    particles = _single_particles(np.full(n, 0.25), np.zeros(n), np.linspace(-3, 3, n), np.ones(n))
    particles.mass[:] = 0.93827  # protons: beta ~ 0.26
    crossings = propagate(geo, particles, config, np.random.default_rng(0))
    p = crossings.momentum
    same = crossings.particle[1:] == crossings.particle[:-1]
    assert (np.diff(p)[same] <= 0).all() and (np.diff(p)[same] < 0).any()
    assert np.isclose(p[0], np.hypot(0.25, 0.0))
    # a 0.25 GeV/c proton (33 MeV kinetic, a few mm range in silicon) stops within a few layers
    r_last = np.array([np.hypot(*crossings.position[crossings.particle == i][-1, :2]) for i in range(n)])
    assert (r_last < 600.0).all()
    pions = _single_particles(np.full(n, 0.25), np.zeros(n), np.linspace(-3, 3, n), np.ones(n))
    pion_crossings = propagate(geo, pions, config, np.random.default_rng(0))
    assert pion_crossings.momentum.min() > 0.2  # pions lose little
