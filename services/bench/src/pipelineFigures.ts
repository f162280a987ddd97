import { ClickHouse } from "@xpscore/clickhouse"
import { EventDecoder } from "@xpscore/events"
import { ensureTopics, modelVersionTopicNames, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { runProjector } from "@xpscore/projector"
import { runScorer } from "@xpscore/scorer"
import { ConfigProvider, Effect, Fiber, Logger } from "effect"
import type { Admin, Kafka, Producer } from "kafkajs"
import { type BenchInput, benchProducer, produceAll } from "./benchInput.ts"
import type { BenchPlan } from "./benchPlan.ts"
import { caughtUp, endOffsets, waitFor } from "./groupProgress.ts"
import { makeProbeTracker, POLL_MS, type ProbeTracker, quantile } from "./latencyProbes.ts"
import { offerLoad } from "./offeredLoad.ts"
import { scorerSettings } from "./scorerThroughput.ts"

/**
 * The full pipeline on one ClickHouse mode: the scorer and the projector of
 * this repository, in this process (embedded chDB allows one engine per
 * process, so the projector and the latency poll share it), on a namespace
 * of their own (topic prefix, groups, database).
 *
 * 1. sustained: the first part of the input produced at full speed while
 *    both run; from the first record sent to every score and interaction
 *    committed by the projector (its offsets are committed only after
 *    ClickHouse acknowledged the rows).
 * 2. latency: the stream goes on at each offered rate, probes mixed in;
 *    p50/p99 of event produced → row in `v_current_scores`.
 * 3. replay: both stopped, then the whole topic rebuilt from the earliest
 *    offset beside it (a new model-version label: new scores and state
 *    topics, new groups, a new database), as `xpscore replay` does; from
 *    starting both (group joins and the empty restore included) to the
 *    projector caught up.
 */
export interface LatencyFigure {
  readonly rate: number
  readonly achievedRate: number
  readonly probes: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

export interface RateFigure {
  readonly records: number
  readonly seconds: number
  readonly eventsPerSecond: number
}

export interface PipelineFigures {
  readonly clickhouse: "embedded" | "server"
  readonly sustained: RateFigure
  readonly latency: ReadonlyArray<LatencyFigure>
  readonly replay: RateFigure
}

export interface PipelineContext {
  readonly kafka: Kafka
  readonly brokers: ReadonlyArray<string>
  readonly plan: BenchPlan
  readonly input: BenchInput
  /** a valid event JSON the probes are made from */
  readonly probeTemplate: string
  /** this mode's topic prefix and database */
  readonly prefix: string
  readonly database: string
  readonly runId: string
}

interface Namespace {
  readonly topics: TopicNames
  readonly database: string
  readonly scorerGroup: string
  readonly projectorGroup: string
  readonly settings: Record<string, string>
}

const namespaceOf = (context: PipelineContext, replay: boolean): Namespace => {
  const label = replay ? "replay" : undefined
  const scorerGroup = `${context.prefix}scorer${replay ? "-replay" : ""}`
  const projectorGroup = `${context.prefix}projector${replay ? "-replay" : ""}`
  const database = replay ? `${context.database}_replay` : context.database
  return {
    topics: label === undefined ? topicNames(context.prefix) : modelVersionTopicNames(context.prefix, label),
    database,
    scorerGroup,
    projectorGroup,
    settings: {
      ...scorerSettings({
        brokers: context.brokers,
        prefix: context.prefix,
        groupId: scorerGroup,
        partitions: context.plan.partitions,
        ...(label === undefined ? {} : { modelVersion: label })
      }),
      XPSCORE_PROJECTOR_GROUP_ID: projectorGroup,
      XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
      XPSCORE_PROJECTOR_HTTP_PORT: "0",
      // the projector's default batching (1 s) would be most of the latency at low rates
      XPSCORE_PROJECTOR_BATCH_MS: "100"
    }
  }
}

/** Starts scorer and projector (quietly, on the namespace's settings and database); returns a stop and a failure check. */
const startServices = (namespace: Namespace) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const onDatabase = ClickHouse.of({ ...clickhouse, target: { ...clickhouse.target, database: namespace.database } })
    const configured = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.provide(Logger.layer([])),
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: namespace.settings }))
      )
    const scorer = yield* Effect.forkDetach(
      configured(Effect.scoped(runScorer).pipe(Effect.provide(EventDecoder.layer)))
    )
    const projector = yield* Effect.forkDetach(
      configured(Effect.scoped(runProjector).pipe(Effect.provideService(ClickHouse, onDatabase)))
    )
    const failed = () => {
      for (const [name, fiber] of [
        ["scorer", scorer],
        ["projector", projector]
      ] as const) {
        const exit = fiber.pollUnsafe()
        if (exit !== undefined) return `${name}: ${String(exit)}`
      }
      return undefined
    }
    const stop = Fiber.interruptAll([scorer, projector])
    // stopped with the figure's scope too, when a step fails: a detached service would keep the process alive
    yield* Effect.addFinalizer(() => stop)
    return { stop, failed }
  })

/** Waits until the scorer committed the whole input topic and the projector everything the scorer wrote. */
const waitUntilProjected = async (admin: Admin, namespace: Namespace, failed: () => unknown) => {
  const inputEnds = await endOffsets(admin, namespace.topics.interactions)
  await waitFor("scoring", () => caughtUp(admin, namespace.scorerGroup, namespace.topics.interactions, inputEnds), {
    failed
  })
  const scoreEnds = await endOffsets(admin, namespace.topics.scores)
  await waitFor(
    "projecting",
    async () =>
      (await caughtUp(admin, namespace.projectorGroup, namespace.topics.scores, scoreEnds)) &&
      (await caughtUp(admin, namespace.projectorGroup, namespace.topics.interactions, inputEnds)),
    { failed }
  )
}

const rate = (records: number, startedAt: number): RateFigure => {
  const seconds = (performance.now() - startedAt) / 1000
  return { records, seconds, eventsPerSecond: records / seconds }
}

/** Polls the view for probes until `stop` is set; runs beside the load. */
const pollProbes = (probes: ProbeTracker, running: { stop: boolean }) =>
  Effect.gen(function* () {
    while (!running.stop) {
      yield* probes.poll
      yield* Effect.sleep(POLL_MS)
    }
  })

/** Sends one probe and waits until it is visible: the pipeline is joined, restored and projecting. */
const warmUp = (producer: Producer, topic: string, probes: ProbeTracker, failed: () => unknown) =>
  Effect.gen(function* () {
    probes.label = "warm-up"
    const probe = probes.next()
    probes.sent([probe.id], performance.now())
    yield* Effect.promise(() => producer.send({ topic, messages: [probe.message], acks: 1 }))
    const deadline = Date.now() + 180_000
    while (probes.pending() > 0) {
      const failure = failed()
      if (failure !== undefined) return yield* Effect.die(new Error(`the pipeline stopped: ${failure}`))
      if (Date.now() > deadline)
        return yield* Effect.die(new Error("the pipeline did not project a first event in 3 minutes"))
      // the projector creates the database and views when it starts: until then the view is not there
      yield* probes.poll.pipe(Effect.ignore)
      yield* Effect.sleep(POLL_MS)
    }
  })

export const pipelineFigures = (context: PipelineContext) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const { kafka, plan, input } = context
    const live = namespaceOf(context, false)
    const layout = { partitions: plan.partitions, replicationFactor: 1 }
    yield* ensureTopics(kafka, topicSpecs({ names: live.topics, ...layout }))
    const admin = kafka.admin()
    yield* Effect.acquireRelease(
      Effect.promise(() => admin.connect()),
      () => Effect.promise(() => admin.disconnect())
    )
    const producer = yield* Effect.acquireRelease(
      Effect.promise(() => benchProducer(kafka)),
      (p) => Effect.promise(() => p.disconnect())
    )
    const probes = makeProbeTracker({ database: live.database, template: context.probeTemplate, runId: context.runId })

    const services = yield* startServices(live)
    yield* warmUp(producer, live.topics.interactions, probes, services.failed)

    // 1. sustained
    const sustainedStart = performance.now()
    yield* Effect.promise(() => produceAll(producer, live.topics.interactions, input.records, 0, plan.sustainedRecords))
    yield* Effect.promise(() => waitUntilProjected(admin, live, services.failed))
    const sustained = rate(plan.sustainedRecords, sustainedStart)

    // 2. latency at each offered rate, the stream continuing where the sustained part ended
    const latency: Array<LatencyFigure> = []
    let cursor = plan.sustainedRecords
    for (const phase of plan.latencyPhases) {
      probes.label = String(phase.rate)
      const running = { stop: false }
      const poller = yield* Effect.forkChild(pollProbes(probes, running))
      const offered = yield* Effect.promise(() =>
        offerLoad(producer, live.topics.interactions, input.records, cursor, phase, probes)
      )
      cursor += offered.records
      const deadline = Date.now() + 180_000
      while (probes.pending() > 0 && Date.now() < deadline && services.failed() === undefined) {
        yield* Effect.sleep(POLL_MS)
      }
      running.stop = true
      yield* Fiber.join(poller)
      if (probes.pending() > 0) {
        return yield* Effect.die(
          new Error(`${probes.pending()} probes at ${phase.rate}/s not visible: ${services.failed() ?? "timed out"}`)
        )
      }
      // the next rate starts on a drained pipeline
      yield* Effect.promise(() => waitUntilProjected(admin, live, services.failed))
      const values = probes.latencies(String(phase.rate))
      latency.push({
        rate: phase.rate,
        achievedRate: offered.achievedRate,
        probes: values.length,
        p50Ms: quantile(values, 0.5),
        p99Ms: quantile(values, 0.99),
        maxMs: quantile(values, 1)
      })
    }
    yield* services.stop

    // 3. replay: rebuild everything from the earliest offset, beside the live namespace
    const replayNamespace = namespaceOf(context, true)
    const replayRecords = yield* Effect.promise(async () => {
      const ends = await endOffsets(admin, live.topics.interactions)
      return [...ends.values()].reduce((sum, end) => sum + end, 0)
    })
    yield* ensureTopics(kafka, topicSpecs({ names: replayNamespace.topics, ...layout }))
    // From the start, as an operator waits for a replay: clocked from the first commit, a topic the
    // scorer reads in one batch (the quick run's) would leave nothing to time.
    const replayStart = performance.now()
    const replayServices = yield* startServices(replayNamespace)
    const replay = yield* Effect.promise(async () => {
      await waitUntilProjected(admin, replayNamespace, replayServices.failed)
      return rate(replayRecords, replayStart)
    })
    yield* replayServices.stop
    return {
      clickhouse: clickhouse.target.mode,
      sustained,
      latency,
      replay
    } satisfies PipelineFigures
  })
