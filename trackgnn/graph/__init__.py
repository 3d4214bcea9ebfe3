"""trackgnn.graph"""
