"""The trained stages chained in memory: hits in, tracks out (reconstruct), with truth scored
(evaluate), and the bootstrap that simulates data and trains missing upstream stages."""

from trackgnn.pipeline._bootstrap import ensure_upstream, upstream_configs
from trackgnn.pipeline._chain import (PRECISIONS, SECOND_PASS_PREFIX, ChainResult, InferenceChain, pass_prefix,
                                      unprefixed_step)
from trackgnn.pipeline._consistency import EDGE_FEATURE_PRODUCERS, check_chain
from trackgnn.pipeline._evaluate import SELECTIONS, EvaluationReport, evaluate_chain, hard_cut_hits, truth_gnn_hook
from trackgnn.pipeline._events import default_test_events, iter_raw_events
from trackgnn.pipeline._reconstruct import reconstruct_events

__all__ = [
    "EDGE_FEATURE_PRODUCERS",
    "PRECISIONS",
    "SECOND_PASS_PREFIX",
    "SELECTIONS",
    "ChainResult",
    "EvaluationReport",
    "InferenceChain",
    "check_chain",
    "default_test_events",
    "ensure_upstream",
    "evaluate_chain",
    "hard_cut_hits",
    "iter_raw_events",
    "pass_prefix",
    "reconstruct_events",
    "truth_gnn_hook",
    "unprefixed_step",
    "upstream_configs",
]
