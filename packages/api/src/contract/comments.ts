/** Comment threads on notebook cells and charts, and the notifications their mentions send. */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

export const ZCommentBody = z.string().trim().min(1, "a comment cannot be empty").max(10_000);

export const ZCreateCommentRequest = z.strictObject({
  body: ZCommentBody,
  cellId: z.string().max(64).optional().describe("The cell a new thread anchors to (notebooks)."),
  threadId: z.string().max(64).optional().describe("Reply to this thread instead of starting one."),
});

export const ZUpdateCommentRequest = z
  .strictObject({ body: ZCommentBody.optional(), resolved: z.boolean().optional() })
  .refine((value) => value.body !== undefined || value.resolved !== undefined, "send body or resolved");

export const ZComment = z.object({
  id: z.string(),
  threadId: z.string().nullable(),
  cellId: z.string().nullable(),
  body: z.string(),
  author: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  resolved: z.boolean(),
  mentions: z.array(z.string()).describe("User ids mentioned in the body (each was notified)."),
  mentionNames: z
    .record(z.string(), z.string())
    .describe("Display names of the users the body's `<@userId>` tokens mention, by user id."),
});

export type TComment = z.infer<typeof ZComment>;

export const ZThread = ZComment.extend({ replies: z.array(ZComment) });

export type TThread = z.infer<typeof ZThread>;

export const ZNotification = z.object({
  id: z.string(),
  kind: z.string(),
  read: z.boolean(),
  createdAt: z.string(),
  comment: z
    .object({
      id: z.string(),
      body: z.string(),
      author: z.string(),
      projectId: z.string(),
      notebookId: z.string().nullable(),
      chartId: z.string().nullable(),
      cellId: z.string().nullable(),
      threadId: z.string().nullable(),
      mentionNames: z.record(z.string(), z.string()).describe("Names for the body's `<@userId>` tokens."),
    })
    .nullable(),
  /** For `job_failed`: the run of one of your jobs that failed (after its retries). */
  jobRun: z
    .object({
      id: z.string(),
      jobName: z.string(),
      projectId: z.string(),
      status: z.string(),
      error: z.string().nullable(),
    })
    .nullable()
    .default(null),
});

/** The comments' and notifications' endpoints. */
export const commentEndpoints = {
  listNotebookComments: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/comments",
    summary: "The comment threads on a notebook",
    tag: "comments",
    access: { permission: "notebook.comment", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ threads: z.array(ZThread) }),
  }),
  createNotebookComment: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/comments",
    summary:
      "Start a thread on a notebook's cell, or reply to one; @Name, @handle or a picked <@userId> mentions a member",
    tag: "comments",
    access: { permission: "notebook.comment", target: { kind: "notebook", from: "params.id" } },
    status: 201,
    params: ZIdParams,
    body: ZCreateCommentRequest,
    response: ZComment,
  }),
  listChartComments: defineEndpoint({
    method: "GET",
    path: "/api/v1/charts/{id}/comments",
    summary: "The comment threads on a chart",
    tag: "comments",
    access: { permission: "chart.comment", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ threads: z.array(ZThread) }),
  }),
  createChartComment: defineEndpoint({
    method: "POST",
    path: "/api/v1/charts/{id}/comments",
    summary:
      "Start a thread on a chart, or reply to one; @Name, @handle or a picked <@userId> mentions a member",
    tag: "comments",
    access: { permission: "chart.comment", target: { kind: "chart", from: "params.id" } },
    status: 201,
    params: ZIdParams,
    body: ZCreateCommentRequest,
    response: ZComment,
  }),
  updateComment: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/comments/{id}",
    summary: "Edit your own comment, or resolve/reopen a thread",
    tag: "comments",
    // The comment's subject (a notebook or a chart) decides the permission: the handler loads it.
    access: "user",
    params: ZIdParams,
    body: ZUpdateCommentRequest,
    response: ZComment,
  }),
  listNotifications: defineEndpoint({
    method: "GET",
    path: "/api/v1/notifications",
    summary: "Your notifications (mentions), newest first",
    tag: "comments",
    access: "user",
    response: z.object({ notifications: z.array(ZNotification), unread: z.number().int() }),
  }),
  markNotificationsRead: defineEndpoint({
    method: "POST",
    path: "/api/v1/notifications/read",
    summary: "Mark all your notifications read",
    tag: "comments",
    access: "user",
    body: z.strictObject({}),
    response: z.object({ marked: z.number().int() }),
  }),
};
