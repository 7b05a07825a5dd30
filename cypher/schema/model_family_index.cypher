// name: schema/model_family_index
// description: Range index on Model.family (component key) for family look-ups and sizes.
// mode: write
CREATE INDEX model_family IF NOT EXISTS FOR (m:Model) ON (m.family)
