/**
 * PostgreSQL LISTEN on a connection of its own (a pooled connection cannot hold a LISTEN: the
 * pool hands it to other queries and may close it). Reconnects after a lost connection.
 */
import pg from "pg";

const RECONNECT_MS = 1_000;

/** What a listener reports. */
export interface TNotificationHandlers {
  /** A NOTIFY on the channel arrived (its payload, "" when none). */
  onNotification: (payload: string) => void;
  /**
   * The connection started (true) or stopped (false) listening. Notifications sent while it was
   * not listening are lost, so whoever relies on them must assume anything may have changed.
   */
  onListening: (isListening: boolean) => void;
}

/** A running listener. */
export interface TNotificationListener {
  /** Ends the connection; no more handlers are called. */
  stop: () => Promise<void>;
}

/**
 * LISTENs on `channel` over one dedicated connection to `databaseUrl`, reconnecting every second
 * while the database cannot be reached. Resolves once the first attempt ended (listening or not).
 */
export async function listenForNotifications(
  databaseUrl: string,
  channel: string,
  handlers: TNotificationHandlers,
): Promise<TNotificationListener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid channel name: ${channel}`);
  let client: pg.Client | null = null;
  let isStopped = false;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (): Promise<void> => {
    if (isStopped) return;
    const next = new pg.Client({ connectionString: databaseUrl });
    client = next;
    let isLost = false;
    const lose = () => {
      if (isLost) return;
      isLost = true;
      if (!isStopped) handlers.onListening(false);
      next.end().catch(() => undefined);
      if (!isStopped) retry = setTimeout(() => void connect(), RECONNECT_MS);
    };
    next.on("error", lose);
    next.on("end", lose);
    next.on("notification", (message) => {
      if (message.channel === channel) handlers.onNotification(message.payload ?? "");
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (isStopped || isLost) return;
      handlers.onListening(true);
    } catch {
      lose();
    }
  };
  await connect();
  return {
    stop: async () => {
      isStopped = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = null;
      await last?.end().catch(() => undefined);
    },
  };
}
