-- A job run's kernel gets a notebook token of its own (revoked when the run ends), apart from
-- the notebook's interactive kernel's tokens.
ALTER TABLE "catalog_notebook_token" ADD COLUMN     "jobRunId" TEXT;

-- CreateIndex
CREATE INDEX "catalog_notebook_token_jobRunId_idx" ON "catalog_notebook_token"("jobRunId");
