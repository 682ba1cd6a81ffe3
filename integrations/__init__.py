"""integrations: the outside world as daemon inputs — adapters only, no daemon state.

- `tosu`: what the osu! editor is doing (tosu `/websocket/v2`, gosumemory `/ws` fallback) as an async
  stream of `EditorState`s; unavailable states say why.
- `clipboard`: the editor's modding timestamps parsed and resolved on a beatmap; the `Clipboard` protocol.
- `hotkeys`: global hotkeys and key sending behind the `Keyboard` protocol (pynput imported lazily).
- `osu_install`: the stable install and its Songs folder, Wine prefixes, lazer's data and external edits.

Imports point one way: integrations import engine only, never the daemon; they expose callbacks and async
streams, and never write into a Songs folder (daemon/writeback.py does).
"""
