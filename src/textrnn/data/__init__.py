"""Labelled text in, TFDS datasets on disk out."""
