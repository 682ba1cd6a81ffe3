"""maid's API: JSON-RPC 2.0 text frames over WebSocket on ws://127.0.0.1:<port>/.

- `models.py`: the envelopes, error codes and the params/result model of every method and notification
  (camelCase on the wire; `maid api schema` prints their JSON Schema).
- `dispatch.py`: the method registry (a decorator per handler), batches, notifications, `$/cancelRequest`.
- `server.py`: the websocket server: Host/Origin allow-list, token check, frame and rate limits.
- `methods.py`: the handlers; `generation.py`: those that need the model (mod, remap, hitsound,
  guestDifficulty, timing). `client.py`: a small synchronous client for the CLI and scripts.
- docs/api.md documents every method and notification with examples (tests/daemon/test_api_docs.py checks it).

Connecting: the port is in the discovery file (`<user state dir>/daemon.json`); the token comes from
`maid token`. Send it as `Authorization: Bearer <token>`; a browser page on localhost, which cannot set
headers, offers the subprotocols `["maid.jsonrpc", "maid.token.<token>"]` (the server answers
`maid.jsonrpc`) or appends `?token=<token>`. Call `initialize` first to receive notifications
(`job/progress`, `job/done`, `findings/publish`, `file/written`, `edit/dropped`, `editor/state`, `editor/action`).
"""
