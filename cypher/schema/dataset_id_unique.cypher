// name: schema/dataset_id_unique
// description: Dataset ids are unique; the constraint's index serves every lookup by id.
// mode: write
CREATE CONSTRAINT dataset_id_unique IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE
