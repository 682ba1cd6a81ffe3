"""maid's API: JSON-RPC 2.0 over WebSocket on 127.0.0.1 (models, dispatch, server, methods, client)."""
