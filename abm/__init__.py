"""Whole-system agent-based model of community health services in an English ICS."""

__version__ = "0.1.0"
