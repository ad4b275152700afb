// The agent's version, from its package.json (inlined into the bundle).
import agentPackage from "../package.json";

export const AGENT_VERSION: string = agentPackage.version;
