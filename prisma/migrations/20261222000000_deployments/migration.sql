-- Deployments (docs/models.md): a registered model served behind
-- POST /api/v1/deployments/{name}/predict, and the keys applications call it with.

-- CreateEnum
CREATE TYPE "DeploymentState" AS ENUM ('starting', 'running', 'failed', 'stopped');

-- CreateTable
CREATE TABLE "deployment" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelName" TEXT NOT NULL,
    "modelVersion" TEXT,
    "modelAlias" TEXT,
    "servedVersion" TEXT,
    "inputColumns" JSONB,
    "state" "DeploymentState" NOT NULL DEFAULT 'starting',
    "error" TEXT,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_key" (
    "id" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "deployment_key_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deployment_name_key" ON "deployment"("name");

-- CreateIndex
CREATE INDEX "deployment_projectId_idx" ON "deployment"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "deployment_key_keyHash_key" ON "deployment_key"("keyHash");

-- CreateIndex
CREATE INDEX "deployment_key_deploymentId_idx" ON "deployment_key"("deploymentId");

-- AddForeignKey
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_key" ADD CONSTRAINT "deployment_key_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_key" ADD CONSTRAINT "deployment_key_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
