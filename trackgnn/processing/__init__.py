"""Event → graph-ready tensors: hit features, truth, truth edges, hard cuts, cached event files."""

from trackgnn.processing._cuts import HardCuts, apply_hard_cuts, hard_cut_mask, random_sector, subset_nodes
from trackgnn.processing._dataset import preprocess_dataset, raw_event_ids
from trackgnn.processing._event import layer_key, process_event
from trackgnn.processing._features import CELL_FEATURES, HIT_FEATURES, hit_features
from trackgnn.processing._storage import event_file, event_files, load_event_data, save_event_data
from trackgnn.processing._truth import hit_truth, truth_edges

__all__ = [
    "CELL_FEATURES",
    "HIT_FEATURES",
    "HardCuts",
    "apply_hard_cuts",
    "event_file",
    "event_files",
    "hard_cut_mask",
    "hit_features",
    "hit_truth",
    "layer_key",
    "load_event_data",
    "preprocess_dataset",
    "process_event",
    "random_sector",
    "raw_event_ids",
    "save_event_data",
    "subset_nodes",
    "truth_edges",
]
