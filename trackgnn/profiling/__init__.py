"""trackgnn.profiling"""
