/** The signed-in person: who they are, their personal access tokens, their preferences. */
import { accountEndpoints as endpoints } from "../contract/account.js";
import { AppError } from "../errors.js";
import type { TTokenScope } from "../permissions.js";
import { implement, type TRoutesOf } from "../router.js";
import { getPreferences, updatePreferences } from "../services/preferences.js";
import { createToken, listTokens, revokeToken } from "../tokens.js";
import type { TRouteDeps } from "./deps.js";

const toTokenJson = (token: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  scope: TTokenScope;
  expiresAt: Date | null;
}) => ({
  ...token,
  createdAt: token.createdAt.toISOString(),
  lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  expiresAt: token.expiresAt?.toISOString() ?? null,
});

/** The account routes. */
export function createAccountRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    getMe: implement(endpoints.getMe, async ({ actor }) =>
      prisma.user.findUniqueOrThrow({
        where: { id: actor.userId },
        select: { id: true, email: true, name: true, isAdmin: true },
      }),
    ),
    listTokens: implement(endpoints.listTokens, async ({ actor }) => ({
      tokens: (await listTokens(prisma, actor.userId)).map(toTokenJson),
    })),
    createToken: implement(endpoints.createToken, async ({ actor, body }) => {
      const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
      const { token, secret } = await createToken(prisma, actor.userId, body.name, {
        scope: body.scope,
        expiresAt,
      });
      return { token: toTokenJson(token), secret };
    }),
    revokeToken: implement(endpoints.revokeToken, async ({ actor, params }) => {
      if (!(await revokeToken(prisma, actor.userId, params.id)))
        throw new AppError("not_found", "Token not found.");
      return { revoked: true as const };
    }),
    getPreferences: implement(endpoints.getPreferences, async ({ actor }) =>
      getPreferences(prisma, actor.userId),
    ),
    updatePreferences: implement(endpoints.updatePreferences, async ({ actor, body }) =>
      updatePreferences(prisma, actor.userId, body),
    ),
  };
}
