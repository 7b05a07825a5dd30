// name: load/lock_release
// description: Release the load lock held under $token (a stale or forced lock is released by its token too).
// param lock: the lock's name ("load")
// param token: the holder's token
// mode: write
MATCH (l:LoadLock {name: $lock, token: $token})
DELETE l
RETURN count(*) AS released
