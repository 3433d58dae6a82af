-- AlterTable
ALTER TABLE "notification" ADD COLUMN     "jobRunId" TEXT;

-- CreateTable
CREATE TABLE "job" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "notebookId" TEXT NOT NULL,
    "checkpointId" TEXT,
    "name" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "cron" TEXT,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "kernelName" TEXT NOT NULL DEFAULT 'flint-spark',
    "timeoutSeconds" INTEGER NOT NULL DEFAULT 3600,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "notifyOnFailure" BOOLEAN NOT NULL DEFAULT true,
    "isPaused" BOOLEAN NOT NULL DEFAULT false,
    "nextRunAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_run" (
    "id" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "scheduledFor" TIMESTAMP(3),
    "requestedById" TEXT,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 1,
    "notebookName" TEXT NOT NULL,
    "notebookVersion" INTEGER,
    "content" JSONB,
    "error" TEXT,
    "log" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "durationMs" INTEGER,

    CONSTRAINT "job_run_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_projectId_idx" ON "job"("projectId");

-- CreateIndex
CREATE INDEX "job_nextRunAt_idx" ON "job"("nextRunAt");

-- CreateIndex
CREATE INDEX "job_run_jobId_createdAt_idx" ON "job_run"("jobId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "job_run_jobId_scheduledFor_key" ON "job_run"("jobId", "scheduledFor");

-- AddForeignKey
ALTER TABLE "notification" ADD CONSTRAINT "notification_jobRunId_fkey" FOREIGN KEY ("jobRunId") REFERENCES "job_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_notebookId_fkey" FOREIGN KEY ("notebookId") REFERENCES "notebook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_run" ADD CONSTRAINT "job_run_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_run" ADD CONSTRAINT "job_run_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

