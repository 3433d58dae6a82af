/** Schemas many endpoints share: ids, paging, and what the caller may do. */
import { z } from "zod";
import { ABILITIES, type TAbility } from "../permissions";

/** A resource id in a path or body. */
export const ZId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");
/** `{id}` in a path. */
export const ZIdParams = z.object({ id: ZId });

/** A page of a newest-first feed. */
export const ZPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  before: z.string().max(200).optional().describe("The nextCursor of the previous page."),
});

/**
 * What the caller may do on a project or notebook (`describePermissions` of their role and
 * credential), so pages never interpret role strings.
 */
export const ZPermissions = z
  .object(
    Object.fromEntries(Object.keys(ABILITIES).map((ability) => [ability, z.boolean()])) as Record<
      TAbility,
      z.ZodBoolean
    >,
  )
  .describe("What you may do here: read, comment, history, run, edit, create, delete, publish, manage, ...");
export type TPermissionsDocument = z.infer<typeof ZPermissions>;

/** `{ deleted: true }` and its kin. */
export const ZDeleted = z.object({ deleted: z.literal(true) });
