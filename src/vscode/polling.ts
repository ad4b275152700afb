export type PollingState =
  | { kind: "unconfigured" }
  | { kind: "stopped" }
  | { kind: "starting"; queueName: string }
  | { kind: "polling"; queueName: string; mode: "consume" | "peek" }
  | { kind: "standby"; queueName: string }
  | { kind: "error"; message: string; fix: string | null };
