// Checked by `tsc` only (turbo's typecheck), never run: the web client's types come from the API
// contract, so using an answer's field the contract does not have, calling a route that does not
// exist, or sending a body the route does not take is a type error. Each `@ts-expect-error` below
// fails the typecheck the day its line stops being an error (say, someone casts the client's
// answers to `any` again, or declares a response type by hand).
import type { TPermissions } from "@flint/api/contract";
import { apiClient, type TResponse } from "./api";

export async function contractChecks(): Promise<void> {
  const project = await apiClient("getProject", { params: { id: "p" } });
  // Fields the contract has are typed as the contract says.
  const permissions: TPermissions = project.permissions;
  const name: string = project.name;
  // @ts-expect-error: the contract's project has no `owner`: the client may not read one.
  void project.owner;

  const notebook: TResponse<"getNotebook"> = await apiClient("getNotebook", { params: { id: "n" } });
  // @ts-expect-error: a notebook document says what the caller may do, not their role.
  void notebook.role;
  // @ts-expect-error: a permission the contract does not describe.
  void notebook.permissions.fly;

  const { notebooks } = await apiClient("listNotebooks", { params: { id: "p" } });
  // @ts-expect-error: list entries have `cellCount`, not `cells`.
  void notebooks[0]?.cells;

  // @ts-expect-error: no such route.
  await apiClient("getProjects", { params: { id: "p" } });
  // @ts-expect-error: the route needs its path parameters.
  await apiClient("getProject");
  // @ts-expect-error: renaming takes `name`, not `title`.
  await apiClient("renameNotebook", { params: { id: "n" }, body: { title: "x" } });
  // @ts-expect-error: a query parameter the route does not take.
  await apiClient("listProjectFiles", { params: { id: "p" }, query: { folder: "x" } });

  void permissions;
  void name;
}
