"""auditor: check that registries, papers, regulators and companies tell the same story."""

__version__ = "0.1.0"
