"""trackgnn.tracking"""
