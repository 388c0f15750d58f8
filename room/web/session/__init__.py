"""One session on the web: its pages, its JSON API, its WebSocket, the demonstration."""
