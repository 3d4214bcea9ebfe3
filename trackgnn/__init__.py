"""trackgnn: Exa.TrkX-style GNN particle tracking on TrackML data, with a roofline audit."""

from trackgnn.errors import CheckpointError, ConfigError, DataFormatError, TrackGNNError

__version__ = "0.1.0"
__all__ = ["TrackGNNError", "DataFormatError", "ConfigError", "CheckpointError", "__version__"]
