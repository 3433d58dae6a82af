"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

const MODE_TEXT = {
  open: "open: anyone can create an account; an invitation link only fills in the address.",
  invite: "by invitation: only an address with a valid invitation link can create an account.",
  closed: "closed: nobody can create an account here; add users with npm run flint -- user add.",
} as const;

/** Administration (site administrators): users, invitations, and the sign-up mode in force. */
export default function AdminPage() {
  const queryClient = useQueryClient();
  const usersQuery = useQuery({
    queryKey: queryKeys.adminUsers(),
    queryFn: () => apiClient("listSiteUsers"),
  });
  const invitationsQuery = useQuery({
    queryKey: queryKeys.adminInvitations(),
    queryFn: () => apiClient("listInvitations"),
  });
  // The list shows once both are in, as one answer.
  const users = usersQuery.data && invitationsQuery.data ? usersQuery.data.users : null;
  const invitations = invitationsQuery.data?.invitations ?? [];
  const { data: signUp } = useQuery({
    queryKey: queryKeys.signUpStatus(null),
    queryFn: () => apiClient("getSignUpStatus"),
  });
  const mode = signUp?.mode ?? null;
  const { data: me } = useQuery({
    queryKey: queryKeys.me(),
    queryFn: () => apiClient("getMe"),
  });
  const meId = me?.id ?? null;
  const [created, setCreated] = useState<{ email: string; url: string } | null>(null);
  const [isCopied, setCopied] = useState(false);
  const [actionError, setError] = useState<string | null>(null);
  const loadError = usersQuery.error ?? invitationsQuery.error;
  const denied = loadError?.status === 403 ? loadError.message : null;
  const error = actionError ?? (loadError && !denied ? loadError.message : null);
  const load = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.adminUsers() }),
      queryClient.invalidateQueries({ queryKey: queryKeys.adminInvitations() }),
    ]);
  const invite = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setError(null);
    setCopied(false);
    try {
      const body = await apiClient("createInvitation", {
        body: { email: String(form.get("email")), expiresInDays: Number(form.get("days")) },
      });
      setCreated({ email: body.invitation.email, url: body.url });
      formElement.reset();
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const copy = async () => {
    if (!created) return;
    await navigator.clipboard.writeText(created.url).then(
      () => setCopied(true),
      () => setError("Could not copy: select the link and copy it yourself."),
    );
  };
  if (denied) {
    return (
      <AppShell>
        <h1 className="mb-4 text-2xl font-semibold">Administration</h1>
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {denied}
        </p>
      </AppShell>
    );
  }
  return (
    <AppShell>
      <h1 className="mb-2 text-2xl font-semibold">Administration</h1>
      {mode && (
        <p data-testid="signup-mode" className="mb-6 text-slate-600">
          Sign-up on this Flint is {MODE_TEXT[mode]} (FLINT_SIGNUP)
        </p>
      )}
      {error && (
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {users === null ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : (
        <>
          <section aria-labelledby="invite-heading" className="mb-8">
            <h2 id="invite-heading" className="mb-2 text-lg font-semibold">
              Invite someone
            </h2>
            <form onSubmit={invite} className="card flex flex-wrap items-end gap-2 p-4" aria-label="Invite">
              <label className="block min-w-64 flex-1 text-sm">
                <span className="mb-1 block font-medium">Email</span>
                <input name="email" type="email" required maxLength={320} className="input" />
              </label>
              <label className="block text-sm">
                <span className="mb-1 block font-medium">Valid for</span>
                <select name="days" defaultValue="7" className="input">
                  <option value="1">1 day</option>
                  <option value="7">7 days</option>
                  <option value="30">30 days</option>
                </select>
              </label>
              <button type="submit" className="btn-primary">
                Create invitation
              </button>
            </form>
            {created && (
              <div className="card mt-3 border-green-300 bg-green-50 p-4" role="status">
                <p className="text-sm font-medium">
                  Invitation for {created.email} created. There is no e-mail here: copy this link and send it
                  to them. It is shown only now.
                </p>
                <div className="mt-2 flex gap-2">
                  <input
                    readOnly
                    aria-label="Invitation link"
                    value={created.url}
                    className="input flex-1 bg-white font-mono text-xs"
                    onFocus={(event) => event.currentTarget.select()}
                  />
                  <button type="button" className="btn-secondary" onClick={copy}>
                    {isCopied ? "Copied" : "Copy link"}
                  </button>
                </div>
              </div>
            )}
          </section>

          <section aria-labelledby="invitations-heading" className="mb-8">
            <h2 id="invitations-heading" className="mb-2 text-lg font-semibold">
              Pending invitations
            </h2>
            <ul className="card divide-y divide-slate-200" aria-label="Pending invitations">
              {invitations.length === 0 && (
                <li className="p-4 text-sm text-slate-500">No pending invitations.</li>
              )}
              {invitations.map((invitation) => (
                <li key={invitation.id} className="flex items-center justify-between p-4">
                  <div>
                    <p className="font-medium">{invitation.email}</p>
                    <p className="text-xs text-slate-500">
                      invited by {invitation.invitedBy} ·{" "}
                      {invitation.status === "expired" ? "expired" : "valid until"}{" "}
                      {new Date(invitation.expiresAt).toLocaleString()}
                    </p>
                  </div>
                  <button
                    type="button"
                    className="btn-secondary"
                    aria-label={`Revoke invitation for ${invitation.email}`}
                    onClick={() =>
                      act(() => apiClient("revokeInvitation", { params: { id: invitation.id } }))
                    }
                  >
                    Revoke
                  </button>
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="users-heading">
            <h2 id="users-heading" className="mb-2 text-lg font-semibold">
              Users
            </h2>
            <table className="card w-full text-left text-sm" aria-label="Users">
              <thead className="border-b border-slate-200 text-xs uppercase text-slate-500">
                <tr>
                  <th className="p-3">Name</th>
                  <th className="p-3">Email</th>
                  <th className="p-3">Joined</th>
                  <th className="p-3">Status</th>
                  <th className="p-3">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {users.map((user) => (
                  <tr key={user.id}>
                    <td className="p-3">
                      {user.name}
                      {user.isAdmin && (
                        <span className="ml-2 rounded bg-slate-100 px-1.5 text-xs text-slate-600">admin</span>
                      )}
                    </td>
                    <td className="p-3">{user.email}</td>
                    <td className="p-3">{new Date(user.createdAt).toLocaleDateString()}</td>
                    <td className="p-3">
                      {user.disabledAt
                        ? `Disabled since ${new Date(user.disabledAt).toLocaleDateString()}`
                        : "Active"}
                    </td>
                    <td className="p-3 text-right">
                      {user.id === meId ? (
                        <span className="text-xs text-slate-500">you</span>
                      ) : (
                        <button
                          type="button"
                          className="btn-secondary"
                          aria-label={`${user.disabledAt ? "Enable" : "Disable"} ${user.email}`}
                          onClick={() =>
                            act(() =>
                              apiClient("updateSiteUser", {
                                params: { id: user.id },
                                body: { disabled: !user.disabledAt },
                              }),
                            )
                          }
                        >
                          {user.disabledAt ? "Enable" : "Disable"}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </AppShell>
  );
}
