// Issue 16: a notebook with one bad output imports; the bad output shows a notice in its place.
import { expect, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { demoProjectId } from "./notebook-fixtures";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

test("an .ipynb with a broken image imports, says what it replaced, and shows the notice in place", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const projectId = await demoProjectId(request);
  const name = `broken-image-${Date.now()}`;
  const file = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: "plots",
        cell_type: "code",
        metadata: {},
        execution_count: 1,
        source: ["plot()"],
        outputs: [
          { output_type: "stream", name: "stdout", text: ["drawn below\n"] },
          { output_type: "display_data", data: { "image/png": "<not base64>" }, metadata: {} },
          {
            output_type: "display_data",
            data: { "image/png": PNG, "text/plain": ["<Figure>"] },
            metadata: {},
          },
        ],
      },
    ],
  };
  await page.goto(`/projects/${projectId}`);
  await page.getByLabel("Notebook files to import").setInputFiles({
    name: `${name}.ipynb`,
    mimeType: "application/x-ipynb+json",
    buffer: Buffer.from(JSON.stringify(file)),
  });
  await expect(page.getByText(`${name}.ipynb was imported; 1 output(s) could not be kept`)).toBeVisible();
  await expect(page.getByText("cell 1 output 2: image/png is not base64")).toBeVisible();

  await page.getByRole("link", { name: new RegExp(`^${name} `) }).click();
  const cell = page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]').first();
  await expect(cell.getByTestId("import-notice")).toHaveText(
    "This output could not be imported (image/png is not base64); the rest of the notebook is as it was.",
  );
  await expect(cell).toContainText("drawn below");
  // The good image after it is drawn (it decoded: a width), not only present in the DOM.
  const image = cell.locator("img").first();
  await expect(image).toBeVisible();
  expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
});
