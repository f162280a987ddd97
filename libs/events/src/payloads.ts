import { Schema } from "effect"
import { DimensionId, IssueId } from "./ids.ts"
import { ruleOf } from "./rules.ts"

/**
 * The payloads of the five event types, with the field names and exact
 * ranges of "Events the model reads" in scoring-model.md. Unknown fields are
 * rejected (`unknown-field`) so that a typo such as `qualty` is an error, not
 * a silently neutral event.
 */

const FiniteNumber = Schema.Number.check(Schema.isFinite(ruleOf("finite")))

/** A finite number in a range, with the `finite` and `range` rules (for payloads of later versions too). */
export const numberBetween = (minimum: number, maximum: number, description: string, exclusiveMinimum = false) =>
  FiniteNumber.check(
    Schema.isBetween(
      { minimum, maximum, exclusiveMinimum },
      ruleOf("range", `a number from ${minimum} (${exclusiveMinimum ? "excluded" : "included"}) to ${maximum}`)
    )
  ).annotate({ description })

const integerBetween = (minimum: number, maximum: number, description: string) =>
  FiniteNumber.check(
    Schema.isInt(ruleOf("integer", "an integer")),
    Schema.isBetween({ minimum, maximum }, ruleOf("range", `an integer from ${minimum} to ${maximum}`))
  ).annotate({ description })

const describedBoolean = (description: string) => Schema.Boolean.annotate({ description })

export const TouchpointAspect = Schema.Literals(["competence", "character"])
export type TouchpointAspect = typeof TouchpointAspect.Type

export const TouchpointData = Schema.Struct({
  quality: numberBetween(-1, 1, "How the interaction went, from -1 (very bad) through 0 (neutral) to 1 (very good)"),
  aspect: Schema.optionalKey(
    TouchpointAspect.annotate({
      description: "What the interaction showed of us: competence (ability) or character (intent)"
    })
  )
})
export type TouchpointData = typeof TouchpointData.Type

export const ExpectationData = Schema.Struct({
  dimension: DimensionId.annotate({ description: "What was expected (delivery-speed, price, …)" }),
  expected: numberBetween(0, 1, "The promised or expected level, 0 to 1"),
  actual: numberBetween(0, 1, "The delivered level, 0 to 1"),
  negotiated: Schema.optionalKey(
    describedBoolean(
      "True when the expectation was explicitly negotiated with the customer; it is then judged against itself only. Absent means false"
    )
  )
})
export type ExpectationData = typeof ExpectationData.Type

export const IssueOpenedData = Schema.Struct({
  issueId: IssueId.annotate({ description: "Identifies the issue; its resolution carries the same id" }),
  severity: numberBetween(0, 1, "How bad the problem is, above 0 up to 1", true)
})
export type IssueOpenedData = typeof IssueOpenedData.Type

export const IssueResolvedData = Schema.Struct({
  issueId: IssueId.annotate({ description: "The id the issue was opened with" }),
  quality: numberBetween(0, 1, "How well the issue was resolved, 0 to 1"),
  withinSla: describedBoolean("Whether the resolution met the service-level agreement")
})
export type IssueResolvedData = typeof IssueResolvedData.Type

const surveyAnswer = <const Scale extends string>(scale: Scale, minimum: number, maximum: number, what: string) =>
  Schema.Struct({
    scale: Schema.Literal(scale).annotate({ description: what }),
    value: integerBetween(minimum, maximum, `The answer, an integer from ${minimum} to ${maximum}`)
  })

/** A survey answer; `scale` decides the range of `value`. */
export const SurveyData = Schema.Union([
  surveyAnswer("csat", 1, 5, "Customer satisfaction, 1 (very unsatisfied) to 5 (very satisfied)"),
  surveyAnswer("nps", 0, 10, "Net promoter score: likelihood to recommend, 0 to 10"),
  surveyAnswer("ces", 1, 7, "Customer effort score, 1 (very difficult) to 7 (very easy)")
]).annotate({ xpscoreDiscriminator: "scale" })
export type SurveyData = typeof SurveyData.Type
export type SurveyScale = SurveyData["scale"]
