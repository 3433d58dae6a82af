// "Connect a database": pick or create a PostgreSQL connection of a project, then register its
// tables as catalog assets (Spark reads them over JDBC). The password goes to the server once,
// is stored encrypted, and never comes back: the form only learns whether one is set.
"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { Modal } from "../ui/modal";
import {
  ProjectSelect,
  type TProjectsLoad,
  useWritableProjects,
  WritableProjectGate,
} from "./project-select";

type TConnection = TResponse<"listConnections">["connections"][number];
type TSourceTable = TResponse<"listConnectionTables">["tables"][number];

const NEW_CONNECTION = "__new__";

export function ConnectionDialog({
  projects,
  onClose,
  onRegistered,
}: {
  projects: TProjectsLoad;
  onClose: () => void;
  onRegistered: (assetId: string) => void;
}) {
  const { writable, projectId, setProjectId } = useWritableProjects(projects);
  const queryClient = useQueryClient();
  const connectionsQuery = useQuery({
    queryKey: queryKeys.connections(projectId),
    queryFn: () => apiClient("listConnections", { query: { projectId } }),
    enabled: projectId !== "",
  });
  const connections = connectionsQuery.data?.connections ?? null;
  // The project's first connection until the person picks one (or makes a new one).
  const [picked, setConnectionId] = useState<{ projectId: string; connectionId: string } | null>(null);
  const connectionId =
    picked?.projectId === projectId ? picked.connectionId : (connections?.[0]?.id ?? NEW_CONNECTION);
  const tablesQuery = useQuery({
    queryKey: queryKeys.connectionTables(connectionId),
    queryFn: () => apiClient("listConnectionTables", { params: { id: connectionId } }),
    enabled: connectionId !== NEW_CONNECTION,
  });
  const tables = connectionId === NEW_CONNECTION ? null : (tablesQuery.data?.tables ?? null);
  const [actionError, setError] = useState<string | null>(null);
  const error =
    actionError ??
    connectionsQuery.error?.message ??
    (connectionId === NEW_CONNECTION ? null : (tablesQuery.error?.message ?? null));
  const [isBusy, setBusy] = useState(false);
  const [form, setForm] = useState({
    name: "",
    host: "",
    port: "5432",
    database: "",
    username: "",
    password: "",
  });

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await apiClient("createConnection", {
        body: { ...form, projectId, port: Number(form.port) || 5432 },
      });
      queryClient.setQueryData(
        queryKeys.connections(projectId),
        (shown: { connections: TConnection[] } | undefined) => ({
          connections: [...(shown?.connections ?? []), created],
        }),
      );
      setConnectionId({ projectId, connectionId: created.id });
      setForm((previous) => ({ ...previous, password: "" }));
    } catch (caught) {
      setError((caught as Error).message);
    }
    setBusy(false);
  };

  const register = async (table: TSourceTable) => {
    setBusy(true);
    setError(null);
    try {
      // The contract documents this JSON body (RegisterAssetRequest) beside the multipart upload,
      // so the route has no one `body` schema to type it with.
      const asset = await apiClient(
        "registerAsset",
        {},
        {
          rawBody: JSON.stringify({
            source: "connection",
            projectId,
            connectionId,
            table: `${table.schema}.${table.table}`,
          }),
          headers: { "content-type": "application/json" },
        },
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.connectionTables(connectionId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.catalogSearchAll() });
      onRegistered(asset.id);
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  const field = (key: keyof typeof form, label: string, type = "text") => (
    <label className="block text-sm">
      {label}
      <input
        className="input mt-1"
        type={type}
        required={key !== "password"}
        autoComplete={key === "password" ? "new-password" : "off"}
        value={form[key]}
        onChange={(event) => setForm((previous) => ({ ...previous, [key]: event.target.value }))}
      />
    </label>
  );

  return (
    // While a connection is saved or a table registered, Escape does not close: the answer (an
    // error to read, or the new asset to open) would have nowhere to go.
    <Modal
      labelledBy="connection-title"
      onClose={onClose}
      isBusy={isBusy}
      className="max-h-[90vh] w-full max-w-lg space-y-3 overflow-y-auto p-5"
    >
      <h2 id="connection-title" className="text-lg font-semibold">
        Connect a database
      </h2>
      <WritableProjectGate load={projects} hasWritable={writable.length > 0}>
        <ProjectSelect projects={writable} value={projectId} onChange={setProjectId} />
        <label className="block text-sm">
          Connection
          <select
            className="input mt-1"
            aria-label="Connection"
            value={connectionId}
            disabled={connections === null}
            onChange={(event) => {
              setError(null);
              setConnectionId({ projectId, connectionId: event.target.value });
            }}
          >
            {(connections ?? []).map((connection) => (
              <option key={connection.id} value={connection.id}>
                {connection.name} ({connection.username}@{connection.host}:{connection.port}/
                {connection.database})
              </option>
            ))}
            <option value={NEW_CONNECTION}>New PostgreSQL connection…</option>
          </select>
        </label>
        {connectionId === NEW_CONNECTION ? (
          <form onSubmit={create} className="space-y-3" aria-label="New connection">
            {field("name", "Connection name")}
            <div className="grid grid-cols-3 gap-2">
              <div className="col-span-2">{field("host", "Host")}</div>
              {field("port", "Port", "number")}
            </div>
            {field("database", "Database")}
            {field("username", "User")}
            {field("password", "Password", "password")}
            <p className="text-xs text-slate-500">
              The password is stored encrypted on the Flint server and is never shown again.
            </p>
            <div className="flex justify-end">
              <button type="submit" className="btn-primary" disabled={isBusy}>
                Save connection
              </button>
            </div>
          </form>
        ) : (
          <div>
            <h3 className="text-sm font-medium text-slate-700">Tables</h3>
            {tables === null && !error && (
              <p className="text-sm text-slate-500">Reading the database’s tables…</p>
            )}
            {tables?.length === 0 && <p className="text-sm text-slate-500">This database has no tables.</p>}
            <ul aria-label="Source tables" className="mt-1 divide-y divide-slate-100 text-sm">
              {(tables ?? []).map((table) => (
                <li key={`${table.schema}.${table.table}`} className="flex items-center gap-2 py-1">
                  <span className="font-mono">
                    {table.schema}.{table.table}
                  </span>
                  <span className="text-xs text-slate-500">{table.kind}</span>
                  {table.registeredAssetId ? (
                    <button
                      type="button"
                      className="ml-auto text-xs text-brand-700 hover:underline"
                      onClick={() => onRegistered(table.registeredAssetId!)}
                    >
                      Registered: open
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="btn-secondary ml-auto py-0.5 text-xs"
                      disabled={isBusy}
                      aria-label={`Register ${table.schema}.${table.table}`}
                      onClick={() => void register(table)}
                    >
                      Register
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
      </WritableProjectGate>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="flex justify-end">
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
