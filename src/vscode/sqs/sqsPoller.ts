// Adapter between the editor's PollingController and the SQS consumer + per-machine election in
// src/sqs/. (Wired to SqsAlarmConsumer/PollerElection as they land.)
import * as vscode from "vscode";
import type { AlarmStore } from "../../alarms/store";
import { AtlError } from "../../errors";
import type { Logger } from "../../log";
import type { PollerStatus, QueuePoller } from "../polling";
import type { SqsSettings } from "../settings";

export interface SqsPollerDeps {
  store: AlarmStore;
  storageDir: string;
  logger: Logger;
}

export interface QueueDescription {
  queueUrl: string;
  region: string;
  visibleMessages: number;
  inFlightMessages: number;
}

export function createSqsPoller(_sqs: SqsSettings & { queueUrl: string }, _deps: SqsPollerDeps): QueuePoller {
  const emitter = new vscode.EventEmitter<PollerStatus>();
  return {
    onDidChangeStatus: emitter.event,
    start: () => emitter.fire({ kind: "error", error: new AtlError("sqs", "The SQS consumer is not available in this build.") }),
    stop: () => {
      emitter.dispose();
      return Promise.resolve();
    },
    retryNow: () => undefined,
  };
}

export function describeQueue(_sqs: SqsSettings & { queueUrl: string }): Promise<QueueDescription> {
  return Promise.reject(new AtlError("sqs", "The SQS consumer is not available in this build."));
}
