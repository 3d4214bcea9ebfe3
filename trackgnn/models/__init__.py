"""trackgnn.models"""
