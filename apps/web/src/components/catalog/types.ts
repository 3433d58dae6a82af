// The catalog API's answers as the pages use them, inferred from the API's contract (the schemas
// the server validates with), never declared by hand.
import type { TResponse } from "@/lib/api";

export type TAsset = TResponse<"getAsset">;
export type TAssetSummary = TResponse<"listAssets">["assets"][number];
export type TSearchResponse = TResponse<"searchAssets">;
export type TSearchHit = TSearchResponse["items"][number];
export type TFacetValue = TSearchResponse["facets"]["kind"][number];
export type TProfileRun = NonNullable<TAsset["latestProfile"]>;
export type TColumnProfile = NonNullable<TProfileRun["result"]>["columns"][number];
export type TLineageEntry = TAsset["lineage"]["readBy"][number];
export type TConnection = TResponse<"listConnections">["connections"][number];
export type TProjectOption = TResponse<"listProjects">["projects"][number];
