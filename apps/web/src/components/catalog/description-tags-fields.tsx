"use client";

/** The Description and Tags fields an asset has when uploaded and when edited on its page. */
export function DescriptionTagsFields({
  description,
  onDescriptionChange,
  tags,
  onTagsChange,
}: {
  description: string;
  onDescriptionChange: (value: string) => void;
  /** Comma-separated, as typed. */
  tags: string;
  onTagsChange: (value: string) => void;
}) {
  return (
    <>
      <label className="block text-sm">
        Description
        <textarea
          className="input mt-1"
          rows={3}
          value={description}
          onChange={(event) => onDescriptionChange(event.target.value)}
        />
      </label>
      <label className="block text-sm">
        Tags (comma-separated)
        <input
          className="input mt-1"
          value={tags}
          onChange={(event) => onTagsChange(event.target.value)}
          placeholder="finance, gold"
        />
      </label>
    </>
  );
}
