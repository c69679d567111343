"""Use cases. Each takes its dependencies (session, storage, queue) as arguments, flushes
but never commits: the request or the job that called it owns the unit of work. What must
happen only once the change is committed (enqueue, storage deletes, domain events) is
registered with `motpub.database.after_commit` or `motpub.events.emit`. Background work
opens its own units with `motpub.database.unit_of_work`."""
