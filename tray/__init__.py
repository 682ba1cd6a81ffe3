"""maid's tray icon: a client of the daemon's API in its own process (`python -m tray`).

`state` (what the tray knows, changed by events), `menu` (menu, icon and tooltip as pure functions of the
state), `actions` (menu action ids -> API calls or local effects), `link` (the connection thread),
`icons` (the images), `app` (pystray on the main thread). It imports only the daemon's API client,
models and paths, never the engine, and can never take the daemon down with it.
"""
