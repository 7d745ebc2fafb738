"""Measurement, never part of the product: the evaluations behind `flashpoint eval` (the shared gold
sets and corpora in ../shared), `flashpoint bench` and `flashpoint train eventness`.

The pipeline modules one level up never import this package (tests/test_layout.py checks it);
only the command line reaches it.
"""
