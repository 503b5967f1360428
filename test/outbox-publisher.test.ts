import assert from "node:assert/strict";
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { handler, parseOutboxEvent, PUT_EVENTS_MAX_ENTRIES } from "../lambdas/outbox-publisher/index.ts";

const eventBridge = mockClient(EventBridgeClient);

function record(messageId: string, body: unknown): SQSRecord {
  return {
    messageId, receiptHandle: `rh-${messageId}`, body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "0" },
    messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:outbox", awsRegion: "us-east-1",
  };
}
const outboxEvent = (i: number) => ({ id: `evt-${i}`, type: "order.placed", payload: { orderId: i }, occurredAt: "2026-01-01T00:00:00Z" });
const batch = (records: SQSRecord[]): SQSEvent => ({ Records: records });
const sentEntries = () => eventBridge.commandCalls(PutEventsCommand).map((c) => (c.args[0].input as PutEventsCommandInput).Entries ?? []);

/** EventBridge answers every entry with an id, except those whose detail mentions a rejected event id. */
function answerRejecting(rejectedIds: readonly string[]) {
  eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((e, i) => (rejectedIds.some((id) => String(e.Detail).includes(`"${id}"`))
      ? { ErrorCode: "InternalFailure", ErrorMessage: "try again" }
      : { EventId: `eb-${i}` })),
  }));
}

describe("outbox publisher (SQS -> EventBridge)", () => {
  let log: typeof console.log;
  before(() => {
    process.env.EVENT_BUS_NAME = "readiness-test-bus";
    process.env.EVENT_SOURCE = "readiness.test";
    log = console.log;
    console.log = () => undefined;
  });
  after(() => {
    console.log = log;
    delete process.env.EVENT_BUS_NAME;
    delete process.env.EVENT_SOURCE;
  });
  beforeEach(() => eventBridge.reset());

  it("publishes each event to the bus with its type, source, time and id, and reports no failures", async () => {
    answerRejecting([]);
    const result = await handler(batch([record("m1", outboxEvent(1)), record("m2", outboxEvent(2))]));
    assert.deepEqual(result, { batchItemFailures: [] });
    const [entries] = sentEntries();
    assert.equal(entries.length, 2);
    assert.equal(entries[0].EventBusName, "readiness-test-bus");
    assert.equal(entries[0].Source, "readiness.test");
    assert.equal(entries[0].DetailType, "order.placed");
    assert.deepEqual(JSON.parse(String(entries[0].Detail)), { id: "evt-1", orderId: 1 });
    assert.equal(entries[0].Time?.toISOString(), "2026-01-01T00:00:00.000Z");
  });

  it("reports only the entries EventBridge rejected, so SQS retries just those", async () => {
    answerRejecting(["evt-2"]);
    const result = await handler(batch([1, 2, 3].map((i) => record(`m${i}`, outboxEvent(i)))));
    assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "m2" }] });
  });

  it("reports malformed messages without sending them and still publishes the rest", async () => {
    answerRejecting([]);
    const result = await handler(batch([
      record("bad-json", "{not json"), record("no-type", { id: "x", payload: {} }), record("ok", outboxEvent(7)),
    ]));
    assert.deepEqual(result.batchItemFailures.map((f) => f.itemIdentifier), ["bad-json", "no-type"]);
    assert.equal(sentEntries().flat().length, 1);
  });

  it("fails the whole chunk when the PutEvents call itself fails", async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error("throttled"));
    const result = await handler(batch([record("m1", outboxEvent(1)), record("m2", outboxEvent(2))]));
    assert.deepEqual(result.batchItemFailures.map((f) => f.itemIdentifier), ["m1", "m2"]);
  });

  it("never sends more than 10 entries per call, and every message is either sent or reported (property)", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ valid: fc.boolean(), rejected: fc.boolean() }), { minLength: 1, maxLength: 35 }),
      async (messages) => {
        eventBridge.reset();
        const rejected = messages.flatMap((m, i) => (m.valid && m.rejected ? [`evt-${i}`] : []));
        answerRejecting(rejected);
        const records = messages.map((m, i) => record(`m${i}`, m.valid ? outboxEvent(i) : { id: `evt-${i}` }));
        const result = await handler(batch(records));
        const calls = sentEntries();
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        const expectedFailed = messages.flatMap((m, i) => (!m.valid || m.rejected ? [`m${i}`] : []));
        return calls.every((entries) => entries.length <= PUT_EVENTS_MAX_ENTRIES)
          && calls.flat().length === messages.filter((m) => m.valid).length
          && failed.size === expectedFailed.length && expectedFailed.every((id) => failed.has(id));
      },
    ), { numRuns: 50 });
  });

  it("refuses to run without its bus and source", async () => {
    delete process.env.EVENT_BUS_NAME;
    try {
      await assert.rejects(handler(batch([record("m1", outboxEvent(1))])), /EVENT_BUS_NAME and EVENT_SOURCE/);
    } finally {
      process.env.EVENT_BUS_NAME = "readiness-test-bus";
    }
  });
});

describe("parseOutboxEvent", () => {
  it("names what is wrong with a body", () => {
    assert.deepEqual(parseOutboxEvent("[]"), { error: "body is not a JSON object" });
    assert.deepEqual(parseOutboxEvent('{"id":"a","type":"t","payload":[]}'), { error: "payload is not an object" });
    assert.deepEqual(parseOutboxEvent('{"id":"a","type":"t","payload":{},"occurredAt":"yesterday"}'), { error: "occurredAt is not a timestamp" });
    assert.ok("event" in parseOutboxEvent('{"id":"a","type":"t","payload":{}}'));
  });
});

describe("outbox publisher packaging", () => {
  it("ships the handler as one ES module without type annotations", async () => {
    const { lambdaCode, OUTBOX_PUBLISHER_SOURCE } = await import("../components/events.ts");
    const archive = lambdaCode(OUTBOX_PUBLISHER_SOURCE);
    const assets = await archive.assets;
    assert.deepEqual(Object.keys(assets), ["index.mjs"]);
    const text = await (assets["index.mjs"] as { text: Promise<string> }).text;
    assert.match(text, /export async function handler\(event\)/);
    assert.doesNotMatch(text, /import type|: SQSEvent/);
    assert.doesNotMatch(text, /from "\.\.?\//, "no relative imports: the archive has one file");
  });
});
