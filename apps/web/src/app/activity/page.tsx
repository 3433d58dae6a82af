import { AppShell } from "@/components/app-shell";
import { ActivityFeed } from "@/components/project/activity-feed";

/** The signed-in user's own activity across the projects they belong to. */
export default function MyActivityPage() {
  return (
    <AppShell>
      <h1 className="mb-4 text-2xl font-semibold">My activity</h1>
      <ActivityFeed />
    </AppShell>
  );
}
