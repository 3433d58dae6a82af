-- "Is this a column name of an asset the viewer may see" is answered by the GIN index on
-- catalog_asset."columnNames" (one probe per name), so the per-project column-name counts are
-- no longer kept: at ~26k rows per 5,000 assets (column names are a long tail) their upserts
-- were a seventh of a bulk load's time.
DROP TABLE "catalog_column_vocab";
