-- AlterTable
ALTER TABLE "notebook" ADD COLUMN     "deletedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "notebook_projectId_deletedAt_idx" ON "notebook"("projectId", "deletedAt");
