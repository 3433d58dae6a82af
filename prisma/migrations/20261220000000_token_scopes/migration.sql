-- Personal access tokens get a scope and an optional expiry. Tokens made before keep what they
-- could do (admin: the user's full rights) and never expire.

-- CreateEnum
CREATE TYPE "TokenScope" AS ENUM ('read', 'run', 'write', 'admin');

-- AlterTable
ALTER TABLE "api_token" ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "scope" "TokenScope" NOT NULL DEFAULT 'admin';
