// The two servers the notebook benchmark opens pages from, both on this machine: Flint as
// `npm start` runs it (the built web app, a fresh data directory, no warm kernel) and
// JupyterLab 4 from the same Python environment, with a token, no browser and no kernel start.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findFreePort } from "@flint/db/embedded";
import { keepLogs, startBuiltFlint, stopChild, waitForOk } from "@flint/testing";

/** A server started by the benchmark: its address and how to stop it. */
export type TServer = { url: string; stop: () => Promise<void> };

/** Flint's fixed demo credentials in the benchmark's own data directory. */
export const FLINT_DEMO = {
  email: "demo@flint.local",
  password: "demo-password-for-bench",
  token: "flint_pat_bench_demo_token_0123456789",
};

/** Starts the built Flint web app as the e2e tests do, with no warm kernel. */
export async function startFlint(root: string, pythonEnv: string): Promise<TServer> {
  return startBuiltFlint({
    root,
    port: await findFreePort(),
    pythonEnv,
    demo: FLINT_DEMO,
    // Opening only: no kernel may start, on either side (JupyterLab gets notebook_starts_kernel=False).
    env: { FLINT_WARM_KERNELS: "0" },
    verbose: Boolean(process.env.BENCH_NOTEBOOK_VERBOSE),
  });
}

type TProject = { id: string; name: string };

// The bench has no zod of its own (no new dependency): the two answers are checked by hand.
function parseProjects(body: unknown): TProject[] {
  const projects = (body as { projects?: unknown })?.projects;
  if (!Array.isArray(projects)) throw new Error(`GET /api/v1/projects answered ${JSON.stringify(body)}`);
  return projects.filter(
    (entry): entry is TProject => typeof entry?.id === "string" && typeof entry?.name === "string",
  );
}

/** Imports an .ipynb into the demo user's first project and returns the notebook page's path. */
export async function importIntoFlint(flintUrl: string, name: string, ipynb: string): Promise<string> {
  const auth = { authorization: `Bearer ${FLINT_DEMO.token}` };
  const projects = parseProjects(
    await (await fetch(`${flintUrl}/api/v1/projects`, { headers: auth })).json(),
  );
  const project = projects.find((entry) => entry.name === "Getting started") ?? projects[0];
  if (!project) throw new Error("the demo user has no project to import into");
  const response = await fetch(
    `${flintUrl}/api/v1/projects/${project.id}/notebooks/import?${new URLSearchParams({ name })}`,
    { method: "POST", headers: { ...auth, "content-type": "application/x-ipynb+json" }, body: ipynb },
  );
  if (response.status !== 201)
    throw new Error(
      `importing ${name} answered ${response.status}: ${(await response.text()).slice(0, 400)}`,
    );
  const { id } = (await response.json()) as { id?: unknown };
  if (typeof id !== "string") throw new Error(`importing ${name} answered no notebook id`);
  return `/projects/${project.id}/notebooks/${id}`;
}

const JUPYTERLAB_SPEC = "jupyterlab>=4,<5";

/** Installs JupyterLab 4 into the Python environment unless it is there; returns its version. */
export function ensureJupyterLab(pythonEnv: string): string {
  const python = path.join(pythonEnv, "bin/python");
  const probe = () =>
    spawnSync(python, ["-c", "import jupyterlab; print(jupyterlab.__version__)"], { encoding: "utf8" });
  let found = probe();
  if (found.status !== 0 || !found.stdout.startsWith("4.")) {
    process.stdout.write(`Installing ${JUPYTERLAB_SPEC} into ${pythonEnv} ...\n`);
    const install = spawnSync(python, ["-m", "pip", "install", "--quiet", JUPYTERLAB_SPEC], {
      stdio: "inherit",
    });
    if (install.status !== 0) throw new Error(`pip install ${JUPYTERLAB_SPEC} failed (${install.status})`);
    found = probe();
  }
  if (found.status !== 0) throw new Error(`JupyterLab does not import: ${found.stderr}`);
  return found.stdout.trim();
}

/** JupyterLab settings for a measurement: nothing may write the notebooks or pop up over them. */
const JUPYTERLAB_SETTINGS: Record<string, unknown> = {
  // Typing the keystrokes must not save the file for the next run.
  "@jupyterlab/docmanager-extension/plugin": { autosave: false },
  // The "receive Jupyter news?" toast would cover the page on every fresh workspace.
  "@jupyterlab/apputils-extension/notification": { fetchNews: "false", checkForUpdates: false },
};

/** Starts JupyterLab serving `rootDir`; pages open with `?token=` in their address. */
export async function startJupyterLab(
  pythonEnv: string,
  rootDir: string,
): Promise<TServer & { token: string }> {
  const home = mkdtempSync(path.join(os.tmpdir(), "flint-bench-jupyterlab-"));
  const settingsDir = path.join(home, "settings");
  for (const [plugin, settings] of Object.entries(JUPYTERLAB_SETTINGS)) {
    const file = path.join(settingsDir, `${plugin}.jupyterlab-settings`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(settings));
  }
  const port = await findFreePort();
  const token = `bench${Math.random().toString(36).slice(2)}`;
  const child = spawn(
    path.join(pythonEnv, "bin/python"),
    [
      "-m",
      "jupyterlab",
      "--no-browser",
      // The benchmark machine runs as root; Jupyter refuses that unless told.
      "--ServerApp.allow_root=True",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.root_dir=${rootDir}`,
      `--IdentityProvider.token=${token}`,
      "--LabApp.notebook_starts_kernel=False",
      `--LabApp.user_settings_dir=${settingsDir}`,
      `--LabApp.workspaces_dir=${path.join(home, "workspaces")}`,
    ],
    {
      cwd: rootDir,
      // Its own config and runtime directories: no user configuration leaks into the measurement.
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: path.join(home, "config"),
        JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const logs = keepLogs(child, Boolean(process.env.BENCH_NOTEBOOK_VERBOSE));
  try {
    await waitForOk(`${url}/api/status?token=${token}`, 120_000, child, logs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, token, stop: () => stopChild(child) };
}
