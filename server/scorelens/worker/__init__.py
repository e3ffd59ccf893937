"""The worker: the only place user code (scorers, apps) runs on behalf of the language server.

It is a separate process so that a scorer that hangs, crashes or prints cannot harm the server.
"""
