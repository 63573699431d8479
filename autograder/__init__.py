"""An autograder and course pack for teaching neural networks with PyTorch."""

__version__ = "0.1.0"
