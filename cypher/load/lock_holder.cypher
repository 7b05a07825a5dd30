// name: load/lock_holder
// description: The holder of the load lock, if any: owner, host, pid, source and start time.
// param lock: the lock's name ("load")
// mode: read
MATCH (l:LoadLock {name: $lock})
RETURN l.token AS token, l.owner AS owner, l.host AS host, l.pid AS pid, l.source AS source,
       toString(l.started) AS started
