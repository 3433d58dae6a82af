"use client";

import { PROJECT_ROLES as ROLES, type TProjectRole } from "@flint/api/contract";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/** A role picked in a form (the select only offers known roles). */
function asRole(value: FormDataEntryValue | string | null): TProjectRole {
  return ROLES.find((role) => role === value) ?? "viewer";
}
const ROLE_HELP: Record<string, string> = {
  viewer: "read and comment",
  runner: "also run saved cells",
  editor: "also edit and create",
  admin: "also manage members and settings",
};

export function MembersPanel({ projectId, canManage }: { projectId: string; canManage: boolean }) {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.projectMembers(projectId),
    queryFn: () => apiClient("listMembers", { params: { id: projectId } }),
  });
  const members = data?.members ?? [];
  const [error, setError] = useState<string | null>(null);
  // A change of role or membership may be the caller's own: the project's page shows their role.
  const load = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.projectMembers(projectId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true }),
    ]);
  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const invite = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void act(async () => {
      await apiClient("addMember", {
        params: { id: projectId },
        body: { email: String(data.get("email")), role: asRole(data.get("role")) },
      });
      form.reset();
    });
  };
  return (
    <div className="space-y-4">
      {canManage && (
        <form
          onSubmit={invite}
          className="card flex flex-wrap items-end gap-2 p-4"
          aria-label="Invite member"
        >
          <label className="block min-w-64 flex-1 text-sm">
            <span className="mb-1 block font-medium">Invite by email</span>
            <input name="email" type="email" required className="input" placeholder="colleague@example.com" />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Role</span>
            <select name="role" className="input" defaultValue="viewer">
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role} — {ROLE_HELP[role]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="btn-primary">
            Invite
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <ul className="card divide-y divide-slate-200" aria-label="Members">
        {members.map((member) => (
          <li key={member.userId} className="flex items-center justify-between gap-4 p-3">
            <div>
              <p className="font-medium">{member.name}</p>
              <p className="text-xs text-slate-500">{member.email}</p>
            </div>
            {canManage ? (
              <div className="flex items-center gap-2">
                <select
                  aria-label={`Role of ${member.email}`}
                  className="input w-32"
                  value={member.role}
                  onChange={(event) =>
                    act(() =>
                      apiClient("changeMemberRole", {
                        params: { id: projectId, userId: member.userId },
                        body: { role: asRole(event.target.value) },
                      }),
                    )
                  }
                >
                  {ROLES.map((role) => (
                    <option key={role} value={role}>
                      {role}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Remove ${member.email}`}
                  onClick={() =>
                    act(() => apiClient("removeMember", { params: { id: projectId, userId: member.userId } }))
                  }
                >
                  Remove
                </button>
              </div>
            ) : (
              <span className="text-sm text-slate-600">{member.role}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
