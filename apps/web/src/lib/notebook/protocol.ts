// The notebook WebSocket protocol as the page uses it: the execution broker's own zod schemas
// (`@flint/kernel/protocol`, browser-safe), plus parsing of incoming frames. Anything the page
// does not understand is ignored, so a newer server cannot break an open tab.
import { type ZBrokerCommand, ZBrokerEvent, type ZKernelStatus, ZReplyEvent } from "@flint/kernel/protocol";
import { z } from "zod";

export {
  applyOutputChanges,
  codePointsToUtf16Offset,
  type TCellExecution,
  type TChartPreviewResult,
  type TKernelChoice,
  type TRunStop,
  type TTablePageCommand,
  type TTablePageResult,
  utf16OffsetToCodePoints,
} from "@flint/kernel/protocol";

/** A command as the page builds it (defaults such as `detailLevel` may be left out). */
export type TClientCommand = z.input<typeof ZBrokerCommand>;

/** The kernel status shown in the toolbar; "unknown" until the socket's snapshot arrives. */
export type TKernelStatus = z.infer<typeof ZKernelStatus> | "unknown";

const ZServerEvent = z.union([ZBrokerEvent, ZReplyEvent]);
export type TServerEvent = z.infer<typeof ZServerEvent>;
export type TReply = z.infer<typeof ZReplyEvent>;

/** Parses one text frame; `null` for anything this page does not understand. */
export function parseServerEvent(frame: string): TServerEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return null;
  }
  const parsed = ZServerEvent.safeParse(json);
  return parsed.success ? parsed.data : null;
}
