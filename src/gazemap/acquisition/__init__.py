"""LSL inlets/outlets, the recorder and clock synchronisation (I/O side of recording)."""
