import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/**
 * Outbox publisher: the application writes domain events to the outbox queue in the same unit of work
 * as its database change; this function forwards each message to the EventBridge bus.
 *
 * A message is reported as failed (and so retried by SQS, then moved to the DLQ) when its body is not
 * an outbox event or when EventBridge rejects its entry; the rest of the batch is deleted.
 * Self-contained (only the AWS SDK, which the Lambda runtime provides): it is deployed as one file.
 */

/** What the application puts on the outbox queue. */
export interface OutboxEvent {
  /** Unique per event; consumers deduplicate on it. */
  readonly id: string;
  /** EventBridge detail-type, e.g. `order.placed`. */
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly occurredAt?: string;
}

/** PutEvents accepts at most this many entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export interface PublisherSettings {
  readonly eventBusName: string;
  readonly source: string;
}

/** Parses one message body; returns the reason when it is not an outbox event. */
export function parseOutboxEvent(body: string): { event: OutboxEvent } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { error: "body is not JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { error: "body is not a JSON object" };
  const v = value as Record<string, unknown>;
  if (typeof v.id !== "string" || v.id === "") return { error: "id is missing" };
  if (typeof v.type !== "string" || v.type === "") return { error: "type is missing" };
  if (v.payload === null || typeof v.payload !== "object" || Array.isArray(v.payload)) return { error: "payload is not an object" };
  if (v.occurredAt !== undefined && (typeof v.occurredAt !== "string" || Number.isNaN(Date.parse(v.occurredAt)))) {
    return { error: "occurredAt is not a timestamp" };
  }
  return { event: { id: v.id, type: v.type, payload: v.payload as Record<string, unknown>, occurredAt: v.occurredAt as string | undefined } };
}

/** The EventBridge entry for one event; the event id travels in the detail so consumers can deduplicate. */
export function toEntry(event: OutboxEvent, settings: PublisherSettings): PutEventsRequestEntry {
  return {
    EventBusName: settings.eventBusName,
    Source: settings.source,
    DetailType: event.type,
    Detail: JSON.stringify({ id: event.id, ...event.payload }),
    Time: event.occurredAt ? new Date(event.occurredAt) : undefined,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Publishes a batch and returns the SQS message ids that must be retried. */
export async function publishBatch(
  client: EventBridgeClient, records: readonly SQSRecord[], settings: PublisherSettings, log: (line: Record<string, unknown>) => void,
): Promise<SQSBatchResponse> {
  const failed: string[] = [];
  const valid: { messageId: string; entry: PutEventsRequestEntry }[] = [];
  for (const record of records) {
    const parsed = parseOutboxEvent(record.body);
    if ("error" in parsed) {
      log({ level: "error", messageId: record.messageId, problem: parsed.error });
      failed.push(record.messageId);
    } else {
      valid.push({ messageId: record.messageId, entry: toEntry(parsed.event, settings) });
    }
  }
  for (const chunk of chunks(valid, PUT_EVENTS_MAX_ENTRIES)) {
    try {
      const result = await client.send(new PutEventsCommand({ Entries: chunk.map((c) => c.entry) }));
      // Entries come back in request order; a rejected entry carries an ErrorCode.
      chunk.forEach((c, i) => {
        const answer = result.Entries?.[i];
        if (!answer || answer.ErrorCode || !answer.EventId) {
          log({ level: "error", messageId: c.messageId, problem: answer?.ErrorCode ?? "no result", detail: answer?.ErrorMessage });
          failed.push(c.messageId);
        }
      });
    } catch (err) {
      log({ level: "error", problem: "PutEvents failed", error: (err as Error).name, count: chunk.length });
      failed.push(...chunk.map((c) => c.messageId));
    }
  }
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

function settingsFromEnv(env: NodeJS.ProcessEnv): PublisherSettings {
  const eventBusName = env.EVENT_BUS_NAME;
  const source = env.EVENT_SOURCE;
  if (!eventBusName || !source) throw new Error("EVENT_BUS_NAME and EVENT_SOURCE must be set in the function's environment");
  return { eventBusName, source };
}

const client = new EventBridgeClient({});

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return publishBatch(client, event.Records, settingsFromEnv(process.env), (line) => console.log(JSON.stringify(line)));
}
