// name: graph_version_mark
// description: Give the graph a new version before a connection's first write: the one :GraphVersion node's value changes, so a snapshot load's copy of the graph it left (valid for one version) is no longer trusted.
// param version: a new random version
// mode: write
OPTIONAL MATCH (old:GraphVersion)
DELETE old
WITH count(*) AS _
CREATE (:GraphVersion {version: $version})
