/**
 * Deployments (docs/models.md): deploy a registered model of a project, swap what it serves,
 * hand out and revoke its keys, and the predict route applications call with a key.
 */
import { deploymentEndpoints as endpoints } from "../contract/deployments.js";
import { implement, type TRoutesOf } from "../router.js";
import {
  announceDeploymentDeleted,
  createDeploymentKey,
  revokeDeploymentKey,
} from "../services/deployment-keys.js";
import type { TDeploymentService } from "../services/deployments.js";
import type { TRouteDeps } from "./deps.js";

/** The deployments routes over the process's deployments service. */
export function createDeploymentRoutes(
  { prisma, deploymentKeys }: TRouteDeps,
  deployments: TDeploymentService,
): TRoutesOf<typeof endpoints> {
  return {
    listDeployments: implement(endpoints.listDeployments, async ({ grant }) => ({
      deployments: await deployments.list(grant.projectId),
    })),
    createDeployment: implement(endpoints.createDeployment, async ({ grant, actor, body }) =>
      deployments.create(grant.projectId, actor.userId, body),
    ),
    getDeployment: implement(endpoints.getDeployment, async ({ grant, params }) =>
      deployments.get(grant.projectId, params.name),
    ),
    updateDeployment: implement(endpoints.updateDeployment, async ({ grant, params, body }) =>
      deployments.update(grant.projectId, params.name, body),
    ),
    deleteDeployment: implement(endpoints.deleteDeployment, async ({ grant, params }) => {
      const deploymentId = await deployments.idOf(grant.projectId, params.name);
      await deployments.remove(grant.projectId, params.name);
      // Its keys went with it: this server forgets them now, the others when the notice arrives.
      deploymentKeys?.forget({ deploymentId });
      await announceDeploymentDeleted(prisma, deploymentId);
      return { deleted: true as const };
    }),
    createDeploymentKey: implement(endpoints.createDeploymentKey, async ({ grant, actor, params, body }) => {
      const deploymentId = await deployments.idOf(grant.projectId, params.name);
      const { key, secret } = await createDeploymentKey(prisma, deploymentId, body.name, actor.userId);
      return {
        key: {
          ...key,
          createdAt: key.createdAt.toISOString(),
          lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
        },
        secret,
      };
    }),
    revokeDeploymentKey: implement(endpoints.revokeDeploymentKey, async ({ grant, params }) => {
      const deploymentId = await deployments.idOf(grant.projectId, params.name);
      await revokeDeploymentKey(prisma, deploymentId, params.keyId);
      // Before answering: the revoked key gets 401 on this server from the next request on.
      deploymentKeys?.forget({ keyId: params.keyId });
      return { deleted: true as const };
    }),
    // The router checked the key (access "deploymentKey") and handed over its deployment.
    predict: implement(endpoints.predict, async ({ deployment, body }) => {
      if (!deployment) throw new Error("the predict route runs only behind a deployment key");
      return deployments.predict(deployment.id, body);
    }),
  };
}
