import type { RejectionRule } from "@xpscore/events"
import type { JourneyNote, Source } from "./customerJourney.ts"
import type { InvalidKind } from "./invalidRecords.ts"

interface RecordBase {
  /** the Kafka key: every record of a customer goes to one partition */
  readonly customerId: string
  /** when the record reaches the topic in the simulated world; records come in this order */
  readonly arrivalMs: number
}

/** A valid event, the first time it is sent. */
export interface EventRecord extends RecordBase {
  readonly kind: "event"
  readonly source: Source
  readonly id: string
  readonly type: string
  readonly timeMs: number
  /** the CloudEvent JSON */
  readonly value: string
  readonly note: JourneyNote
  /**
   * How far the newest event of this customer sent before it lies ahead of
   * it in event time: 0 when it arrives in order, up to the allowed lateness
   * when it is late but inside the horizon, more when it is beyond.
   */
  readonly lateByMs: number
}

/** A valid event sent again by its producer: same source, id and bytes. */
export interface DuplicateRecord extends RecordBase {
  readonly kind: "duplicate"
  readonly source: Source
  readonly id: string
  readonly type: string
  readonly timeMs: number
  readonly value: string
}

/** A record that is not a valid event, sent past the producer SDK's validation on purpose. */
export interface InvalidRecord extends RecordBase {
  readonly kind: "invalid"
  readonly invalidKind: InvalidKind
  readonly value: string | Uint8Array
  /** what the decoder must say: the field's path and the rule */
  readonly path: string
  readonly rule: RejectionRule
}

export type SimulatedRecord = EventRecord | DuplicateRecord | InvalidRecord

/** The record's bytes as they go to a file line or a Kafka value. */
export const recordBytes = (record: SimulatedRecord): Uint8Array =>
  typeof record.value === "string" ? Buffer.from(record.value, "utf8") : record.value
