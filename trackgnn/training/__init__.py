"""trackgnn.training"""
