/**
 * Schedules: a 5-field cron expression read in an IANA time zone (croner does the calendar
 * arithmetic, daylight-saving changes included). Pure; safe for the browser (the job form checks
 * a schedule and shows its next times as the person types).
 */

import { Cron } from "croner";

/** Thrown for a schedule that cannot be used; the message says what to fix. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleError";
  }
}

/** Whether `timeZone` is an IANA zone this runtime knows (`Europe/Oslo`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a schedule: five fields (minute hour day-of-month month day-of-week; seconds are not
 * offered, a job runs at most once a minute) and a known time zone.
 * @throws ScheduleError with what is wrong.
 */
export function parseSchedule(cron: string, timeZone: string): Cron {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new ScheduleError(
      `"${cron.slice(0, 100)}" is not a cron schedule: give five fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1-5"`,
    );
  }
  if (!isValidTimeZone(timeZone)) {
    throw new ScheduleError(
      `"${timeZone.slice(0, 100)}" is not a time zone: use an IANA name such as "Europe/Oslo" or "UTC"`,
    );
  }
  try {
    return new Cron(fields.join(" "), { timezone: timeZone, paused: true });
  } catch (error) {
    throw new ScheduleError(`"${cron.slice(0, 100)}" is not a cron schedule: ${(error as Error).message}`);
  }
}

/** The first time after `after` the schedule fires, or null when it never does again. */
export function nextFireTime(cron: string, timeZone: string, after: Date): Date | null {
  return parseSchedule(cron, timeZone).nextRun(after) ?? null;
}

/** The next `count` times after `after` (for a form's preview). */
export function nextFireTimes(cron: string, timeZone: string, after: Date, count: number): Date[] {
  return parseSchedule(cron, timeZone).nextRuns(count, after);
}
