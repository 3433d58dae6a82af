-- AlterTable: the shared co-editing document's state (Yjs update) and the version it was saved at
ALTER TABLE "notebook" ADD COLUMN     "collabState" BYTEA,
ADD COLUMN     "collabVersion" INTEGER;
