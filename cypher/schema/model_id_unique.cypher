// name: schema/model_id_unique
// description: Model ids are unique; the constraint's index serves every lookup by id.
// mode: write
CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE
