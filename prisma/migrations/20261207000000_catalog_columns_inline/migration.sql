-- Columns live in their asset's row (issue 6, ingest >= 3,000 assets/s).
-- Written by hand: the data move and the GIN index are beyond Prisma's schema language.
--
-- An asset's columns are always read and written as a whole (the asset page, a new schema
-- from profiling), never one by one. As rows of their own they cost ~17 heap tuples, a foreign
-- key check and two index entries per asset, which was half of a bulk load's time. In the
-- asset row they are one jsonb array; column search goes through "columnNames" (lower-case
-- names, a GIN index answers `&&`), and matched columns are read back from the array. The
-- identifier tokens of each name are no longer stored: search computes them for a page.
ALTER TABLE "catalog_asset"
    ADD COLUMN "columns" JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN "columnNames" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

UPDATE "catalog_asset" a
SET "columns" = c."columns", "columnNames" = c."names"
FROM (
    SELECT "assetId",
        -- As the app writes them: "nullable" only when false, "description" only when written.
        jsonb_agg(jsonb_strip_nulls(jsonb_build_object('name', "name", 'dataType', "dataType",
            'nullable', CASE WHEN "nullable" THEN NULL ELSE false END,
            'description', NULLIF("description", ''))) ORDER BY "ordinal") AS "columns",
        array_agg(DISTINCT lower("name")) AS "names"
    FROM "catalog_column"
    GROUP BY "assetId"
) c
WHERE c."assetId" = a."id";

DROP TABLE "catalog_column";

CREATE INDEX "catalog_asset_column_names_idx" ON "catalog_asset" USING GIN ("columnNames");
