"""Example data generated on the fly: canonical distributions and synthetic datasets."""

from pid.datasets.bitwise import CANONICAL, canonical
from pid.datasets.synthetic import latent_bits

__all__ = ["CANONICAL", "canonical", "latent_bits"]
