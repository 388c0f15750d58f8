"""Codev Room: live rooms for co-development groups."""
