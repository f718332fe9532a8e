"""swtool: the Southwark Works quarterly-returns toolkit."""

__version__ = "0.1.0"
