import { CLOUDEVENTS_CONTENT_TYPE } from "@xpscore/events"
import { SIMULATION_START_MS } from "./inputRecords.ts"

/**
 * The bad-input catalogue of issue 9: every way a record can be wrong that
 * the scorer must survive, each with the outcome it must have
 *
 * - at the scorer: a dead letter with this path and rule (step `decode`, or
 *   `route` for a key that is not the customer id), or accepted (valid, stored
 *   unchanged, harmless);
 * - at the producer SDK and `xpscore produce`: refused with this path and rule
 *   before anything is sent, accepted, or not expressible there (the SDK
 *   always keys a record by its customer id).
 */
export type CatalogueOutcome =
  | { readonly kind: "dead-letter"; readonly path: string; readonly rule: string }
  | { readonly kind: "accepted" }

export type ProducerOutcome =
  | { readonly kind: "refused"; readonly path: string; readonly rule: string }
  | { readonly kind: "accepted" }
  | { readonly kind: "not-expressible"; readonly why: string }

export interface CatalogueEntry {
  readonly name: string
  /** the record for customer `customerId`; `n` makes its event id unique */
  readonly make: (customerId: string, n: number) => { readonly key: string | null; readonly value: Uint8Array }
  readonly scorer: CatalogueOutcome
  readonly producer: ProducerOutcome
}

/** Ten megabytes: ten times the broker's default message.max.bytes, 160 times an event's limit. */
export const TEN_MEGABYTES = 10 * 1024 * 1024

const utf8 = (text: string) => new TextEncoder().encode(text)

/** A valid touchpoint of `customerId`, one hour per `n` into the simulated window. */
export const validTouchpoint = (customerId: string, n: number, id = `catalogue-${n}`) => ({
  specversion: "1.0",
  id,
  source: "catalogue",
  type: "xp.touchpoint.v1",
  subject: customerId,
  time: new Date(SIMULATION_START_MS + (n % 700) * 3_600_000).toISOString(),
  data: { quality: 0.25, aspect: "competence" }
})

const json = (value: unknown) => utf8(JSON.stringify(value))
const keyed = (customerId: string | null, value: Uint8Array) => ({ key: customerId, value })
const deadLetter = (path: string, rule: string): CatalogueOutcome => ({ kind: "dead-letter", path, rule })
const refused = (path: string, rule: string): ProducerOutcome => ({ kind: "refused", path, rule })
const bothRefuse = (path: string, rule: string) => ({ scorer: deadLetter(path, rule), producer: refused(path, rule) })

/** Customer ids that look dangerous to SQL and JSON and are perfectly valid. */
export const hostileCustomerIds = [
  `o'brien "the quote" \\ backslash`,
  `'); DROP TABLE score_history; --`,
  `\\'; SELECT * FROM system.users; --\\`,
  `"}, {"customer_id": "injected`
] as const

export const badInputCatalogue: ReadonlyArray<CatalogueEntry> = [
  {
    name: "malformed JSON (a write cut short)",
    make: (c, n) => keyed(c, utf8(JSON.stringify(validTouchpoint(c, n)).slice(0, 40))),
    ...bothRefuse("$", "json")
  },
  {
    name: "invalid UTF-8 (a 0xFF byte in the customer id)",
    make: (c, n) => {
      const bytes = json(validTouchpoint(c, n))
      const at = Buffer.from(bytes).indexOf('"subject":"') + 11
      bytes[at] = 0xff
      return keyed(c, bytes)
    },
    ...bothRefuse("$", "utf8")
  },
  {
    name: "wrong type (quality as a string)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), data: { quality: "0.25", aspect: "competence" } })),
    ...bothRefuse("data.quality", "type")
  },
  {
    name: "missing field (no time)",
    make: (c, n) => {
      const { time: _time, ...rest } = validTouchpoint(c, n)
      return keyed(c, json(rest))
    },
    ...bothRefuse("time", "required")
  },
  {
    name: "missing key field (no subject)",
    make: (c, n) => {
      const { subject: _subject, ...rest } = validTouchpoint(c, n)
      return keyed(c, json(rest))
    },
    ...bothRefuse("subject", "required")
  },
  {
    name: "out of range (quality 1.5)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), data: { quality: 1.5, aspect: "competence" } })),
    ...bothRefuse("data.quality", "range")
  },
  {
    name: "oversize event (70 KB, over the 64 KiB limit)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), tracestate: "x".repeat(70_000) })),
    ...bothRefuse("$", "size")
  },
  {
    name: "unknown type (xp.refund.v1)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), type: "xp.refund.v1" })),
    ...bothRefuse("type", "unknown-type")
  },
  {
    name: "unknown version (xp.touchpoint.v9)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), type: "xp.touchpoint.v9" })),
    ...bothRefuse("type", "unknown-version")
  },
  {
    name: "empty customer id (subject and key empty)",
    make: (_c, n) => keyed("", json(validTouchpoint("", n))),
    ...bothRefuse("subject", "length")
  },
  {
    name: "missing Kafka key (a valid event without one)",
    make: (c, n) => keyed(null, json(validTouchpoint(c, n))),
    scorer: deadLetter("subject", "key-mismatch"),
    producer: { kind: "not-expressible", why: "the SDK and xpscore produce key every record by its subject" }
  },
  {
    name: "a Kafka key that is not the customer id",
    make: (c, n) => keyed(`${c}-other`, json(validTouchpoint(c, n))),
    scorer: deadLetter("subject", "key-mismatch"),
    producer: { kind: "not-expressible", why: "the SDK and xpscore produce key every record by its subject" }
  },
  {
    name: "a time far in the future (2150)",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), time: "2150-06-01T00:00:00.000Z" })),
    ...bothRefuse("time", "range")
  },
  {
    name: "NaN as a bare word",
    make: (c, n) => keyed(c, utf8(JSON.stringify(validTouchpoint(c, n)).replace('"quality":0.25', '"quality":NaN'))),
    ...bothRefuse("$", "json")
  },
  {
    name: "Infinity as a number (1e400)",
    make: (c, n) => keyed(c, utf8(JSON.stringify(validTouchpoint(c, n)).replace('"quality":0.25', '"quality":1e400'))),
    ...bothRefuse("data.quality", "finite")
  },
  {
    name: "Infinity as a string",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), data: { quality: "Infinity", aspect: "competence" } })),
    ...bothRefuse("data.quality", "type")
  },
  {
    name: "a customer id with NUL",
    make: (c, n) => keyed(`${c}\u0000x`, json(validTouchpoint(`${c}\u0000x`, n))),
    ...bothRefuse("subject", "control-characters")
  },
  {
    name: "an event id with a newline",
    make: (c, n) => keyed(c, json(validTouchpoint(c, n, `catalogue-${n}\nx`))),
    ...bothRefuse("id", "control-characters")
  },
  {
    name: "a customer id with quotes, backslashes and SQL",
    make: (_c, n) => {
      const id = hostileCustomerIds[n % hostileCustomerIds.length]!
      return keyed(id, json(validTouchpoint(id, n)))
    },
    scorer: { kind: "accepted" },
    producer: { kind: "accepted" }
  },
  {
    name: "an event id with quotes, backslashes and SQL",
    make: (c, n) => keyed(c, json(validTouchpoint(c, n, `catalogue-${n}'); DROP TABLE interactions; -- \\"`))),
    scorer: { kind: "accepted" },
    producer: { kind: "accepted" }
  },
  {
    name: "a 10 MB record",
    make: (c, n) => keyed(c, json({ ...validTouchpoint(c, n), tracestate: "x".repeat(TEN_MEGABYTES) })),
    ...bothRefuse("$", "size")
  }
]

export const catalogueHeaders = { "content-type": CLOUDEVENTS_CONTENT_TYPE } as const
