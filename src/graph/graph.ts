// The diagnosis graph: receive → generate → approval (interrupt) → execute → analyze, plus answer and
// fetch for chat turns. analyze may loop back to approval when it needs more evidence; a reject
// loops back to generate for a different plan.
//
//   START → receive ─┬→ generate → approval ─┬→ execute → analyze ─┬→ END
//                    ├→ answer → END          ├→ generate (reject)   └→ approval (more commands)
//                    ├→ fetch → END           └→ END (rejected / nothing approved)
//                    └→ END (needs-host)
import type { BaseCheckpointSaver, LangGraphRunnableConfig } from "@langchain/langgraph";
import { END, START, StateGraph } from "@langchain/langgraph";
import { createLangChainModel } from "../llm/langchain";
import { FileCheckpointSaver } from "./checkpointer";
import { emit, type GraphContext } from "./context";
import type { DiagnosisDeps } from "./deps";
import type { NodeName } from "./diagnosis";
import { analyzeNode, routeAfterAnalyze } from "./nodes/analyze";
import { answerNode } from "./nodes/answer";
import { approvalNode, routeAfterApproval } from "./nodes/approval";
import { executeNode, routeAfterExecute } from "./nodes/execute";
import { fetchNode } from "./nodes/fetch";
import { generateNode } from "./nodes/generate";
import { receiveNode } from "./nodes/receive";
import { DiagnosisState, type DiagnosisStateType, type DiagnosisStateUpdate, type Route } from "./state";

export type GenerateRoute = "approval" | "end";

function routeAfterReceive(state: DiagnosisStateType): Route {
  return state.route;
}

function routeAfterGenerate(state: DiagnosisStateType): GenerateRoute {
  return state.proposal !== null && state.status === "waiting-approval" ? "approval" : "end";
}

export interface DiagnosisGraphOptions {
  /** Default: a FileCheckpointSaver in deps.checkpointDir. */
  checkpointer?: BaseCheckpointSaver;
}

export function createGraphContext(deps: DiagnosisDeps): GraphContext {
  const prices = deps.llm?.prices ?? {};
  // A model the caller built (the editor's language model) wins over one built from the settings.
  const model = deps.chatModel ?? (deps.llm ? createLangChainModel(deps.llm) : null);
  return { deps, llm: model ? { model, prices } : null, now: deps.clock ?? (() => new Date()) };
}

type Node = (state: DiagnosisStateType, config: LangGraphRunnableConfig) => DiagnosisStateUpdate | Promise<DiagnosisStateUpdate>;

/**
 * A node that tells the caller when it starts and finishes (the chat shows the step). An interrupt
 * or an error leaves without "finished"; on resume the node starts again.
 */
function reported(name: NodeName, node: Node): Node {
  return async (state, config) => {
    emit(config, { type: "node", node: name, phase: "started" });
    const update = await node(state, config);
    emit(config, { type: "node", node: name, phase: "finished" });
    return update;
  };
}

export function createDiagnosisGraph(deps: DiagnosisDeps, options: DiagnosisGraphOptions = {}, context: GraphContext = createGraphContext(deps)) {
  const checkpointer = options.checkpointer ?? new FileCheckpointSaver(deps.checkpointDir);
  return new StateGraph(DiagnosisState)
    .addNode("receive", reported("receive", receiveNode(context)))
    .addNode("generate", reported("generate", generateNode(context)))
    .addNode("approval", reported("approval", approvalNode(context)))
    .addNode("execute", reported("execute", executeNode(context)))
    .addNode("analyze", reported("analyze", analyzeNode(context)))
    .addNode("answer", reported("answer", answerNode(context)))
    .addNode("fetch", reported("fetch", fetchNode(context)))
    .addEdge(START, "receive")
    .addConditionalEdges("receive", routeAfterReceive, { generate: "generate", answer: "answer", fetch: "fetch", end: END })
    .addConditionalEdges("generate", routeAfterGenerate, { approval: "approval", end: END })
    .addConditionalEdges("approval", routeAfterApproval, { execute: "execute", generate: "generate", end: END })
    .addConditionalEdges("execute", routeAfterExecute, { analyze: "analyze", end: END })
    .addConditionalEdges("analyze", routeAfterAnalyze, { approval: "approval", end: END })
    .addEdge("answer", END)
    .addEdge("fetch", END)
    .compile({ checkpointer, name: "diagnosisGraph" });
}

export type DiagnosisGraph = ReturnType<typeof createDiagnosisGraph>;
