import { expect } from "vitest"
import type { Verdict } from "./verdict.ts"

/** The pass rule of every scenario: nothing lost, nothing applied twice, no other difference from the reference. */
export const expectSound = (verdict: Pick<Verdict, "lost" | "duplicated" | "problems">) =>
  expect({ lost: verdict.lost, duplicated: verdict.duplicated, problems: verdict.problems }).toEqual({
    lost: 0,
    duplicated: 0,
    problems: []
  })
