// name: links/merge_datasets
// description: Create the Dataset nodes a batch of ids names (those that exist are left as they are).
// param ids: list of dataset ids
// mode: write
UNWIND $ids AS id
MERGE (:Dataset {id: id})
