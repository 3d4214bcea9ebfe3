"""trackgnn.evaluation"""
