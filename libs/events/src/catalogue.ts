import { defineEventVersion } from "./eventVersion.ts"
import { ExpectationData, IssueOpenedData, IssueResolvedData, SurveyData, TouchpointData } from "./payloads.ts"

/**
 * The current event catalogue: every type xpscore reads, in the version the
 * scoring model is written against ("Events the model reads",
 * scoring-model.md).
 */
export const touchpointV1 = defineEventVersion({
  kind: "touchpoint",
  version: 1,
  data: TouchpointData,
  description: "An interaction with the customer and how it went (quality in [-1, 1])"
})

export const expectationV1 = defineEventVersion({
  kind: "expectation",
  version: 1,
  data: ExpectationData,
  description: "A delivered level against an expected one on one dimension (both in [0, 1])"
})

export const issueOpenedV1 = defineEventVersion({
  kind: "issue.opened",
  version: 1,
  data: IssueOpenedData,
  description: "A problem the customer has, with its severity in (0, 1]"
})

export const issueResolvedV1 = defineEventVersion({
  kind: "issue.resolved",
  version: 1,
  data: IssueResolvedData,
  description: "The resolution of an issue opened earlier: how well, and whether within SLA"
})

export const surveyV1 = defineEventVersion({
  kind: "survey",
  version: 1,
  data: SurveyData,
  description: "A survey answer: csat 1–5, nps 0–10 or ces 1–7"
})

export const catalogueV1 = [touchpointV1, expectationV1, issueOpenedV1, issueResolvedV1, surveyV1] as const
