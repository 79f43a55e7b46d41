"""One module per `hhl` sub-command; each defines `register(subparsers)` and is found by name."""
