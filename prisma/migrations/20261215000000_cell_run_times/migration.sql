-- AlterTable
ALTER TABLE "cell_output" ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "ranById" TEXT,
ADD COLUMN     "startedAt" TIMESTAMP(3);

-- AddForeignKey
ALTER TABLE "cell_output" ADD CONSTRAINT "cell_output_ranById_fkey" FOREIGN KEY ("ranById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
