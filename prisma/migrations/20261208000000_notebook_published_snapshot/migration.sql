-- Published notebooks show a snapshot (SECURITY.md case 34): the name, version and content
-- (Flint's model JSON, cells with their outputs) as they were when an admin last published,
-- so edits made afterwards stay private until the notebook is published again.
-- Written by hand: the backfill and the check constraint are beyond Prisma's schema language.
ALTER TABLE "notebook"
    ADD COLUMN "publishedName" TEXT,
    ADD COLUMN "publishedVersion" INTEGER,
    ADD COLUMN "publishedSnapshot" JSONB;

-- Notebooks published before this migration were shown live until now: their snapshot is what
-- the public saw last, the notebook as it is (the same JSON `publishNotebook` writes).
UPDATE "notebook" n
SET "publishedName" = n."name",
    "publishedVersion" = n."version",
    "publishedSnapshot" = jsonb_build_object(
        'nbformat', 4,
        'nbformat_minor', 5,
        'metadata', n."metadata",
        'cells', COALESCE((
            SELECT jsonb_agg(
                CASE WHEN c.cell ->> 'cell_type' = 'code'
                    THEN c.cell || jsonb_build_object(
                        'outputs', COALESCE(o."outputs", '[]'::jsonb),
                        'execution_count', o."executionCount")
                    ELSE c.cell
                END ORDER BY c.position)
            FROM jsonb_array_elements(n."cells") WITH ORDINALITY AS c(cell, position)
            LEFT JOIN "cell_output" o ON o."notebookId" = n."id" AND o."cellId" = c.cell ->> 'id'
        ), '[]'::jsonb))
WHERE n."publishedAt" IS NOT NULL;

-- Published means all four are set; unpublished means none is: a public reader can never get a
-- notebook that is marked published but has no snapshot (and so would be read live).
ALTER TABLE "notebook" ADD CONSTRAINT "notebook_published_snapshot_check" CHECK (
    ("publishedAt" IS NULL AND "publishedName" IS NULL AND "publishedVersion" IS NULL
        AND "publishedSnapshot" IS NULL)
    OR ("publishedAt" IS NOT NULL AND "publishedName" IS NOT NULL AND "publishedVersion" IS NOT NULL
        AND "publishedSnapshot" IS NOT NULL));
