"""Rexian (热线): an open-source platform for a city's 12345 government-service hotline."""

__version__ = "0.1.0"
