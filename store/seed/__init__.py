"""Demo and bench seeding: the demo data (`switchboard run-demo`, the tests) and the bulk rows the benches load.

None of it runs on a request: only the CLI, the tests and bench/ import it.
"""
