"""Retrieval-augmented generation: extraction, chunking, retrieval and evaluation metrics."""
