// The diagnosis graph: receive → generate → approval (interrupt) → execute → analyze, plus answer and
// fetch for chat turns. analyze may loop back to approval when it needs more evidence; a reject
// loops back to generate for a different plan.
//
//   START → receive ─┬→ generate → approval ─┬→ execute → analyze ─┬→ END
//                    ├→ answer → END          ├→ generate (reject)   └→ approval (more commands)
//                    ├→ fetch → END           └→ END (rejected / nothing approved)
//                    └→ END (needs-host)
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { END, START, StateGraph } from "@langchain/langgraph";
import { createChatModel } from "../llm/model";
import { FileCheckpointSaver } from "./checkpointer";
import type { GraphContext } from "./context";
import type { DiagnosisDeps } from "./deps";
import { analyzeNode, routeAfterAnalyze } from "./nodes/analyze";
import { answerNode } from "./nodes/answer";
import { approvalNode, routeAfterApproval } from "./nodes/approval";
import { executeNode, routeAfterExecute } from "./nodes/execute";
import { fetchNode } from "./nodes/fetch";
import { generateNode } from "./nodes/generate";
import { receiveNode } from "./nodes/receive";
import { DiagnosisState, type DiagnosisStateType, type Route } from "./state";

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
  const clock = deps.clock ?? (() => new Date());
  return {
    deps,
    llm: deps.llm,
    model: deps.llm ? createChatModel(deps.llm) : null,
    structuredModel: deps.llm ? createChatModel(deps.llm, { stream: false }) : null,
    now: clock,
  };
}

export function createDiagnosisGraph(deps: DiagnosisDeps, options: DiagnosisGraphOptions = {}, context: GraphContext = createGraphContext(deps)) {
  const checkpointer = options.checkpointer ?? new FileCheckpointSaver(deps.checkpointDir);
  return new StateGraph(DiagnosisState)
    .addNode("receive", receiveNode(context))
    .addNode("generate", generateNode(context))
    .addNode("approval", approvalNode(context))
    .addNode("execute", executeNode(context))
    .addNode("analyze", analyzeNode(context))
    .addNode("answer", answerNode(context))
    .addNode("fetch", fetchNode(context))
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
