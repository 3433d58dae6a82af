-- CreateTable
CREATE TABLE "user_preference" (
    "userId" TEXT NOT NULL,
    "theme" TEXT NOT NULL DEFAULT 'system',
    "editorFontSize" INTEGER NOT NULL DEFAULT 13,
    "lineNumbers" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "user_preference_pkey" PRIMARY KEY ("userId"),
    -- The API validates these too; the constraints keep a hand-made row from breaking every page.
    CONSTRAINT "user_preference_theme_check" CHECK ("theme" IN ('light', 'dark', 'system')),
    CONSTRAINT "user_preference_font_size_check" CHECK ("editorFontSize" BETWEEN 10 AND 24)
);

-- AddForeignKey
ALTER TABLE "user_preference" ADD CONSTRAINT "user_preference_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
