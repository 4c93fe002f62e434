"""
---
title: Annotated PyTorch implementations
summary: Small, readable PyTorch implementations of deep-learning algorithms, with the maths written beside the code.
---

# Annotated PyTorch implementations

Each module in this tree is meant to be read: the notes next to the code
explain what every line computes and why, with the equations from the papers.

* [Optimizers](optimizers/__init__.py): Adam and its relatives on one shared base class.
"""
