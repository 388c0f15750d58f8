"""Peer servers the fan-out bench compares ours against, each run as its own process."""
