"""trackgnn.simulation"""
