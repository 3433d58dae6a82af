-- Catalog search speed (issue 6): cheaper bulk ingest and index-driven typo correction.
-- Written by hand: trigram operator classes, expression indexes and storage parameters are
-- beyond Prisma's schema language.

-- Every distinct vocabulary word once, for typo correction: a GiST trigram nearest-neighbour
-- scan over ~20k words instead of the per-project rows (20× more at 20 projects). It holds no
-- project: a candidate is only ever suggested through catalog_vocab's per-project rows, so it
-- reveals nothing. Rows are added with the first project that uses a word and not removed
-- (stale words are never suggested, for want of a catalog_vocab row).
CREATE TABLE "catalog_word" (
    "word" TEXT NOT NULL,

    CONSTRAINT "catalog_word_pkey" PRIMARY KEY ("word")
);
CREATE INDEX "catalog_word_trgm_idx" ON "catalog_word" USING GIST ("word" gist_trgm_ops);
INSERT INTO "catalog_word" ("word") SELECT DISTINCT "word" FROM "catalog_vocab";

-- The per-project vocabularies keep only their primary keys: each bulk insert batch upserts
-- ~7k word and ~7k column-name counts, and a GiST trigram entry per row made that most of
-- the ingest time. Column typo correction goes through catalog_word, word by word. Free space
-- on each page lets count updates be HOT (no index write at all).
DROP INDEX "catalog_vocab_word_trgm";
DROP INDEX "catalog_column_vocab_name_trgm_idx";
DROP INDEX "catalog_column_vocab_name_idx";
ALTER TABLE "catalog_vocab" SET (fillfactor = 70);
ALTER TABLE "catalog_column_vocab" SET (fillfactor = 70);
-- Word first: "is this word (column name) in a project the viewer may see" becomes one range
-- scan of the key, and the upserts' conflict targets are the same two columns.
ALTER TABLE "catalog_vocab" DROP CONSTRAINT "catalog_vocab_pkey",
    ADD CONSTRAINT "catalog_vocab_pkey" PRIMARY KEY ("word", "projectId");
ALTER TABLE "catalog_column_vocab" DROP CONSTRAINT "catalog_column_vocab_pkey",
    ADD CONSTRAINT "catalog_column_vocab_pkey" PRIMARY KEY ("name", "projectId");

-- Autocomplete's `lower(name) like 'fact\_sa%'` as a btree range scan (text_pattern_ops also
-- serves `=`), replacing both the plain lower(name) btree and the trigram GIN on names.
DROP INDEX "catalog_asset_name_trgm_idx";
DROP INDEX "catalog_asset_name_lower_idx";
CREATE INDEX "catalog_asset_name_lower_idx" ON "catalog_asset" (lower("name") text_pattern_ops);

-- Browsing (no words: the catalog page) lists the most popular visible assets first.
CREATE INDEX "catalog_asset_popularity_idx" ON "catalog_asset" ("popularity" DESC);
