"""Pure rules of pools, clients, users and attributes: sync, no I/O."""
