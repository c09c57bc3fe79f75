"""Minsheng (民生): a public complaint and suggestion platform."""
