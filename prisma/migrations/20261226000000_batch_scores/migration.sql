-- Batch scoring (docs/models.md): a registered model applied to a catalog asset as a Spark job,
-- its output registered as a new asset; the row is also that asset's lineage.

-- CreateTable
CREATE TABLE "batch_score" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelName" TEXT NOT NULL,
    "modelVersion" TEXT,
    "modelAlias" TEXT,
    "scoredVersion" TEXT NOT NULL,
    "flavor" TEXT NOT NULL,
    "inputAssetId" TEXT NOT NULL,
    "outputName" TEXT NOT NULL,
    "outputAssetId" TEXT,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "progress" TEXT,
    "error" TEXT,
    "rows" BIGINT,
    "log" JSONB NOT NULL DEFAULT '[]',
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "batch_score_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "batch_score_projectId_createdAt_idx" ON "batch_score"("projectId", "createdAt");

-- CreateIndex
CREATE INDEX "batch_score_outputAssetId_idx" ON "batch_score"("outputAssetId");

-- CreateIndex
CREATE INDEX "batch_score_inputAssetId_idx" ON "batch_score"("inputAssetId");

-- AddForeignKey
ALTER TABLE "batch_score" ADD CONSTRAINT "batch_score_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
