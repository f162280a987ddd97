/**
 * What the model reads: one customer's event, reduced to the fields the
 * formulas use. The customer is not part of it: a state is one customer's.
 * Identity (for dedup) is (`source`, `id`); canonical order is (`t`, `id`,
 * `source`), ids and sources comparing as JavaScript strings (UTF-16 code
 * units), so that the order is total and the same on every machine.
 */
export type ModelEvent = TouchpointEvent | ExpectationEvent | IssueOpenedEvent | IssueResolvedEvent | SurveyEvent

interface EventIdentity {
  readonly id: string
  readonly source: string
  /** Event time, epoch milliseconds. */
  readonly t: number
}

export interface TouchpointEvent extends EventIdentity {
  readonly kind: "touchpoint"
  /** In [−1, 1]. */
  readonly quality: number
  /** Carried for completeness; the model version 1 formulas do not read it. */
  readonly aspect?: "competence" | "character"
}

export interface ExpectationEvent extends EventIdentity {
  readonly kind: "expectation"
  readonly dimension: string
  /** In [0, 1]. */
  readonly expected: number
  /** In [0, 1]. */
  readonly actual: number
  readonly negotiated: boolean
}

export interface IssueOpenedEvent extends EventIdentity {
  readonly kind: "issueOpened"
  readonly issueId: string
  /** In (0, 1]. */
  readonly severity: number
}

export interface IssueResolvedEvent extends EventIdentity {
  readonly kind: "issueResolved"
  readonly issueId: string
  /** Recovery quality ρ in [0, 1]. */
  readonly quality: number
  readonly withinSla: boolean
}

export interface SurveyEvent extends EventIdentity {
  readonly kind: "survey"
  readonly scale: "csat" | "nps" | "ces"
  /** csat 1–5, nps 0–10, ces 1–7. */
  readonly value: number
}

export type EventKind = ModelEvent["kind"]

/** Canonical order: negative when (t, id, source) of the first comes first. */
export const compareCanonical = (
  a: { readonly t: number; readonly id: string; readonly source: string },
  b: { readonly t: number; readonly id: string; readonly source: string }
): number => {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  if (a.source !== b.source) return a.source < b.source ? -1 : 1
  return 0
}
