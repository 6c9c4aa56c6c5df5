"""notaverage: see, and measure, that a neural network does not average its inputs."""

__version__ = "0.1.0"
