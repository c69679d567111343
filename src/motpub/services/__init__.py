"""Use cases. Each takes its dependencies (session, storage, queue) as arguments, flushes
but never commits: the front door that called it owns the transaction."""
