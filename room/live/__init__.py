"""What is live in this process: the sessions it serves (``hub.py``, ``room.py``), each
socket and how frames reach it (``connection.py``), the groups (``groups.py``), and how
workers sharing a store hear of each other's appends (``fanout/``)."""
