-- The data catalog (packages/catalog). Made with `prisma migrate diff`, then edited by hand
-- where Prisma's schema language cannot say it: pg_trgm, the generated tsvector columns, the
-- expression and full-text indexes, and foreign keys to tables of other parts of the schema.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateTable
CREATE TABLE "catalog_connection" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'postgresql',
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "database" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "passwordEncrypted" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "catalog_connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_asset" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "qualifiedName" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "connectionId" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "ownerId" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "rowCount" BIGINT,
    "sizeBytes" BIGINT,
    "nameTokens" TEXT NOT NULL DEFAULT '',
    "columnText" TEXT NOT NULL DEFAULT '',
    "columnDesc" TEXT NOT NULL DEFAULT '',
    "tagsText" TEXT NOT NULL DEFAULT '',
    "usage30d" INTEGER NOT NULL DEFAULT 0,
    "uniqueUsers30d" INTEGER NOT NULL DEFAULT 0,
    "popularity" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "lastUsedAt" TIMESTAMP(3),
    "profileStatus" TEXT NOT NULL DEFAULT 'none',
    "profiledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    -- Generated from the app-computed search text (weights: name A, tags/location B, columns C,
    -- descriptions D), so a write is searchable in the same transaction: no index to sync.
    "search" tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', "nameTokens"), 'A') ||
        setweight(to_tsvector('english', "tagsText" || ' ' || "kind" || ' ' || "format"), 'B') ||
        setweight(to_tsvector('english', "columnText"), 'C') ||
        setweight(to_tsvector('english', "description" || ' ' || "columnDesc"), 'D')
    ) STORED,
    "nameTsv" tsvector GENERATED ALWAYS AS (to_tsvector('english', "nameTokens")) STORED,

    CONSTRAINT "catalog_asset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_column" (
    "assetId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "nameTokens" TEXT NOT NULL DEFAULT '',
    "dataType" TEXT NOT NULL,
    "nullable" BOOLEAN NOT NULL DEFAULT true,
    "description" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "catalog_column_pkey" PRIMARY KEY ("assetId","ordinal")
);

-- CreateTable
CREATE TABLE "catalog_profile_run" (
    "id" TEXT NOT NULL,
    "assetId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "message" TEXT NOT NULL DEFAULT '',
    "rowCount" BIGINT,
    "profiledRows" BIGINT,
    "isSampled" BOOLEAN NOT NULL DEFAULT false,
    "result" JSONB,
    "error" TEXT,
    "requestedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "catalog_profile_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_usage_event" (
    "id" BIGSERIAL NOT NULL,
    "assetId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "notebookId" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_usage_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_lineage" (
    "id" TEXT NOT NULL,
    "assetId" TEXT NOT NULL,
    "notebookId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_lineage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "catalog_vocab" (
    "projectId" TEXT NOT NULL,
    "word" TEXT NOT NULL,
    "ndoc" INTEGER NOT NULL,

    CONSTRAINT "catalog_vocab_pkey" PRIMARY KEY ("projectId","word")
);

-- CreateTable
CREATE TABLE "catalog_column_vocab" (
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nassets" INTEGER NOT NULL,

    CONSTRAINT "catalog_column_vocab_pkey" PRIMARY KEY ("projectId","name")
);

-- CreateTable
CREATE TABLE "catalog_notebook_token" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "notebookId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_notebook_token_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "catalog_connection_projectId_name_key" ON "catalog_connection"("projectId", "name");

-- CreateIndex
CREATE INDEX "catalog_asset_ownerId_idx" ON "catalog_asset"("ownerId");

-- CreateIndex
CREATE UNIQUE INDEX "catalog_asset_projectId_name_key" ON "catalog_asset"("projectId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "catalog_asset_projectId_qualifiedName_key" ON "catalog_asset"("projectId", "qualifiedName");

-- CreateIndex
CREATE INDEX "catalog_profile_run_status_createdAt_idx" ON "catalog_profile_run"("status", "createdAt");

-- CreateIndex
CREATE INDEX "catalog_profile_run_assetId_createdAt_idx" ON "catalog_profile_run"("assetId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "catalog_usage_event_assetId_at_idx" ON "catalog_usage_event"("assetId", "at");

-- CreateIndex
CREATE INDEX "catalog_usage_event_at_idx" ON "catalog_usage_event"("at");

-- CreateIndex
CREATE INDEX "catalog_lineage_notebookId_idx" ON "catalog_lineage"("notebookId");

-- CreateIndex
CREATE UNIQUE INDEX "catalog_lineage_assetId_notebookId_direction_key" ON "catalog_lineage"("assetId", "notebookId", "direction");

-- CreateIndex
CREATE INDEX "catalog_vocab_word_trgm" ON "catalog_vocab" USING GIST ("word" gist_trgm_ops);

-- CreateIndex
CREATE INDEX "catalog_column_vocab_name_idx" ON "catalog_column_vocab"("name");

-- CreateIndex
CREATE UNIQUE INDEX "catalog_notebook_token_tokenHash_key" ON "catalog_notebook_token"("tokenHash");

-- CreateIndex
CREATE INDEX "catalog_notebook_token_expiresAt_idx" ON "catalog_notebook_token"("expiresAt");

-- AddForeignKey
ALTER TABLE "catalog_asset" ADD CONSTRAINT "catalog_asset_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "catalog_connection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_column" ADD CONSTRAINT "catalog_column_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "catalog_asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_profile_run" ADD CONSTRAINT "catalog_profile_run_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "catalog_asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_usage_event" ADD CONSTRAINT "catalog_usage_event_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "catalog_asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_lineage" ADD CONSTRAINT "catalog_lineage_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "catalog_asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Search indexes (docs: shared/research/catalog-notes.md §5.2): full text, name-only full text,
-- exact name / qualified name lookups, trigram on names for autocomplete, column names.
CREATE INDEX "catalog_asset_search_idx" ON "catalog_asset" USING GIN ("search");
CREATE INDEX "catalog_asset_name_tsv_idx" ON "catalog_asset" USING GIN ("nameTsv");
CREATE INDEX "catalog_asset_name_lower_idx" ON "catalog_asset" (lower("name"));
CREATE INDEX "catalog_asset_qualified_name_lower_idx" ON "catalog_asset" (lower("qualifiedName"));
CREATE INDEX "catalog_asset_name_trgm_idx" ON "catalog_asset" USING GIN (lower("name") gin_trgm_ops);
CREATE INDEX "catalog_asset_tags_idx" ON "catalog_asset" USING GIN ("tags");
CREATE INDEX "catalog_column_name_lower_idx" ON "catalog_column" (lower("name"));
CREATE INDEX "catalog_column_vocab_name_trgm_idx" ON "catalog_column_vocab" USING GIST ("name" gist_trgm_ops);

-- Foreign keys to project, user and notebook (no Prisma relations: see schema.prisma).
ALTER TABLE "catalog_connection" ADD CONSTRAINT "catalog_connection_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_connection" ADD CONSTRAINT "catalog_connection_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "catalog_asset" ADD CONSTRAINT "catalog_asset_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_asset" ADD CONSTRAINT "catalog_asset_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "catalog_usage_event" ADD CONSTRAINT "catalog_usage_event_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_lineage" ADD CONSTRAINT "catalog_lineage_notebookId_fkey" FOREIGN KEY ("notebookId") REFERENCES "notebook"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_vocab" ADD CONSTRAINT "catalog_vocab_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_column_vocab" ADD CONSTRAINT "catalog_column_vocab_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_notebook_token" ADD CONSTRAINT "catalog_notebook_token_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalog_notebook_token" ADD CONSTRAINT "catalog_notebook_token_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
