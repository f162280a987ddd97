import { Schema } from "effect"

/** Something the local infrastructure needs is not installed and could not be installed for the user. */
export class PrerequisiteMissing extends Schema.TaggedError<PrerequisiteMissing>()("PrerequisiteMissing", {
  what: Schema.String,
  howToGet: Schema.String
}) {
  override get message() {
    return `${this.what} is missing: ${this.howToGet}`
  }
}

/** A command the infrastructure runs (mvn, apt-get, kafka-storage) failed. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  command: Schema.String,
  exitCode: Schema.Number,
  outputTail: Schema.String
}) {
  override get message() {
    return `\`${this.command}\` exited with ${this.exitCode}:\n${this.outputTail}`
  }
}

/** A local service did not become ready in time, or died while starting. */
export class ServiceNotReady extends Schema.TaggedError<ServiceNotReady>()("ServiceNotReady", {
  service: Schema.String,
  reason: Schema.String,
  logFile: Schema.String,
  logTail: Schema.String
}) {
  override get message() {
    return `${this.service} is not ready: ${this.reason} (log: ${this.logFile})\n${this.logTail}`
  }
}

export type InfraError = PrerequisiteMissing | CommandFailed | ServiceNotReady
