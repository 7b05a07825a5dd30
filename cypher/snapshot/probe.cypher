// name: snapshot/probe
// description: A snapshot load's first bookkeeping write: it takes the next transaction number, so the load can tell whether anybody committed since the load that kept its copy of the graph (store/commits.py). Only a graph that had a snapshot load holds the :GraphVersion node; elsewhere this writes nothing.
// param token: a new random value, so that the write always changes something
// mode: write
MATCH (v:GraphVersion)
SET v.probe = $token
