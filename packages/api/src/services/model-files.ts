/**
 * A project's registered model version and its files, copied out of Flint's MLflow server by Flint
 * (docs/models.md). Deployments and batch scoring both hand a sandboxed process a folder of files
 * and no credential, so a model can never read another project's artifacts.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError, notFound } from "../errors.js";
import { projectPrefix, type TMlflowBackend } from "./mlflow-proxy.js";

/** A registered model of a project, by version or by alias (e.g. `champion`). */
export type TModelTarget = { modelName: string; version?: string; alias?: string };

/**
 * The version `target` names now and where its files are in MLflow's artifact store.
 * @throws AppError `not_found` for an unknown model, version or alias, or files outside the project.
 */
export async function resolveModelVersion(
  mlflow: TMlflowBackend,
  projectId: string,
  target: TModelTarget,
): Promise<{ version: string; artifactPath: string }> {
  const fullName = `${projectPrefix(projectId)}${target.modelName}`;
  const name = encodeURIComponent(fullName);
  let version = target.version;
  if (target.alias !== undefined) {
    const found = await mlflow.requestJson(
      "GET",
      `/api/2.0/mlflow/registered-models/alias?name=${name}&alias=${encodeURIComponent(target.alias)}`,
    );
    if (found.status !== 200)
      throw new AppError(
        "not_found",
        `The model ${target.modelName} has no alias ${target.alias} in this project; set it in a notebook (MlflowClient().set_registered_model_alias) or name a version.`,
      );
    version = String((found.json.model_version as { version: string }).version);
  }
  const uri = await mlflow.requestJson(
    "GET",
    `/api/2.0/mlflow/model-versions/get-download-uri?name=${name}&version=${encodeURIComponent(String(version))}`,
  );
  if (uri.status !== 200)
    throw new AppError(
      "not_found",
      `The model ${target.modelName} has no version ${version} in this project (see its registered models).`,
    );
  const artifactUri = String(uri.json.artifact_uri ?? "");
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+)$/.exec(artifactUri);
  if (!match?.[1])
    throw new AppError(
      "bad_request",
      `The model's files are at ${artifactUri.split(":")[0]}:, which Flint does not serve; log the model from a Flint notebook.`,
    );
  const artifactPath = match[1].replace(/\/+$/, "");
  // Defence in depth: the files must be under an experiment of this project.
  const experimentId = artifactPath.split("/")[0] ?? "";
  const experiment = await mlflow.requestJson(
    "GET",
    `/api/2.0/mlflow/experiments/get?experiment_id=${encodeURIComponent(experimentId)}`,
  );
  const experimentName = String((experiment.json.experiment as { name?: string } | undefined)?.name ?? "");
  if (experiment.status !== 200 || !experimentName.startsWith(projectPrefix(projectId)))
    throw notFound("Model version");
  if (artifactPath.split("/").some((part) => part === ".." || part === "."))
    throw new AppError("bad_request", "The model's artifact path is not valid.");
  return { version: String(version), artifactPath };
}

/** Copies the files under `artifactPath` of MLflow's artifact store into the folder `into`. */
export async function downloadModelFiles(
  mlflow: TMlflowBackend,
  artifactPath: string,
  into: string,
): Promise<void> {
  const listed = await mlflow.requestJson(
    "GET",
    `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(artifactPath)}`,
  );
  if (listed.status !== 200) throw new Error(`MLflow could not list the model's files (${listed.status})`);
  const files = (listed.json.files ?? []) as { path: string; is_dir?: boolean }[];
  for (const file of files) {
    const name = path.posix.basename(file.path);
    if (!name || name === "." || name === "..") continue;
    const target = path.join(into, name);
    if (file.is_dir) {
      mkdirSync(target, { recursive: true, mode: 0o755 });
      await downloadModelFiles(mlflow, `${artifactPath}/${name}`, target);
      continue;
    }
    const encoded = `${artifactPath}/${name}`.split("/").map(encodeURIComponent).join("/");
    const answer = await mlflow.request({
      method: "GET",
      path: `/api/2.0/mlflow-artifacts/artifacts/${encoded}`,
    });
    if (answer.status !== 200) {
      answer.body.resume();
      throw new Error(`MLflow could not send the model file ${name} (${answer.status})`);
    }
    await pipeline(answer.body as Readable, createWriteStream(target, { mode: 0o644 }));
  }
}
