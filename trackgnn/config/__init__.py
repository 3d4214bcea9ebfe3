"""Typed configuration: YAML is validated into dataclasses once, at the CLI boundary."""

from trackgnn.config._limits import MAX_DEPTH, MAX_NEIGHBOURS, MAX_WIDTH, check_sizes
from trackgnn.config._paths import resolved_from
from trackgnn.config._typed import from_dict, load_yaml, to_dict

__all__ = ["MAX_DEPTH", "MAX_NEIGHBOURS", "MAX_WIDTH", "check_sizes", "from_dict", "load_yaml", "resolved_from",
           "to_dict"]
