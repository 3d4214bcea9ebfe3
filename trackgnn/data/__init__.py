"""trackgnn.data"""
