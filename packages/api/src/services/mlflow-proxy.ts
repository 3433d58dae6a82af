/**
 * Flint's proxy in front of the MLflow tracking server (docs/models.md). MLflow has no
 * authorization, so every request a kernel or a person makes reaches it through here, under one
 * project (`/api/v1/projects/{id}/mlflow/...`), after the router checked the caller may read that
 * project. This module decides the rest:
 * - which MLflow endpoints exist here at all (an allow-list; anything else is a 404),
 * - whether the endpoint writes (then the caller needs `model.write` in the project),
 * - that every experiment, run, logged model, registered model and artifact it names belongs to
 *   the project: experiments and registered models are stored under the name `<projectId>.<name>`
 *   (MLflow's names are global), runs and logged models follow their experiment, artifact paths
 *   start with their experiment's id. Anything else answers 404, as for an unknown id.
 * - names are prefixed on the way in and the prefix is taken off on the way out, so a notebook
 *   sees `mlflow.set_experiment("churn")` and `models:/churn/1` as it would anywhere else;
 * - searches are narrowed to the project (a filter on the name prefix) and their answers
 *   filtered again.
 */
import { Readable } from "node:stream";
import type { TMlflowResponse } from "@flint/kernel";
import { AppError, notFound } from "../errors.js";

/** What the proxy needs of the tracking server (`MlflowServer` of `@flint/kernel`). */
export interface TMlflowBackend {
  request(request: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: unknown;
  }): Promise<TMlflowResponse>;
  requestJson(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  /** The server's state for `/api/health` (absent on a bare backend). */
  status?(): { state: string; error: string | null; restartAt: number | null; restarts: number };
}

/** Who calls, in which project, with what rights. */
export interface TMlflowCaller {
  projectId: string;
  canWrite: boolean;
  /** Tags every run this caller creates gets (the notebook and its version, the person). */
  runTags: Record<string, string>;
  /**
   * For a kernel: the catalog assets its notebook's kernel has read since it started (ids). Runs
   * get them as the tag `flint.assets` when created and again when they end (lineage).
   */
  assetsRead?: () => Promise<string[]>;
}

/** The tag of a run that lists the catalog assets its kernel had read (asset ids, comma-separated). */
export const ASSETS_TAG = "flint.assets";
/** Runs end with one of these statuses (`runs/update`); then their lineage tag is refreshed. */
const END_STATUSES = new Set(["FINISHED", "FAILED", "KILLED"]);

type TInput = Record<string, unknown>;
type TRule = {
  write: boolean;
  /** Checks and rewrites the input; throws 404 for anything outside the project. */
  check?: (scope: TScope, input: TInput, pathParams: string[]) => Promise<void>;
  /** Narrows an answer to the project (searches). */
  filter?: (scope: TScope, json: TInput) => void;
  /** Runs after MLflow accepted the request. */
  after?: (scope: TScope, input: TInput) => Promise<void>;
};

/** Immutable facts MLflow told us (a run's experiment never changes), kept across requests. */
const runExperiment = new Map<string, string>();
const modelExperiment = new Map<string, string>();
const experimentProject = new Map<string, string | null>();

/** The prefix of this project's experiment and registered model names. */
export function projectPrefix(projectId: string): string {
  return `${projectId}.`;
}

class TScope {
  constructor(
    readonly backend: TMlflowBackend,
    readonly caller: TMlflowCaller,
  ) {}
  get prefix(): string {
    return projectPrefix(this.caller.projectId);
  }
  prefixName(name: unknown, what: string): string {
    if (typeof name !== "string" || name.trim() === "")
      throw new AppError("bad_request", `Give the ${what} a name.`);
    return name.startsWith(this.prefix) ? name : `${this.prefix}${name}`;
  }
  async experiment(id: unknown): Promise<void> {
    const key = String(id ?? "");
    if (!/^\d+$/.test(key)) throw notFound("Experiment");
    let project = experimentProject.get(key);
    if (project === undefined) {
      const { status, json } = await this.backend.requestJson(
        "GET",
        `/api/2.0/mlflow/experiments/get?experiment_id=${key}`,
      );
      const name = (json.experiment as { name?: string } | undefined)?.name;
      project = status === 200 && name ? (/^([a-z0-9]+)\./.exec(name)?.[1] ?? null) : null;
      if (status === 200) experimentProject.set(key, project);
    }
    if (project !== this.caller.projectId) throw notFound("Experiment");
  }
  async run(id: unknown): Promise<void> {
    const key = String(id ?? "");
    if (!/^[0-9a-f]{32}$/.test(key)) throw notFound("Run");
    let experimentId = runExperiment.get(key);
    if (!experimentId) {
      const { status, json } = await this.backend.requestJson(
        "GET",
        `/api/2.0/mlflow/runs/get?run_id=${key}`,
      );
      experimentId = (json.run as { info?: { experiment_id?: string } } | undefined)?.info?.experiment_id;
      if (status !== 200 || !experimentId) throw notFound("Run");
      runExperiment.set(key, experimentId);
    }
    await this.experiment(experimentId).catch(() => {
      throw notFound("Run");
    });
  }
  async loggedModel(id: unknown): Promise<void> {
    const key = String(id ?? "");
    if (!/^m-[0-9a-f]{32}$/.test(key)) throw notFound("Logged model");
    let experimentId = modelExperiment.get(key);
    if (!experimentId) {
      const { status, json } = await this.backend.requestJson("GET", `/api/2.0/mlflow/logged-models/${key}`);
      experimentId = (json.model as { info?: { experiment_id?: string } } | undefined)?.info?.experiment_id;
      if (status !== 200 || !experimentId) throw notFound("Logged model");
      modelExperiment.set(key, experimentId);
    }
    await this.experiment(experimentId).catch(() => {
      throw notFound("Logged model");
    });
  }
  /** A model version's source must be an artifact of this project (`mlflow-artifacts:/<exp>/...`, `models:/m-...`). */
  async source(source: unknown): Promise<void> {
    const text = String(source ?? "");
    const artifact = /^mlflow-artifacts:\/(\d+)\//.exec(text);
    const logged = /^models:\/(m-[0-9a-f]{32})$/.exec(text);
    if (artifact) await this.experiment(artifact[1]);
    else if (logged) await this.loggedModel(logged[1]);
    else
      throw new AppError(
        "bad_request",
        "A model version's source must be a model logged in this project (a run's artifacts or models:/m-...).",
      );
  }
  /** Refuses tags Flint sets itself (`flint.*`). */
  ownTagKey(key: unknown): void {
    if (typeof key === "string" && key.startsWith("flint.")) {
      throw new AppError("forbidden", `The tag ${key} is set by Flint and cannot be changed.`);
    }
  }
}

const each = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

const experimentOf: TRule["check"] = (scope, input) => scope.experiment(input.experiment_id);
const runOf: TRule["check"] = (scope, input) => scope.run(input.run_id ?? input.run_uuid);
const modelName: TRule["check"] = async (scope, input) => {
  input.name = scope.prefixName(input.name, "registered model");
};
const loggedModelInPath: TRule["check"] = (scope, _input, params) => scope.loggedModel(params[0]);

/** Keeps the entries of `json[key]` whose `name` is in the project. */
function keepOwn(key: string): TRule["filter"] {
  return (scope, json) => {
    const list = json[key];
    if (Array.isArray(list))
      json[key] = list.filter((item) =>
        String((item as { name?: string }).name ?? "").startsWith(scope.prefix),
      );
  };
}

/** Adds `name LIKE '<prefix>%'` to a search's filter (project ids are [a-z0-9], no wildcards). */
function narrowByName(scope: TScope, input: TInput): void {
  const own = `name LIKE '${scope.prefix}%'`;
  const filter = typeof input.filter === "string" && input.filter.trim() ? input.filter : "";
  input.filter = filter ? `${filter} AND ${own}` : own;
}

/** The MLflow REST endpoints reachable through Flint, by `METHOD path` after `/api/2.0/mlflow/`. */
const RULES: Record<string, TRule> = {
  "GET experiments/get-by-name": {
    write: false,
    check: async (scope, input) => {
      input.experiment_name = scope.prefixName(input.experiment_name, "experiment");
    },
  },
  "POST experiments/create": {
    write: true,
    check: async (scope, input) => {
      input.name = scope.prefixName(input.name, "experiment");
      for (const tag of each(input.tags)) scope.ownTagKey((tag as { key?: string }).key);
    },
  },
  "POST experiments/search": {
    write: false,
    check: async (scope, input) => narrowByName(scope, input),
    filter: keepOwn("experiments"),
  },
  "GET experiments/search": {
    write: false,
    check: async (scope, input) => narrowByName(scope, input),
    filter: keepOwn("experiments"),
  },
  "GET experiments/get": { write: false, check: experimentOf },
  "POST experiments/delete": { write: true, check: experimentOf },
  "POST experiments/restore": { write: true, check: experimentOf },
  "POST experiments/update": {
    write: true,
    check: async (scope, input) => {
      await scope.experiment(input.experiment_id);
      if (input.new_name !== undefined) input.new_name = scope.prefixName(input.new_name, "experiment");
    },
  },
  "POST experiments/set-experiment-tag": {
    write: true,
    check: async (scope, input) => {
      scope.ownTagKey(input.key);
      await scope.experiment(input.experiment_id);
    },
  },
  "POST experiments/delete-experiment-tag": {
    write: true,
    check: async (scope, input) => {
      scope.ownTagKey(input.key);
      await scope.experiment(input.experiment_id);
    },
  },
  "POST runs/create": {
    write: true,
    check: async (scope, input) => {
      await scope.experiment(input.experiment_id);
      // Flint's own tags win over the client's: they say which notebook and person made the run.
      const tags = each(input.tags).filter((tag) => {
        const key = (tag as { key?: string }).key ?? "";
        return !key.startsWith("flint.") && !(key in scope.caller.runTags);
      });
      for (const [key, value] of Object.entries(scope.caller.runTags)) tags.push({ key, value });
      const assets = (await scope.caller.assetsRead?.()) ?? [];
      if (assets.length > 0) tags.push({ key: ASSETS_TAG, value: assets.join(",") });
      input.tags = tags;
    },
  },
  "POST runs/update": {
    write: true,
    check: runOf,
    // Data is often loaded inside `with mlflow.start_run():`; the run's end sees those reads too.
    after: async (scope, input) => {
      if (!scope.caller.assetsRead || !END_STATUSES.has(String(input.status ?? ""))) return;
      const assets = await scope.caller.assetsRead();
      if (assets.length === 0) return;
      await scope.backend.requestJson("POST", "/api/2.0/mlflow/runs/set-tag", {
        run_id: input.run_id ?? input.run_uuid,
        key: ASSETS_TAG,
        value: assets.join(","),
      });
    },
  },
  "POST runs/delete": { write: true, check: runOf },
  "POST runs/restore": { write: true, check: runOf },
  "POST runs/log-metric": { write: true, check: runOf },
  "POST runs/log-parameter": { write: true, check: runOf },
  "POST runs/set-tag": {
    write: true,
    check: async (scope, input) => {
      scope.ownTagKey(input.key);
      await runOf(scope, input, []);
    },
  },
  "POST runs/delete-tag": {
    write: true,
    check: async (scope, input) => {
      scope.ownTagKey(input.key);
      await runOf(scope, input, []);
    },
  },
  "GET runs/get": { write: false, check: runOf },
  "POST runs/search": {
    write: false,
    check: async (scope, input) => {
      const ids = each(input.experiment_ids);
      if (ids.length === 0)
        throw new AppError("bad_request", "Name the experiments to search (experiment_ids).");
      for (const id of ids) await scope.experiment(id);
    },
  },
  "GET artifacts/list": { write: false, check: runOf },
  "GET metrics/get-history": { write: false, check: runOf },
  "GET metrics/get-history-bulk-interval": {
    write: false,
    check: async (scope, input) => {
      for (const id of each(input.run_ids)) await scope.run(id);
    },
  },
  "POST runs/log-batch": {
    write: true,
    check: async (scope, input) => {
      for (const tag of each(input.tags)) scope.ownTagKey((tag as { key?: string }).key);
      await runOf(scope, input, []);
    },
  },
  "POST runs/log-model": { write: true, check: runOf },
  "POST runs/log-inputs": { write: true, check: runOf },
  "POST runs/outputs": { write: true, check: runOf },
  "POST logged-models": {
    write: true,
    check: async (scope, input) => {
      await scope.experiment(input.experiment_id);
      if (input.source_run_id !== undefined) await scope.run(input.source_run_id);
    },
  },
  "PATCH logged-models/*": { write: true, check: loggedModelInPath },
  "GET logged-models/*": { write: false, check: loggedModelInPath },
  "DELETE logged-models/*": { write: true, check: loggedModelInPath },
  "POST logged-models/search": {
    write: false,
    check: async (scope, input) => {
      const ids = each(input.experiment_ids);
      if (ids.length === 0)
        throw new AppError("bad_request", "Name the experiments to search (experiment_ids).");
      for (const id of ids) await scope.experiment(id);
    },
  },
  "PATCH logged-models/*/tags": { write: true, check: loggedModelInPath },
  "DELETE logged-models/*/tags/*": { write: true, check: loggedModelInPath },
  "GET logged-models/*/artifacts/directories": { write: false, check: loggedModelInPath },
  "POST logged-models/*/params": { write: true, check: loggedModelInPath },
  "POST registered-models/create": {
    write: true,
    check: async (scope, input) => {
      await modelName(scope, input, []);
      for (const tag of each(input.tags)) scope.ownTagKey((tag as { key?: string }).key);
    },
  },
  "POST registered-models/rename": {
    write: true,
    check: async (scope, input) => {
      await modelName(scope, input, []);
      input.new_name = scope.prefixName(input.new_name, "registered model");
    },
  },
  "PATCH registered-models/update": { write: true, check: modelName },
  "DELETE registered-models/delete": { write: true, check: modelName },
  "GET registered-models/get": { write: false, check: modelName },
  "GET registered-models/search": {
    write: false,
    check: async (scope, input) => narrowByName(scope, input),
    filter: keepOwn("registered_models"),
  },
  "POST registered-models/get-latest-versions": { write: false, check: modelName },
  "POST model-versions/create": {
    write: true,
    check: async (scope, input) => {
      await modelName(scope, input, []);
      await scope.source(input.source);
      if (input.run_id) await scope.run(input.run_id);
      if (input.model_id) await scope.loggedModel(input.model_id);
    },
  },
  "PATCH model-versions/update": { write: true, check: modelName },
  "DELETE model-versions/delete": { write: true, check: modelName },
  "GET model-versions/get": { write: false, check: modelName },
  "GET model-versions/search": {
    write: false,
    check: async (scope, input) => narrowByName(scope, input),
    filter: keepOwn("model_versions"),
  },
  "GET model-versions/get-download-uri": { write: false, check: modelName },
  "POST registered-models/set-tag": { write: true, check: modelName },
  "POST model-versions/set-tag": { write: true, check: modelName },
  "DELETE registered-models/delete-tag": { write: true, check: modelName },
  "DELETE model-versions/delete-tag": { write: true, check: modelName },
  "POST registered-models/alias": { write: true, check: modelName },
  "DELETE registered-models/alias": { write: true, check: modelName },
  "GET registered-models/alias": { write: false, check: modelName },
};

/** Finds the rule of `METHOD rest`, with `*` standing for one path segment (logged model ids). */
function findRule(method: string, rest: string): { rule: TRule; params: string[] } | null {
  const exact = RULES[`${method} ${rest}`];
  if (exact) return { rule: exact, params: [] };
  const segments = rest.split("/");
  for (const [key, rule] of Object.entries(RULES)) {
    const [ruleMethod, rulePath = ""] = key.split(" ");
    if (ruleMethod !== method) continue;
    const pattern = rulePath.split("/");
    if (pattern.length !== segments.length) continue;
    if (pattern.every((part, i) => part === "*" || part === segments[i]))
      return { rule, params: segments.filter((_segment, i) => pattern[i] === "*") };
  }
  return null;
}

/** Takes the project prefix off the names in an answer, so clients see the names they gave. */
function stripNames(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((item) => stripNames(item, prefix));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        (key === "name" || key === "new_name" || key === "model_name") &&
        typeof item === "string" &&
        item.startsWith(prefix)
          ? item.slice(prefix.length)
          : stripNames(item, prefix);
    }
    return out;
  }
  return value;
}

/** Reads GET parameters (repeated keys become lists, as MLflow's client sends lists). */
function queryInput(url: URL): TInput {
  const input: TInput = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    input[key] = values.length > 1 || key.endsWith("_ids") ? values : values[0];
  }
  return input;
}

function toQuery(input: TInput): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    for (const item of each(value)) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function forbiddenWrite(): AppError {
  return new AppError(
    "forbidden",
    "Your role in this project may read its experiments and models but not change them; ask a project admin for the runner or editor role.",
  );
}

/**
 * Serves one proxied request: `rest` is what follows `/mlflow/` in Flint's path (e.g.
 * `api/2.0/mlflow/runs/get` or `api/2.0/mlflow-artifacts/artifacts/3/<run>/artifacts/model.pkl`).
 */
export async function proxyMlflowRequest(
  backend: TMlflowBackend,
  caller: TMlflowCaller,
  request: Request,
  rest: string,
): Promise<Response> {
  const scope = new TScope(backend, caller);
  const url = new URL(request.url);
  // Path segments are checked decoded: `..` or an encoded slash would step outside an experiment.
  const segments = rest.split("/").map((part) => decodeURIComponent(part));
  if (segments.some((part) => part === ".." || part === "." || part.includes("/") || part.includes("\\")))
    throw new AppError("bad_request", "The path must not contain '.', '..' or encoded slashes.");
  const method = request.method.toUpperCase();

  const artifacts = /^api\/2\.0\/mlflow-artifacts\/(artifacts|mpu\/(create|complete|abort))(\/.*)?$/.exec(
    segments.join("/"),
  );
  if (artifacts) return proxyArtifacts(scope, request, url, method, artifacts);

  const api = /^(?:ajax-)?api\/2\.0\/mlflow\/(.+)$/.exec(segments.join("/"));
  const found = api ? findRule(method, api[1]!) : null;
  if (!found) throw new AppError("not_found", `MLflow's ${method} /${rest} is not available through Flint.`);
  const { rule, params } = found;
  if (rule.write && !caller.canWrite) throw forbiddenWrite();
  const isQuery = method === "GET";
  let input: TInput = {};
  if (isQuery) input = queryInput(url);
  else {
    const text = await request.text();
    try {
      input = text.trim() ? (JSON.parse(text) as TInput) : {};
    } catch {
      throw new AppError("bad_request", "Send MLflow requests as a JSON object.");
    }
    if (!input || typeof input !== "object" || Array.isArray(input))
      throw new AppError("bad_request", "Send MLflow requests as a JSON object.");
  }
  await rule.check?.(scope, input, params);
  const path = `/${segments.join("/")}`;
  const { status, json } = await backend.requestJson(
    method,
    isQuery ? `${path}${toQuery(input)}` : path,
    isQuery ? undefined : input,
  );
  if (status === 200) rule.filter?.(scope, json);
  if (status === 200) await rule.after?.(scope, input);
  // A name in an error ("Registered Model with name=p1.churn not found") is stripped too.
  const answer = stripNames(json, scope.prefix) as TInput;
  if (typeof answer.message === "string") answer.message = answer.message.replaceAll(scope.prefix, "");
  return new Response(JSON.stringify(answer), { status, headers: { "content-type": "application/json" } });
}

/** Artifact download, upload and listing: the path's first segment is its experiment's id. */
async function proxyArtifacts(
  scope: TScope,
  request: Request,
  url: URL,
  method: string,
  match: RegExpExecArray,
): Promise<Response> {
  const isWrite = method === "PUT" || method === "DELETE" || match[2] !== undefined;
  if (isWrite && !scope.caller.canWrite) throw forbiddenWrite();
  const path = match[3] ? match[3].slice(1) : (url.searchParams.get("path") ?? "");
  const experimentId = path.split("/")[0];
  if (!experimentId && !isWrite && match[1] === "artifacts") throw notFound("Artifact");
  await scope.experiment(experimentId).catch(() => {
    throw notFound("Artifact");
  });
  if ((url.searchParams.get("path") ?? "").split("/").some((part) => part === ".." || part === "."))
    throw new AppError("bad_request", "The path must not contain '.' or '..'.");
  const headers: Record<string, string> = {};
  const type = request.headers.get("content-type");
  if (type) headers["content-type"] = type;
  const length = request.headers.get("content-length");
  if (length) headers["content-length"] = length;
  const body =
    method === "GET" || !request.body
      ? undefined
      : Readable.fromWeb(request.body as import("node:stream/web").ReadableStream);
  const answer = await scope.backend.request({
    method,
    path: `${url.pathname.replace(/^.*?\/mlflow\//, "/")}${url.search}`,
    headers,
    body,
  });
  const outHeaders = new Headers();
  for (const name of ["content-type", "content-length", "content-disposition"]) {
    const value = answer.headers[name];
    if (typeof value === "string") outHeaders.set(name, value);
  }
  // Artifacts are user content: never rendered as a page of Flint's origin.
  outHeaders.set("x-content-type-options", "nosniff");
  outHeaders.set("content-security-policy", "sandbox; default-src 'none'");
  return new Response(Readable.toWeb(answer.body) as ReadableStream, {
    status: answer.status,
    headers: outHeaders,
  });
}
