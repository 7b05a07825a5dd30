// name: snapshot/version_mark
// description: Give the graph a new version before a connection's first write, so that a snapshot load's copy of the graph it left (valid for one version) is no longer trusted. Only a graph that had a snapshot load holds the :GraphVersion node; elsewhere this writes nothing.
// param version: a new random version
// mode: write
MATCH (v:GraphVersion)
SET v.version = $version
