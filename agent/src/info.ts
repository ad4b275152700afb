// `GET /v1/info`: what the host is and how this agent is set up. Answered only to signed requests.
import { readFile } from "node:fs/promises";
import * as os from "node:os";
import type { AgentLimits } from "./config";
import type { PolicySummary } from "./policy/types";
import { PROTOCOL_VERSION, type InfoResponse } from "./protocol";
import { AGENT_VERSION } from "./version";

/** PRETTY_NAME from /etc/os-release (e.g. "Debian GNU/Linux 12 (bookworm)"), else the kernel name. */
export async function readOsName(path = "/etc/os-release"): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    const match = /^PRETTY_NAME=(?:"([^"\n]*)"|([^\n]*))$/m.exec(text);
    const name = match?.[1] ?? match?.[2];
    if (name) {
      return name;
    }
  } catch {
    // No os-release (containers, BSDs): fall back to the kernel name below.
  }
  return os.type();
}

export function hostInfo(osName: string, policy: PolicySummary, limits: AgentLimits): InfoResponse {
  return {
    hostname: os.hostname(),
    os: osName,
    kernel: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    uptimeSec: Math.round(os.uptime()),
    agentVersion: AGENT_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    policy,
    limits: {
      maxCommands: limits.maxCommands,
      maxConcurrent: limits.maxConcurrent,
      maxTimeoutSec: limits.maxTimeoutSec,
      maxOutputBytes: limits.maxOutputBytes,
    },
  };
}
