"""A group on the web: its pages and forms, its JSON API, its socket, the cycle's
pages, and what a group command means beyond the group."""
