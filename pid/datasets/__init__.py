"""Example data generated on the fly: canonical distributions and synthetic datasets."""

from pid.datasets.attributed import scenes, scenes_distribution
from pid.datasets.bitwise import CANONICAL, canonical
from pid.datasets.gaussian_mixture import gmm
from pid.datasets.generative_reference import generative_pid
from pid.datasets.latent import (
    GENERATIVE,
    GenerativeSpec,
    generative,
    generative_mixture,
    generative_posteriors,
)
from pid.datasets.real import digits
from pid.datasets.sources import source_modalities
from pid.datasets.synthetic import latent_bits, latent_bits_distribution

__all__ = [
    "CANONICAL",
    "GENERATIVE",
    "GenerativeSpec",
    "canonical",
    "digits",
    "generative",
    "generative_mixture",
    "generative_pid",
    "generative_posteriors",
    "gmm",
    "latent_bits",
    "latent_bits_distribution",
    "scenes",
    "scenes_distribution",
    "source_modalities",
]
