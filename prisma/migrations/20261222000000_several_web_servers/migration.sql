-- Several web servers on one database (docs/deployment.md): server identities with a heartbeat,
-- notebook leases, the server of each run, and rate limits shared by all servers.

-- AlterTable
ALTER TABLE "cell_output" ADD COLUMN "serverId" TEXT;

-- AlterTable
ALTER TABLE "catalog_profile_run" ADD COLUMN "serverId" TEXT;

-- CreateTable
CREATE TABLE "flint_server" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "internalUrl" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "flint_server_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notebook_lease" (
    "notebookId" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "notebook_lease_pkey" PRIMARY KEY ("notebookId")
);

-- CreateTable
CREATE TABLE "sign_in_counter" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "lastFailureAt" TIMESTAMP(3) NOT NULL,
    "lockedUntil" TIMESTAMP(3),

    CONSTRAINT "sign_in_counter_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "sign_in_known_address" (
    "key" TEXT NOT NULL,
    "signedInAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sign_in_known_address_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "rate_limit" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "lastRequest" BIGINT NOT NULL,

    CONSTRAINT "rate_limit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "flint_server_name_idx" ON "flint_server"("name");

-- CreateIndex
CREATE INDEX "notebook_lease_serverId_idx" ON "notebook_lease"("serverId");

-- CreateIndex
CREATE INDEX "sign_in_counter_lastFailureAt_idx" ON "sign_in_counter"("lastFailureAt");

-- CreateIndex
CREATE INDEX "sign_in_known_address_signedInAt_idx" ON "sign_in_known_address"("signedInAt");

-- CreateIndex
CREATE UNIQUE INDEX "rate_limit_key_key" ON "rate_limit"("key");

-- AddForeignKey
ALTER TABLE "notebook_lease" ADD CONSTRAINT "notebook_lease_notebookId_fkey" FOREIGN KEY ("notebookId") REFERENCES "notebook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notebook_lease" ADD CONSTRAINT "notebook_lease_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "flint_server"("id") ON DELETE CASCADE ON UPDATE CASCADE;
