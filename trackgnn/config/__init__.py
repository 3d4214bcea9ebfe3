"""Typed configuration: YAML is validated into dataclasses once, at the CLI boundary."""

from trackgnn.config._typed import from_dict, load_yaml, to_dict

__all__ = ["from_dict", "load_yaml", "to_dict"]
