// name: links/create_datasets
// description: Create Dataset nodes for a batch of ids that no Dataset node has (the first load's fast path; each id comes once).
// param ids: list of dataset ids
// mode: write
UNWIND $ids AS id
CREATE (:Dataset {id: id})
