"""trackgnn.embedding"""
