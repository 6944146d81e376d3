"""golive: run the implementation phase of a project as one evidence-driven process."""

__version__ = "0.1.0"
