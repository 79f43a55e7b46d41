"""Shared definitions of the delivery formats, used by both the simulator and the parsers."""
