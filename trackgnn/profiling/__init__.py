"""Roofline audit: machine ceilings (Empirical Roofline Toolkit style) and the pipeline's roofline.

Machine: :func:`characterise_machine` sweeps a compiled read/FMA/write kernel
(numba on CPU, Triton or CuPy on NVIDIA GPUs) over working sets and FMA counts,
detects bandwidth plateaus (:func:`detect_plateaus`), adds GEMM ceilings and
compares each ceiling with its theoretical value.

Application: :func:`profile_chain` runs the trained chain ``trackgnn reconstruct``
runs, profiling each of its steps through the chain's step hook (time under
``torch.profiler``), and pairs each with its analytic cost model
(:data:`STEP_COSTS`, built from :func:`count_mlp`, :func:`count_message_passing`,
:func:`count_knn`, ...); :func:`stage_verdicts` says what bounds each step.  On CUDA, :mod:`._ncu`
collects the hierarchical metric set with Nsight Compute.
"""

from trackgnn.profiling._app import Stage, StageProfile, launch_overhead, profile_stage, profile_stages
from trackgnn.profiling._cache import cache_root, load_cached_machine, machine_key, save_cached_machine
from trackgnn.profiling._counters import (
    ACTIVATION_FLOPS,
    Cost,
    count_connected_components,
    count_elementwise,
    count_gather,
    count_knn,
    count_linear,
    count_matmul,
    count_message_passing,
    count_mlp,
    count_scatter_add,
    count_walkthrough,
    sum_costs,
)
from trackgnn.profiling._model_counts import count_edge_filter, count_embedding_net, count_interaction_gnn
from trackgnn.profiling._machine import cached_or_measure, characterise_machine, current_machine_key, machine_roofs
from trackgnn.profiling._ncu import (
    KernelRecord,
    calibrate_tensor_factor,
    kernel_cost,
    metrics_for,
    ncu_command,
    parse_ncu_csv,
    stage_totals,
)
from trackgnn.profiling._ncu_app import profile_under_ncu
from trackgnn.profiling._pipeline import ChainProfile, ChainProfiler, profile_chain
from trackgnn.profiling._step_costs import STEP_COSTS, search_cost, track_building_cost
from trackgnn.profiling._plateau import Plateau, detect_plateaus, level_bandwidths, name_levels
from trackgnn.profiling._report import app_markdown, machine_markdown
from trackgnn.profiling._run import app_roofline, write_machine_outputs
from trackgnn.profiling._sysinfo import GPU_DATASHEETS, cpu_info, cpu_theoretical_gflops, gpu_info
from trackgnn.profiling._verdict import stage_verdicts

__all__ = [
    "ACTIVATION_FLOPS",
    "GPU_DATASHEETS",
    "ChainProfile",
    "ChainProfiler",
    "Cost",
    "KernelRecord",
    "Plateau",
    "STEP_COSTS",
    "Stage",
    "StageProfile",
    "app_markdown",
    "app_roofline",
    "cache_root",
    "cached_or_measure",
    "calibrate_tensor_factor",
    "characterise_machine",
    "count_connected_components",
    "count_edge_filter",
    "count_embedding_net",
    "count_interaction_gnn",
    "count_elementwise",
    "count_gather",
    "count_knn",
    "count_linear",
    "count_matmul",
    "count_message_passing",
    "count_mlp",
    "count_scatter_add",
    "count_walkthrough",
    "cpu_info",
    "cpu_theoretical_gflops",
    "current_machine_key",
    "detect_plateaus",
    "gpu_info",
    "kernel_cost",
    "launch_overhead",
    "level_bandwidths",
    "load_cached_machine",
    "machine_key",
    "machine_markdown",
    "machine_roofs",
    "metrics_for",
    "name_levels",
    "ncu_command",
    "parse_ncu_csv",
    "profile_chain",
    "profile_stage",
    "profile_stages",
    "profile_under_ncu",
    "save_cached_machine",
    "search_cost",
    "stage_totals",
    "sum_costs",
    "track_building_cost",
    "stage_verdicts",
    "write_machine_outputs",
]
