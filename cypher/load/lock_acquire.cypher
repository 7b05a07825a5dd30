// name: load/lock_acquire
// description: Take the load lock: create the (:LoadLock) node; fails on the uniqueness constraint while another writer holds it.
// param lock: the lock's name ("load")
// param token: a random token naming this holder
// param owner: who holds it, as "user@host pid N"
// param host: the holder's host name
// param pid: the holder's process id
// param source: what the holder does, e.g. the file being loaded
// mode: write
CREATE (l:LoadLock {name: $lock, token: $token, owner: $owner, host: $host, pid: $pid, source: $source,
                    started: datetime()})
RETURN l.token AS token
