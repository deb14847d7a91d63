"""Batch mode on a Ray cluster (the optional ``cluster`` extra): the only package that imports ``ray``.

The window and local batch mode never import it; ``opening batch --ray`` does, when asked.
"""
