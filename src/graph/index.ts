// Entry of dist/graph.js: loaded on the first diagnosis only (LangChain lives here, not in
// extension.js). `require(path.join(__dirname, "graph.js")).createDiagnosisService(deps)`.
export type * from "./diagnosis";
export type * from "./deps";
export { createDiagnosisService, type DiagnosisServiceHandle, type DiagnosisServiceOptions } from "./service";
export { createDiagnosisGraph } from "./graph";
export { FileCheckpointSaver } from "./checkpointer";
export { parseApprovalDecision } from "./decision";
// The editor builds these from graph.js too, so the transports (node-ssh) and the policy load with
// the graph, on the first diagnosis, not at activation.
export { HostDirectory } from "../hosts/directory";
export { createCommandPolicy } from "../../agent/src/policy";
// The tools for other agents (src/diagnosis/tools.ts: language-model tools, MCP) use these from graph.js.
export { planFromAlarm, planFromText } from "./runbooks";
export { analyzeRuns } from "./runbookAnalysis";
export { labelCommands } from "./commands";
export { toRun as runFromResult } from "./nodes/execute";
